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
 */
#include "client/auth.h"

#include <errno.h>
#include <fcntl.h>
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

static enum az_err file_token(struct az_auth *a, char *buf, size_t len,
			      struct az_error *err)
{
	struct auth_file *f = (struct auth_file *)a;
	struct stat st;
	enum az_err e = AZ_OK;
	char *tok;

	pthread_mutex_lock(&f->lock);
	if (!f->token || stat(f->path, &st) < 0 || !same_file(&st, &f->seen)) {
		e = read_token_file(f->path, &tok, &st, err);
		if (e != AZ_OK && f->token) {
			/* mid-rewrite (empty, or gone for a moment): the
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

struct az_auth *az_auth_token_file(const char *path, struct az_error *err)
{
	struct auth_file *f;
	struct stat st;
	char *tok;

	if (!path || !*path) {
		az_fail(err, AZ_ERR_INVALID, 0, "no token file given");
		return NULL;
	}
	if (read_token_file(path, &tok, &st, err) != AZ_OK)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		explicit_bzero(tok, strlen(tok));
		free(tok);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	f->base.ops = &file_ops;
	pthread_mutex_init(&f->lock, NULL);
	f->token = tok;
	f->seen = st;
	return &f->base;
}
