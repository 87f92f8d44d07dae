/**
 * @file
 * The cache's read side: one listing of the workspace's instances, kept
 * fresh for cache_ttl by a refresher thread, served at once (see cache.h).
 *
 * DESIGN
 *
 * Threads. Callers (FUSE request handlers) never fetch: they answer from
 * c->cur and, when it is older than the TTL, ask the refresher thread
 * for a new one (stale while revalidate). Only a caller with nothing it
 * may serve (no listing yet, after a drop, or one past ttl + stale_max)
 * waits for the refresher, and only as long as its call allows
 * (util/call.h: its deadline, an interrupt). One mutex, c->lock, guards
 * every mutable field of struct cache (each says so); it is held only to
 * look at or swap those fields, never across a backend call, which may
 * take the network for seconds.
 *
 * Snapshots. c->cur is a refcounted immutable listing. A caller leaves
 * with its own reference and reads the listing without any lock, for as
 * long as it likes; replacing c->cur (a new fetch, a drop) only drops the
 * cache's reference.
 *
 * Single flight. A refresh is a struct cache_flight in c->flight, made
 * by the first caller that wants one (kick_locked) and fetched by the
 * refresher thread, the only thread that lists. Callers that wait join
 * the flight and sleep on c->landed until the refresher has stored the
 * answer in it: every caller of one flight gets the same answer. A
 * waiter that gives up (deadline, interrupt) leaves the flight; the
 * fetch goes on for the others and for the cache.
 *
 * Freshness. A listing's time is when it arrived (after its last page),
 * so a listing slower than the TTL is still fresh on arrival.
 *
 * Generation. c->gen is bumped by cache_drop() and by every mutation,
 * which also detach a flight already fetching. The refresher records
 * c->gen when its fetch starts; if the number moved meanwhile, its
 * listing answers the callers already waiting for it but is not
 * installed: it may predate the drop or the mutation, and the next
 * question asks afresh.
 *
 * Failure. A transient backend error (unreachable, timeout, throttled,
 * server, malformed reply) keeps the old listing, served while younger
 * than ttl + stale_max (stats.degraded); past that, callers get the last
 * error at once. While failing, a refresh starts at most once per
 * c->retry seconds, so the backend's recovery is seen within about that.
 * Other errors are returned to waiters and not remembered.
 *
 * Writes (ops.c, tracker.c) share c->lock and these rules: a mutation
 * Azure accepted bumps c->gen before re-reading its instance, and the
 * re-read replaces c->cur by a copy-on-write listing; the records of
 * operations are applied (cache_overlay_locked) to every listing before
 * it is seen. The tracker thread polls operations.
 *
 * Shutdown. cache_shutdown() cancels the refresher's and the tracker's
 * calls (their transfers end at once) and refuses new work; cache_free()
 * then joins both threads.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util/call.h"
#include "util/log.h"

#define DEFAULT_STALE_MAX 300.0
#define RETRY_WHILE_FAILING 2.0 /* seconds between refreshes that fail */

double cache_now(const struct cache *c)
{
	if (c->be.now)
		return c->be.now(c->be.ctx);
	return call_now();
}

struct cache *cache_new(const struct cache_backend *be,
			const struct cache_config *cfg)
{
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
	c->retry = RETRY_WHILE_FAILING;
	pthread_mutex_init(&c->lock, NULL);
	call_cond_init(&c->landed);
	call_cond_init(&c->work);
	call_cond_init(&c->kick);
	c->events_tail = &c->events;
	return c;
}

void cache_shutdown(struct cache *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (!c->stopping)
		log_debug("cache: stopping");
	c->stopping = true;
	/* lock order: c->lock, then a call's own lock (call_cancel) */
	if (c->refresh_call)
		call_cancel(c->refresh_call);
	if (c->poll_call)
		call_cancel(c->poll_call);
	pthread_cond_broadcast(&c->kick);
	pthread_cond_broadcast(&c->work);
	pthread_cond_broadcast(&c->landed);
	pthread_mutex_unlock(&c->lock);
}

static void refresher_stop(struct cache *c);

void cache_free(struct cache *c)
{
	if (!c)
		return;
	cache_shutdown(c);
	refresher_stop(c);
	cache_tracker_stop(c);
	/* No caller may be inside the cache now, so no flight is either. */
	cache_listing_put(c->cur);
	pthread_cond_destroy(&c->kick);
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
	case AZ_ERR_CANCELED:
		return false;
	}
	return false;
}

enum az_err cache_backend_get(struct cache *c, const char *name,
			      struct az_compute *out, struct az_error *err)
{
	pthread_mutex_lock(&c->lock);
	c->stats.get_fetches++;
	pthread_mutex_unlock(&c->lock);
	memset(out, 0, sizeof(*out));
	return c->be.get(c->be.ctx, name, out, err);
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

void cache_bump_locked(struct cache *c)
{
	c->gen++;
	/* a flight not yet started will fetch after this bump: keep it */
	if (c->flight && c->flight->started)
		c->flight = NULL;
}

/* Called with c->lock held: drop one reference to @f. */
static void flight_put_locked(struct cache_flight *f)
{
	if (--f->refs == 0) {
		cache_listing_put(f->answer);
		free(f);
	}
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
	flight_put_locked(f);
	return rc;
}

/*
 * Called with c->lock held, by the refresher: store what the fetch of
 * @f brought (@l, a reference handed over, or @rc and @ferr) as the
 * flight's answer and, when no drop or mutation intervened, as the
 * cache's state.
 */
static void land(struct cache *c, struct cache_flight *f,
		 struct cache_listing *l, enum az_err rc,
		 const struct az_error *ferr, double now)
{
	bool current = c->gen == f->gen;
	struct timespec wall;

	c->stats.refreshing = false;
	if (rc == AZ_OK) {
		cache_overlay_locked(c, &l);
		/* change times from the listing it replaces (st_mtime) */
		cache_wall(c, &wall);
		cache_listing_carry(l, c->cur, &wall);
		f->answer = l;
		f->rc = AZ_OK;
		c->stats.list_fetches++;
		if (!current) {
			log_debug("cache: listing fetched across a drop or "
				  "mutation, not installed");
			c->cur_stale = true; /* ask again */
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
		if (rc != AZ_ERR_CANCELED) {
			/* Azure failed, whatever the generation says */
			c->stats.last_error = *ferr;
			c->stats.refresh_failures++;
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
			if (rc != AZ_ERR_CANCELED)
				c->stats.degraded = true;
			f->rc = rc;
			f->err = *ferr;
		}
	}
	f->done = true;
	if (c->flight == f)
		c->flight = NULL;
	pthread_cond_broadcast(&c->landed);
}

/* One list traversal for @f (called with no lock held). */
static void fetch(struct cache *c, struct cache_flight *f)
{
	struct cache_listing *l = NULL, *prev;
	struct az_compute *v = NULL;
	struct az_error ferr;
	size_t n = 0;
	enum az_err rc;
	struct call k;

	memset(&ferr, 0, sizeof(ferr));
	call_enter(&k, 0); /* the client's own deadline bounds it */
	pthread_mutex_lock(&c->lock);
	c->refresh_call = &k;
	if (c->stopping)
		call_cancel(&k);
	pthread_mutex_unlock(&c->lock);

	/* the listing held now, so unchanged computes cost less */
	pthread_mutex_lock(&c->lock);
	prev = c->cur ? cache_listing_ref(c->cur) : NULL;
	pthread_mutex_unlock(&c->lock);
	if (c->be.list_prev)
		rc = c->be.list_prev(c->be.ctx, prev, &v, &n, &ferr);
	else
		rc = c->be.list(c->be.ctx, &v, &n, &ferr);
	if (rc == AZ_OK) {
		/* fresh from its arrival: a slow listing is not born old */
		l = cache_listing_build(v, n, cache_now(c));
		if (!l)
			rc = az_fail(&ferr, AZ_ERR_NOMEM, 0,
				     "out of memory building the listing");
		az_compute_free_array(v, n);
	} else if (ferr.code == AZ_OK) {
		ferr.code = rc;
	}
	cache_listing_put(prev); /* after the build: v's stubs point in it */

	pthread_mutex_lock(&c->lock);
	c->refresh_call = NULL; /* nobody cancels k past this point */
	land(c, f, l, rc, &ferr, cache_now(c));
	flight_put_locked(f); /* the refresher's reference */
	pthread_mutex_unlock(&c->lock);
	call_leave(&k);
	/*
	 * The pages' JSON (megabytes for a large workspace) is freed by
	 * now: give those pages back to the system, so the daemon's size
	 * follows what it shows, not what Azure sent.
	 */
	malloc_trim(0);
}

static void *refresher_main(void *arg)
{
	struct cache *c = arg;
	struct cache_flight *f;

	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		f = c->flight;
		if (!f || f->started) {
			pthread_cond_wait(&c->kick, &c->lock);
			continue;
		}
		f->started = true;
		f->gen = c->gen;
		c->stats.refreshing = true;
		c->stats.refresh_since = cache_now(c);
		pthread_mutex_unlock(&c->lock);
		fetch(c, f);
		pthread_mutex_lock(&c->lock);
	}
	/* a flight nobody will fetch: its waiters hear it now */
	f = c->flight;
	if (f && !f->started) {
		f->rc = az_fail(&f->err, AZ_ERR_CANCELED, 0,
				"the mount is stopping");
		f->done = true;
		c->flight = NULL;
		flight_put_locked(f);
		pthread_cond_broadcast(&c->landed);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

static void refresher_stop(struct cache *c)
{
	bool on;

	pthread_mutex_lock(&c->lock);
	on = c->refresher_on;
	pthread_mutex_unlock(&c->lock);
	if (on)
		pthread_join(c->refresher, NULL);
}

/*
 * Called with c->lock held: the flight under way, else a new one handed
 * to the refresher; NULL when none may start now (stopping, backing off
 * while failing, out of memory).
 */
static struct cache_flight *kick_locked(struct cache *c, double now)
{
	struct cache_flight *f;
	int e;

	if (c->flight)
		return c->flight;
	if (c->stopping || (c->failing && now < c->retry_at))
		return NULL;
	if (!c->refresher_on) {
		e = pthread_create(&c->refresher, NULL, refresher_main, c);
		if (e) {
			log_error("cannot start the refresher: %s",
				  strerror(e));
			return NULL;
		}
		c->refresher_on = true;
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->refs = 1; /* the refresher's */
	c->flight = f;
	pthread_cond_signal(&c->kick);
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

struct cache_listing *cache_peek_revalidate(struct cache *c)
{
	struct cache_listing *l = NULL;
	double now;

	pthread_mutex_lock(&c->lock);
	now = cache_now(c);
	if (!c->cur)
		kick_locked(c, now); /* dropped (SIGHUP): one is on its way */
	else {
		l = cache_listing_ref(c->cur);
		if (c->cur_stale || now - c->cur->time >= c->cfg.ttl)
			kick_locked(c, now);
	}
	pthread_mutex_unlock(&c->lock);
	return l;
}

/* Called with c->lock held: wait for @f (joined) within the call. */
static enum az_err wait_flight_locked(struct cache *c, struct cache_flight *f,
				      struct cache_listing **out,
				      struct az_error *err)
{
	int w = 0;

	f->refs++;
	while (!f->done && !w)
		w = call_cond_wait(&c->landed, &c->lock, 0);
	if (f->done)
		return take_answer(c, f, out, err);
	flight_put_locked(f);
	if (w == ECANCELED)
		return az_fail(err, AZ_ERR_CANCELED, 0,
			       "interrupted while listing computes");
	return az_fail(err, AZ_ERR_TIMEOUT, 0,
		       "no compute listing from Azure in time");
}

enum az_err cache_list(struct cache *c, struct cache_listing **out,
		       struct az_error *err)
{
	struct cache_flight *f;
	enum az_err rc;
	double now;
	bool hard;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	now = cache_now(c);
	if (c->cur && !c->cur_stale && now - c->cur->time < c->cfg.ttl) {
		c->stats.hits++;
		*out = cache_listing_ref(c->cur);
		pthread_mutex_unlock(&c->lock);
		return AZ_OK;
	}
	/* an error retrying will not cure (a credential refused) is said */
	hard = c->failing && !cache_transient(c->stats.last_error.code);
	if (!hard && servable(c, c->cur, now)) {
		/* stale while revalidate: the old listing now, a new soon */
		c->stats.hits++;
		c->stats.stale_served++;
		kick_locked(c, now);
		*out = cache_listing_ref(c->cur);
		pthread_mutex_unlock(&c->lock);
		return AZ_OK;
	}
	f = kick_locked(c, now);
	if (c->failing || !f) {
		/* Azure is failing and nothing may be served: say so now */
		c->stats.hits++;
		rc = c->stats.last_error.code != AZ_OK ?
			     c->stats.last_error.code : AZ_ERR_UNREACHABLE;
		if (c->stopping)
			rc = az_fail(err, AZ_ERR_CANCELED, 0,
				     "the mount is stopping");
		else
			set_err(err, &c->stats.last_error);
		pthread_mutex_unlock(&c->lock);
		return rc;
	}
	c->stats.misses++;
	rc = wait_flight_locked(c, f, out, err);
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
