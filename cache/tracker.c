/**
 * @file
 * The tracker: one thread per cache that polls the operations Azure has
 * accepted and delivers the notifications of what changed.
 *
 * DESIGN
 *
 * The thread starts with the first cache_operate() (so after the driver
 * daemonized) and runs until cache_free(). It sleeps on c->work (with
 * c->lock) until the earliest poll is due, an operation or a notification
 * is queued, or the cache is stopping. c->ops and c->events are
 * protected by c->lock; an operation being polled is marked busy and
 * stays in c->ops, and only this thread unlinks or frees operations.
 *
 * A poll, the re-read when an operation ends (cache_reread) and the
 * notify callback all run with c->lock released: each may block for
 * seconds (the network; libfuse's notify calls). Notifications are
 * delivered in the order they were queued, and only here: the libfuse
 * rule is that a request handler must never invalidate.
 *
 * Each poll, with the re-read that may follow it, is one call
 * (util/call.h) that cache_shutdown() cancels through c->poll_call, so
 * an unmount never waits for Azure.
 *
 * Polling: the backend's handle (Azure-AsyncOperation, else Location,
 * chosen by the client) when there is one; otherwise, or when polling
 * the handle fails for good, the resource itself (GET: gone for a
 * delete; else Azure's lastOperation for this verb, or the instance
 * reaching the operation's target state after it left the one it had:
 * judge()). Waits honor Retry-After within 1 to 30 s; without it they
 * double from 2 s. After 30 minutes the tracker gives up: the operation
 * is Unknown, and the instance is read as it is.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"

#define POLL_MIN 1.0
#define POLL_MAX 30.0

double cache_poll_delay(double retry_after, double prev)
{
	double d = retry_after > 0 ? retry_after : prev * 2;

	if (d < POLL_MIN)
		d = POLL_MIN;
	if (d > POLL_MAX)
		d = POLL_MAX;
	return d;
}

void cache_event_locked(struct cache *c, const char *name, unsigned what)
{
	struct cache_event *ev = calloc(1, sizeof(*ev));

	if (ev)
		ev->name = strdup(name);
	if (!ev || !ev->name) {
		log_error("out of memory queueing a notification for %s",
			  name);
		free(ev);
		return;
	}
	ev->what = what;
	*c->events_tail = ev;
	c->events_tail = &ev->next;
	pthread_cond_broadcast(&c->work);
}

static void free_events(struct cache_event *ev)
{
	struct cache_event *next;

	for (; ev; ev = next) {
		next = ev->next;
		free(ev->name);
		free(ev);
	}
}

/*
 * Called with c->lock held; returns with it held, having released it
 * while the callback ran.
 */
static void deliver_locked(struct cache *c)
{
	void (*fn)(void *, const char *, unsigned) = c->notify;
	void *ctx = c->notify_ctx;
	struct cache_event *ev = c->events, *e;

	c->events = NULL;
	c->events_tail = &c->events;
	pthread_mutex_unlock(&c->lock);
	for (e = ev; e; e = e->next) {
		log_debug("notify %s: %#x", e->name, e->what);
		if (fn)
			fn(ctx, e->name, e->what);
	}
	free_events(ev);
	pthread_mutex_lock(&c->lock);
}

/* The state an operation ends in when it succeeds; NULL: gone. */
static const char *target_state(enum cache_verb v)
{
	switch (v) {
	case CACHE_START:
	case CACHE_RESTART:
	case CACHE_CREATE:
		return "Running";
	case CACHE_STOP:
	case CACHE_RESIZE:
		return "Stopped";
	case CACHE_DELETE:
	case CACHE_IDLE: /* never tracked */
		return NULL;
	}
	return NULL;
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcasecmp(a, b);
}

/* "...Failed": "StopFailed", "CreateFailed", "Failed" (case-blind). */
static bool ends_failed(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n >= 6 && !strcasecmp(s + n - 6, "Failed");
}

/* A state no operation leads to but a failed one: "CreateFailed", ... */
static bool failed_state(const char *state)
{
	return same(state, "Unusable") || ends_failed(state);
}

/*
 * Has the operation ended, going by the instance @comp alone? Azure's
 * word first: its lastOperation naming this verb, not older than when
 * it was sent, Succeeded or ...Failed. Else the instance reaching the
 * operation's target after it began: a state other than the one before
 * must have been seen (a read lagging behind still shows that one), and
 * a resize must show the new size. A failed state or provisioning ends
 * it in failure. Nothing else is completion.
 */
static bool judge(struct cache_op *op, const struct az_compute *comp,
		  enum az_err *rc, struct az_error *err)
{
	const char *verb = cache_verb_name(op->verb);
	const char *ps = comp->provisioning_state;
	const char *target = target_state(op->verb);

	*rc = AZ_OK;
	if (same(ps, "Failed") || same(ps, "Canceled")) {
		*rc = az_fail(err, AZ_ERR_CONFLICT, 0, "%s ended %s", verb,
			      ps);
		return true;
	}
	if (same(comp->op_name, verb) && comp->op_status && comp->op_time &&
	    strncmp(comp->op_time, op->sent, 19) >= 0) {
		if (same(comp->op_status, "Succeeded"))
			return true;
		if (ends_failed(comp->op_status)) {
			*rc = az_fail(err, AZ_ERR_CONFLICT, 0, "%s ended %s",
				      verb, comp->op_status);
			return true;
		}
	}
	if (comp->state && !same(comp->state, op->before))
		op->moved = true;
	if (failed_state(comp->state) && op->moved) {
		*rc = az_fail(err, AZ_ERR_CONFLICT, 0, "%s left the instance "
			      "%s", verb, comp->state);
		return true;
	}
	if (op->verb == CACHE_CREATE)
		return same(ps, "Succeeded") && same(comp->state, target);
	if (!target || !same(comp->state, target) || !op->moved)
		return false;
	return op->verb != CACHE_RESIZE || same(comp->vm_size, op->size);
}

/* One look at the resource itself, for an operation with no handle. */
static enum az_err watch(struct cache *c, struct cache_op *op, bool *done,
			 struct az_error *err)
{
	struct az_compute comp;
	enum az_err rc;

	rc = cache_backend_get(c, op->name, &comp, err);
	*done = false;
	if (rc == AZ_ERR_NOT_FOUND) {
		/* Gone: a delete's success; a create not visible yet. */
		*done = op->verb != CACHE_CREATE;
		return op->verb == CACHE_DELETE ? AZ_OK : rc;
	}
	if (rc == AZ_OK)
		*done = judge(op, &comp, &rc, err);
	az_compute_free(&comp);
	return rc;
}

/* Called with c->lock held: unlink @op from c->ops. */
static void unlink_op_locked(struct cache *c, struct cache_op *op)
{
	struct cache_op **p;

	for (p = &c->ops; *p; p = &(*p)->next) {
		if (*p == op) {
			*p = op->next;
			return;
		}
	}
}

static void drop_handle(struct cache *c, struct cache_op *op)
{
	if (op->handle && c->be.op_free)
		c->be.op_free(c->be.ctx, op->handle);
	op->handle = NULL;
}

static void free_op(struct cache *c, struct cache_op *op)
{
	drop_handle(c, op);
	free(op->name);
	free(op->before);
	free(op->size);
	free(op);
}

/* The operation ended (@rc: how): record it, re-read, tell. */
static void finish(struct cache *c, struct cache_op *op, enum az_err rc,
		   const struct az_error *err)
{
	const char *verb = cache_verb_name(op->verb);

	if (rc == AZ_OK)
		log_info("%s %s: succeeded", verb, op->name);
	else if (rc == AZ_ERR_TIMEOUT)
		log_warn("%s %s: %s", verb, op->name, err->message);
	else
		log_warn("%s %s failed: %s", verb, op->name,
			 err->message[0] ? err->message : az_strerror(rc));
	pthread_mutex_lock(&c->lock);
	if (rc != AZ_OK)
		c->stats.ops_failed++;
	if (rc == AZ_OK && op->verb == CACHE_DELETE)
		cache_oprec_remove_locked(c, op->name, op->seq);
	else
		cache_oprec_end_locked(c, op->name, op->seq, rc, err);
	pthread_mutex_unlock(&c->lock);
	cache_reread(c, op->name);
	pthread_mutex_lock(&c->lock);
	unlink_op_locked(c, op);
	pthread_mutex_unlock(&c->lock);
	free_op(c, op);
}

/* Poll @op once (called with no lock held; @op is marked busy). */
static void step(struct cache *c, struct cache_op *op)
{
	struct az_error err;
	double retry_after = 0, start, now;
	bool done = false;
	enum az_err rc;

	memset(&err, 0, sizeof(err));
	start = cache_now(c); /* Retry-After counts from the request */
	if (op->rereads > 0) {
		/* unsure whether Azure took it: look, a few times */
		cache_reread(c, op->name);
		pthread_mutex_lock(&c->lock);
		done = --op->rereads == 0;
		if (done)
			unlink_op_locked(c, op);
		op->delay = cache_poll_delay(0, op->delay);
		op->due = cache_now(c) + op->delay;
		op->busy = false;
		pthread_mutex_unlock(&c->lock);
		if (done)
			free_op(c, op);
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->stats.polls++;
	pthread_mutex_unlock(&c->lock);
	if (op->handle)
		rc = c->be.poll(c->be.ctx, op->handle, &done, &retry_after,
				&err);
	else
		rc = watch(c, op, &done, &err);
	if (rc != AZ_OK && err.code == AZ_OK)
		err.code = rc;
	now = cache_now(c);

	if (!done && rc != AZ_OK && !cache_transient(rc) && op->handle) {
		log_warn("cannot poll %s of %s (%s); watching the instance",
			 cache_verb_name(op->verb), op->name,
			 err.message[0] ? err.message : az_strerror(rc));
		drop_handle(c, op);
	} else if (!done && rc != AZ_OK && !cache_transient(rc)) {
		done = true;
	}
	if (!done && now >= op->deadline) {
		/* neither Azure nor the instance said: Unknown, not failed */
		done = true;
		rc = az_fail(&err, AZ_ERR_TIMEOUT, 0,
			     "no word from Azure on it in %.0f minutes; its "
			     "outcome is unknown", CACHE_GIVE_UP / 60);
	}
	if (done) {
		finish(c, op, rc, &err);
		return;
	}
	pthread_mutex_lock(&c->lock);
	op->delay = cache_poll_delay(retry_after, op->delay);
	op->due = start + op->delay;
	op->busy = false;
	pthread_mutex_unlock(&c->lock);
}

/* Called with c->lock held: the next operation to poll, or NULL. */
static struct cache_op *earliest_locked(struct cache *c)
{
	struct cache_op *op, *best = NULL;

	for (op = c->ops; op; op = op->next)
		if (!op->busy && (!best || op->due < best->due))
			best = op;
	return best;
}

static void wait_locked(struct cache *c, double secs)
{
	struct timespec ts;
	long ns;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)secs;
	ns = ts.tv_nsec + (long)((secs - (double)(time_t)secs) * 1e9);
	ts.tv_sec += ns / 1000000000L;
	ts.tv_nsec = ns % 1000000000L;
	pthread_cond_timedwait(&c->work, &c->lock, &ts);
}

static void *tracker_main(void *arg)
{
	struct cache *c = arg;
	struct cache_op *op;
	double now;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		if (c->events) {
			deliver_locked(c);
			continue;
		}
		op = earliest_locked(c);
		now = cache_now(c);
		if (op && op->due <= now) {
			struct call k;

			op->busy = true;
			/* the client's own deadline bounds it */
			call_enter(&k, 0);
			c->poll_call = &k; /* cache_shutdown() cancels it */
			pthread_mutex_unlock(&c->lock);
			step(c, op);
			pthread_mutex_lock(&c->lock);
			c->poll_call = NULL;
			call_leave(&k);
		} else if (op) {
			wait_locked(c, op->due - now < POLL_MAX ?
				    op->due - now : POLL_MAX);
		} else {
			pthread_cond_wait(&c->work, &c->lock);
		}
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int cache_tracker_start_locked(struct cache *c)
{
	int e;

	if (c->tracker_on)
		return 0;
	e = pthread_create(&c->tracker, NULL, tracker_main, c);
	if (e) {
		log_error("cannot start the operation tracker: %s",
			  strerror(e));
		return -1;
	}
	c->tracker_on = true;
	return 0;
}

void cache_tracker_stop(struct cache *c)
{
	struct cache_op *op, *next;
	bool on;

	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->work);
	on = c->tracker_on;
	pthread_mutex_unlock(&c->lock);
	if (on)
		pthread_join(c->tracker, NULL);

	/* Alone now. */
	for (op = c->ops; op; op = next) {
		next = op->next;
		free_op(c, op);
	}
	c->ops = NULL;
	free_events(c->events);
	c->events = NULL;
	c->events_tail = &c->events;
	cache_oprecs_free(c);
}

void cache_set_notify(struct cache *c,
		      void (*fn)(void *ctx, const char *name, unsigned what),
		      void *ctx)
{
	pthread_mutex_lock(&c->lock);
	c->notify = fn;
	c->notify_ctx = ctx;
	pthread_mutex_unlock(&c->lock);
}

size_t cache_pending(struct cache *c)
{
	struct cache_op *op;
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (op = c->ops; op; op = op->next)
		n++;
	pthread_mutex_unlock(&c->lock);
	return n;
}

bool cache_busy(struct cache *c, const char *name)
{
	struct cache_op *op;
	bool busy = false;

	pthread_mutex_lock(&c->lock);
	for (op = c->ops; op && !busy; op = op->next)
		busy = !strcasecmp(op->name, name);
	pthread_mutex_unlock(&c->lock);
	return busy;
}

void cache_wake(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
}
