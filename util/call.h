/**
 * @file
 * Calls: the deadline and cancellation of one piece of work that may wait
 * on the network (a FUSE request, a background refresh, one poll of an
 * operation), seen by every layer beneath it without being passed down.
 *
 * The thread doing the work enters a call (call_enter) and leaves it
 * (call_leave); in between, call_current() is that call, and whatever
 * waits (client/http.c in a transfer or a retry's sleep, the cache for a
 * listing, a token source for its renewal) asks call_remaining() and
 * call_canceled() and registers a waker (call_set_wake) that another
 * thread's call_cancel() runs, so a wait ends at once instead of at its
 * timeout. Calls nest: an inner call (a listing inside a FUSE request)
 * may only shorten the deadline and is canceled with its outer call.
 *
 * Threads and locks: the deadline and the nesting are touched only by
 * the owning thread. call_cancel() may come from any thread (libfuse's
 * interrupt thread, a shutdown): it sets an atomic flag and runs the
 * waker under k->lock, which call_set_wake() also takes, so a waker is
 * never run after it was unregistered.
 *
 * Times are CLOCK_MONOTONIC seconds (call_now()).
 */
#ifndef COMPUTEFS_CALL_H
#define COMPUTEFS_CALL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct call {
	double deadline;        /* call_now() seconds; 0: none. Owner only */
	atomic_bool canceled;
	pthread_mutex_t lock;   /* guards wake and wake_arg */
	void (*wake)(void *arg);
	void *wake_arg;
	struct call *outer;     /* the thread's call before this one; owner */
};

/* CLOCK_MONOTONIC now, in seconds. */
double call_now(void);

/*
 * Make @k (caller's storage, e.g. on its stack) the thread's current call,
 * ending @timeout seconds from now (<= 0: no deadline of its own), but
 * never later than the call it nests in. Pair with call_leave().
 */
void call_enter(struct call *k, double timeout);

/* Leave @k (the thread's current call): its outer call is current again. */
void call_leave(struct call *k);

/* The thread's current call, or NULL. */
struct call *call_current(void);

/*
 * Seconds left before the current call's deadline: > 0, 0 when it has
 * passed, or -1 when there is no deadline (no call, or none set).
 */
double call_remaining(void);

/* Whether the current call, or one it nests in, was canceled. */
bool call_canceled(void);

/*
 * Cancel @k (any thread): call_canceled() is true from now on in @k and
 * the calls nested in it, and the waker registered there runs now.
 */
void call_cancel(struct call *k);

/*
 * Register @fn(@arg) as what call_cancel() runs to end the current
 * wait of the current call chain (NULL fn: none); returns nothing and
 * does nothing without a current call. The waker belongs to the
 * outermost call of the thread, the one other threads cancel; saving and
 * restoring is the caller's (call_get_wake) when waits nest.
 */
void call_set_wake(void (*fn)(void *), void *arg);
void call_get_wake(void (**fn)(void *), void **arg);

/*
 * Wait on @cond (with @mutex held, as pthread_cond_wait) until it is
 * signaled, @until (call_now() seconds; 0: no limit of its own) passes,
 * the current call's deadline passes, or the call is canceled; waking
 * every 100 ms at most to look, so no waker is needed. @cond must use
 * CLOCK_MONOTONIC (call_cond_init). Returns 0 when signaled or a look
 * is due (recheck the predicate), ETIMEDOUT at a deadline, ECANCELED
 * when canceled.
 */
int call_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex,
		   double until);

/* pthread_cond_init() on CLOCK_MONOTONIC, as call_cond_wait() needs. */
void call_cond_init(pthread_cond_t *cond);

#endif
