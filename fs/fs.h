/**
 * @file
 * The mount: its state (one struct, reached through the request's
 * userdata, never a global) and the FUSE low-level operations table.
 */
#ifndef COMPUTEFS_FS_FS_H
#define COMPUTEFS_FS_FS_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include <fuse_lowlevel.h>

#include "cache/cache.h"
#include "client/client.h"
#include "fs/nodes.h"
#include "fs/opts.h"
#include "util/buf.h"
#include "util/call.h"

/*
 * The head of every open handle (fs/handles.c): a file's bytes, a
 * directory's snapshot. @free frees the whole handle.
 */
struct cfs_handle {
	struct cfs_handle *prev, *next; /* protected by fs->handles_lock */
	void (*free)(struct cfs_handle *h);
};

struct cfs {
	/* Written before the session starts, read-only afterwards. */
	const struct cfs_opts *opts;
	struct az_workspace ws;
	char ws_id[512];
	struct az_workspace_info info;
	struct az_client *client;
	struct cache *cache;
	struct cfs_names *names; /* has its own lock */
	struct fuse_session *se;
	uid_t uid;
	gid_t gid;
	time_t mount_time;
	double entry_timeout; /* seconds the kernel keeps names and attrs */

	/* Requests waiting on Azure (calls.c) */
	pthread_mutex_t calls_lock;
	struct cfs_call *calls;   /* protected by calls_lock */
	bool stopping;            /* protected by calls_lock: new calls
				     start canceled */
	int stop_pipe[2];         /* signal handler -> stopper thread */

	/* Parked reads of NAME/wait (wait.c) */
	pthread_mutex_t wait_lock;
	pthread_cond_t wait_cond;     /* pokes the waiter thread */
	struct cfs_waiter *waiters;   /* protected by wait_lock */
	pthread_t wait_thread;        /* valid when wait_started */
	bool wait_started;            /* protected by wait_lock */
	bool wait_exit;               /* protected by wait_lock */
	bool stopping_waits;          /* protected by wait_lock: answer
					 EINTR, park nothing new */

	/* Open handles (handles.c) */
	pthread_mutex_t handles_lock;
	struct cfs_handle *handles; /* protected by handles_lock */
	unsigned closed_since_trim; /* protected by handles_lock */
};

/* Wake the wait thread: something may have ended (cache notify). */
void cfs_wait_poke(struct cfs *fs);
/* Answer every parked wait EINTR and park no more (any thread). */
void cfs_wait_cancel_all(struct cfs *fs);
/* cfs_wait_cancel_all(), then join the wait thread (after the loop). */
void cfs_wait_stop(struct cfs *fs);

/* Track @h (opened) until cfs_handle_del() (released); free_fn frees it. */
void cfs_handle_add(struct cfs *fs, struct cfs_handle *h,
		    void (*free_fn)(struct cfs_handle *));
void cfs_handle_del(struct cfs *fs, struct cfs_handle *h);
/* At exit, with no request running: free the handles never released. */
void cfs_handles_free_all(struct cfs *fs);

extern const struct fuse_lowlevel_ops cfs_ops;

/*
 * Cancel every request waiting on Azure (they answer EINTR at once) and
 * every one that starts afterwards: the mount is going away. Any thread.
 */
void cfs_calls_cancel_all(struct cfs *fs);

/*
 * 1 when @path is a mount point already (a live one, or a FUSE mount
 * whose daemon is gone: ENOTCONN), else 0. Reads /proc/self/mountinfo.
 */
int cfs_mounted(const char *path);

/* The errno for a client error: the one mapping, at the fs/ boundary. */
int cfs_errno(enum az_err e);

/*
 * The cache's notify callback (cache_set_notify): invalidate the kernel's
 * view of instance @name. Runs in the cache's tracker thread.
 */
void cfs_notify(void *ctx, const char *name, unsigned what);

/*
 * Contents of a dot-file (enum cfs_special), from memory only (for its
 * size: stat must not wait). Returns 0, or -1 for no such file.
 */
int cfs_render_special(struct cfs *fs, int special, struct buf *out);

/*
 * Contents of a dot-file for a read: as cfs_render_special(), except
 * .instances, which is the listing ls would show (fetched within the
 * call when there is none, an error past stale_max). Returns 0 or
 * -errno (cfs_errno() of the cache's error; ENOENT: no such file).
 */
int cfs_read_special(struct cfs *fs, int special, struct buf *out);

#endif
