/**
 * @file
 * Background start with error reporting (see daemon.h).
 *
 * Protocol on the pipe, child to parent: one byte 0 for "ready", or the
 * text of the error line. EOF without either means the child died.
 */
#include "fs/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void parent_wait(int fd, pid_t child)
{
	char msg[1024];
	size_t len = 0;
	ssize_t n;
	int status;

	while (len < sizeof(msg) - 1) {
		n = read(fd, msg + len, sizeof(msg) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (msg[0] == '\0')
			_exit(0); /* ready */
	}
	msg[len] = '\0';
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status))
		status = 1;
	else
		status = WEXITSTATUS(status);
	if (len)
		fprintf(stderr, "computefs: %s\n", msg);
	else
		fprintf(stderr, "computefs: mount failed: the daemon exited "
				"before it was ready\n");
	_exit(status ? status : 1);
}

int cfs_daemon_start(struct cfs_daemon *d, bool foreground)
{
	int fds[2];
	pid_t pid;

	d->fd = -1;
	d->foreground = foreground;
	if (foreground)
		return 0;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid > 0) {
		close(fds[1]);
		parent_wait(fds[0], pid);
	}
	close(fds[0]);
	d->fd = fds[1];
	return 0;
}

void cfs_daemon_ready(struct cfs_daemon *d)
{
	char ok = 0;
	int null;

	if (d->foreground)
		return;
	setsid();
	if (chdir("/") < 0) {
		/* nothing depends on the working directory any more */
	}
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	if (write(d->fd, &ok, 1) != 1) {
		/* the parent is gone; carry on */
	}
	close(d->fd);
	d->fd = -1;
}

void cfs_daemon_fail(struct cfs_daemon *d, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (d->fd >= 0) {
		if (write(d->fd, msg, (size_t)n) < 0) {
			/* the parent is gone; nobody to tell */
		}
	} else {
		fprintf(stderr, "computefs: %s\n", msg);
	}
	exit(1);
}
