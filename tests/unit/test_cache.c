/**
 * @file
 * Unit tests of cache/: freshness, single flight, negative answers,
 * generation, stale serving and refcounts, against a fake backend with
 * a fake clock. The fake counts its calls, answers from a script, and can
 * hold calls at a gate so several threads provably meet one fetch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/internal.h"

/* ---- the fake backend ---- */

struct fake {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	double now;                /* the fake clock */
	int list_calls;            /* list calls entered */
	int get_calls;
	bool gated;                /* hold list calls at the gate */
	int gate;                  /* list calls allowed through */
	enum az_err list_rc;       /* AZ_OK: answer with computes[] */
	struct az_compute computes[16];
	size_t n;
};

static struct fake fk;

static double fake_now(void *ctx)
{
	struct fake *f = ctx;
	double now;

	pthread_mutex_lock(&f->lock);
	now = f->now;
	pthread_mutex_unlock(&f->lock);
	return now;
}

static void set_now(double t)
{
	pthread_mutex_lock(&fk.lock);
	fk.now = t;
	pthread_mutex_unlock(&fk.lock);
}

static enum az_err fake_list(void *ctx, struct az_compute **out, size_t *n,
			     struct az_error *err)
{
	struct fake *f = ctx;
	enum az_err rc;
	int me;
	size_t i;

	pthread_mutex_lock(&f->lock);
	me = ++f->list_calls;
	pthread_cond_broadcast(&f->cond);
	while (f->gated && f->gate < me)
		pthread_cond_wait(&f->cond, &f->lock);
	rc = f->list_rc;
	if (rc != AZ_OK) {
		pthread_mutex_unlock(&f->lock);
		return az_fail(err, rc, rc == AZ_ERR_SERVER ? 503 : 0,
			       "scripted failure");
	}
	*out = calloc(f->n ? f->n : 1, sizeof(**out));
	for (i = 0; i < f->n; i++)
		az_compute_copy(&(*out)[i], &f->computes[i]);
	*n = f->n;
	pthread_mutex_unlock(&f->lock);
	return AZ_OK;
}

static enum az_err fake_get(void *ctx, const char *name,
			    struct az_compute *out, struct az_error *err)
{
	struct fake *f = ctx;
	size_t i;

	pthread_mutex_lock(&f->lock);
	f->get_calls++;
	for (i = 0; i < f->n; i++) {
		if (!strcasecmp(f->computes[i].name, name)) {
			az_compute_copy(out, &f->computes[i]);
			pthread_mutex_unlock(&f->lock);
			return AZ_OK;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return az_fail(err, AZ_ERR_NOT_FOUND, 404, "not found");
}

/* Wait (really) until @n list calls have entered the fake. */
static void wait_calls(int n)
{
	pthread_mutex_lock(&fk.lock);
	while (fk.list_calls < n)
		pthread_cond_wait(&fk.cond, &fk.lock);
	pthread_mutex_unlock(&fk.lock);
}

static void open_gate(int n)
{
	pthread_mutex_lock(&fk.lock);
	fk.gate = n;
	pthread_cond_broadcast(&fk.cond);
	pthread_mutex_unlock(&fk.lock);
}

static int calls(void)
{
	int n;

	pthread_mutex_lock(&fk.lock);
	n = fk.list_calls;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

static void add(const char *name, const char *type, const char *state)
{
	struct az_compute *c = &fk.computes[fk.n++];

	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->compute_type = strdup(type);
	c->state = state ? strdup(state) : NULL;
}

static void set_state(const char *name, const char *state)
{
	size_t i;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < fk.n; i++) {
		if (!strcmp(fk.computes[i].name, name)) {
			free(fk.computes[i].state);
			fk.computes[i].state = strdup(state);
		}
	}
	pthread_mutex_unlock(&fk.lock);
}

static struct cache *new_cache(double ttl, double stale_max)
{
	struct cache_backend be = {
		.list = fake_list,
		.get = fake_get,
		.now = fake_now,
		.ctx = &fk,
	};
	struct cache_config cfg = { .ttl = ttl, .stale_max = stale_max };

	return cache_new(&be, &cfg);
}

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	pthread_cond_init(&fk.cond, NULL);
	add("ci-bob", "ComputeInstance", "Running");
	add("cluster1", "AmlCompute", NULL);
	add("Ci-Alice", "ComputeInstance", "Stopped");
	add("aks1", "Kubernetes", NULL);
	add("ci-carol", "ComputeInstance", "Starting");
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < fk.n; i++)
		az_compute_free(&fk.computes[i]);
	pthread_cond_destroy(&fk.cond);
	pthread_mutex_destroy(&fk.lock);
	return 0;
}

/* ---- threads calling the cache ---- */

struct caller {
	pthread_t tid;
	struct cache *c;
	enum az_err rc;
	struct az_error err;
	struct cache_listing *l;
};

static void *call_list(void *arg)
{
	struct caller *w = arg;

	w->rc = cache_list(w->c, &w->l, &w->err);
	return NULL;
}

static void start_caller(struct caller *w, struct cache *c)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	assert_int_equal(pthread_create(&w->tid, NULL, call_list, w), 0);
}

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
	struct cache_listing *l = NULL;
	struct cache_stats st;

	(void)state;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 1);
	assert_true(cache_listing_time(l) == 0);
	cache_listing_put(l);

	set_now(14.9);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 1);
	cache_listing_put(l);

	set_now(15.0);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_int_equal(calls(), 2);
	assert_true(cache_listing_time(l) == 15.0);
	cache_listing_put(l);

	cache_stats(c, &st);
	assert_int_equal(st.hits, 1);
	assert_int_equal(st.misses, 2);
	assert_int_equal(st.list_fetches, 2);
	assert_false(st.degraded);
	assert_true(st.last_refresh == 15.0);
	assert_true(st.last_refresh_wall != 0);
	cache_free(c);
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

	/* Not transient: not remembered, the next question asks again. */
	fk.gated = false;
	fk.list_rc = AZ_OK;
	start_caller(&w[0], c);
	pthread_join(w[0].tid, NULL);
	assert_int_equal(w[0].rc, AZ_OK);
	assert_int_equal(calls(), 2);
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

	/* A new question does not join a's flight: it fetches afresh. */
	start_caller(&b, c);
	wait_calls(2);
	open_gate(2);
	pthread_join(a.tid, NULL);
	pthread_join(b.tid, NULL);
	assert_int_equal(a.rc, AZ_OK);
	assert_int_equal(b.rc, AZ_OK);
	assert_ptr_not_equal(a.l, b.l);

	/* Whichever landed last, the current listing is b's. */
	fk.gated = false;
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
	assert_int_equal(calls(), 2);
	cache_stats(c, &st);
	assert_true(st.degraded);
	assert_int_equal(st.stale_served, 1);
	assert_int_equal(st.last_error.code, AZ_ERR_UNREACHABLE);
	assert_true(st.last_refresh == 0);

	/* Backing off: no request before a TTL has passed. */
	set_now(34);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, first);
	cache_listing_put(l);
	assert_int_equal(calls(), 2);
	set_now(35);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	assert_int_equal(calls(), 3);

	/* Past ttl + stale_max: the error, and backing off still. */
	set_now(115);
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_UNREACHABLE);
	assert_null(l);
	assert_int_equal(err.code, AZ_ERR_UNREACHABLE);
	assert_int_equal(calls(), 4);
	cache_stats(c, &st);
	assert_false(st.degraded);
	set_now(120);
	assert_int_equal(cache_list(c, &l, &err), AZ_ERR_UNREACHABLE);
	assert_int_equal(calls(), 4);

	/* The backend is back: a fresh listing, no longer degraded. */
	fk.list_rc = AZ_OK;
	set_now(130);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_not_equal(l, first);
	assert_int_equal(calls(), 5);
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
	assert_int_equal(cache_list(c, &first, NULL), AZ_OK);
	fk.list_rc = AZ_ERR_THROTTLED;
	fk.gated = true;
	fk.gate = 1;
	set_now(16);
	for (i = 0; i < N; i++)
		start_caller(&w[i], c);
	wait_calls(2);
	wait_misses(c, N + 1);
	open_gate(2);
	for (i = 0; i < N; i++) {
		pthread_join(w[i].tid, NULL);
		assert_int_equal(w[i].rc, AZ_OK);
		assert_ptr_equal(w[i].l, first);
		cache_listing_put(w[i].l);
	}
	cache_stats(c, &st);
	assert_int_equal(st.stale_served, N);
	assert_true(st.degraded);
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
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_UNAUTHORIZED);
	assert_null(l);
	assert_int_equal(cache_list(c, &l, NULL), AZ_ERR_UNAUTHORIZED);
	assert_int_equal(calls(), 3);
	cache_stats(c, &st);
	assert_false(st.degraded);
	assert_int_equal(st.stale_served, 0);
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

static void test_ttl_zero(void **state)
{
	struct cache *c = new_cache(0, 0);
	struct cache_listing *l;

	(void)state;
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	cache_listing_put(l);
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
		T(test_ttl_zero),
		T(test_copy_on_write),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
