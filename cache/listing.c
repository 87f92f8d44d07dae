/**
 * @file
 * Items and listings: the refcounted immutable snapshots the cache hands
 * out (see internal.h). No locks here: a listing is never written after
 * it is built, and the counts are atomic. The last cache_listing_put()
 * frees the listing and drops its item references; an item shared with a
 * newer listing lives on until that one goes too.
 *
 * Change times (what st_mtime shows) are carried here from the item a
 * new one replaces: the caller (land(), cache_reread()) holds c->lock,
 * where the old listing is at hand, and the new item or listing is not
 * yet seen by anyone, so writing its time is still part of building it.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/log.h"

static const char *item_name(const struct cache_item *it)
{
	return it->comp.name ? it->comp.name : "";
}

struct cache_item *cache_item_new(struct az_compute *comp)
{
	struct cache_item *it = calloc(1, sizeof(*it));

	if (!it)
		return NULL;
	atomic_init(&it->refs, 1);
	it->comp = *comp;
	memset(comp, 0, sizeof(*comp));
	return it;
}

struct cache_item *cache_item_of(const struct az_compute *comp)
{
	return (struct cache_item *)((char *)comp -
				     offsetof(struct cache_item, comp));
}

static struct cache_item *item_ref(struct cache_item *it)
{
	atomic_fetch_add_explicit(&it->refs, 1, memory_order_relaxed);
	return it;
}

void cache_item_put(struct cache_item *it)
{
	if (!it)
		return;
	if (atomic_fetch_sub_explicit(&it->refs, 1, memory_order_acq_rel) != 1)
		return;
	az_compute_free(&it->comp);
	free(it);
}

static struct cache_listing *listing_alloc(size_t cap, double time)
{
	struct cache_listing *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	if (cap) {
		l->items = calloc(cap, sizeof(*l->items));
		if (!l->items) {
			free(l);
			return NULL;
		}
	}
	atomic_init(&l->refs, 1);
	l->time = time;
	return l;
}

struct cache_listing *cache_listing_ref(struct cache_listing *l)
{
	atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
	return l;
}

void cache_listing_put(struct cache_listing *l)
{
	size_t i;

	if (!l)
		return;
	if (atomic_fetch_sub_explicit(&l->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (i = 0; i < l->n; i++)
		cache_item_put(l->items[i]);
	free(l->items);
	free(l);
}

static int item_cmp(const void *a, const void *b)
{
	const struct cache_item *x = *(const struct cache_item *const *)a;
	const struct cache_item *y = *(const struct cache_item *const *)b;

	return strcasecmp(item_name(x), item_name(y));
}

struct cache_listing *cache_listing_build(struct az_compute *v, size_t n,
					  double time)
{
	struct cache_listing *l = listing_alloc(n, time);
	size_t i, out;

	if (!l)
		return NULL;
	for (i = 0; i < n; i++) {
		if (v[i].same_as) { /* unchanged since @prev: shared */
			l->items[l->n++] = item_ref(cache_item_of(v[i].same_as));
			continue;
		}
		if (!az_compute_is_instance(&v[i]) || !v[i].name)
			continue;
		l->items[l->n] = cache_item_new(&v[i]);
		if (!l->items[l->n]) {
			cache_listing_put(l);
			return NULL;
		}
		l->n++;
	}
	qsort(l->items, l->n, sizeof(*l->items), item_cmp);

	/* ARM names are unique, case-insensitively; keep the first. */
	for (i = 1, out = l->n ? 1 : 0; i < l->n; i++) {
		if (!item_cmp(&l->items[out - 1], &l->items[i])) {
			log_warn("duplicate compute name in listing: %s",
				 item_name(l->items[i]));
			cache_item_put(l->items[i]);
			continue;
		}
		l->items[out++] = l->items[i];
	}
	l->n = out;
	return l;
}

/* Where @name is in @l, or where it would go (~index, negative). */
static long listing_search(const struct cache_listing *l, const char *name)
{
	size_t lo = 0, hi = l ? l->n : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcasecmp(name, item_name(l->items[mid]));

		if (!cmp)
			return (long)mid;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return ~(long)lo;
}

struct cache_listing *cache_listing_with(const struct cache_listing *l,
					 const char *name,
					 struct cache_item *it)
{
	size_t n = l ? l->n : 0;
	long at = listing_search(l, name);
	size_t pos = at >= 0 ? (size_t)at : (size_t)~at;
	struct cache_listing *nl = listing_alloc(n + 1, l ? l->time : 0);
	size_t i;

	if (!nl)
		return NULL;
	if (l)
		nl->set_changed = l->set_changed;
	for (i = 0; i < pos; i++)
		nl->items[nl->n++] = item_ref(l->items[i]);
	if (it)
		nl->items[nl->n++] = item_ref(it);
	for (i = at >= 0 ? pos + 1 : pos; i < n; i++)
		nl->items[nl->n++] = item_ref(l->items[i]);
	return nl;
}

size_t cache_listing_count(const struct cache_listing *l)
{
	return l ? l->n : 0;
}

const struct az_compute *cache_listing_at(const struct cache_listing *l,
					  size_t i)
{
	if (!l || i >= l->n)
		return NULL;
	return &l->items[i]->comp;
}

long cache_listing_find(const struct cache_listing *l, const char *name)
{
	long at;

	if (!l || !name)
		return -1;
	at = listing_search(l, name);
	return at >= 0 ? at : -1;
}

double cache_listing_time(const struct cache_listing *l)
{
	return l ? l->time : 0;
}

/* ---- change times ---- */

void cache_wall(const struct cache *c, struct timespec *out)
{
	if (c->be.wall)
		c->be.wall(c->be.ctx, out);
	else
		clock_gettime(CLOCK_REALTIME, out);
}

static bool same_str(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Every field, since every one shows in some file: the value files,
 * ssh, operation, errors (with the records applied), apps/ and info.json
 * (Azure's JSON as received: its only times, createdOn, modifiedOn and
 * systemData, move when the resource does, so it is stable across
 * refreshes that change nothing).
 */
bool cache_compute_same(const struct az_compute *a,
			const struct az_compute *b)
{
	const size_t strs[] = {
		offsetof(struct az_compute, name),
		offsetof(struct az_compute, id),
		offsetof(struct az_compute, location),
		offsetof(struct az_compute, compute_type),
		offsetof(struct az_compute, provisioning_state),
		offsetof(struct az_compute, created_on),
		offsetof(struct az_compute, state),
		offsetof(struct az_compute, vm_size),
		offsetof(struct az_compute, public_ip),
		offsetof(struct az_compute, private_ip),
		offsetof(struct az_compute, created_by),
		offsetof(struct az_compute, created_by_oid),
		offsetof(struct az_compute, assigned_oid),
		offsetof(struct az_compute, assigned_tid),
		offsetof(struct az_compute, ssh_user),
		offsetof(struct az_compute, op_name),
		offsetof(struct az_compute, op_status),
		offsetof(struct az_compute, op_time),
		offsetof(struct az_compute, errors),
		offsetof(struct az_compute, schedules),
	};
	size_t i;

	if (a->raw_hash && a->raw_hash == b->raw_hash)
		return true; /* the same bytes from Azure, nothing applied */
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		const char *x = *(char *const *)((const char *)a + strs[i]);
		const char *y = *(char *const *)((const char *)b + strs[i]);

		if (!same_str(x, y))
			return false;
	}
	if (a->ssh_enabled != b->ssh_enabled || a->ssh_port != b->ssh_port ||
	    a->idle_minutes != b->idle_minutes || a->n_apps != b->n_apps)
		return false;
	/* info.json: deflating is deterministic, so equal bytes */
	if (a->zjson_len != b->zjson_len || a->json_len != b->json_len ||
	    (a->zjson_len && memcmp(a->zjson, b->zjson, a->zjson_len)))
		return false;
	for (i = 0; i < a->n_apps; i++)
		if (!same_str(a->apps[i].name, b->apps[i].name) ||
		    !same_str(a->apps[i].url, b->apps[i].url))
			return false;
	return true;
}

/* @n decimal digits at *s into *v; advances *s. */
static bool digits(const char **s, int n, int *v)
{
	*v = 0;
	for (; n > 0; n--, (*s)++) {
		if (**s < '0' || **s > '9')
			return false;
		*v = *v * 10 + (**s - '0');
	}
	return true;
}

/*
 * Azure's times: "2024-05-01T10:00:00.1234567Z", "...+00:00", "...-0700",
 * or with no zone (UTC). false for anything else.
 */
static bool parse_iso(const char *s, struct timespec *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	long ns = 0, scale = 100000000;
	time_t t;

	if (!s || !digits(&s, 4, &y) || *s++ != '-' || !digits(&s, 2, &mo) ||
	    *s++ != '-' || !digits(&s, 2, &d) ||
	    (*s != 'T' && *s != 't' && *s != ' ') || !*s++ ||
	    !digits(&s, 2, &h) || *s++ != ':' || !digits(&s, 2, &mi) ||
	    *s++ != ':' || !digits(&s, 2, &sec))
		return false;
	if (*s == '.' || *s == ',') {
		if (s[1] < '0' || s[1] > '9')
			return false;
		for (s++; *s >= '0' && *s <= '9'; s++) {
			ns += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (!digits(&s, 2, &oh))
			return false;
		if (*s == ':')
			s++;
		if (*s && !digits(&s, 2, &om))
			return false;
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	out->tv_sec = t - sign * (oh * 3600 + om * 60);
	out->tv_nsec = ns;
	return true;
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void cache_item_carry(struct cache_item *it, const struct cache_item *old,
		      const struct timespec *now)
{
	struct timespec t;

	it->dated = true;
	if (old) {
		it->changed = cache_compute_same(&it->comp, &old->comp) ?
				      old->changed : *now;
		return;
	}
	/* first sight: the last time Azure says it changed */
	if (!parse_iso(it->comp.op_time, &t) &&
	    !parse_iso(it->comp.created_on, &t))
		t = *now;
	it->changed = ts_before(now, &t) ? *now : t; /* not in the future */
}

struct cache_item *cache_item_copy(const struct cache_item *it)
{
	struct az_compute comp;
	struct cache_item *copy;

	if (az_compute_copy(&comp, &it->comp))
		return NULL;
	copy = cache_item_new(&comp);
	az_compute_free(&comp);
	return copy;
}

void cache_listing_carry(struct cache_listing *l,
			 const struct cache_listing *old,
			 const struct timespec *now)
{
	bool same_set = old && old->n == l->n;
	size_t i;
	long at;

	for (i = 0; i < l->n; i++) {
		struct cache_item *it = l->items[i], *copy;

		at = listing_search(old, item_name(it));
		if (at < 0 || strcmp(item_name(it), item_name(old->items[at])))
			same_set = false; /* new, or its name's case changed */
		if (at >= 0 && old->items[at] == it)
			continue; /* shared: its time is already set */
		if (it->dated) {
			/* reused from before @old: others may read its time */
			copy = cache_item_copy(it);
			if (!copy)
				continue; /* keeps its time: better than none */
			cache_item_put(it);
			l->items[i] = it = copy;
		}
		cache_item_carry(it, at >= 0 ? old->items[at] : NULL, now);
	}
	l->set_changed = same_set ? old->set_changed : *now;
}

struct timespec cache_compute_changed(const struct az_compute *comp)
{
	return cache_item_of(comp)->changed;
}

struct timespec cache_listing_set_changed(const struct cache_listing *l)
{
	struct timespec zero = { 0, 0 };

	return l ? l->set_changed : zero;
}
