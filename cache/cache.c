/**
 * @file
 * The cache's read side: one listing of the workspace's instances, kept
 * fresh for cache_ttl, fetched by one caller at a time (see cache.h).
 *
 * DESIGN
 *
 * Threads. There is no thread of the read side's own: the threads are
 * the callers (FUSE request handlers). One mutex, c->lock, guards every
 * mutable field of struct cache (each says so); it is held only to look
 * at or swap those fields, never across a backend call, which may take
 * the network for seconds.
 *
 * Snapshots. c->cur is a refcounted immutable listing. A caller leaves
 * with its own reference and reads the listing without any lock, for as
 * long as it likes; replacing c->cur (a new fetch, a drop) only drops the
 * cache's reference.
 *
 * Single flight. A caller that finds c->cur missing or older than the
 * TTL either starts a flight (c->flight, then fetches with the lock
 * released) or, when one is under way, joins it and sleeps on c->landed
 * until the fetcher has stored the answer in the flight. Every caller of
 * one flight gets the same answer: the new listing, the same error, or
 * the same old listing served stale.
 *
 * Generation. c->gen is bumped by cache_drop() and by every mutation,
 * which also detach c->flight. The fetcher records c->gen when it
 * starts; if the number moved meanwhile, its listing answers the callers
 * already waiting for it but is not installed: it may predate the drop or
 * the mutation, and the next question fetches afresh.
 *
 * Failure. A transient backend error (unreachable, timeout, throttled,
 * server, malformed reply) with a listing younger than ttl + stale_max serves that listing
 * (stats.degraded). While failing, the backend is asked at most once per
 * c->retry seconds; questions in between are answered from memory: the
 * old listing while it is within the bound, else the last error. Other
 * errors are returned at once and not remembered.
 *
 * Writes (ops.c, tracker.c) share c->lock and these rules: a mutation
 * Azure accepted bumps c->gen before re-reading its instance, and the
 * re-read replaces c->cur by a copy-on-write listing; the records of
 * operations are applied (cache_overlay_locked) to every listing before
 * it is seen. The tracker thread is the only other thread the cache has.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define DEFAULT_STALE_MAX 300.0
#define RETRY_MIN 2.0
#define RETRY_MAX 30.0

double cache_now(const struct cache *c)
{
	struct timespec ts;

	if (c->be.now)
		return c->be.now(c->be.ctx);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cache *cache_new(const struct cache_backend *be,
			const struct cache_config *cfg)
{
	pthread_condattr_t attr;
	struct cache *c;

	if (!be || !be->list || !be->get)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->be = *be;
	if (cfg)
		c->cfg = *cfg;
	if (c->cfg.ttl < 0)
		c->cfg.ttl = 0;
	if (c->cfg.stale_max <= 0)
		c->cfg.stale_max = DEFAULT_STALE_MAX;
	c->retry = c->cfg.ttl;
	if (c->retry < RETRY_MIN)
		c->retry = RETRY_MIN;
	if (c->retry > RETRY_MAX)
		c->retry = RETRY_MAX;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->landed, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->work, &attr);
	pthread_condattr_destroy(&attr);
	c->events_tail = &c->events;
	return c;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	cache_tracker_stop(c);
	/* No caller may be inside the cache now, so no flight is either. */
	cache_listing_put(c->cur);
	pthread_cond_destroy(&c->work);
	pthread_cond_destroy(&c->landed);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

bool cache_transient(enum az_err rc)
{
	switch (rc) {
	case AZ_ERR_UNREACHABLE:
	case AZ_ERR_TIMEOUT:
	case AZ_ERR_THROTTLED:
	case AZ_ERR_SERVER:
	case AZ_ERR_PROTOCOL: /* a malformed reply: the server's trouble */
		return true;
	case AZ_OK:
	case AZ_ERR_NOT_FOUND:
	case AZ_ERR_CONFLICT:
	case AZ_ERR_UNAUTHORIZED:
	case AZ_ERR_FORBIDDEN:
	case AZ_ERR_BAD_REQUEST:
	case AZ_ERR_TLS:
	case AZ_ERR_NO_CREDENTIAL:
	case AZ_ERR_INVALID:
	case AZ_ERR_NOMEM:
		return false;
	}
	return false;
}

static void set_err(struct az_error *dst, const struct az_error *src)
{
	if (dst)
		*dst = *src;
}

/* Called with c->lock held: may @l be served at @now although old? */
static bool servable(const struct cache *c, const struct cache_listing *l,
		     double now)
{
	return l && now - l->time < c->cfg.ttl + c->cfg.stale_max;
}

/* Called with c->lock held: forget the flight new questions would join. */
static void detach_flight(struct cache *c)
{
	c->flight = NULL;
}

void cache_bump_locked(struct cache *c)
{
	c->gen++;
	detach_flight(c);
}

/*
 * Called with c->lock held, once @f is done: the caller's share of the
 * answer, and the caller's flight reference dropped.
 */
static enum az_err take_answer(struct cache *c, struct cache_flight *f,
			       struct cache_listing **out,
			       struct az_error *err)
{
	enum az_err rc = f->rc;

	if (rc == AZ_OK) {
		*out = cache_listing_ref(f->answer);
		if (f->stale)
			c->stats.stale_served++;
	} else {
		*out = NULL;
		set_err(err, &f->err);
	}
	if (--f->refs == 0) {
		cache_listing_put(f->answer);
		free(f);
	}
	return rc;
}

/*
 * Called with c->lock held, by the fetcher of @f: store what the fetch
 * brought (@l, a reference handed over, or @rc and @ferr) as the flight's
 * answer and, when no drop or mutation intervened, as the cache's state.
 */
static void land(struct cache *c, struct cache_flight *f,
		 struct cache_listing *l, enum az_err rc,
		 const struct az_error *ferr, double now)
{
	bool current = c->gen == f->gen;

	if (rc == AZ_OK) {
		cache_overlay_locked(c, &l);
		f->answer = l;
		f->rc = AZ_OK;
		c->stats.list_fetches++;
		if (!current) {
			log_debug("cache: listing fetched across a drop or "
				  "mutation, not installed");
		} else {
			cache_listing_put(c->cur);
			c->cur = cache_listing_ref(l);
			c->cur_stale = false;
			if (c->failing)
				log_info("backend answers again; listing "
					 "refreshed");
			c->failing = false;
			c->stats.degraded = false;
			c->stats.last_refresh = l->time;
			c->stats.last_refresh_wall = time(NULL);
		}
	} else {
		c->stats.last_error = *ferr;
		if (cache_transient(rc) && current) {
			c->failing = true;
			c->retry_at = now + c->retry;
		}
		if (cache_transient(rc) && servable(c, c->cur, now)) {
			if (!c->stats.degraded)
				log_warn("cannot list computes: %s; serving "
					 "the listing of %.0f s ago",
					 ferr->message[0] ? ferr->message :
					 az_strerror(rc), now - c->cur->time);
			c->stats.degraded = true;
			f->answer = cache_listing_ref(c->cur);
			f->stale = true;
			f->rc = AZ_OK;
		} else {
			/* failing past the bound: still not healthy */
			c->stats.degraded = true;
			f->rc = rc;
			f->err = *ferr;
		}
	}
	f->done = true;
	if (c->flight == f)
		detach_flight(c);
	pthread_cond_broadcast(&c->landed);
}

/*
 * Called with c->lock held; returns with it held, having released it
 * around the backend call. Starts a flight and fetches.
 */
static struct cache_flight *fly(struct cache *c)
{
	struct cache_flight *f = calloc(1, sizeof(*f));
	struct cache_listing *l = NULL;
	struct az_compute *v = NULL;
	struct az_error ferr;
	size_t n = 0;
	enum az_err rc;
	double start;

	if (!f)
		return NULL;
	f->refs = 1;
	f->gen = c->gen;
	c->flight = f;
	pthread_mutex_unlock(&c->lock);

	/* Unlocked: the network. */
	memset(&ferr, 0, sizeof(ferr));
	start = cache_now(c);
	rc = c->be.list(c->be.ctx, &v, &n, &ferr);
	if (rc == AZ_OK) {
		l = cache_listing_build(v, n, start);
		if (!l)
			rc = az_fail(&ferr, AZ_ERR_NOMEM, 0,
				     "out of memory building the listing");
		az_compute_free_array(v, n);
	} else if (ferr.code == AZ_OK) {
		ferr.code = rc;
	}

	pthread_mutex_lock(&c->lock);
	land(c, f, l, rc, &ferr, cache_now(c));
	return f;
}

struct cache_listing *cache_peek(struct cache *c)
{
	struct cache_listing *l = NULL;

	pthread_mutex_lock(&c->lock);
	if (c->cur)
		l = cache_listing_ref(c->cur);
	pthread_mutex_unlock(&c->lock);
	return l;
}

enum az_err cache_list(struct cache *c, struct cache_listing **out,
		       struct az_error *err)
{
	struct cache_flight *f;
	enum az_err rc;
	double now;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	now = cache_now(c);
	if (c->cur && !c->cur_stale && now - c->cur->time < c->cfg.ttl) {
		c->stats.hits++;
		*out = cache_listing_ref(c->cur);
		pthread_mutex_unlock(&c->lock);
		return AZ_OK;
	}
	if (c->failing && now < c->retry_at && !c->flight) {
		/* Backing off: answer from memory. */
		c->stats.hits++;
		if (servable(c, c->cur, now)) {
			c->stats.stale_served++;
			*out = cache_listing_ref(c->cur);
			rc = AZ_OK;
		} else {
			c->stats.degraded = true; /* and past the bound */
			set_err(err, &c->stats.last_error);
			rc = c->stats.last_error.code;
		}
		pthread_mutex_unlock(&c->lock);
		return rc;
	}

	c->stats.misses++;
	f = c->flight;
	if (f) {
		f->refs++;
		while (!f->done)
			pthread_cond_wait(&c->landed, &c->lock);
	} else {
		f = fly(c);
		if (!f) {
			pthread_mutex_unlock(&c->lock);
			return az_fail(err, AZ_ERR_NOMEM, 0, "out of memory");
		}
	}
	rc = take_answer(c, f, out, err);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

enum az_err cache_get(struct cache *c, const char *name,
		      struct cache_listing **listing,
		      const struct az_compute **comp, struct az_error *err)
{
	struct cache_listing *l;
	enum az_err rc;
	long i;

	*listing = NULL;
	*comp = NULL;
	if (!name || !*name)
		return az_fail(err, AZ_ERR_INVALID, 0, "empty compute name");
	rc = cache_list(c, &l, err);
	if (rc != AZ_OK)
		return rc;
	i = cache_listing_find(l, name);
	if (i < 0) {
		cache_listing_put(l);
		return az_fail(err, AZ_ERR_NOT_FOUND, 0,
			       "no compute instance named %s", name);
	}
	*listing = l;
	*comp = cache_listing_at(l, (size_t)i);
	return AZ_OK;
}

void cache_drop(struct cache *c)
{
	struct cache_listing *old;

	pthread_mutex_lock(&c->lock);
	cache_bump_locked(c);
	old = c->cur;
	c->cur = NULL;
	c->cur_stale = false;
	c->failing = false;
	c->stats.degraded = false;
	pthread_mutex_unlock(&c->lock);
	cache_listing_put(old);
	log_info("cache dropped");
}

uint64_t cache_generation(struct cache *c)
{
	uint64_t gen;

	pthread_mutex_lock(&c->lock);
	gen = c->gen;
	pthread_mutex_unlock(&c->lock);
	return gen;
}

void cache_stats(struct cache *c, struct cache_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
