/**
 * @file
 * Items and listings: the refcounted immutable snapshots the cache hands
 * out (see internal.h). No locks here: a listing is never written after
 * it is built, and the counts are atomic. The last cache_listing_put()
 * frees the listing and drops its item references; an item shared with a
 * newer listing lives on until that one goes too.
 */
#include "cache/cache.h"
#include "cache/internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
