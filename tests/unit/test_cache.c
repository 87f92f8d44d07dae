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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
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
	enum az_err get_rc;
	struct az_compute computes[16];
	size_t n;

	/* writes: operations end op_seconds after they are accepted */
	struct fake_tr {
		char name[32];
		enum cache_verb verb;
		char final[32];    /* state when done ("" : removed) */
		double done_at;
		bool fail;         /* ends in failure, state as before */
		char before[32];
		bool applied;
	} tr[16];
	int n_tr;
	enum az_err operate_rc;    /* AZ_OK: accept */
	bool no_handle;            /* accept without a poll handle */
	bool create_lag;           /* a create is not visible until done */
	bool fail_next;            /* the next operation fails */
	double op_seconds;
	double retry_after;        /* sent with every answer; 0: none */
	enum az_err poll_rc;       /* a poll that fails */
	int operate_calls;
	int polls;
	double poll_times[64];
	int handles;               /* live poll handles */
};

static struct fake fk;

static struct az_compute *find_comp(struct fake *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcasecmp(f->computes[i].name, name))
			return &f->computes[i];
	return NULL;
}

static void put_state(struct az_compute *c, const char *state)
{
	free(c->state);
	c->state = strdup(state);
}

static void add_locked(struct fake *f, const char *name, const char *type,
		       const char *state)
{
	struct az_compute *c = &f->computes[f->n++];

	memset(c, 0, sizeof(*c));
	c->name = strdup(name);
	c->compute_type = strdup(type);
	c->state = state ? strdup(state) : NULL;
	c->provisioning_state = strdup("Succeeded");
}

/* Called with f->lock held: operations whose time has come end. */
static void apply_due(struct fake *f)
{
	struct az_compute *c;
	int i;

	for (i = 0; i < f->n_tr; i++) {
		struct fake_tr *t = &f->tr[i];

		if (t->applied || f->now < t->done_at)
			continue;
		t->applied = true;
		c = find_comp(f, t->name);
		if (!c && t->verb == CACHE_CREATE && !t->fail) {
			add_locked(f, t->name, "ComputeInstance", "Creating");
			c = find_comp(f, t->name);
		}
		if (!c)
			continue;
		if (t->fail) {
			put_state(c, t->before);
		} else if (!t->final[0]) {
			az_compute_free(c);
			*c = f->computes[--f->n];
		} else {
			put_state(c, t->final);
		}
	}
}

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
	apply_due(f);
	me = ++f->list_calls;
	rc = f->list_rc;
	/* What the server saw when the request began. */
	*out = calloc(f->n ? f->n : 1, sizeof(**out));
	for (i = 0; i < f->n; i++)
		az_compute_copy(&(*out)[i], &f->computes[i]);
	*n = f->n;
	pthread_cond_broadcast(&f->cond);
	while (f->gated && f->gate < me)
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
	if (rc != AZ_OK) {
		az_compute_free_array(*out, *n);
		*out = NULL;
		*n = 0;
		return az_fail(err, rc, rc == AZ_ERR_SERVER ? 503 : 0,
			       "scripted failure");
	}
	return AZ_OK;
}

static enum az_err fake_get(void *ctx, const char *name,
			    struct az_compute *out, struct az_error *err)
{
	struct fake *f = ctx;
	size_t i;

	pthread_mutex_lock(&f->lock);
	apply_due(f);
	f->get_calls++;
	pthread_cond_broadcast(&f->cond);
	if (f->get_rc != AZ_OK) {
		pthread_mutex_unlock(&f->lock);
		return az_fail(err, f->get_rc, 0, "scripted get failure");
	}
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


struct fake_handle {
	int tr; /* index in fk.tr */
};

static const char *transit(enum cache_verb v)
{
	switch (v) {
	case CACHE_START:
		return "Starting";
	case CACHE_STOP:
		return "Stopping";
	case CACHE_RESTART:
		return "Restarting";
	case CACHE_RESIZE:
		return "Resizing";
	case CACHE_CREATE:
		return "Creating";
	case CACHE_DELETE:
		return "Deleting";
	}
	return "?";
}

static const char *final_state(enum cache_verb v)
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
		return "";
	}
	return "?";
}

static enum az_err fake_operate(void *ctx, const char *name,
				enum cache_verb v,
				const struct cache_op_args *args, void **op,
				double *retry_after, struct az_error *err)
{
	struct fake *f = ctx;
	struct az_compute *c;
	struct fake_tr *t;
	struct fake_handle *h;

	pthread_mutex_lock(&f->lock);
	apply_due(f);
	f->operate_calls++;
	if (f->operate_rc != AZ_OK) {
		pthread_mutex_unlock(&f->lock);
		return az_fail(err, f->operate_rc, 409, "scripted refusal");
	}
	c = find_comp(f, name);
	t = &f->tr[f->n_tr];
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->verb = v;
	snprintf(t->final, sizeof(t->final), "%s", final_state(v));
	snprintf(t->before, sizeof(t->before), "%s",
		 c && c->state ? c->state : "");
	t->done_at = f->now + f->op_seconds;
	t->fail = f->fail_next;
	f->fail_next = false;
	if (v == CACHE_CREATE && !c && !f->create_lag)
		add_locked(f, name, "ComputeInstance", "Creating");
	else if (c)
		put_state(c, transit(v));
	if (v == CACHE_RESIZE && c) {
		free(c->vm_size);
		c->vm_size = strdup(args->vm_size);
	}
	*retry_after = f->retry_after;
	*op = NULL;
	if (!f->no_handle) {
		h = calloc(1, sizeof(*h));
		h->tr = f->n_tr;
		*op = h;
		f->handles++;
	}
	f->n_tr++;
	pthread_mutex_unlock(&f->lock);
	return AZ_OK;
}

static enum az_err fake_poll(void *ctx, void *op, bool *done,
			     double *retry_after, struct az_error *err)
{
	struct fake *f = ctx;
	struct fake_handle *h = op;
	struct fake_tr *t;

	pthread_mutex_lock(&f->lock);
	apply_due(f);
	if (f->polls < 64)
		f->poll_times[f->polls] = f->now;
	f->polls++;
	pthread_cond_broadcast(&f->cond);
	*retry_after = f->retry_after;
	*done = false;
	if (f->poll_rc != AZ_OK) {
		pthread_mutex_unlock(&f->lock);
		return az_fail(err, f->poll_rc, 0, "scripted poll failure");
	}
	t = &f->tr[h->tr];
	*done = t->applied;
	pthread_mutex_unlock(&f->lock);
	if (*done && t->fail) {
		az_fail(err, AZ_ERR_CONFLICT, 0, "the VM would not stop");
		snprintf(err->arm_code, sizeof(err->arm_code),
			 "ComputeInstanceStopFailed");
		return AZ_ERR_CONFLICT;
	}
	return AZ_OK;
}

static void fake_op_free(void *ctx, void *op)
{
	struct fake *f = ctx;

	if (!op)
		return;
	pthread_mutex_lock(&f->lock);
	f->handles--;
	pthread_mutex_unlock(&f->lock);
	free(op);
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
	add_locked(&fk, name, type, state);
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
		.operate = fake_operate,
		.poll = fake_poll,
		.op_free = fake_op_free,
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
	assert_true(st.degraded); /* failing still: .status must not say ok */
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
	assert_true(st.degraded); /* the backend refuses us: not healthy */
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

	/* Nothing changed. */
	assert_int_equal(cache_generation(c), g0);
	assert_int_equal(fk.get_calls, 0);
	assert_int_equal(cache_pending(c), 0);
	assert_int_equal(cache_list(c, &l, NULL), AZ_OK);
	assert_ptr_equal(l, l0);
	assert_string_equal(state(c, "ci-bob"), "Running");
	assert_null(shown(c, "ci-bob", &l0)->op_name);
	cache_listing_put(l0);
	cache_listing_put(l);
	usleep(20000);
	assert_int_equal(ev.n, 0);
	cache_stats(c, &st);
	assert_int_equal(st.ops_started, 0);
	cache_listing_put(l0);
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
	fk.gated = false;
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
	assert_string_equal(comp->op_status, "StopFailed");
	assert_non_null(strstr(comp->errors, "gave up"));
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
