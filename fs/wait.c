/**
 * @file
 * NAME/wait: a read blocks while an operation on the instance is in
 * flight (one computefs tracks, or a transitional state in the listing),
 * then answers the state line; at once when nothing is in flight. A
 * failed operation is EIO (NAME/errors says why), an interrupt EINTR, a
 * wait longer than -o wait_timeout ETIMEDOUT.
 *
 * DESIGN
 * A waiting read holds no FUSE worker: cfs_wait_read() parks the request
 * in fs->waiters and returns; the waiter thread answers it later (the
 * low-level API lets any thread reply). The thread looks at every parked
 * request when poked (an operation ended: cfs_notify; an interrupt) and
 * at least every 250 ms, deciding from the cache without waiting on it
 * (cache_peek_revalidate, cache_busy), so a hundred waiters cost a walk
 * of a list, not a hundred threads.
 *
 * Locks: fs->wait_lock guards fs->waiters, each waiter's flags, and the
 * answer of every wait file handle (struct fh: answered and its bytes),
 * since a worker thread reads what the waiter thread wrote. It is never
 * held across a libfuse call or a cache call: the interrupt callback
 * runs under libfuse's request lock and takes wait_lock, so the other
 * order would deadlock. Waiters are freed only by the waiter thread (or
 * by the read that answered at once), after leaving the list under the
 * lock; the interrupt callback finds them by request, as fs/calls.c does.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fs/ops.h"
#include "fs/render.h"
#include "util/log.h"

#define LOOK_EVERY 0.25 /* seconds between looks at the parked reads */

struct cfs_waiter {
	struct cfs_waiter *next;  /* protected by fs->wait_lock */
	fuse_req_t req;
	struct fh *fh;            /* gets the answer */
	char name[256];
	double deadline;          /* call_now() seconds */
	bool interrupted;         /* protected by fs->wait_lock */
};

/* A state Azure passes through on its way somewhere. */
static bool transitional(const char *state)
{
	static const char *const busy[] = {
		"Creating", "Deleting", "Starting", "Stopping", "Restarting",
		"Resizing", "SettingUp", "UserSettingUp",
	};
	size_t i;

	for (i = 0; state && i < sizeof(busy) / sizeof(busy[0]); i++)
		if (!strcasecmp(state, busy[i]))
			return true;
	return false;
}

/*
 * Where @name stands, from memory: 1 still in flight, or no listing yet;
 * 0 done, its state line in @out; -EIO its operation failed (after
 * @busy_seen), or no listing and the last fetch failed; -ENOENT gone.
 */
static int judge(struct cfs *fs, const char *name, bool busy_seen,
		 struct buf *out)
{
	struct cache_listing *l = cache_peek_revalidate(fs->cache);
	const struct az_compute *c;
	long i = cache_listing_find(l, name);
	int rc = 0;
	size_t n;

	c = i >= 0 ? cache_listing_at(l, (size_t)i) : NULL;
	if (!l) {
		/* none yet (dropped by SIGHUP): one is on its way, unless
		 * the last fetch failed; the instance is not known gone */
		struct cache_stats cs;

		cache_stats(fs->cache, &cs);
		rc = cs.degraded ? -EIO : 1;
	} else if (cache_busy(fs->cache, name) ||
		   (c && transitional(c->state))) {
		rc = 1;
	} else if (!c) {
		rc = -ENOENT;
	} else {
		n = c->op_status ? strlen(c->op_status) : 0;
		if (busy_seen && n >= 6 &&
		    !strcasecmp(c->op_status + n - 6, "Failed"))
			rc = -EIO; /* the reason is in NAME/errors */
		else
			cfs_render(CFS_WAIT, c, out);
	}
	cache_listing_put(l);
	return rc;
}

/* Called with fs->wait_lock held: store @b as @f's answer. */
static void answer_locked(struct fh *f, struct buf *b)
{
	buf_free(&f->b);
	f->b = *b;
	memset(b, 0, sizeof(*b));
	f->answered = true;
}

/* Reply to @req with the first @size bytes of @f's answer. */
static void reply_answer(struct cfs *fs, fuse_req_t req, struct fh *f,
			 size_t size)
{
	char copy[512];
	size_t n;

	pthread_mutex_lock(&fs->wait_lock);
	n = f->b.len < size ? f->b.len : size;
	if (n > sizeof(copy))
		n = sizeof(copy);
	memcpy(copy, f->b.data ? f->b.data : "", n);
	pthread_mutex_unlock(&fs->wait_lock);
	fuse_reply_buf(req, copy, n);
}

static void on_interrupt(fuse_req_t req, void *data)
{
	struct cfs *fs = data;
	struct cfs_waiter *w;

	pthread_mutex_lock(&fs->wait_lock);
	for (w = fs->waiters; w; w = w->next)
		if (w->req == req)
			w->interrupted = true;
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
}

/* Called with fs->wait_lock held: take @w out of fs->waiters. */
static void unlink_locked(struct cfs *fs, struct cfs_waiter *w)
{
	struct cfs_waiter **p;

	for (p = &fs->waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			return;
		}
	}
}

/* Decide @w: 1 keep waiting, else the errno to answer (0: the state). */
static int decide(struct cfs *fs, struct cfs_waiter *w, bool interrupted)
{
	struct buf b = BUF_INIT;
	int rc;

	if (interrupted || fs->stopping_waits)
		return EINTR;
	rc = judge(fs, w->name, true, &b);
	if (rc == 1) {
		buf_free(&b);
		return call_now() >= w->deadline ? ETIMEDOUT : -1;
	}
	if (rc == 0) {
		pthread_mutex_lock(&fs->wait_lock);
		answer_locked(w->fh, &b);
		pthread_mutex_unlock(&fs->wait_lock);
	}
	buf_free(&b);
	return -rc;
}

static void *waiter_main(void *arg)
{
	struct cfs *fs = arg;
	struct cfs_waiter **snap = NULL, *w;
	size_t n, cap = 0, i;
	int rc;

	pthread_mutex_lock(&fs->wait_lock);
	while (!fs->wait_exit) {
		/* the parked requests, as they stand now */
		for (n = 0, w = fs->waiters; w; w = w->next)
			n++;
		if (n > cap) {
			struct cfs_waiter **ns = realloc(snap,
							 n * sizeof(*ns));

			if (ns) {
				snap = ns;
				cap = n;
			}
		}
		for (i = 0, w = fs->waiters; w && i < cap; w = w->next)
			snap[i++] = w;
		n = i;
		for (i = 0; i < n; i++) {
			bool intr = snap[i]->interrupted;

			pthread_mutex_unlock(&fs->wait_lock);
			rc = decide(fs, snap[i], intr);
			pthread_mutex_lock(&fs->wait_lock);
			if (rc < 0)
				continue;
			unlink_locked(fs, snap[i]);
			pthread_mutex_unlock(&fs->wait_lock);
			if (rc == 0)
				reply_answer(fs, snap[i]->req, snap[i]->fh,
					     snap[i]->fh->want);
			else
				fuse_reply_err(snap[i]->req, rc);
			free(snap[i]);
			pthread_mutex_lock(&fs->wait_lock);
		}
		if (!fs->wait_exit)
			call_cond_wait(&fs->wait_cond, &fs->wait_lock,
				       call_now() + LOOK_EVERY);
	}
	pthread_mutex_unlock(&fs->wait_lock);
	free(snap);
	return NULL;
}

void cfs_wait_read(struct cfs *fs, fuse_req_t req, const char *name,
		   struct fh *f, size_t size, off_t off, bool nonblock)
{
	struct cfs_waiter *w;
	struct buf b = BUF_INIT;
	bool answered;
	int rc, e;

	pthread_mutex_lock(&fs->wait_lock);
	answered = f->answered;
	pthread_mutex_unlock(&fs->wait_lock);
	if (answered || off > 0) { /* the rest of an answer, or EOF */
		char copy[512];
		size_t n = 0;

		pthread_mutex_lock(&fs->wait_lock);
		if (off >= 0 && (size_t)off < f->b.len) {
			n = f->b.len - (size_t)off;
			n = n < size ? n : size;
			n = n < sizeof(copy) ? n : sizeof(copy);
			memcpy(copy, f->b.data + off, n);
		}
		pthread_mutex_unlock(&fs->wait_lock);
		fuse_reply_buf(req, copy, n);
		return;
	}
	rc = judge(fs, name, false, &b);
	if (rc <= 0) { /* nothing in flight: at once */
		pthread_mutex_lock(&fs->wait_lock);
		if (rc == 0)
			answer_locked(f, &b);
		pthread_mutex_unlock(&fs->wait_lock);
		buf_free(&b);
		if (rc == 0)
			reply_answer(fs, req, f, size);
		else
			fuse_reply_err(req, -rc);
		return;
	}
	buf_free(&b);
	if (nonblock) { /* would block: say so, as a FIFO does */
		fuse_reply_err(req, EAGAIN);
		return;
	}
	w = calloc(1, sizeof(*w));
	pthread_mutex_lock(&fs->wait_lock);
	if (!fs->wait_started && !fs->stopping_waits) {
		e = pthread_create(&fs->wait_thread, NULL, waiter_main, fs);
		fs->wait_started = e == 0;
		if (e)
			log_error("cannot start the wait thread: %s",
				  strerror(e));
	}
	if (!w || !fs->wait_started || fs->stopping_waits) {
		pthread_mutex_unlock(&fs->wait_lock);
		free(w);
		fuse_reply_err(req, fs->stopping_waits ? EINTR : ENOMEM);
		return;
	}
	w->req = req;
	w->fh = f;
	f->want = size;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->deadline = call_now() + fs->opts->wait_timeout;
	w->next = fs->waiters;
	fs->waiters = w;
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
	/* may run on_interrupt at once when already interrupted */
	fuse_req_interrupt_func(req, on_interrupt, fs);
}

void cfs_wait_poke(struct cfs *fs)
{
	pthread_mutex_lock(&fs->wait_lock);
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
}

void cfs_wait_cancel_all(struct cfs *fs)
{
	pthread_mutex_lock(&fs->wait_lock);
	fs->stopping_waits = true; /* the thread answers EINTR to all */
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
}

void cfs_wait_stop(struct cfs *fs)
{
	struct cfs_waiter *w, *next;
	bool started;

	cfs_wait_cancel_all(fs);
	pthread_mutex_lock(&fs->wait_lock);
	started = fs->wait_started;
	fs->wait_exit = true;
	pthread_cond_broadcast(&fs->wait_cond);
	pthread_mutex_unlock(&fs->wait_lock);
	if (started)
		pthread_join(fs->wait_thread, NULL);
	/* the thread is gone: what it had not answered yet goes now */
	for (w = fs->waiters; w; w = next) {
		next = w->next;
		fuse_reply_err(w->req, EINTR);
		free(w);
	}
	fs->waiters = NULL;
}
