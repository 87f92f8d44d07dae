/**
 * @file
 * The token-source interface (see auth.h) and its two simplest sources:
 * a fixed token, and a token read from a file.
 *
 * DESIGN
 * Any thread may ask for a token. The token-file source keeps the token
 * it read with the file's identity (inode, size, mtime); each call stats
 * the file and re-reads it when any of those changed, so a tool that
 * rewrites the file (even within the same second, as long as the size or
 * inode moves, or mtime with nanoseconds) is picked up. Reading a small
 * local file is not a network call, so f->lock is held across it.
 *
 * The same stat checks, on every call, that the file is still there and
 * still private (no group or other bits). When it is not, the token is
 * forgotten and the call fails with AZ_ERR_UNAUTHORIZED (EACCES for the
 * user: we have no credential we may use), and one warning names the
 * file and the fix. The state behind that warning is remembered, so a
 * burst of calls logs one line, and each further change of the file
 * (chmod, rewrite, removal) one more. Once the file is private again the
 * next call reads it: no remount. A file that is merely empty or
 * malformed (a rewrite in progress) still keeps the previous token.
 */
#include "client/auth.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/auth_impl.h"
#include "util/log.h"

#define TOKEN_FILE_MAX 65536

enum az_err az_auth_token(struct az_auth *a, char *buf, size_t len,
			  struct az_error *err)
{
	if (!a)
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "no credential configured");
	return a->ops->token(a, buf, len, err);
}

void az_auth_invalidate(struct az_auth *a)
{
	if (a && a->ops->invalidate)
		a->ops->invalidate(a);
}

const char *az_auth_name(const struct az_auth *a)
{
	return a ? a->ops->name : "none";
}

void az_auth_free(struct az_auth *a)
{
	if (a)
		a->ops->free(a);
}

enum az_err az_auth_copy_token(const char *token, char *buf, size_t len,
			       const char *source, struct az_error *err)
{
	size_t n = strlen(token);

	if (n + 1 > len)
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "%s: token longer than %zu bytes", source,
			       len - 1);
	memcpy(buf, token, n + 1);
	return AZ_OK;
}

/* ---- static ---- */

struct auth_static {
	struct az_auth base;
	char *token;
};

static enum az_err static_token(struct az_auth *a, char *buf, size_t len,
				struct az_error *err)
{
	struct auth_static *s = (struct auth_static *)a;

	return az_auth_copy_token(s->token, buf, len, "static token", err);
}

static void static_free(struct az_auth *a)
{
	struct auth_static *s = (struct auth_static *)a;

	explicit_bzero(s->token, strlen(s->token));
	free(s->token);
	free(s);
}

static const struct az_auth_ops static_ops = {
	.name = "static",
	.token = static_token,
	.free = static_free,
};

struct az_auth *az_auth_static(const char *token)
{
	struct auth_static *s;

	if (!token)
		return NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.ops = &static_ops;
	s->token = strdup(token);
	if (!s->token) {
		free(s);
		return NULL;
	}
	return &s->base;
}

/* ---- token file ---- */

struct auth_file {
	struct az_auth base;
	char *path;
	pthread_mutex_t lock;
	char *token;          /* protected by lock; NULL until read */
	struct stat seen;     /* protected by lock; identity of what we read */
	/*
	 * Protected by lock: the refusal last logged (refused_errno: stat's
	 * errno, 0 when the file was there; refused: its state then).
	 */
	bool refusing;
	int refused_errno;
	struct stat refused;
};

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/*
 * Read the token from @path into a malloc'd string, trailing white space
 * stripped; checks the file's permissions. @st gets the file's identity.
 */
static enum az_err read_token_file(const char *path, char **out,
				   struct stat *st, struct az_error *err)
{
	char *buf = NULL;
	ssize_t got;
	size_t n = 0, start = 0;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "cannot open token file %s: %s", path,
			       strerror(errno));
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "token file %s is not a regular file", path);
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "token file %s is accessible by group or "
			       "others; run: chmod 600 %s", path, path);
	}
	if (st->st_size > TOKEN_FILE_MAX) {
		close(fd);
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "token file %s is too large", path);
	}
	buf = malloc(TOKEN_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	}
	while (n < TOKEN_FILE_MAX) {
		got = read(fd, buf + n, TOKEN_FILE_MAX - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			int e = errno;

			close(fd);
			explicit_bzero(buf, n);
			free(buf);
			return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
				       "cannot read token file %s: %s", path,
				       strerror(e));
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' ||
			 buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	while (start < n && (buf[start] == ' ' || buf[start] == '\t' ||
			     buf[start] == '\n' || buf[start] == '\r'))
		start++;
	buf[n] = '\0';
	if (start == n) {
		free(buf);
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "token file %s is empty", path);
	}
	if (memchr(buf + start, '\n', n - start) ||
	    memchr(buf + start, '\0', n - start)) {
		explicit_bzero(buf, n);
		free(buf);
		return az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			       "token file %s must hold one line: the token",
			       path);
	}
	*out = strdup(buf + start);
	explicit_bzero(buf, n);
	free(buf);
	if (!*out)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	return AZ_OK;
}

static void forget(struct auth_file *f)
{
	if (f->token) {
		explicit_bzero(f->token, strlen(f->token));
		free(f->token);
		f->token = NULL;
	}
	memset(&f->seen, 0, sizeof(f->seen));
}

/* Whether a refusal for (@errnum, @st) was already logged. */
static bool refusal_logged(const struct auth_file *f, int errnum,
			   const struct stat *st)
{
	const struct stat *r = &f->refused;

	if (!f->refusing || f->refused_errno != errnum)
		return false;
	if (errnum)
		return true;
	return r->st_dev == st->st_dev && r->st_ino == st->st_ino &&
	       r->st_mode == st->st_mode && r->st_uid == st->st_uid &&
	       r->st_ctim.tv_sec == st->st_ctim.tv_sec &&
	       r->st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/*
 * Refuse the file after mounting: stat() failed with @errnum, or (@errnum
 * 0) @st shows it is not a private regular file. Forgets the token, logs
 * one warning per change of the file. Called with f->lock held.
 */
static enum az_err refuse(struct auth_file *f, int errnum,
			  const struct stat *st, struct az_error *err)
{
	struct az_error mine;

	if (!err)
		err = &mine;
	if (errnum)
		az_fail(err, AZ_ERR_UNAUTHORIZED, 0,
			"cannot stat token file %s: %s; refusing calls until "
			"it is back", f->path, strerror(errnum));
	else if (!S_ISREG(st->st_mode))
		az_fail(err, AZ_ERR_UNAUTHORIZED, 0,
			"token file %s is not a regular file; refusing calls "
			"until it is", f->path);
	else
		az_fail(err, AZ_ERR_UNAUTHORIZED, 0,
			"token file %s is accessible by group or others "
			"(mode %04o); refusing it; run: chmod 600 %s", f->path,
			(unsigned)(st->st_mode & 07777), f->path);
	forget(f);
	if (!refusal_logged(f, errnum, st)) {
		log_warn("%s", err->message);
		f->refusing = true;
		f->refused_errno = errnum;
		if (st)
			f->refused = *st;
	}
	return AZ_ERR_UNAUTHORIZED;
}

static enum az_err file_token(struct az_auth *a, char *buf, size_t len,
			      struct az_error *err)
{
	struct auth_file *f = (struct auth_file *)a;
	struct stat st;
	enum az_err e = AZ_OK;
	char *tok;

	pthread_mutex_lock(&f->lock);
	if (stat(f->path, &st) < 0) {
		e = refuse(f, errno, NULL, err);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		e = refuse(f, 0, &st, err);
		goto out;
	}
	if (!f->token || !same_file(&st, &f->seen)) {
		e = read_token_file(f->path, &tok, &st, err);
		if (e != AZ_OK && f->token) {
			/* mid-rewrite (empty, or replaced just now): the
			 * token we have is the best we know; retry later */
			log_debug("token file %s unreadable, keeping the "
				  "previous token", f->path);
			e = AZ_OK;
			goto copy;
		}
		if (e != AZ_OK)
			goto out;
		forget(f);
		f->token = tok;
		f->seen = st;
		if (f->refusing) {
			log_info("token file %s is usable again", f->path);
			f->refusing = false;
		}
	}
copy:
	e = az_auth_copy_token(f->token, buf, len, f->path, err);
out:
	pthread_mutex_unlock(&f->lock);
	return e;
}

static void file_invalidate(struct az_auth *a)
{
	struct auth_file *f = (struct auth_file *)a;

	pthread_mutex_lock(&f->lock);
	forget(f);
	pthread_mutex_unlock(&f->lock);
}

static void file_free(struct az_auth *a)
{
	struct auth_file *f = (struct auth_file *)a;

	forget(f);
	pthread_mutex_destroy(&f->lock);
	free(f->path);
	free(f);
}

static const struct az_auth_ops file_ops = {
	.name = "token-file",
	.token = file_token,
	.invalidate = file_invalidate,
	.free = file_free,
};

/*
 * @path against today's working directory (the daemon moves to / once it
 * is mounted), symlinks kept: a secret volume may swap the target. NULL
 * with errno set on failure; the caller frees.
 */
static char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;
	size_t n;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	n = strlen(cwd) + 1 + strlen(path) + 1;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s/%s", cwd, path);
	return out;
}

struct az_auth *az_auth_token_file(const char *path, struct az_error *err)
{
	struct auth_file *f;
	struct stat st;
	char *tok, *abs;

	if (!path || !*path) {
		az_fail(err, AZ_ERR_INVALID, 0, "no token file given");
		return NULL;
	}
	if (read_token_file(path, &tok, &st, err) != AZ_OK)
		return NULL;
	abs = absolute_path(path);
	if (!abs) {
		az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			"cannot resolve token file %s: %s", path,
			strerror(errno));
		explicit_bzero(tok, strlen(tok));
		free(tok);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		free(abs);
		explicit_bzero(tok, strlen(tok));
		free(tok);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	f->base.ops = &file_ops;
	f->path = abs;
	pthread_mutex_init(&f->lock, NULL);
	f->token = tok;
	f->seen = st;
	return &f->base;
}
