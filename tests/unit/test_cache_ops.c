/**
 * @file
 * Unit tests of cache/, the write side: cache_operate(), the tracker
 * thread that polls each operation to its end, and the notifications
 * that tell the driver what changed, against the fake backend of
 * cache_fake.h. A recorder takes the notifications and asks the cache,
 * from inside the callback, what it answers by then.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/internal.h"
#include "cache_fake.h"

/* ---- writes: the notify recorder ---- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;
	char name[32][32];
	unsigned what[32];
	char seen[32][32];  /* the state cache_get answered in the callback */
	bool in_main[32];
} ev;
static pthread_t main_thread;

static void state_into(struct cache *c, const char *name, char *buf,
		       size_t len)
{
	struct cache_listing *l;
	const struct az_compute *comp;
	enum az_err rc = cache_get(c, name, &l, &comp, NULL);

	if (rc == AZ_ERR_NOT_FOUND)
		snprintf(buf, len, "ENOENT");
	else if (rc != AZ_OK)
		snprintf(buf, len, "error %d", rc);
	else
		snprintf(buf, len, "%s", comp->state ? comp->state : "-");
	cache_listing_put(l);
}

static void on_notify(void *ctx, const char *name, unsigned what)
{
	struct cache *c = ctx;
	char seen[32];

	/* No cache lock is held here: the cache answers, and anew. */
	state_into(c, name, seen, sizeof(seen));
	pthread_mutex_lock(&ev.lock);
	if (ev.n < 32) {
		snprintf(ev.name[ev.n], sizeof(ev.name[0]), "%s", name);
		ev.what[ev.n] = what;
		snprintf(ev.seen[ev.n], sizeof(ev.seen[0]), "%s", seen);
		ev.in_main[ev.n] = pthread_equal(pthread_self(), main_thread);
	}
	ev.n++;
	pthread_cond_broadcast(&ev.cond);
	pthread_mutex_unlock(&ev.lock);
}

static struct timespec deadline_in(int secs)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += secs;
	return ts;
}

static void wait_events(int n)
{
	struct timespec ts = deadline_in(5);

	pthread_mutex_lock(&ev.lock);
	while (ev.n < n)
		if (pthread_cond_timedwait(&ev.cond, &ev.lock, &ts))
			break;
	pthread_mutex_unlock(&ev.lock);
	assert_int_equal(ev.n, n);
}

static void wait_fake(int *counter, int n)
{
	struct timespec ts = deadline_in(5);

	pthread_mutex_lock(&fk.lock);
	while (*counter < n)
		if (pthread_cond_timedwait(&fk.cond, &fk.lock, &ts))
			break;
	pthread_mutex_unlock(&fk.lock);
	assert_true(*counter >= n);
}

static void wait_idle(struct cache *c)
{
	int i;

	for (i = 0; i < 5000 && cache_pending(c); i++)
		usleep(1000);
	assert_int_equal(cache_pending(c), 0);
}

/* Wait until the tracker is done with a poll and has rescheduled it. */
static void wait_settled(struct cache *c)
{
	struct cache_op *op;
	bool busy = true;
	int i;

	for (i = 0; i < 5000 && busy; i++) {
		pthread_mutex_lock(&c->lock);
		for (busy = false, op = c->ops; op; op = op->next)
			busy |= op->busy;
		pthread_mutex_unlock(&c->lock);
		if (busy)
			usleep(1000);
	}
	assert_false(busy);
}

static void set_poll_rc(enum az_err rc)
{
	pthread_mutex_lock(&fk.lock);
	fk.poll_rc = rc;
	pthread_mutex_unlock(&fk.lock);
}

static void advance(struct cache *c, double t)
{
	set_now(t);
	cache_wake(c);
}

static const char *state(struct cache *c, const char *name)
{
	static char buf[32];

	state_into(c, name, buf, sizeof(buf));
	return buf;
}

/* The instance as the cache shows it now; *l to put. */
static const struct az_compute *shown(struct cache *c, const char *name,
				      struct cache_listing **l)
{
	const struct az_compute *comp = NULL;

	assert_int_equal(cache_get(c, name, l, &comp, NULL), AZ_OK);
	return comp;
}

/* The state c->cur holds for @name, looked at from inside. */
static const char *installed(struct cache *c, const char *name)
{
	static char buf[32];
	long i;

	pthread_mutex_lock(&c->lock);
	i = cache_listing_find(c->cur, name);
	snprintf(buf, sizeof(buf), "%s", i < 0 ? "ENOENT" :
		 cache_listing_at(c->cur, (size_t)i)->state);
	pthread_mutex_unlock(&c->lock);
	return buf;
}

static struct cache *write_cache(void)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l;

	memset(&ev, 0, sizeof(ev));
	pthread_mutex_init(&ev.lock, NULL);
	pthread_cond_init(&ev.cond, NULL);
	main_thread = pthread_self();
	cache_set_notify(c, on_notify, c);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	return c;
}

/* ---- writes: tests ---- */

static void test_operate_stop(void **state_)
{
	struct cache *c = write_cache();
	struct cache_listing *l;
	const struct az_compute *comp;
	struct cache_stats st;
	struct az_error err;
	uint64_t g0 = cache_generation(c);

	(void)state_;
	fk.op_seconds = 8;
	fk.retry_after = 5;
	assert_int_equal(cache_operate(c, "CI-BOB", CACHE_STOP, NULL, &err),
			 AZ_OK);
	assert_int_equal(fk.operate_calls, 1);

	/* The transitional state at once, from one GET, no list. */
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->state, "Stopping");
	assert_string_equal(comp->op_name, "Stop");
	assert_string_equal(comp->op_status, "InProgress");
	assert_non_null(comp->op_time);
	cache_listing_put(l);
	assert_int_equal(calls(), 1);
	assert_int_equal(fk.get_calls, 1);
	assert_true(cache_generation(c) > g0);
	assert_int_equal(cache_pending(c), 1);

	/* Told from the tracker thread, after the cache has it. */
	wait_events(1);
	assert_string_equal(ev.name[0], "ci-bob");
	assert_int_equal(ev.what[0], CACHE_CHANGED);
	assert_string_equal(ev.seen[0], "Stopping");
	assert_false(ev.in_main[0]);

	/* Retry-After: no poll before 5 s. */
	advance(c, 4.9);
	usleep(20000);
	assert_int_equal(fk.polls, 0);
	advance(c, 5);
	wait_fake(&fk.polls, 1);
	wait_settled(c);
	assert_true(fk.poll_times[0] == 5);
	assert_string_equal(state(c, "ci-bob"), "Stopping");

	/* Done at 8, seen at the poll of 10. */
	advance(c, 10);
	wait_events(2);
	assert_int_equal(fk.polls, 2);
	assert_true(fk.poll_times[1] == 10);
	assert_int_equal(ev.what[1], CACHE_CHANGED);
	assert_string_equal(ev.seen[1], "Stopped");
	assert_false(ev.in_main[1]);
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->state, "Stopped");
	assert_string_equal(comp->op_status, "Succeeded");
	assert_null(comp->errors);
	cache_listing_put(l);
	wait_idle(c);
	assert_int_equal(fk.handles, 0);
	assert_int_equal(calls(), 1);
	cache_stats(c, &st);
	assert_int_equal(st.ops_started, 1);
	assert_int_equal(st.ops_failed, 0);
	assert_int_equal(st.polls, 2);
	assert_int_equal(st.get_fetches, 2);
	cache_free(c);
}

static void test_operate_refused(void **state_)
{
	struct cache *c = write_cache();
	struct cache_listing *l0, *l;
	struct cache_op_args none = { 0 };
	const struct az_compute *comp;
	struct cache_stats st;
	struct az_error err;
	uint64_t g0 = cache_generation(c);

	(void)state_;
	assert_int_equal(cache_list(c, &l0, NULL), AZ_OK);
	fk.operate_rc = AZ_ERR_CONFLICT;
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_START, NULL, &err),
			 AZ_ERR_CONFLICT);
	assert_int_equal(err.code, AZ_ERR_CONFLICT);
	assert_string_equal(err.message, "scripted refusal");

	/* Bad arguments: no request at all. */
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_RESIZE, &none,
				       &err), AZ_ERR_INVALID);
	assert_int_equal(cache_operate(c, "", CACHE_STOP, NULL, &err),
			 AZ_ERR_INVALID);
	assert_int_equal(fk.operate_calls, 1);

	/* Nothing tracked or claimed; the refusal is in errors. */
	assert_true(cache_generation(c) > g0); /* re-read to show it */
	assert_int_equal(fk.get_calls, 1);
	assert_int_equal(cache_pending(c), 0);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_not_equal(l, l0);
	assert_string_equal(state(c, "ci-bob"), "Running");
	cache_listing_put(l0);
	comp = shown(c, "ci-bob", &l0);
	assert_null(comp->op_name);
	assert_non_null(strstr(comp->errors,
			       " Start refused: scripted refusal\n"));
	cache_listing_put(l0);
	cache_listing_put(l);
	wait_events(1); /* the kernel is told: errors changed */
	cache_stats(c, &st);
	assert_int_equal(st.ops_started, 0);
	cache_free(c);
}

static void test_create_then_delete(void **state_)
{
	struct cache *c = write_cache();
	struct cache_op_args args = { .vm_size = "STANDARD_DS3_V2" };
	struct cache_listing *l;
	size_t i;

	(void)state_;
	/* PUT would overwrite: a taken name, even a cluster's, is refused. */
	assert_int_equal(cache_operate(c, "CI-BOB", CACHE_CREATE, &args,
				       NULL), AZ_ERR_CONFLICT);
	assert_int_equal(cache_operate(c, "cluster1", CACHE_CREATE, &args,
				       NULL), AZ_ERR_CONFLICT);
	assert_int_equal(fk.operate_calls, 0);
	assert_int_equal(cache_pending(c), 0);

	fk.op_seconds = 3;
	fk.retry_after = 1;
	assert_int_equal(cache_operate(c, "ci-dave", CACHE_CREATE, &args,
				       NULL), AZ_OK);
	assert_string_equal(state(c, "ci-dave"), "Creating");
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(cache_listing_count(l), 4);
	cache_listing_put(l);
	wait_events(1);
	assert_int_equal(ev.what[0], CACHE_ADDED | CACHE_CHANGED);
	assert_string_equal(ev.seen[0], "Creating");

	advance(c, 3);
	wait_events(2);
	assert_int_equal(ev.what[1], CACHE_CHANGED);
	assert_string_equal(ev.seen[1], "Running");
	wait_idle(c);

	assert_int_equal(cache_operate(c, "ci-dave", CACHE_DELETE, NULL,
				       NULL), AZ_OK);
	assert_string_equal(state(c, "ci-dave"), "Deleting");
	wait_events(3);
	assert_int_equal(ev.what[2], CACHE_CHANGED);
	assert_string_equal(ev.seen[2], "Deleting");

	advance(c, 6);
	wait_events(4);
	assert_int_equal(ev.what[3], CACHE_CHANGED | CACHE_REMOVED);
	assert_string_equal(ev.seen[3], "ENOENT");
	for (i = 0; i < 4; i++)
		assert_string_equal(ev.name[i], "ci-dave");
	wait_idle(c);

	/* The listing is as it was, and it took no list request. */
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(cache_listing_count(l), 3);
	assert_string_equal(cache_listing_at(l, 0)->name, "Ci-Alice");
	assert_string_equal(cache_listing_at(l, 1)->name, "ci-bob");
	assert_string_equal(cache_listing_at(l, 2)->name, "ci-carol");
	cache_listing_put(l);
	assert_int_equal(calls(), 1);
	assert_int_equal(fk.handles, 0);
	cache_free(c);
}

static void test_create_not_listed_yet(void **state_)
{
	struct cache *c = write_cache();
	struct cache_op_args args = { .vm_size = "STANDARD_DS3_V2" };
	struct cache_listing *l;
	const struct az_compute *comp;

	(void)state_;
	fk.create_lag = true;
	fk.op_seconds = 3;
	fk.retry_after = 1;
	assert_int_equal(cache_operate(c, "ci-erin", CACHE_CREATE, &args,
				       NULL), AZ_OK);
	/* Azure's GET says 404 still: shown Creating anyway. */
	comp = shown(c, "ci-erin", &l);
	assert_string_equal(comp->state, "Creating");
	assert_string_equal(comp->op_name, "Create");
	cache_listing_put(l);

	/* Even across a drop and a list that lacks it. */
	cache_drop(c);
	assert_string_equal(state(c, "ci-erin"), "Creating");
	assert_int_equal(calls(), 2);

	advance(c, 3);
	wait_idle(c);
	assert_string_equal(state(c, "ci-erin"), "Running");
	comp = shown(c, "ci-erin", &l);
	assert_string_equal(comp->op_status, "Succeeded");
	cache_listing_put(l);
	cache_free(c);
}

static void test_failed_operation(void **state_)
{
	struct cache *c = write_cache();
	struct cache_listing *l;
	const struct az_compute *comp;
	struct cache_stats st;

	(void)state_;
	fk.fail_next = true;
	fk.op_seconds = 2;
	fk.retry_after = 2;
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	assert_string_equal(state(c, "ci-bob"), "Stopping");
	advance(c, 2);
	wait_events(2);
	assert_int_equal(ev.what[1], CACHE_CHANGED);
	assert_string_equal(ev.seen[1], "Running");
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->op_name, "Stop");
	assert_string_equal(comp->op_status, "StopFailed");
	assert_string_equal(comp->errors, "ComputeInstanceStopFailed: "
			    "the VM would not stop\n");
	cache_listing_put(l);

	/* It stays shown across a refresh of the whole listing. */
	cache_drop(c);
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->op_status, "StopFailed");
	assert_non_null(strstr(comp->errors, "would not stop"));
	cache_listing_put(l);
	cache_stats(c, &st);
	assert_int_equal(st.ops_failed, 1);

	/* A later success replaces it. */
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	advance(c, 4);
	wait_events(4);
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->state, "Stopped");
	assert_string_equal(comp->op_status, "Succeeded");
	assert_null(comp->errors);
	cache_listing_put(l);
	cache_free(c);
}

static void test_watch_without_handle(void **state_)
{
	struct cache *c = write_cache();

	(void)state_;
	fk.no_handle = true;
	fk.op_seconds = 4;
	assert_int_equal(cache_operate(c, "ci-alice", CACHE_START, NULL,
				       NULL), AZ_OK);
	assert_string_equal(state(c, "ci-alice"), "Starting");
	assert_int_equal(fk.get_calls, 1);
	/* no Retry-After: 2 s, then 4 s */
	advance(c, 2);
	wait_fake(&fk.get_calls, 2);
	assert_string_equal(state(c, "ci-alice"), "Starting");
	advance(c, 6);
	wait_events(2);
	assert_string_equal(ev.name[1], "Ci-Alice");
	assert_string_equal(ev.seen[1], "Running");
	assert_int_equal(fk.get_calls, 4); /* accept, 2 watches, final */
	assert_int_equal(fk.polls, 0);
	wait_idle(c);
	cache_free(c);
}

static void test_read_before_mutation(void **state_)
{
	struct cache *c = write_cache();
	struct caller a, b;

	(void)state_;
	/* The recorder would ask the cache, whose lists are held here. */
	cache_set_notify(c, NULL, NULL);
	fk.op_seconds = 5;
	fk.retry_after = 1;
	set_now(20); /* the listing is past its TTL */
	fk.gated = true;
	fk.gate = 1;
	start_caller(&a, c); /* its list begins, seeing Running */
	wait_calls(2);
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	assert_string_equal(installed(c, "ci-bob"), "Stopping");
	open_gate(2);
	pthread_join(a.tid, NULL);
	assert_int_equal(a.rc, AZ_OK);
	/* a began before the stop: its answer may be old ... */
	assert_string_equal(cache_listing_at(a.l, 1)->state, "Running");
	/* ... but it did not put the old state back. */
	assert_string_equal(installed(c, "ci-bob"), "Stopping");
	cache_listing_put(a.l);

	/* The same when the operation ends under a list in flight. */
	start_caller(&b, c); /* sees Stopping */
	wait_calls(3);
	advance(c, 25);
	wait_idle(c);
	assert_string_equal(installed(c, "ci-bob"), "Stopped");
	open_gate(3);
	pthread_join(b.tid, NULL);
	assert_int_equal(b.rc, AZ_OK);
	assert_string_equal(cache_listing_at(b.l, 1)->state, "Stopping");
	assert_string_equal(installed(c, "ci-bob"), "Stopped");
	cache_listing_put(b.l);
	ungate();
	assert_string_equal(state(c, "ci-bob"), "Stopped");
	cache_free(c);
}

static void test_poll_errors_and_bounds(void **state_)
{
	struct cache *c = write_cache();

	(void)state_;
	assert_true(cache_poll_delay(0.2, 0) == 1);
	assert_true(cache_poll_delay(100, 0) == 30);
	assert_true(cache_poll_delay(0, 2) == 4);
	assert_true(cache_poll_delay(0, 20) == 30);
	assert_true(cache_poll_delay(5, 30) == 5);

	/* A poll that cannot reach Azure is retried. */
	fk.op_seconds = 1;
	fk.retry_after = 0.1; /* honored as 1 s */
	set_poll_rc(AZ_ERR_UNREACHABLE);
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	advance(c, 1);
	wait_fake(&fk.polls, 1);
	wait_settled(c);
	assert_int_equal(cache_pending(c), 1);
	set_poll_rc(AZ_OK);
	advance(c, 1.5);
	usleep(20000);
	assert_int_equal(fk.polls, 1);
	advance(c, 2);
	wait_events(2);
	assert_string_equal(ev.seen[1], "Stopped");
	assert_true(fk.poll_times[1] == 2);
	wait_idle(c);
	cache_free(c);
}

static void test_give_up(void **state_)
{
	struct cache *c = write_cache();
	struct cache_listing *l;
	const struct az_compute *comp;

	(void)state_;
	fk.op_seconds = 1e9;
	fk.retry_after = 30;
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	advance(c, 30);
	wait_fake(&fk.polls, 1);
	wait_settled(c);
	advance(c, 1800);
	wait_events(2);
	wait_idle(c);
	assert_int_equal(fk.polls, 2);
	assert_int_equal(fk.handles, 0);
	comp = shown(c, "ci-bob", &l);
	assert_string_equal(comp->state, "Stopping");
	/* no word either way: Unknown, not failed (the log says why) */
	assert_string_equal(comp->op_status, "Unknown");
	assert_null(comp->errors);
	cache_listing_put(l);
	cache_free(c);
}

static void test_free_while_tracking(void **state_)
{
	struct cache *c = write_cache();
	struct cache_backend be = {
		.list = fake_list, .get = fake_get, .now = fake_now,
		.ctx = &fk,
	};
	struct az_error err;

	(void)state_;
	fk.op_seconds = 100;
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, NULL),
			 AZ_OK);
	assert_int_equal(cache_operate(c, "ci-carol", CACHE_STOP, NULL,
				       NULL), AZ_OK);
	assert_string_equal(installed(c, "ci-bob"), "Stopping");
	assert_string_equal(installed(c, "ci-carol"), "Stopping");
	assert_int_equal(cache_pending(c), 2);
	cache_free(c);
	assert_int_equal(fk.handles, 0);

	/* A backend that cannot write. */
	c = cache_new(&be, NULL);
	assert_int_equal(cache_operate(c, "ci-bob", CACHE_STOP, NULL, &err),
			 AZ_ERR_INVALID);
	cache_free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_operate_stop),
		T(test_operate_refused),
		T(test_create_then_delete),
		T(test_create_not_listed_yet),
		T(test_failed_operation),
		T(test_watch_without_handle),
		T(test_read_before_mutation),
		T(test_poll_errors_and_bounds),
		T(test_give_up),
		T(test_free_while_tracking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
