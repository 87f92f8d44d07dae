/**
 * @file
 * What the driver asks: the workspace's computes, kept fresh.
 *
 * The cache holds one listing (one list traversal, all pages) and answers
 * every lookup from it while it is younger than the TTL. A name absent
 * from a fresh listing is AZ_ERR_NOT_FOUND from memory. Concurrent misses
 * make one request (single flight): the first caller fetches, the others
 * wait for its result. A generation counter, read before a fetch starts,
 * stops a fetch that began before a drop or a mutation from installing
 * older data. When the backend fails with a transient error (unreachable,
 * timeout, throttled, server) the last listing is served for a bounded
 * time (stale_max) and cache_stats() says so; after that, the error.
 *
 * Answers are refcounted immutable snapshots: a caller holds a
 * cache_listing for as long as it reads it, without holding any lock.
 * All functions are thread-safe.
 */
#ifndef COMPUTEFS_CACHE_H
#define COMPUTEFS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "client/client.h"

/* Where the cache gets its data: the client, or a fake in unit tests. */
struct cache_backend {
	enum az_err (*list)(void *ctx, struct az_compute **out, size_t *n,
			    struct az_error *err);
	enum az_err (*get)(void *ctx, const char *name, struct az_compute *out,
			   struct az_error *err);
	/* monotonic seconds; NULL: CLOCK_MONOTONIC */
	double (*now)(void *ctx);
	void *ctx;
};

struct cache_config {
	double ttl;       /* seconds a listing stays fresh (SPEC: default 15) */
	double stale_max; /* seconds past ttl a listing may be served when the
			     backend is failing; 0: 300 */
};

struct cache;
struct cache_listing;

struct cache *cache_new(const struct cache_backend *be,
			const struct cache_config *cfg);
/* A backend reading through @client (not owned). */
struct cache_backend cache_backend_client(struct az_client *client);
void cache_free(struct cache *c);

/*
 * The listing of ComputeInstances (other compute types filtered out),
 * sorted by name, fetching it when absent or older than the TTL.
 * On success *out holds a reference: release it with cache_listing_put().
 */
enum az_err cache_list(struct cache *c, struct cache_listing **out,
		       struct az_error *err);

/*
 * One instance by name (compared case-insensitively, as ARM does).
 * Answers from the listing (fetching it if stale); AZ_ERR_NOT_FOUND when
 * the name is not in it. *listing holds the reference that keeps *comp
 * alive.
 */
enum az_err cache_get(struct cache *c, const char *name,
		      struct cache_listing **listing,
		      const struct az_compute **comp, struct az_error *err);

size_t cache_listing_count(const struct cache_listing *l);
const struct az_compute *cache_listing_at(const struct cache_listing *l,
					  size_t i);
/* Index of @name in @l, or -1. */
long cache_listing_find(const struct cache_listing *l, const char *name);
/* Monotonic time the listing was fetched (backend clock). */
double cache_listing_time(const struct cache_listing *l);
void cache_listing_put(struct cache_listing *l); /* accepts NULL */

/* Forget everything (SIGHUP): the next question fetches. */
void cache_drop(struct cache *c);

/* Bumped by every drop and mutation. */
uint64_t cache_generation(struct cache *c);

struct cache_stats {
	unsigned long hits;         /* answered from memory */
	unsigned long misses;       /* needed a fetch (or waited for one) */
	unsigned long list_fetches; /* list traversals made */
	unsigned long get_fetches;
	unsigned long stale_served; /* answers from a listing past its TTL */
	bool degraded;              /* last fetch failed; serving old data */
	double last_refresh;        /* backend clock of the last good fetch */
	time_t last_refresh_wall;   /* wall clock of the same, 0 if never */
	struct az_error last_error; /* of the last failed fetch */
};
void cache_stats(struct cache *c, struct cache_stats *out);

#endif
