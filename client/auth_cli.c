/**
 * @file
 * The Azure CLI token source (auth=cli): runs
 *   az account get-access-token --resource https://management.azure.com/
 *      --output json
 * directly (posix_spawnp, i.e. fork and exec, no shell), reads its
 * stdout, and gives it AZ_CLI_TIMEOUT_S seconds before killing it. The
 * token is parsed from accessToken with expires_on (epoch, CLI >= 2.54)
 * or else expiresOn (local time) (docs/azure-api.md section 10.5). Renewal and
 * locking are auth_token.c's; the child is started without any lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/auth_impl.h"
#include "util/call.h"
#include "util/log.h"

#define AZ_CLI_TIMEOUT_S 30
#define OUT_MAX (1024 * 1024)

extern char **environ;

struct auth_cli {
	struct az_auth_src src;
};

struct pipe_buf {
	int fd;
	char *data;
	size_t len;
};

/* Read what is there; 0 at EOF, 1 more to come, -1 error. */
static int drain(struct pipe_buf *p)
{
	char tmp[4096];
	ssize_t n = read(p->fd, tmp, sizeof(tmp));
	char *nd;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	if (n == 0)
		return 0;
	if (p->len + (size_t)n > OUT_MAX)
		return -1;
	nd = realloc(p->data, p->len + (size_t)n + 1);
	if (!nd)
		return -1;
	p->data = nd;
	memcpy(p->data + p->len, tmp, (size_t)n);
	p->len += (size_t)n;
	p->data[p->len] = '\0';
	return 1;
}

/* Run @argv; collect stdout and stderr within @timeout_s seconds. */
static enum az_err run(char *const argv[], int timeout_s, struct pipe_buf *out,
		       struct pipe_buf *errb, int *status,
		       struct az_error *err)
{
	posix_spawn_file_actions_t fa;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, rc, open_fds = 2;
	time_t deadline = time(NULL) + timeout_s;
	enum az_err e = AZ_OK;
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		e = az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			    "Azure CLI: cannot make a pipe: %s",
			    strerror(errno));
		if (po[0] >= 0) {
			close(po[0]);
			close(po[1]);
		}
		return e;
	}
	out->fd = po[0]; /* out and errb own the read ends now */
	errb->fd = pe[0];
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (rc == ENOENT) {
		e = az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			    "Azure CLI: %s not found", argv[0]);
		goto close;
	}
	if (rc != 0) {
		e = az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			    "Azure CLI: cannot run %s: %s", argv[0],
			    strerror(rc));
		goto close;
	}
	while (open_fds > 0) {
		struct pollfd fds[2] = {
			{ out->fd, POLLIN, 0 }, { errb->fd, POLLIN, 0 },
		};
		long left = (long)(deadline - time(NULL));
		double call_left = call_remaining();

		if (call_canceled()) {
			kill(pid, SIGKILL);
			e = az_fail(err, AZ_ERR_CANCELED, 0,
				    "Azure CLI: interrupted");
			break;
		}
		if (left <= 0 || call_left == 0) {
			kill(pid, SIGKILL);
			e = az_fail(err, AZ_ERR_TIMEOUT, 0,
				    "Azure CLI: az gave no token in time");
			break;
		}
		/* look at the call's cancellation every 100 ms */
		rc = poll(fds, 2, 100);
		if (rc < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			struct pipe_buf *p = i ? errb : out;

			if (p->fd < 0 || !(fds[i].revents &
					   (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (drain(p) <= 0) {
				close(p->fd);
				p->fd = -1;
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
close:
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	if (out->fd >= 0)
		close(out->fd);
	if (errb->fd >= 0)
		close(errb->fd);
	out->fd = errb->fd = -1;
	return e;
}

/* The first line of @s, at most @n bytes, into @buf. */
static void first_line(const char *s, char *buf, size_t n)
{
	size_t l;

	while (s && (*s == '\n' || *s == ' '))
		s++;
	l = s ? strcspn(s, "\r\n") : 0;
	snprintf(buf, n, "%.*s", (int)l, s ? s : "");
}

static enum az_err cli_fetch(struct az_auth_src *s, char **token,
			     time_t *expires, struct az_error *err)
{
	char *const argv[] = {
		"az", "account", "get-access-token", "--resource",
		AZ_ARM_RESOURCE, "--output", "json", NULL,
	};
	struct pipe_buf out = { -1, NULL, 0 }, errb = { -1, NULL, 0 };
	char line[300];
	int status = 0;
	enum az_err e;

	(void)s;
	e = run(argv, AZ_CLI_TIMEOUT_S, &out, &errb, &status, err);
	if (e != AZ_OK)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		e = az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			    "Azure CLI: az not found");
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		first_line(errb.data, line, sizeof(line));
		e = az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			    "Azure CLI: az account get-access-token failed%s%s",
			    line[0] ? ": " : " (run az login)", line);
		goto out;
	}
	e = az_token_from_json(out.data, out.len, time(NULL), token, expires,
			       "Azure CLI", err);
out:
	if (out.data)
		explicit_bzero(out.data, out.len);
	free(out.data);
	free(errb.data);
	return e;
}

static const struct az_auth_ops cli_ops = {
	.name = "cli",
	.token = az_auth_src_token,
	.invalidate = az_auth_src_invalidate,
	.free = az_auth_src_free,
};

struct az_auth *az_auth_cli(const struct az_auth_opts *o,
			    struct az_error *err)
{
	struct auth_cli *a = calloc(1, sizeof(*a));

	(void)o;
	if (!a) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	az_auth_src_init(&a->src, &cli_ops);
	a->src.fetch = cli_fetch;
	return &a->src.base;
}
