/**
 * @file
 * Inside the cache: the refcounted items and listings every cache/ file
 * shares. Not for fs/ (it sees cache.h only).
 *
 * A cache_item owns one struct az_compute and is never changed once
 * built; a cache_listing is a sorted array of item references and is
 * never changed once built either. Refreshing one instance builds a new
 * listing (copy on write) that shares every other item with the old one.
 * Both counts are atomic, so a reader drops its reference without any
 * lock.
 */
#ifndef COMPUTEFS_CACHE_INTERNAL_H
#define COMPUTEFS_CACHE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"
#include "client/compute.h"

struct cache_item {
	atomic_uint refs;
	struct az_compute comp; /* immutable once built */
};

struct cache_listing {
	atomic_uint refs;
	double time;              /* backend clock when its list fetch began */
	size_t n;
	struct cache_item **items; /* sorted by name, case-insensitively */
};

/*
 * One list traversal under way. New questions join c->flight; a drop or
 * a mutation detaches it (c->flight = NULL), so later questions start a
 * fetch of their own while those already waiting get this one's answer.
 */
struct cache_flight {
	unsigned refs;      /* protected by c->lock: fetcher + waiters */
	uint64_t gen;       /* c->gen when the fetch began; read-only */
	bool done;          /* protected by c->lock */
	bool stale;         /* protected by c->lock: answer is an old listing */
	enum az_err rc;     /* protected by c->lock; valid once done */
	struct az_error err;            /* protected by c->lock */
	struct cache_listing *answer;   /* protected by c->lock; a reference */
};

struct cache {
	struct cache_backend be;   /* read-only after cache_new() */
	struct cache_config cfg;   /* read-only after cache_new() */
	double retry;              /* read-only: seconds between attempts
				      while the backend fails */

	pthread_mutex_t lock;
	pthread_cond_t landed;     /* a flight is done; waits on c->lock */

	struct cache_listing *cur; /* protected by c->lock; NULL: none */
	bool cur_stale;            /* protected by c->lock: refetch cur even
				      if younger than the TTL */
	uint64_t gen;              /* protected by c->lock */
	struct cache_flight *flight; /* protected by c->lock */
	bool failing;              /* protected by c->lock: the last fetch
				      failed transiently */
	double retry_at;           /* protected by c->lock: while failing,
				      no fetch before this */
	struct cache_stats stats;  /* protected by c->lock */
};

/* The backend's clock (CLOCK_MONOTONIC when it has none). */
double cache_now(const struct cache *c);

/* An item owning *comp's fields (moved: *comp is left zeroed); NULL: OOM. */
struct cache_item *cache_item_new(struct az_compute *comp);
void cache_item_put(struct cache_item *it); /* accepts NULL */

/*
 * A listing of the ComputeInstances of v[0..n-1], taking their fields
 * (the entries taken are left zeroed; the caller still frees @v with
 * az_compute_free_array()). Sorted; later duplicates of a name dropped.
 * NULL: out of memory.
 */
struct cache_listing *cache_listing_build(struct az_compute *v, size_t n,
					  double time);

/*
 * Copy on write: a new listing equal to @l (which may be NULL: empty)
 * but with @name replaced by @it (a new reference is taken), added if
 * absent, or removed when @it is NULL. Keeps @l's time. NULL: OOM.
 */
struct cache_listing *cache_listing_with(const struct cache_listing *l,
					 const char *name,
					 struct cache_item *it);

/* Another reference to @l (not NULL). */
struct cache_listing *cache_listing_ref(struct cache_listing *l);

#endif
