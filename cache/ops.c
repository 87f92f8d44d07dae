/**
 * @file
 * Writes: cache_operate(), the records of the last operation on each
 * instance, and re-reading one instance into the listing copy on write.
 *
 * DESIGN
 *
 * cache_operate() runs in a FUSE request handler. It asks the backend
 * (no lock held) and, only once Azure has accepted, records the
 * operation, re-reads the instance and queues the operation for the
 * tracker (tracker.c). A refusal changes nothing. cache_reread() runs
 * there and in the tracker thread when an operation ends; it bumps the
 * generation before its GET, so any fetch that began earlier (and may
 * carry the old state) is not installed, and after the GET installs the
 * instance only if the generation is still its own; if another drop or
 * mutation came in between it marks the listing stale instead, so the
 * next question fetches everything afresh. Notifications are queued
 * under c->lock and delivered by the tracker thread, never here.
 *
 * Records (c->recs, protected by c->lock) keep what fs/ shows in the
 * `operation` and `errors` files when Azure does not say it (no
 * lastOperation, or an older one; an operation's error that only the
 * status URL reported). They are applied to every instance the cache
 * installs, from a list or a GET, before anyone else can see it.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

#define POLL_FIRST 2.0      /* first wait when Azure gives no Retry-After */
#define UNSURE_REREADS 3    /* re-reads after a request left unanswered */
#define SENT_SLACK 5        /* seconds: Azure's clock may run behind ours */

const char *cache_verb_name(enum cache_verb v)
{
	switch (v) {
	case CACHE_START:
		return "Start";
	case CACHE_STOP:
		return "Stop";
	case CACHE_RESTART:
		return "Restart";
	case CACHE_RESIZE:
		return "Resize";
	case CACHE_CREATE:
		return "Create";
	case CACHE_DELETE:
		return "Delete";
	case CACHE_IDLE:
		return "IdleShutdown";
	}
	return "Unknown";
}

/* UTC "YYYY-MM-DDTHH:MM:SSZ" of @secs seconds ago (0: now). */
static void utc_ago(char *buf, size_t len, int secs)
{
	time_t t = time(NULL) - secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Replace *dst by a copy of @v; on failure *dst is left as it was. */
static void set_str(char **dst, const char *v)
{
	char *s = v ? strdup(v) : NULL;

	if (v && !s)
		return;
	free(*dst);
	*dst = s;
}

struct cache_oprec *cache_oprec_find_locked(struct cache *c,
					    const char *name)
{
	size_t i;

	for (i = 0; i < c->n_recs; i++)
		if (!strcasecmp(c->recs[i].name, name))
			return &c->recs[i];
	return NULL;
}

/* Called with c->lock held: the record of @name, made if need be. */
static struct cache_oprec *oprec_get_locked(struct cache *c,
					    const char *name)
{
	struct cache_oprec *r = cache_oprec_find_locked(c, name), *nr;

	if (r)
		return r;
	nr = realloc(c->recs, (c->n_recs + 1) * sizeof(*nr));
	if (!nr)
		return NULL;
	c->recs = nr;
	r = &c->recs[c->n_recs];
	memset(r, 0, sizeof(*r));
	r->name = strdup(name);
	if (!r->name)
		return NULL;
	c->n_recs++;
	return r;
}

/* Called with c->lock held: a fresh "InProgress" record for @name. */
static struct cache_oprec *oprec_begin_locked(struct cache *c,
					      const char *name,
					      enum cache_verb v)
{
	struct cache_oprec *r = oprec_get_locked(c, name);

	if (!r)
		return NULL;
	free(r->error);
	r->error = NULL;
	r->has_op = true;
	r->verb = v;
	r->running = true;
	r->seq = ++c->op_seq;
	snprintf(r->status, sizeof(r->status), "InProgress");
	utc_ago(r->time, sizeof(r->time), 0);
	return r;
}

void cache_oprec_end_locked(struct cache *c, const char *name,
			    unsigned long seq, enum az_err rc,
			    const struct az_error *err)
{
	struct cache_oprec *r = cache_oprec_find_locked(c, name);
	char line[700];

	if (!r || r->seq != seq)
		return; /* a later operation owns the record now */
	r->running = false;
	if (rc == AZ_OK) {
		snprintf(r->status, sizeof(r->status), "Succeeded");
		free(r->refusal); /* kept until an operation here succeeds */
		r->refusal = NULL;
		return;
	}
	if (rc == AZ_ERR_TIMEOUT) {
		/* tracked to the bound, no word either way (see the log) */
		snprintf(r->status, sizeof(r->status), "Unknown");
		return;
	}
	snprintf(r->status, sizeof(r->status), "%sFailed",
		 cache_verb_name(r->verb));
	snprintf(line, sizeof(line), "%s: %s\n",
		 err->arm_code[0] ? err->arm_code : az_strerror(rc),
		 err->message[0] ? err->message : az_strerror(rc));
	set_str(&r->error, line);
}

void cache_oprec_remove_locked(struct cache *c, const char *name,
			       unsigned long seq)
{
	struct cache_oprec *r = cache_oprec_find_locked(c, name);

	if (!r || r->seq != seq)
		return;
	free(r->name);
	free(r->error);
	free(r->refusal);
	*r = c->recs[--c->n_recs];
}

/*
 * Called with c->lock held: Azure (or computefs) refused @v on @name with
 * @err; keep its words for NAME/errors, with verb and time. The line it
 * replaces, if any, is handed back in *@old (the caller frees it).
 */
static void oprec_refuse_locked(struct cache *c, const char *name,
				enum cache_verb v, const struct az_error *err,
				char **old)
{
	struct cache_oprec *r = oprec_get_locked(c, name);
	char now[32], line[800], *s;

	*old = NULL;
	if (!r)
		return;
	utc_ago(now, sizeof(now), 0);
	snprintf(line, sizeof(line), "%s %s refused: %s%s%s\n", now,
		 cache_verb_name(v), err->arm_code[0] ? err->arm_code : "",
		 err->arm_code[0] ? ": " : "",
		 err->message[0] ? err->message : az_strerror(err->code));
	s = strdup(line);
	if (!s)
		return;
	*old = r->refusal;
	r->refusal = s;
}

/* Remove the first @line (a whole line) from @comp's errors. */
static void drop_error_line(struct az_compute *comp, const char *line)
{
	char *at = line && comp->errors ? strstr(comp->errors, line) : NULL;

	if (!at)
		return;
	memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
	if (!*comp->errors) {
		free(comp->errors);
		comp->errors = NULL;
	}
}

void cache_oprecs_free(struct cache *c)
{
	size_t i;

	for (i = 0; i < c->n_recs; i++) {
		free(c->recs[i].name);
		free(c->recs[i].error);
		free(c->recs[i].refusal);
	}
	free(c->recs);
	c->recs = NULL;
	c->n_recs = 0;
}

/* true when @line is NULL or among @comp's errors already. */
static bool has_line(const struct az_compute *comp, const char *line)
{
	return !line || (comp->errors && strstr(comp->errors, line));
}

/* Add @line to @comp's errors unless it is there already. */
static void append_error(struct az_compute *comp, const char *line)
{
	size_t a, b;
	char *s;

	if (has_line(comp, line))
		return;
	a = comp->errors ? strlen(comp->errors) : 0;
	b = strlen(line);
	s = malloc(a + b + 1);
	if (!s)
		return;
	memcpy(s, comp->errors ? comp->errors : "", a);
	memcpy(s + a, line, b + 1);
	free(comp->errors);
	comp->errors = s;
}

/* Azure's lastOperation wins when it is as recent as ours. */
static bool op_newer(const struct az_compute *comp,
		     const struct cache_oprec *r)
{
	return r->has_op &&
	       (!comp->op_time || strncmp(comp->op_time, r->time, 19) < 0);
}

/* true when overlay(@comp, @r) would change what @comp shows. */
static bool overlay_changes(const struct az_compute *comp,
			    const struct cache_oprec *r)
{
	return op_newer(comp, r) ||
	       (r->running && r->verb == CACHE_CREATE && !comp->state) ||
	       (r->running && r->verb == CACHE_DELETE) ||
	       !has_line(comp, r->error) || !has_line(comp, r->refusal);
}

/*
 * Show @r in @comp, which nobody else sees yet; it no longer shows what
 * Azure sent alone (raw_hash 0: not reused by the next listing).
 */
static void overlay(struct az_compute *comp, const struct cache_oprec *r)
{
	comp->raw_hash = 0;
	if (op_newer(comp, r)) {
		set_str(&comp->op_name, cache_verb_name(r->verb));
		set_str(&comp->op_status, r->status);
		set_str(&comp->op_time, r->time);
	}
	if (r->running && r->verb == CACHE_CREATE && !comp->state)
		set_str(&comp->state, "Creating");
	if (r->running && r->verb == CACHE_DELETE)
		set_str(&comp->state, "Deleting");
	append_error(comp, r->error);
	append_error(comp, r->refusal);
}

/* What a create shows before Azure lists it. */
static int synthesize(struct az_compute *comp, const char *name)
{
	memset(comp, 0, sizeof(*comp));
	comp->name = strdup(name);
	comp->compute_type = strdup("ComputeInstance");
	comp->provisioning_state = strdup("Creating");
	comp->state = strdup("Creating");
	if (!comp->name || !comp->compute_type || !comp->provisioning_state ||
	    !comp->state) {
		az_compute_free(comp);
		return -1;
	}
	return 0;
}

void cache_overlay_locked(struct cache *c, struct cache_listing **l)
{
	struct cache_listing *nl;
	struct cache_item *it;
	struct az_compute comp;
	size_t i;
	long at;

	for (i = 0; i < c->n_recs; i++) {
		const struct cache_oprec *r = &c->recs[i];

		at = cache_listing_find(*l, r->name);
		if (at >= 0) {
			it = (*l)->items[at];
			if (!overlay_changes(&it->comp, r))
				continue; /* reusable as Azure sent it */
			if (it->dated) {
				/* shared with the listing it came from */
				it = cache_item_copy(it);
				if (!it)
					continue;
				cache_item_put((*l)->items[at]);
				(*l)->items[at] = it;
			}
			overlay(&it->comp, r);
			continue;
		}
		if (!r->running || r->verb != CACHE_CREATE)
			continue;
		/* Accepted but not listed yet: show it Creating. */
		if (synthesize(&comp, r->name))
			continue;
		overlay(&comp, r);
		it = cache_item_new(&comp);
		nl = it ? cache_listing_with(*l, r->name, it) : NULL;
		cache_item_put(it);
		if (nl) {
			cache_listing_put(*l);
			*l = nl;
		}
	}
}

void cache_reread(struct cache *c, const char *name)
{
	struct cache_listing *nl, *old = NULL;
	struct cache_oprec *r;
	struct cache_item *it = NULL;
	struct az_compute comp;
	struct az_error err;
	struct timespec wall;
	enum az_err rc;
	const char *ename = name;
	bool had, present;
	unsigned what;
	uint64_t gen;
	long at;

	pthread_mutex_lock(&c->lock);
	cache_bump_locked(c);
	gen = c->gen;
	pthread_mutex_unlock(&c->lock);

	memset(&err, 0, sizeof(err));
	rc = cache_backend_get(c, name, &comp, &err);
	if (rc == AZ_OK && !az_compute_is_instance(&comp)) {
		az_compute_free(&comp);
		rc = AZ_ERR_NOT_FOUND;
	}

	pthread_mutex_lock(&c->lock);
	at = cache_listing_find(c->cur, name);
	had = at >= 0;
	if (had) /* stays alive in c->cur or old until we unlock */
		ename = c->cur->items[at]->comp.name;
	r = cache_oprec_find_locked(c, name);
	if (rc == AZ_ERR_NOT_FOUND && r && r->running &&
	    r->verb == CACHE_CREATE && !synthesize(&comp, name))
		rc = AZ_OK;
	if (rc != AZ_OK && rc != AZ_ERR_NOT_FOUND) {
		log_warn("cannot read %s after a change: %s", name,
			 err.message[0] ? err.message : az_strerror(rc));
		c->cur_stale = true;
		cache_event_locked(c, ename, CACHE_CHANGED);
		pthread_mutex_unlock(&c->lock);
		return;
	}
	present = rc == AZ_OK;
	if (present && r)
		overlay(&comp, r);
	if (present)
		it = cache_item_new(&comp);
	cache_wall(c, &wall);
	if (it) {
		ename = it->comp.name; /* as Azure spells it */
		/* its change time, from the item it replaces (st_mtime) */
		cache_item_carry(it, had ? c->cur->items[at] : NULL, &wall);
	}
	if (gen != c->gen || !c->cur || (present && !it)) {
		/* Another change came in between, or no listing: refetch. */
		c->cur_stale = true;
	} else {
		nl = cache_listing_with(c->cur, name, it);
		if (nl && had != present)
			nl->set_changed = wall; /* an instance came or went */
		if (nl) {
			old = c->cur;
			c->cur = nl;
		} else {
			c->cur_stale = true;
		}
	}
	what = had || present ? CACHE_CHANGED : 0;
	if (!had && present)
		what |= CACHE_ADDED;
	if (had && !present)
		what |= CACHE_REMOVED;
	if (what)
		cache_event_locked(c, ename, what);
	pthread_mutex_unlock(&c->lock);
	cache_item_put(it);
	cache_listing_put(old);
	az_compute_free(&comp);
}

static double first_delay(double retry_after)
{
	if (retry_after <= 0)
		return POLL_FIRST;
	return cache_poll_delay(retry_after, 0);
}

/*
 * PUT overwrites: before a create, make sure no compute (of any type,
 * listed or not) has the name. Called with no lock held.
 */
static enum az_err name_free(struct cache *c, const char *name,
			     struct az_error *err)
{
	struct az_compute comp;
	enum az_err rc;

	rc = cache_backend_get(c, name, &comp, err);
	az_compute_free(&comp);
	if (rc == AZ_ERR_NOT_FOUND) {
		memset(err, 0, sizeof(*err));
		return AZ_OK;
	}
	if (rc == AZ_OK)
		return az_fail(err, AZ_ERR_CONFLICT, 0,
			       "a compute named %s already exists", name);
	return rc;
}

void cache_refuse(struct cache *c, const char *name, enum cache_verb v,
		  const struct az_error *err)
{
	struct cache_listing *nl = NULL, *l_old = NULL;
	struct cache_item *it = NULL;
	struct cache_oprec *r;
	struct az_compute comp;
	struct timespec now;
	char *old;
	long at;

	pthread_mutex_lock(&c->lock);
	oprec_refuse_locked(c, name, v, err, &old);
	r = cache_oprec_find_locked(c, name);
	at = cache_listing_find(c->cur, name);
	/* show it now, copy on write, without asking Azure anything */
	if (r && at >= 0 &&
	    az_compute_copy(&comp, &c->cur->items[at]->comp) == 0) {
		drop_error_line(&comp, old);
		overlay(&comp, r);
		it = cache_item_new(&comp);
		az_compute_free(&comp);
	}
	if (it) {
		cache_wall(c, &now);
		cache_item_carry(it, c->cur->items[at], &now);
		nl = cache_listing_with(c->cur, name, it);
	}
	if (nl) {
		l_old = c->cur;
		c->cur = nl;
		cache_event_locked(c, it->comp.name, CACHE_CHANGED);
		cache_tracker_start_locked(c); /* it delivers the event */
	}
	pthread_mutex_unlock(&c->lock);
	cache_item_put(it);
	cache_listing_put(l_old);
	free(old);
}

/* A copy of @name's state in the listing at hand, or NULL. */
static char *state_of(struct cache *c, const char *name)
{
	const struct az_compute *comp;
	char *s = NULL;
	long at;

	pthread_mutex_lock(&c->lock);
	at = cache_listing_find(c->cur, name);
	comp = at >= 0 ? cache_listing_at(c->cur, (size_t)at) : NULL;
	if (comp && comp->state)
		s = strdup(comp->state);
	pthread_mutex_unlock(&c->lock);
	return s;
}


/*
 * After a request left and its reply was lost: one GET, within the
 * call, to see whether Azure carried out @op. Yes only on evidence of
 * this request: a create's name now exists (it was free just before), a
 * delete's instance is gone or Deleting, or the instance is in the
 * verb's transition (Starting, Stopping, Restarting, Resizing) and was
 * not before. A state merely different from @op->before is no evidence:
 * that state may be older than the request (a listing up to the TTL
 * old) and someone else may have moved it (found by a tester); nor is a
 * lastOperation of this verb, which may be an earlier one within
 * Azure's clock slack. Without evidence the write fails and the
 * instance is re-read in the background. Called with no lock held.
 */
static bool took_effect(struct cache *c, const char *name,
			const struct cache_op *op)
{
	static const char *const moving[] = {
		[CACHE_START] = "Starting", [CACHE_STOP] = "Stopping",
		[CACHE_RESTART] = "Restarting", [CACHE_RESIZE] = "Resizing",
		[CACHE_CREATE] = "Creating", [CACHE_DELETE] = "Deleting",
		[CACHE_IDLE] = NULL, /* a setting: nothing moves */
	};
	enum cache_verb v = op->verb;
	const char *before = op->before;
	struct az_compute comp;
	struct az_error err;
	enum az_err rc;
	bool yes = false;

	rc = cache_backend_get(c, name, &comp, &err);
	if (rc == AZ_ERR_NOT_FOUND)
		return v == CACHE_DELETE;
	if (rc != AZ_OK)
		return false;
	if (v == CACHE_CREATE)
		yes = true;
	else if (comp.state && moving[v] &&
		 strcasecmp(comp.state, moving[v]) == 0 &&
		 (!before || strcasecmp(before, moving[v]) != 0))
		yes = true; /* moved there since: not someone else's earlier */
	az_compute_free(&comp);
	return yes;
}

/*
 * Hand @op (verb @v, first poll after @delay seconds) to the tracker.
 * Called with no lock held; takes @op.
 */
static void queue_op(struct cache *c, struct cache_op *op, enum cache_verb v,
		     double delay)
{
	double now = cache_now(c);

	op->verb = v;
	op->delay = delay;
	op->due = now + delay;
	op->deadline = now + CACHE_GIVE_UP;
	pthread_mutex_lock(&c->lock);
	op->next = c->ops;
	c->ops = op;
	pthread_cond_broadcast(&c->work);
	pthread_mutex_unlock(&c->lock);
}

enum az_err cache_operate(struct cache *c, const char *name, enum cache_verb v,
			  const struct cache_op_args *args,
			  struct az_error *err)
{
	struct az_error oerr;
	struct cache_op *op;
	void *handle = NULL;
	double retry_after = 0;
	enum az_err rc;
	unsigned long seq = 0;
	char *st;

	if (!name || !*name)
		return az_fail(err, AZ_ERR_INVALID, 0, "empty compute name");
	if (!c->be.operate)
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "this backend cannot change computes");
	if ((v == CACHE_RESIZE || v == CACHE_CREATE) &&
	    (!args || !args->vm_size || !*args->vm_size))
		return az_fail(err, AZ_ERR_INVALID, 0, "no vm size given");
	if (v == CACHE_IDLE && (!args || args->idle_minutes <= 0))
		return az_fail(err, AZ_ERR_INVALID, 0, "no idle time given");
	op = calloc(1, sizeof(*op));
	if (op)
		op->name = strdup(name);
	pthread_mutex_lock(&c->lock);
	rc = op && op->name && !cache_tracker_start_locked(c) ? AZ_OK :
		AZ_ERR_NOMEM;
	pthread_mutex_unlock(&c->lock);
	if (rc != AZ_OK) {
		if (op)
			free(op->name);
		free(op);
		return az_fail(err, rc, 0, "cannot track operations");
	}

	/* what watching the instance compares against (tracker.c) */
	op->verb = v;
	op->before = state_of(c, name);
	if (v == CACHE_RESIZE)
		op->size = strdup(args->vm_size);
	utc_ago(op->sent, sizeof(op->sent), SENT_SLACK);

	/* Unlocked: the network. */
	memset(&oerr, 0, sizeof(oerr));
	rc = v == CACHE_CREATE ? name_free(c, name, &oerr) : AZ_OK;
	if (rc == AZ_OK)
			rc = c->be.operate(c->be.ctx, name, v, args, &handle,
				   &retry_after, &oerr);
	if (rc != AZ_OK) {
		if (oerr.code == AZ_OK)
			oerr.code = rc;
		/* the client logged Azure's answer, with its code */
		if (err)
			*err = oerr;
		if (oerr.http_status >= 400 && rc != AZ_ERR_CANCELED) {
			/* Azure said no: say why in NAME/errors */
			char *old;

			pthread_mutex_lock(&c->lock);
			oprec_refuse_locked(c, name, v, &oerr, &old);
			pthread_mutex_unlock(&c->lock);
			free(old);
			cache_reread(c, name);
		}
		if (oerr.maybe_done && rc != AZ_ERR_CANCELED &&
		    took_effect(c, name, op)) {
			/* it did: accepted, its reply lost on the way */
			log_info("%s %s: accepted (seen on the instance; the "
				 "reply was lost)", cache_verb_name(v), name);
			rc = AZ_OK;
			if (err)
				memset(err, 0, sizeof(*err));
		} else if (oerr.maybe_done) {
			/*
			 * The request left without an answer: Azure may carry
			 * it out or not, and nothing says which. No record is
			 * made (nothing reports it as accepted); the tracker
			 * re-reads the instance a few times, so its files
			 * show what Azure did.
			 */
			op->rereads = UNSURE_REREADS;
			queue_op(c, op, v, POLL_FIRST);
			return rc;
		}
	}
	if (rc != AZ_OK || v == CACHE_IDLE) {
		/* refused; or a setting, done once Azure answered */
		if (rc == AZ_OK)
			cache_reread(c, name);
		free(op->name);
		free(op->before);
		free(op->size);
		free(op);
		return rc;
	}

	pthread_mutex_lock(&c->lock);
	c->stats.ops_started++;
	if (oprec_begin_locked(c, name, v))
		seq = c->op_seq;
	pthread_mutex_unlock(&c->lock);

	cache_reread(c, name);
	/* Azure moved it at once (Stopping...): that counts as seen */
	st = state_of(c, name);
	op->moved = st && op->before && strcasecmp(st, op->before);
	free(st);

	op->seq = seq;
	op->handle = handle;
	queue_op(c, op, v, first_delay(retry_after));
	return AZ_OK;
}
