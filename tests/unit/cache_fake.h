/**
 * @file
 * What test_cache and test_cache_ops share: a fake backend for cache/,
 * with a fake clock, and helpers to drive it from the tests.
 *
 * The fake counts its calls, answers from a script (the fields of fk),
 * and can hold list calls at a gate so several threads provably meet one
 * fetch. Writes are accepted at once and end op_seconds later on the fake
 * clock, seen by the next list, get or poll.
 *
 * The fake's own functions and the helpers below take fk.lock, as the
 * cache calls them from its threads; a test sets script fields (list_rc,
 * op_seconds, ...) directly while no call is in flight, and reads the
 * counters once it has waited for them. Every test runs between setup()
 * and teardown(), which reset fk to five computes: ci-bob (Running),
 * cluster1 (AmlCompute), Ci-Alice (Stopped), aks1 (Kubernetes) and
 * ci-carol (Starting).
 */
#ifndef COMPUTEFS_TESTS_CACHE_FAKE_H
#define COMPUTEFS_TESTS_CACHE_FAKE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cache/cache.h"
#include "client/compute.h"
#include "client/error.h"

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

/* The one fake every test talks to (see above for its locking). */
extern struct fake fk;

/* Backend functions, for a test that builds its own cache_backend. */
double fake_now(void *ctx);
enum az_err fake_list(void *ctx, struct az_compute **out, size_t *n,
		      struct az_error *err);
enum az_err fake_get(void *ctx, const char *name,
		     struct az_compute *out, struct az_error *err);
/*
 * fake_list() as the client's az_list_computes_prev() answers: every
 * compute gets a raw_hash of its fields (the fake's "bytes"), and one
 * @prev holds with that raw_hash comes back as a stub (same_as).
 */
enum az_err fake_list_prev(void *ctx, const struct cache_listing *prev,
			   struct az_compute **out, size_t *n,
			   struct az_error *err);

/* fk's backend: list, get, now and writes (no list_prev, no wall). */
struct cache_backend fake_backend(void);

/* A cache over fk, reads and writes, with this TTL and stale_max. */
struct cache *new_cache(double ttl, double stale_max);

/* cmocka setup and teardown: fk reset to the five computes above. */
int setup(void **state);
int teardown(void **state);

/* ---- the fake clock and the gate ---- */

/* Set the fake clock to @t (seconds). */
void set_now(double t);
/* Wait (really) until @n list calls have entered the fake. */
void wait_calls(int n);
/* Let the first @n list calls through the gate (fk.gated). */
void open_gate(int n);
/* Hold list calls no more (fk.gated false), under fk.lock: a refresh
 * may be in the fake. */
void ungate(void);
/* How many list calls have entered the fake. */
int calls(void);

/* Set @name's state in the fake, as a change made outside the cache. */
void set_state(const char *name, const char *state);
/* Wait (really) until @c has no refresh asked for or under way. */
void settle(struct cache *c);

/* ---- threads calling the cache ---- */

struct caller {
	pthread_t tid;
	struct cache *c;
	enum az_err rc;
	struct az_error err;
	struct cache_listing *l;
};

/* Start a thread that calls cache_list(c); pthread_join() w->tid, then
 * read w->rc, w->err and w->l (the caller puts w->l). */
void start_caller(struct caller *w, struct cache *c);

#endif /* COMPUTEFS_TESTS_CACHE_FAKE_H */
