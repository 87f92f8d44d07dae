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
#include <time.h>

#include "cache/cache.h"
#include "client/compute.h"
#include "util/call.h"

struct cache_item {
	atomic_uint refs;
	struct az_compute comp; /* immutable once built; comp.raw_hash not
				   0: exactly what Azure listed (no
				   operation record applied), so the next
				   listing may reuse the item whole */
	struct timespec changed; /* wall clock: when what its files show
				    last changed; set once, under c->lock,
				    before anyone else sees the item
				    (cache_item_carry), immutable after */
	bool dated;             /* changed is set: the item may be shared
				   (set with changed, immutable after) */
};

struct cache_listing {
	atomic_uint refs;
	double time;              /* backend clock when its list fetch began */
	struct timespec set_changed; /* wall clock: when an instance last
					appeared or went; set like
					cache_item.changed */
	size_t n;
	struct cache_item **items; /* sorted by name, case-insensitively */
};

/*
 * One list traversal, asked for (kick_locked) and then fetched by the
 * refresher thread. New questions join c->flight; a drop or a mutation
 * detaches a started one (c->flight = NULL), so later questions ask for
 * a fetch of their own while those already waiting get this one's answer.
 */
struct cache_flight {
	unsigned refs;      /* protected by c->lock: refresher + waiters */
	bool started;       /* protected by c->lock: the fetch began */
	uint64_t gen;       /* protected by c->lock: c->gen when it began */
	bool done;          /* protected by c->lock */
	bool stale;         /* protected by c->lock: answer is an old listing */
	enum az_err rc;     /* protected by c->lock; valid once done */
	struct az_error err;            /* protected by c->lock */
	struct cache_listing *answer;   /* protected by c->lock; a reference */
};

/* The last operation on one instance, shown in its op_* and errors. */
struct cache_oprec {
	char *name;
	enum cache_verb verb;
	unsigned long seq; /* which operation wrote it (c->op_seq) */
	bool running;      /* accepted, not yet finished */
	char status[32];   /* "InProgress", "Succeeded", "StopFailed", ... */
	char time[32];     /* wall clock at acceptance, "...T...Z" (UTC) */
	char *error;       /* "CODE: message\n" when it failed, else NULL */
	bool has_op;       /* it records an operation (else a refusal only) */
	char *refusal;     /* "TIME VERB refused: CODE: message\n", Azure's
			      last refusal of a verb here, until the next
			      operation that succeeds; else NULL */
};

#define CACHE_GIVE_UP (30 * 60.0) /* seconds an operation is tracked */

/* An operation the tracker polls. */
struct cache_op {
	struct cache_op *next;
	char *name;
	enum cache_verb verb;
	unsigned long seq; /* its record's seq */
	void *handle;      /* the backend's; NULL: watch the resource */
	double due;        /* backend clock of the next poll */
	double delay;      /* the last wait between polls */
	double deadline;   /* give up then */
	bool busy;         /* being polled (outside the lock) */
	int rereads;       /* > 0: not accepted as far as we know (the
			      request left, no answer came): only re-read
			      the instance this many more times */
	/* What watching the instance (no handle) compares against: */
	char *before;      /* its state when the operation was sent */
	char *size;        /* resize: the target vmSize */
	char sent[32];     /* UTC "...T...Z", a little before it was sent:
			      a lastOperation not older is this one's */
	bool moved;        /* a state other than @before was seen */
};

/* A notification waiting for the tracker to deliver it. */
struct cache_event {
	struct cache_event *next;
	char *name;
	unsigned what;
};

struct cache {
	struct cache_backend be;   /* read-only after cache_new() */
	struct cache_config cfg;   /* read-only after cache_new() */
	double retry;              /* read-only: seconds between attempts
				      while the backend fails */

	pthread_mutex_t lock;
	pthread_cond_t landed;     /* a flight is done; waits on c->lock */
	pthread_cond_t kick;       /* refresher's wake-up; waits on c->lock */
	pthread_t refresher;       /* valid when refresher_on */
	bool refresher_on;         /* protected by c->lock */
	struct call *refresh_call; /* protected by c->lock: the refresher's
				      call while it fetches, for shutdown */
	struct call *poll_call;    /* protected by c->lock: the tracker's
				      call while it polls, for shutdown */

	struct cache_listing *cur; /* protected by c->lock; NULL: none */
	bool cur_stale;            /* protected by c->lock: refetch cur even
				      if younger than the TTL */
	uint64_t gen;              /* protected by c->lock */
	struct cache_flight *flight; /* protected by c->lock */
	bool failing;              /* protected by c->lock: the last fetch
				      failed */
	double retry_at;           /* protected by c->lock: while failing,
				      no fetch before this */
	struct cache_stats stats;  /* protected by c->lock */

	/* Writes (ops.c, tracker.c) */
	pthread_cond_t work;       /* tracker's wake-up; waits on c->lock */
	pthread_t tracker;         /* valid when tracker_on */
	bool tracker_on;           /* protected by c->lock */
	bool stopping;             /* protected by c->lock: no new work */
	struct cache_op *ops;      /* protected by c->lock */
	struct cache_event *events, **events_tail; /* protected by c->lock */
	struct cache_oprec *recs;  /* protected by c->lock */
	size_t n_recs;             /* protected by c->lock */
	unsigned long op_seq;      /* protected by c->lock */
	void (*notify)(void *, const char *, unsigned); /* protected by
							   c->lock */
	void *notify_ctx;          /* protected by c->lock */
};

/* The backend's clock (CLOCK_MONOTONIC when it has none). */
double cache_now(const struct cache *c);

/*
 * GET @name from the backend into *@out (zeroed first; the caller frees
 * it), counted in stats.get_fetches. Called with no lock held: it waits
 * on the network within the current call.
 */
enum az_err cache_backend_get(struct cache *c, const char *name,
			      struct az_compute *out, struct az_error *err);

/* true for the errors worth waiting out (unreachable, timeout, ...). */
bool cache_transient(enum az_err rc);

/*
 * Called with c->lock held: a drop or a mutation. Bumps c->gen and
 * detaches c->flight, so nothing fetched before lands as current.
 */
void cache_bump_locked(struct cache *c);

/*
 * Called with c->lock held, on a listing nobody else holds yet (refs 1;
 * items reused from an older listing are dated and copied before they
 * change): apply the operation records (ops.c). May replace *l (on
 * success the old one is put).
 */
void cache_overlay_locked(struct cache *c, struct cache_listing **l);

/*
 * Re-read @name after a mutation (called with no lock held): bump the
 * generation, GET, install the answer copy-on-write (or mark the
 * listing stale when another change intervened) and queue the
 * notification. The record of @name (if any) is applied, so a running
 * create or delete shows Creating or Deleting at once.
 */
void cache_reread(struct cache *c, const char *name);

/* Called with c->lock held: queue a notification for the tracker. */
void cache_event_locked(struct cache *c, const char *name, unsigned what);

/* Called with c->lock held: start the tracker if it is not running. */
int cache_tracker_start_locked(struct cache *c);

/* Stop the tracker and free what it held (cache_free; no lock held). */
void cache_tracker_stop(struct cache *c);

/* Called with c->lock held: the record of @name, or NULL. */
struct cache_oprec *cache_oprec_find_locked(struct cache *c,
					    const char *name);
/*
 * Called with c->lock held: operation @seq on @name ended with @rc (and
 * @err); a record a later operation wrote is left alone.
 */
void cache_oprec_end_locked(struct cache *c, const char *name,
			    unsigned long seq, enum az_err rc,
			    const struct az_error *err);
/* Called with c->lock held: forget @name's record if @seq wrote it. */
void cache_oprec_remove_locked(struct cache *c, const char *name,
			       unsigned long seq);
void cache_oprecs_free(struct cache *c);

/*
 * Seconds until the next poll: Azure's Retry-After when it gave one,
 * else twice @prev; always within 1 to 30 s.
 */
double cache_poll_delay(double retry_after, double prev);

/* An item owning *comp's fields (moved: *comp is left zeroed); NULL: OOM. */
/* A copy of @it's compute in a new item, not dated; NULL: OOM. */
struct cache_item *cache_item_copy(const struct cache_item *it);

/* The item that holds @comp (a compute of some listing). */
struct cache_item *cache_item_of(const struct az_compute *comp);

struct cache_item *cache_item_new(struct az_compute *comp);
void cache_item_put(struct cache_item *it); /* accepts NULL */

/*
 * A listing of the ComputeInstances of v[0..n-1], taking their fields
 * (the entries taken are left zeroed; the caller still frees @v with
 * az_compute_free_array()); a stub (same_as set: a compute of a listing
 * the caller holds) takes a reference to that item instead. Sorted;
 * later duplicates of a name dropped. NULL: out of memory.
 */
struct cache_listing *cache_listing_build(struct az_compute *v, size_t n,
					  double time);

/*
 * Copy on write: a new listing equal to @l (which may be NULL: empty)
 * but with @name replaced by @it (a new reference is taken), added if
 * absent, or removed when @it is NULL. Keeps @l's time and set_changed
 * (the caller moves the latter when the set changed). NULL: OOM.
 */
struct cache_listing *cache_listing_with(const struct cache_listing *l,
					 const char *name,
					 struct cache_item *it);

/*
 * Change times (listing.c). An item's change time is carried from the
 * item of the same name it replaces when both show the same bytes in
 * every file (cache_compute_same), else it is @now; an item seen for the
 * first time takes its lastOperation.operationTime, else its createdOn,
 * else @now (never later than @now).
 */

/* The wall clock (the backend's, else CLOCK_REALTIME). */
void cache_wall(const struct cache *c, struct timespec *out);

/* true when @a and @b show the same bytes in every instance file. */
bool cache_compute_same(const struct az_compute *a,
			const struct az_compute *b);

/*
 * Set the change time of @it (nobody else sees it yet, not dated) from
 * @old, the item it replaces (NULL: first sight); @it is dated after.
 */
void cache_item_carry(struct cache_item *it, const struct cache_item *old,
		      const struct timespec *now);

/*
 * Called with c->lock held, on @l that nobody else sees yet, before it
 * replaces @old (NULL: none): carry every item's change time and the
 * set's from @old (see above); the set changed when the names differ.
 * A dated item that is not @old's of its name (reused from a listing
 * older than @old) is replaced in @l by a copy whose time is carried
 * like any new item's (out of memory: it keeps its own time).
 */
void cache_listing_carry(struct cache_listing *l,
			 const struct cache_listing *old,
			 const struct timespec *now);

/* Another reference to @l (not NULL). */
struct cache_listing *cache_listing_ref(struct cache_listing *l);

#endif
