/**
 * @file
 * Calls: deadlines and cancellation seen through a thread-local pointer
 * (see call.h).
 */
#include "util/call.h"

#include <errno.h>
#include <time.h>

#define LOOK_MAX 0.1 /* seconds: longest sleep of call_cond_wait() */

static __thread struct call *current;

double call_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void call_enter(struct call *k, double timeout)
{
	struct call *o = current;

	k->deadline = timeout > 0 ? call_now() + timeout : 0;
	if (o && o->deadline > 0 && (k->deadline <= 0 ||
				     o->deadline < k->deadline))
		k->deadline = o->deadline;
	atomic_init(&k->canceled, false);
	pthread_mutex_init(&k->lock, NULL);
	k->wake = NULL;
	k->wake_arg = NULL;
	k->outer = o;
	current = k;
}

void call_leave(struct call *k)
{
	/* Whoever cancels @k holds k->lock while it runs the waker. */
	pthread_mutex_lock(&k->lock);
	k->wake = NULL;
	pthread_mutex_unlock(&k->lock);
	current = k->outer;
	pthread_mutex_destroy(&k->lock);
}

struct call *call_current(void)
{
	return current;
}

double call_remaining(void)
{
	double left;

	if (!current || current->deadline <= 0)
		return -1;
	left = current->deadline - call_now();
	return left > 0 ? left : 0;
}

bool call_canceled(void)
{
	struct call *k;

	for (k = current; k; k = k->outer)
		if (atomic_load(&k->canceled))
			return true;
	return false;
}

void call_cancel(struct call *k)
{
	pthread_mutex_lock(&k->lock);
	atomic_store(&k->canceled, true);
	if (k->wake)
		k->wake(k->wake_arg);
	pthread_mutex_unlock(&k->lock);
}

static struct call *root(void)
{
	struct call *k = current;

	while (k && k->outer)
		k = k->outer;
	return k;
}

void call_set_wake(void (*fn)(void *), void *arg)
{
	struct call *k = root();

	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->wake = fn;
	k->wake_arg = arg;
	pthread_mutex_unlock(&k->lock);
}

void call_get_wake(void (**fn)(void *), void **arg)
{
	struct call *k = root();

	*fn = NULL;
	*arg = NULL;
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	*fn = k->wake;
	*arg = k->wake_arg;
	pthread_mutex_unlock(&k->lock);
}

void call_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int call_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex,
		   double until)
{
	double now = call_now(), left = call_remaining(), t;
	struct timespec ts;

	if (call_canceled())
		return ECANCELED;
	if (left == 0 || (until > 0 && now >= until))
		return ETIMEDOUT;
	t = now + LOOK_MAX;
	if (left > 0 && now + left < t)
		t = now + left;
	if (until > 0 && until < t)
		t = until;
	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, mutex, &ts);
	return 0;
}
