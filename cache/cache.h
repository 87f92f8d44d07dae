/**
 * @file
 * What the driver asks: the workspace's computes, kept fresh.
 *
 * The cache holds one listing (one list traversal, all pages) and answers
 * every lookup from it. A listing is fresh for the TTL from when it
 * arrived; an older one is still answered at once while a refresher
 * thread fetches the next (stale while revalidate), one fetch at a time
 * (single flight). Only a question with nothing it may be answered from
 * (no listing yet, after cache_drop(), or a listing past ttl + stale_max)
 * waits for a fetch, and only as long as the caller's call (util/call.h)
 * allows: its deadline (AZ_ERR_TIMEOUT), an interrupt (AZ_ERR_CANCELED).
 * A name absent from the listing is AZ_ERR_NOT_FOUND from memory. A
 * generation counter, read before a fetch starts, stops a fetch that
 * began before a drop or a mutation from installing older data. When
 * the backend fails with a transient error (unreachable, timeout,
 * throttled, server) the last listing is served for a bounded time
 * (stale_max) and cache_stats() says so; after that, or at once for an
 * error retrying cannot cure (401, 403), the last error. While failing,
 * the backend is asked again every 2 s at most.
 *
 * Writes go through cache_operate(), which tracks each operation in a
 * thread of its own and tells the driver what changed (cache_set_notify)
 * once the cache answers with the new state.
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

/* What cache_operate() asks Azure to do to one instance. */
enum cache_verb {
	CACHE_START,
	CACHE_STOP,
	CACHE_RESTART,
	CACHE_RESIZE, /* args->vm_size: the target size */
	CACHE_CREATE, /* args: vm_size, and optionally the rest */
	CACHE_DELETE,
	CACHE_IDLE,   /* args->idle_minutes: set the idle shutdown; done
			 once Azure answers (no operation to track) */
};

/* Azure's name of @v, as lastOperation.operationName spells it ("Stop"). */
const char *cache_verb_name(enum cache_verb v);

struct cache_op_args {
	const char *vm_size;    /* resize, create */
	const char *ssh_key;    /* create: public key text; NULL: no SSH */
	const char *subnet;     /* create: subnet ARM id, or NULL */
	const char *assign_oid; /* create: personal instance for oid@tid */
	const char *assign_tid;
	long idle_minutes;      /* create, idle: minutes; 0: none */
	const char *start_at;   /* create: "HH:MM" start schedule, or NULL */
	const char *stop_at;    /* create: "HH:MM" stop schedule, or NULL */
	unsigned week_days;     /* create: bit 0 Monday..6 Sunday; 0: all */
	const char *time_zone;  /* create: Windows zone name, or NULL (UTC) */
};

struct cache_listing;

/* Where the cache gets its data: the client, or a fake in unit tests. */
struct cache_backend {
	enum az_err (*list)(void *ctx, struct az_compute **out, size_t *n,
			    struct az_error *err);
	enum az_err (*get)(void *ctx, const char *name, struct az_compute *out,
			   struct az_error *err);
	/*
	 * Optional: list() reusing what @prev (the listing held now, or
	 * NULL) knew, so an unchanged compute costs less: an entry of *out
	 * may be a stub whose same_as points at a compute of @prev (shown
	 * as Azure sent it, raw_hash not 0), which is then reused whole.
	 * NULL: list().
	 */
	enum az_err (*list_prev)(void *ctx, const struct cache_listing *prev,
				 struct az_compute **out, size_t *n,
				 struct az_error *err);
	/* monotonic seconds; NULL: CLOCK_MONOTONIC */
	double (*now)(void *ctx);
	/* the wall clock, for change times; NULL: CLOCK_REALTIME */
	void (*wall)(void *ctx, struct timespec *out);
	void *ctx;

	/*
	 * Writes; NULL: cache_operate() answers AZ_ERR_INVALID.
	 * operate() returns once Azure accepted the request, with *op the
	 * handle to poll (NULL: nothing to poll, the cache watches the
	 * resource itself) and *retry_after the seconds Azure asked to wait
	 * before polling (0: it did not say).
	 */
	enum az_err (*operate)(void *ctx, const char *name, enum cache_verb v,
			       const struct cache_op_args *args, void **op,
			       double *retry_after, struct az_error *err);
	/*
	 * One poll of @op. AZ_OK with *done false: still running. *done
	 * true: finished, AZ_OK when it succeeded, else the operation's
	 * error. An error with *done false: this poll failed (the cache
	 * polls again later while the error is transient).
	 */
	enum az_err (*poll)(void *ctx, void *op, bool *done,
			    double *retry_after, struct az_error *err);
	void (*op_free)(void *ctx, void *op); /* accepts NULL */
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
/*
 * Ask every thread of the cache to stop (any thread, any time; once is
 * enough): the refresher's and the tracker's transfers are canceled at
 * once, no refresh or poll starts afterwards, and questions that would
 * wait get AZ_ERR_CANCELED. Listings held are still served. Accepts NULL.
 */
void cache_shutdown(struct cache *c);

/*
 * cache_shutdown(), then joins the refresher and tracker threads
 * (operations still tracked are forgotten) and frees the cache. No
 * other thread may be inside the cache. Listings callers still hold stay
 * valid until they put them. Accepts NULL.
 */
void cache_free(struct cache *c);

/*
 * The listing of ComputeInstances (other compute types filtered out),
 * sorted by name: the one held, or (none to serve) the next fetched,
 * waited for within the current call. On success *out holds a
 * reference: release it with cache_listing_put(). Errors: the backend's
 * (see above), AZ_ERR_TIMEOUT or AZ_ERR_CANCELED for a wait cut short
 * (the fetch goes on), AZ_ERR_NOMEM.
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

/*
 * The listing held now, fresh or not, without fetching (NULL when there
 * is none): for answers that must never cost a request, such as the
 * root's link count. Release it with cache_listing_put().
 */
struct cache_listing *cache_peek(struct cache *c);

/*
 * cache_peek(), and when the listing is older than the TTL, or there is
 * none (dropped), a refresh is started in the background (at most one
 * every retry interval while Azure fails): for answers that must never
 * wait (the .instances table, parked waits) yet should not stay old.
 * NULL when there is none.
 */
struct cache_listing *cache_peek_revalidate(struct cache *c);

size_t cache_listing_count(const struct cache_listing *l);
const struct az_compute *cache_listing_at(const struct cache_listing *l,
					  size_t i);
/* Index of @name in @l, or -1. */
long cache_listing_find(const struct cache_listing *l, const char *name);
/* Monotonic time the listing arrived (backend clock), in seconds. */
double cache_listing_time(const struct cache_listing *l);
void cache_listing_put(struct cache_listing *l); /* accepts NULL */

/*
 * Change times, wall clock, for st_mtime. An instance's is when what its
 * files show last changed: a refresh or a re-read that brings the same
 * content keeps it, one that brings other content sets it to the time
 * the cache installed it. When first seen (the first listing, a new
 * instance, after cache_drop()) it is the instance's
 * lastOperation.operationTime, else its createdOn, else the time it was
 * installed (never a time in the future).
 * @comp: from cache_listing_at() or cache_get() (alive while its listing
 * is held).
 */
struct timespec cache_compute_changed(const struct az_compute *comp);
/*
 * When an instance last appeared in or left the listings (the first
 * listing: when it arrived). A refresh bringing the same names keeps it.
 */
struct timespec cache_listing_set_changed(const struct cache_listing *l);

/* Forget everything (SIGHUP): the next question waits for a fetch. */
void cache_drop(struct cache *c);

/* Bumped by every drop and mutation. */
uint64_t cache_generation(struct cache *c);

/* ---- Writes and operation tracking ---- */

/*
 * What changed, for the notify callback: the instance's attributes and
 * file contents, the instance appeared in the listing, it left it.
 */
#define CACHE_CHANGED 0x1u
#define CACHE_ADDED   0x2u
#define CACHE_REMOVED 0x4u

/*
 * Called from the cache's tracker thread, never from a caller of the
 * cache and with no cache lock held, after the cache already answers
 * with the new state: fs/ invalidates the kernel's caches for @name
 * there (the libfuse notify calls may block; that is fine in this
 * thread). Notifications arrive in the order the changes were made.
 * @fn NULL: none. Set it before the first cache_operate().
 */
void cache_set_notify(struct cache *c,
		      void (*fn)(void *ctx, const char *name, unsigned what),
		      void *ctx);

/*
 * Ask Azure to do @v to instance @name (@args: see cache_op_args; NULL
 * for start, stop, restart, delete) and return as soon as Azure accepted
 * it, or with Azure's refusal (nothing cached changes then). A create
 * first GETs @name, since Azure's PUT would overwrite: AZ_ERR_CONFLICT
 * ("already exists") when any compute, of any type, has it. Once it is
 * accepted: the generation is bumped (a read begun earlier cannot put the
 * old state back), the instance is re-read with one GET so the next
 * question sees the transitional state (create and delete show Creating
 * and Deleting at once), and a tracker thread polls the operation
 * (bounded: 1 to 30 s between polls, honoring Retry-After; it gives up
 * after 30 minutes). When it completes, the instance is read again
 * (added to or removed from the listing for create and delete) and the
 * notify callback runs.
 *
 * The operation's name, status and time are shown in the instance's
 * op_name/op_status/op_time unless Azure reports a later lastOperation,
 * and a failed operation's error is appended to its errors (and logged).
 * The tracker thread starts with the first call, so a cache made before
 * fuse_daemonize() forks is fine.
 */
enum az_err cache_operate(struct cache *c, const char *name, enum cache_verb v,
			  const struct cache_op_args *args,
			  struct az_error *err);

/*
 * computefs itself refused @v on @name (a guard, not Azure): show @err's
 * message in the instance's errors as Azure's refusals are ("TIME VERB
 * refused: message"), until an operation there succeeds. No request.
 */
void cache_refuse(struct cache *c, const char *name, enum cache_verb v,
		  const struct az_error *err);

/* Operations still being tracked. */
size_t cache_pending(struct cache *c);

/* Is an operation on @name being tracked (or its outcome looked for)? */
bool cache_busy(struct cache *c, const char *name);

/*
 * Make the tracker look at its poll times now. Needed only when the
 * backend's clock is not the real one (unit tests moving a fake clock).
 */
void cache_wake(struct cache *c);

/* ---- Health ---- */

struct cache_stats {
	unsigned long hits;         /* answered from memory */
	unsigned long misses;       /* needed a fetch (or waited for one) */
	unsigned long list_fetches; /* list traversals made */
	unsigned long get_fetches;
	unsigned long stale_served; /* answers from a listing past its TTL */
	unsigned long refresh_failures; /* list traversals that failed */
	bool degraded;              /* last fetch failed; serving old data */
	bool refreshing;            /* a list traversal is under way ... */
	double refresh_since;       /* ... since then (backend clock) */
	double last_refresh;        /* backend clock of the last good fetch:
				       when that listing arrived */
	time_t last_refresh_wall;   /* wall clock of the same, 0 if never */
	struct az_error last_error; /* of the last failed fetch */
	unsigned long ops_started;  /* operations Azure accepted */
	unsigned long ops_failed;   /* ... that ended in failure */
	unsigned long polls;        /* operation polls made */
};
void cache_stats(struct cache *c, struct cache_stats *out);

#endif
