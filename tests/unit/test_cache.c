/**
 * @file
 * Unit tests of cache/, the read side: freshness (TTL), filtering and
 * sorting, single flight, negative answers, generation, stale serving,
 * refcounts and copy on write, against the fake backend of cache_fake.h.
 * Change times are in test_cache_times.c; writes and operation tracking
 * in test_cache_ops.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/internal.h"
#include "cache_fake.h"
#include "util/call.h"

/* Wait until @n callers have counted a miss (joined or started a fetch). */
static void wait_misses(struct cache *c, unsigned long n)
{
	struct cache_stats st;

	for (;;) {
		cache_stats(c, &st);
		if (st.misses >= n)
			return;
		usleep(1000);
	}
}

/* ---- tests ---- */

static void test_ttl(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l = NULL, *first;
	struct cache_stats st;

	(void)state;
	/* The first listing is waited for: there is nothing else. */
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	assert_int_equal(calls(), 1);
	assert_true(cache_listing_time(first) == 0);

	set_now(14.9);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 1);
	cache_listing_put(l);

	/* Expired: the old listing at once, a refresh behind it. */
	set_now(15.0);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, first);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(calls(), 2);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_not_equal(l, first);
	assert_true(cache_listing_time(l) == 15.0);
	cache_listing_put(l);
	cache_listing_put(first);

	cache_stats(c, &st);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 1);
	assert_int_equal(st.stale_served, 1);
	assert_int_equal(st.list_fetches, 2);
	assert_false(st.degraded);
	assert_false(st.refreshing);
	assert_true(st.last_refresh == 15.0);
	assert_true(st.last_refresh_wall != 0);
	cache_free(c);
}

/* A listing slower than the TTL is fresh when it arrives, not born old. */
static void test_ttl_counts_from_arrival(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l, *first;

	(void)state;
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	fk.gated = true;
	fk.gate = 1;
	set_now(20);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, first); /* served while the refresh is held */
	cache_listing_put(l);
	wait_calls(2);
	set_now(60); /* the listing took 40 s, beyond the TTL */
	open_gate(2);
	settle(c);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_true(cache_listing_time(l) == 60);
	cache_listing_put(l);
	set_now(74.9); /* fresh for a TTL from arrival: no new request */
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	assert_int_equal(calls(), 2);
	cache_listing_put(first);
	cache_free(c);
}

/* Many readers while a refresh hangs: all answered at once, one fetch. */
static void test_stale_while_revalidate(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l, *first;
	struct cache_stats st;
	int i;

	(void)state;
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	fk.gated = true;
	fk.gate = 1;
	set_now(16);
	for (i = 0; i < 50; i++) {
		assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
		assert_ptr_equal(l, first);
		cache_listing_put(l);
	}
	wait_calls(2);
	cache_stats(c, &st);
	assert_true(st.refreshing);
	assert_true(st.refresh_since == 16);
	assert_int_equal(st.stale_served, 50);
	assert_int_equal(st.misses, 1);
	open_gate(2);
	settle(c);
	assert_int_equal(calls(), 2);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_not_equal(l, first);
	cache_listing_put(l);
	cache_listing_put(first);
	cache_free(c);
}

/* A waiter gives up at its call's deadline or interrupt; the fetch goes
 * on and lands for everyone else. */
static void test_wait_bounded_by_call(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l;
	struct az_error err;
	struct call k;
	double t0;

	(void)state;
	fk.gated = true;
	call_enter(&k, 0.2);
	t0 = call_now();
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_TIMEOUT);
	assert_true(call_now() - t0 < 2.0);
	assert_null(l);
	assert_int_equal(err.code, AZ_ERR_TIMEOUT);
	call_leave(&k);

	call_enter(&k, 0);
	call_cancel(&k); /* as an interrupt would, before the wait */
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_CANCELED);
	call_leave(&k);

	wait_calls(1);
	assert_int_equal(calls(), 1); /* one fetch all along */
	open_gate(1);
	settle(c);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(cache_listing_count(l), 3);
	cache_listing_put(l);
	assert_int_equal(calls(), 1);
	cache_free(c);
}

/* cache_shutdown() cancels a hanging refresh: cache_free() is prompt. */
static void test_shutdown_cancels_refresh(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l, *first;
	double t0;

	(void)state;
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	fk.gated = true;
	fk.gate = 1;
	set_now(20);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	wait_calls(2); /* the refresh hangs at the gate */
	t0 = call_now();
	cache_free(c); /* never opened: only cancellation ends it */
	assert_true(call_now() - t0 < 2.0);
	cache_listing_put(first);
}

static void test_filter_and_sort(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l = NULL;

	(void)state;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(cache_listing_count(l), 3);
	assert_string_equal(cache_listing_at(l, 0)->name, "Ci-Alice");
	assert_string_equal(cache_listing_at(l, 1)->name, "ci-bob");
	assert_string_equal(cache_listing_at(l, 2)->name, "ci-carol");
	assert_null(cache_listing_at(l, 3));
	assert_int_equal(cache_listing_find(l, "cluster1"), -1);
	assert_int_equal(cache_listing_find(l, "aks1"), -1);
	assert_int_equal(cache_listing_find(l, "ci-alice"), 0);
	assert_int_equal(cache_listing_find(l, "CI-BOB"), 1);
	assert_int_equal(cache_listing_find(l, "ci-Carol"), 2);
	assert_int_equal(cache_listing_find(l, "ci-a"), -1);
	assert_int_equal(cache_listing_find(l, "zz"), -1);
	assert_int_equal(cache_listing_find(l, ""), -1);
	assert_int_equal(cache_listing_find(NULL, "ci-bob"), -1);
	assert_int_equal(cache_listing_count(NULL), 0);
	cache_listing_put(l);
	cache_listing_put(NULL);
	cache_free(c);
}

static void test_get_and_negative(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l = NULL;
	const struct az_compute *comp = NULL;
	struct az_error err;

	(void)state;
	assert_int_equal(cache_get(c, "CI-ALICE", &l, &comp, NULL), AZ_OK);
	assert_string_equal(comp->name, "Ci-Alice");
	assert_string_equal(comp->state, "Stopped");
	cache_listing_put(l);
	assert_int_equal(calls(), 1);

	/* Absent, or another compute type: from memory, no request. */
	assert_int_equal(cache_get(c, "ci-dave", &l, &comp, &err),
			 AZ_ERR_NOT_FOUND);
	assert_int_equal(err.code, AZ_ERR_NOT_FOUND);
	assert_null(l);
	assert_null(comp);
	assert_int_equal(cache_get(c, "cluster1", &l, &comp, NULL),
			 AZ_ERR_NOT_FOUND);
	assert_int_equal(cache_get(c, "", &l, &comp, NULL), AZ_ERR_INVALID);
	assert_int_equal(calls(), 1);
	assert_int_equal(fk.get_calls, 0);
	cache_free(c);
}

static void test_single_flight(void **state)
{
	enum { N = 8 };
	struct cache *c = new_cache(15, 0);
	struct caller w[N];
	struct cache_stats st;
	int i;

	(void)state;
	fk.gated = true;
	for (i = 0; i < N; i++)
		start_caller(&w[i], c);
	wait_calls(1);
	wait_misses(c, N); /* everyone is in: one fetching, N-1 waiting */
	open_gate(1);
	for (i = 0; i < N; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].rc, AZ_OK);
		assert_ptr_equal(w[i].l, w[0].l);
	}
	assert_int_equal(calls(), 1);
	assert_int_equal(cache_listing_count(w[0].l), 3);
	for (i = 0; i < N; i++)
		cache_listing_put(w[i].l);
	cache_stats(c, &st);
	assert_int_equal(st.misses, N);
	assert_int_equal(st.list_fetches, 1);
	cache_free(c);
}

static void test_errors_reach_every_waiter(void **state)
{
	enum { N = 6 };
	struct cache *c = new_cache(15, 0);
	struct caller w[N];
	int i;

	(void)state;
	fk.gated = true;
	fk.list_rc = AZ_ERR_FORBIDDEN;
	for (i = 0; i < N; i++)
		start_caller(&w[i], c);
	wait_calls(1);
	wait_misses(c, N);
	open_gate(1);
	for (i = 0; i < N; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].rc, AZ_ERR_FORBIDDEN);
		assert_int_equal(w[i].err.code, AZ_ERR_FORBIDDEN);
		assert_string_equal(w[i].err.message, "scripted failure");
		assert_null(w[i].l);
	}
	assert_int_equal(calls(), 1);

	/* Said again from memory, without a request, for 2 s ... */
	ungate();
	fk.list_rc = AZ_OK;
	start_caller(&w[0], c);
	pthread_join(w[0].tid, NULL);
	assert_int_equal(w[0].rc, AZ_ERR_FORBIDDEN);
	assert_int_equal(calls(), 1);
	/* ... then asked again, and the answer is there for the next. */
	set_now(2);
	start_caller(&w[0], c);
	pthread_join(w[0].tid, NULL);
	settle(c);
	assert_int_equal(calls(), 2);
	start_caller(&w[0], c);
	pthread_join(w[0].tid, NULL);
	assert_int_equal(w[0].rc, AZ_OK);
	cache_listing_put(w[0].l);
	cache_free(c);
}

static void test_generation(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct caller a, b;
	struct cache_listing *l;
	uint64_t g0;

	(void)state;
	g0 = cache_generation(c);
	fk.gated = true;
	start_caller(&a, c);
	wait_calls(1);           /* a's fetch has begun ... */
	set_state("ci-bob", "Stopping");
	cache_drop(c);           /* ... and the cache is dropped under it */
	assert_int_equal(cache_generation(c), g0 + 1);

	/* A new question does not join a's flight: it asks afresh. */
	start_caller(&b, c);
	wait_misses(c, 2);
	open_gate(1);
	pthread_join(a.tid, NULL);
	assert_int_equal(a.rc, AZ_OK);
	wait_calls(2);
	open_gate(2);
	pthread_join(b.tid, NULL);
	assert_int_equal(b.rc, AZ_OK);
	assert_ptr_not_equal(a.l, b.l);
	assert_string_equal(cache_listing_at(b.l, 1)->state, "Stopping");

	/* The current listing is b's: a's predates the drop. */
	ungate();
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, b.l);
	assert_int_equal(calls(), 2);
	cache_listing_put(l);
	cache_listing_put(a.l);
	cache_listing_put(b.l);
	cache_free(c);
}

static void test_generation_alone(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct caller a;
	struct cache_listing *l;

	(void)state;
	fk.gated = true;
	start_caller(&a, c);
	wait_calls(1);
	cache_drop(c);
	open_gate(1);
	pthread_join(a.tid, NULL);
	assert_int_equal(a.rc, AZ_OK); /* its caller still gets an answer */
	assert_int_equal(cache_listing_count(a.l), 3);

	/* but it was not installed: the next question fetches. */
	open_gate(2);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 2);
	assert_ptr_not_equal(l, a.l);
	cache_listing_put(l);
	cache_listing_put(a.l);
	cache_free(c);
}

static void test_stale_serving(void **state)
{
	struct cache *c = new_cache(15, 100);
	struct cache_listing *l, *first;
	struct cache_stats st;
	struct az_error err;

	(void)state;
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);

	/* Past the TTL, the backend down: the old listing, degraded. */
	fk.list_rc = AZ_ERR_UNREACHABLE;
	set_now(20);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, first);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(calls(), 2);
	cache_stats(c, &st);
	assert_true(st.degraded);
	assert_int_equal(st.stale_served, 1);
	assert_int_equal(st.refresh_failures, 1);
	assert_int_equal(st.last_error.code, AZ_ERR_UNREACHABLE);
	assert_true(st.last_refresh == 0);

	/* Backing off: no request for 2 s. */
	set_now(21.9);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, first);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(calls(), 2);
	set_now(22);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(calls(), 3);

	/* Past ttl + stale_max: the error at once, and a new try. */
	set_now(115);
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_UNREACHABLE);
	assert_null(l);
	assert_int_equal(err.code, AZ_ERR_UNREACHABLE);
	settle(c);
	assert_int_equal(calls(), 4);
	cache_stats(c, &st);
	assert_true(st.degraded); /* failing still: .status must not say ok */
	set_now(116);
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_UNREACHABLE);
	settle(c);
	assert_int_equal(calls(), 4);

	/* The backend is back: the next try brings a fresh listing. */
	fk.list_rc = AZ_OK;
	set_now(130);
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_UNREACHABLE);
	settle(c);
	assert_int_equal(calls(), 5);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_not_equal(l, first);
	cache_listing_put(l);
	cache_stats(c, &st);
	assert_false(st.degraded);
	assert_true(st.last_refresh == 130);
	assert_int_equal(st.stale_served, 3);
	cache_listing_put(first);
	cache_free(c);
}

static void test_stale_to_waiters(void **state)
{
	enum { N = 4 };
	struct cache *c = new_cache(15, 100);
	struct cache_listing *first;
	struct caller w[N];
	struct cache_stats st;
	int i;

	(void)state;
	/* No listing to serve (dropped), many waiting, the fetch fails
	 * transiently: every waiter hears the one fetch's error. */
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	cache_drop(c);
	fk.list_rc = AZ_ERR_THROTTLED;
	fk.gated = true;
	for (i = 0; i < N; i++)
		start_caller(&w[i], c);
	wait_calls(2);
	wait_misses(c, N + 1);
	open_gate(2);
	for (i = 0; i < N; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].rc, AZ_ERR_THROTTLED);
		assert_null(w[i].l);
	}
	cache_stats(c, &st);
	assert_true(st.degraded);
	assert_int_equal(calls(), 2);
	cache_listing_put(first);
	cache_free(c);
}

static void test_non_transient_not_stale(void **state)
{
	struct cache *c = new_cache(15, 100);
	struct cache_listing *l;
	struct cache_stats st;

	(void)state;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	set_now(20);
	fk.list_rc = AZ_ERR_UNAUTHORIZED;
	/* not known yet: the listing is served while the refresh runs */
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	settle(c);
	/* once known, a refused credential is said, not hidden */
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_UNAUTHORIZED);
	assert_null(l);
	assert_int_equal(calls(), 2);
	set_now(22);
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_UNAUTHORIZED);
	settle(c);
	assert_int_equal(calls(), 3);
	cache_stats(c, &st);
	assert_true(st.degraded); /* the backend refuses us: not healthy */
	assert_int_equal(st.stale_served, 1);
	cache_free(c);
}

static void test_no_listing_transient(void **state)
{
	struct cache *c = new_cache(15, 100);
	struct cache_listing *l;

	(void)state;
	fk.list_rc = AZ_ERR_TIMEOUT;
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_TIMEOUT);
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_TIMEOUT);
	assert_int_equal(calls(), 1); /* backing off */
	/* a drop means: ask again now */
	cache_drop(c);
	fk.list_rc = AZ_OK;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 2);
	cache_listing_put(l);
	cache_free(c);
}

static void test_refcount_survives_drop(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l = NULL;
	const struct az_compute *comp = NULL;

	(void)state;
	assert_int_equal(cache_get(c, "ci-carol", &l, &comp, NULL), AZ_OK);
	cache_drop(c);
	assert_string_equal(comp->name, "ci-carol");
	assert_string_equal(comp->state, "Starting");
	assert_int_equal(cache_listing_count(l), 3);
	cache_free(c);
	assert_string_equal(cache_listing_at(l, 0)->name, "Ci-Alice");
	cache_listing_put(l);
}

static void test_peek_never_fetches(void **state)
{
	struct cache *c = new_cache(15, 0);
	struct cache_listing *l = NULL, *p;

	(void)state;
	assert_null(cache_peek(c));
	assert_int_equal(calls(), 0);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	set_now(100); /* long past the TTL: still the same listing */
	p = cache_peek(c);
	assert_ptr_equal(p, l);
	assert_int_equal(cache_listing_count(p), 3);
	assert_int_equal(calls(), 1);
	cache_listing_put(p);
	cache_listing_put(l);
	cache_drop(c);
	assert_null(cache_peek(c));
	assert_int_equal(calls(), 1);
	cache_free(c);
}

static void test_ttl_zero(void **state)
{
	struct cache *c = new_cache(0, 0);
	struct cache_listing *l;

	(void)state;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	settle(c);
	assert_int_equal(calls(), 2);
	cache_free(c);
}

static void test_copy_on_write(void **state)
{
	struct az_compute v[2], repl;
	struct cache_listing *l, *l2, *l3, *l4;
	struct cache_item *it;

	(void)state;
	az_compute_copy(&v[0], &fk.computes[0]); /* ci-bob */
	az_compute_copy(&v[1], &fk.computes[2]); /* Ci-Alice */
	l = cache_listing_build(v, 2, 7);
	az_compute_free(&v[0]);
	az_compute_free(&v[1]);
	assert_int_equal(cache_listing_count(l), 2);

	az_compute_copy(&repl, &fk.computes[0]);
	free(repl.state);
	repl.state = strdup("Stopping");
	it = cache_item_new(&repl);
	l2 = cache_listing_with(l, "CI-BOB", it);
	cache_item_put(it);
	assert_true(cache_listing_time(l2) == 7);
	assert_int_equal(cache_listing_count(l2), 2);
	assert_string_equal(cache_listing_at(l2, 1)->state, "Stopping");
	assert_string_equal(cache_listing_at(l, 1)->state, "Running");
	/* the unchanged item is shared */
	assert_ptr_equal(cache_listing_at(l2, 0), cache_listing_at(l, 0));

	/* added */
	az_compute_copy(&repl, &fk.computes[4]); /* ci-carol */
	it = cache_item_new(&repl);
	l3 = cache_listing_with(l2, "ci-carol", it);
	cache_item_put(it);
	assert_int_equal(cache_listing_count(l3), 3);
	assert_int_equal(cache_listing_find(l3, "ci-carol"), 2);

	/* removed */
	l4 = cache_listing_with(l3, "ci-alice", NULL);
	assert_int_equal(cache_listing_count(l4), 2);
	assert_int_equal(cache_listing_find(l4, "ci-alice"), -1);
	assert_int_equal(cache_listing_find(l4, "ci-bob"), 0);
	cache_listing_put(l);
	cache_listing_put(l2);
	cache_listing_put(l3);
	assert_string_equal(cache_listing_at(l4, 1)->name, "ci-carol");
	cache_listing_put(l4);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_ttl),
		T(test_ttl_counts_from_arrival),
		T(test_stale_while_revalidate),
		T(test_wait_bounded_by_call),
		T(test_shutdown_cancels_refresh),
		T(test_filter_and_sort),
		T(test_get_and_negative),
		T(test_single_flight),
		T(test_errors_reach_every_waiter),
		T(test_generation),
		T(test_generation_alone),
		T(test_stale_serving),
		T(test_stale_to_waiters),
		T(test_non_transient_not_stale),
		T(test_no_listing_transient),
		T(test_refcount_survives_drop),
		T(test_peek_never_fetches),
		T(test_ttl_zero),
		T(test_copy_on_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
