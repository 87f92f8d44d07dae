/**
 * @file
 * The --demo emulator child (see demo.h).
 *
 * The emulator issues alice's token (--user-token) on the second line of
 * the pipe its URL comes on: never in argv, a file or a log.
 * PR_SET_PDEATHSIG ties the emulator to the thread
 * that started it: call cfs_demo_start() from the thread that runs the
 * session to its end (the main thread).
 */
#include "fs/demo.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"

#define EMULATOR "computefs-emulator"

static int executable(const char *path)
{
	return access(path, X_OK) == 0;
}

static int find_emulator(char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	const char *path = getenv("PATH");

	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(out, len, "%s/%s", self, EMULATOR) <
				    (int)len &&
			    executable(out))
				return 0;
		}
	}
	if (snprintf(out, len, "%s/%s", COMPUTEFS_BINDIR, EMULATOR) <
		    (int)len &&
	    executable(out))
		return 0;
	while (path && *path) {
		const char *end = strchr(path, ':');
		size_t dl = end ? (size_t)(end - path) : strlen(path);

		if (dl && snprintf(out, len, "%.*s/%s", (int)dl, path,
				   EMULATOR) < (int)len &&
		    executable(out))
			return 0;
		path = end ? end + 1 : NULL;
	}
	return -1;
}

/* Read the next line from @fd within @ms milliseconds. */
static int read_line(int fd, char *buf, size_t len, int ms)
{
	size_t n = 0;

	while (n + 1 < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, ms) <= 0)
			return -1;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return -1;
		if (buf[n] == '\n') {
			buf[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

int cfs_demo_start(struct cfs_demo *d, char *why, size_t len)
{
	char path[PATH_MAX];
	int fds[2];

	memset(d, 0, sizeof(*d));
	d->pid = -1;
	if (find_emulator(path, sizeof(path)) < 0) {
		snprintf(why, len, "cannot find %s next to computefs, in %s "
				   "or on PATH", EMULATOR, COMPUTEFS_BINDIR);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, len, "cannot start the emulator: %s",
			 strerror(errno));
		return -1;
	}
	d->pid = fork();
	if (d->pid < 0) {
		snprintf(why, len, "cannot start the emulator: %s",
			 strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (d->pid == 0) {
		char *argv[] = { path, "--listen", "127.0.0.1:0",
				 "--workspace", CFS_DEMO_WORKSPACE,
				 "--instances", "6", "--clusters", "2",
				 "--op-seconds", "5", "--user-token", "alice",
				 NULL };

		int null = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(fds[1], STDOUT_FILENO);
		if (null >= 0) /* not the mount command's stderr: it returns */
			dup2(null, STDERR_FILENO);
		execv(path, argv);
		_exit(127);
	}
	close(fds[1]);
	if (read_line(fds[0], d->url, sizeof(d->url), 10000) < 0 ||
	    strncmp(d->url, "http", 4) != 0 ||
	    read_line(fds[0], d->token, sizeof(d->token), 10000) < 0 ||
	    !d->token[0]) {
		close(fds[0]);
		cfs_demo_stop(d);
		snprintf(why, len, "the emulator (%s) did not start", path);
		return -1;
	}
	close(fds[0]);
	return 0;
}

void cfs_demo_stop(struct cfs_demo *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (int i = 0; i < 50; i++) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
			d->pid = -1;
			return;
		}
		nanosleep(&ts, NULL);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, NULL, 0);
	d->pid = -1;
}
