/**
 * @file
 * Going to the background without losing the error. The mount command
 * forks at once; the child does all the work (credentials, the first
 * listing, the mount) and then tells the waiting parent either "ready"
 * or the one line that says what failed. The parent prints that line and
 * exits non-zero, so `computefs ... && ls` and mount(8) see the failure,
 * and no broken mount is left behind.
 */
#ifndef COMPUTEFS_FS_DAEMON_H
#define COMPUTEFS_FS_DAEMON_H

#include <stdbool.h>

struct cfs_daemon {
	int fd;          /* the child's end of the pipe; -1 in foreground */
	bool foreground;
};

/*
 * In the background case, fork: the parent waits for the child's word
 * and exits with its status (never returns); the child returns 0.
 * In the foreground, returns 0 at once. -1 if fork or pipe failed.
 */
int cfs_daemon_start(struct cfs_daemon *d, bool foreground);

/* Mounted: detach (setsid, chdir /, stdio to /dev/null) and release the
 * parent with status 0. */
void cfs_daemon_ready(struct cfs_daemon *d);

/* Failed: hand @msg to the parent (or print it) and exit(1). */
void cfs_daemon_fail(struct cfs_daemon *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

#endif
