/**
 * @file
 * The fake backend shared by the cache's unit tests (test_cache,
 * test_cache_ops): a scripted list, get, operate and poll over a fake
 * clock, and threads that call the cache. See cache_fake.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cache/cache.h"
#include "cache/internal.h"
#include "client/compute.h"
#include "client/error.h"
#include "cache_fake.h"
#include "util/call.h"

struct fake fk;

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

double fake_now(void *ctx)
{
	struct fake *f = ctx;
	double now;

	pthread_mutex_lock(&f->lock);
	now = f->now;
	pthread_mutex_unlock(&f->lock);
	return now;
}

void set_now(double t)
{
	pthread_mutex_lock(&fk.lock);
	fk.now = t;
	pthread_mutex_unlock(&fk.lock);
}

enum az_err fake_list(void *ctx, struct az_compute **out, size_t *n,
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
	/* held at the gate as a slow request is: until the call ends */
	while (f->gated && f->gate < me) {
		int w = call_cond_wait(&f->cond, &f->lock, 0);

		if (w == ECANCELED || w == ETIMEDOUT) {
			rc = w == ECANCELED ? AZ_ERR_CANCELED : AZ_ERR_TIMEOUT;
			break;
		}
	}
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

/* FNV-1a of the fields the fake scripts, as if they were the bytes. */
static uint64_t fake_bytes_hash(const struct az_compute *c)
{
	const char *f[] = { c->name, c->compute_type, c->state, c->op_time,
			    c->created_on };
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		for (const char *p = f[i] ? f[i] : "\x01"; ; p++) {
			h = (h ^ (unsigned char)*p) * 1099511628211ULL;
			if (!*p)
				break;
		}
	return h;
}

enum az_err fake_list_prev(void *ctx, const struct cache_listing *prev,
			   struct az_compute **out, size_t *n,
			   struct az_error *err)
{
	enum az_err rc = fake_list(ctx, out, n, err);
	size_t i, j;

	for (i = 0; rc == AZ_OK && i < *n; i++) {
		struct az_compute *c = &(*out)[i];

		c->raw_hash = fake_bytes_hash(c);
		for (j = 0; j < cache_listing_count(prev); j++) {
			const struct az_compute *p = cache_listing_at(prev, j);

			if (p->raw_hash == c->raw_hash) {
				az_compute_free(c);
				c->raw_hash = p->raw_hash;
				c->same_as = p;
				break;
			}
		}
	}
	return rc;
}

enum az_err fake_get(void *ctx, const char *name,
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
	case CACHE_IDLE:
		break;
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
	case CACHE_IDLE:
		break;
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
void wait_calls(int n)
{
	pthread_mutex_lock(&fk.lock);
	while (fk.list_calls < n)
		pthread_cond_wait(&fk.cond, &fk.lock);
	pthread_mutex_unlock(&fk.lock);
}

void open_gate(int n)
{
	pthread_mutex_lock(&fk.lock);
	fk.gate = n;
	pthread_cond_broadcast(&fk.cond);
	pthread_mutex_unlock(&fk.lock);
}

void ungate(void)
{
	pthread_mutex_lock(&fk.lock);
	fk.gated = false;
	pthread_cond_broadcast(&fk.cond);
	pthread_mutex_unlock(&fk.lock);
}

int calls(void)
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

struct cache_backend fake_backend(void)
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

	return be;
}

struct cache *new_cache(double ttl, double stale_max)
{
	struct cache_backend be = fake_backend();
	struct cache_config cfg = { .ttl = ttl, .stale_max = stale_max };

	return cache_new(&be, &cfg);
}

int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	pthread_mutex_init(&fk.lock, NULL);
	call_cond_init(&fk.cond);
	add("ci-bob", "ComputeInstance", "Running");
	add("cluster1", "AmlCompute", NULL);
	add("Ci-Alice", "ComputeInstance", "Stopped");
	add("aks1", "Kubernetes", NULL);
	add("ci-carol", "ComputeInstance", "Starting");
	return 0;
}

int teardown(void **state)
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

static void *call_list(void *arg)
{
	struct caller *w = arg;

	w->rc = cache_list(w->c, &w->l, &w->err);
	return NULL;
}

void start_caller(struct caller *w, struct cache *c)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	assert_int_equal(pthread_create(&w->tid, NULL, call_list, w), 0);
}

/* Set @name's state in the fake, as a change made outside the cache. */
void set_state(const char *name, const char *state)
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

/* Wait (really) until no refresh is asked for or under way. */
void settle(struct cache *c)
{
	bool busy;

	do {
		pthread_mutex_lock(&c->lock);
		busy = c->flight != NULL;
		pthread_mutex_unlock(&c->lock);
		if (busy)
			usleep(1000);
	} while (busy);
}

