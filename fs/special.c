/**
 * @file
 * computefs's own files at the top of the mount: .workspace and .status.
 * They are answered from memory (the client's and the cache's counters),
 * never by a request to Azure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fs/fs.h"

static void iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t <= 0 || !gmtime_r(&t, &tm)) {
		snprintf(buf, len, "never");
		return;
	}
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void render_workspace(struct cfs *fs, struct buf *out)
{
	buf_printf(out, "id: %s\n", fs->ws_id);
	buf_printf(out, "region: %s\n",
		   fs->info.location[0] ? fs->info.location : "unknown");
	buf_printf(out, "endpoint: %s\n", az_client_endpoint(fs->client));
	buf_printf(out, "identity: %s\n",
		   fs->info.identity[0] ? fs->info.identity : "unknown");
	buf_printf(out, "auth: %s\n", az_client_auth_name(fs->client));
}

static void render_status(struct cfs *fs, struct buf *out)
{
	struct cache_stats cs;
	struct az_client_stats ks;
	struct cache_listing *l = cache_peek(fs->cache);
	double now = call_now();
	char when[64];

	cache_stats(fs->cache, &cs);
	az_client_stats(fs->client, &ks);
	if (cs.degraded)
		buf_printf(out, "backend: degraded: %s%s%s\n",
			   az_strerror(cs.last_error.code),
			   cs.last_error.message[0] ? ": " : "",
			   cs.last_error.message);
	else
		buf_puts(out, "backend: ok\n");
	iso_time(cs.last_refresh_wall, when, sizeof(when));
	buf_printf(out, "last_refresh: %s\n", when);
	/* how old what the files show is: seconds since it arrived */
	if (l)
		buf_printf(out, "listing_age: %.0f\n",
			   now > cache_listing_time(l) ?
			   now - cache_listing_time(l) : 0);
	else
		buf_puts(out, "listing_age: none\n");
	cache_listing_put(l);
	if (cs.refreshing)
		buf_printf(out, "refresh: running for %.0f s\n",
			   now > cs.refresh_since ? now - cs.refresh_since : 0);
	else
		buf_puts(out, "refresh: idle\n");
	buf_printf(out, "cache_ttl: %g\n", fs->opts->cache_ttl);
	buf_printf(out, "stale_max: %g\n", fs->opts->stale_max);
	buf_printf(out, "timeout: %g\n", fs->opts->timeout);
	buf_printf(out, "requests: %lu\n", ks.requests);
	buf_printf(out, "retries: %lu\n", ks.retries);
	buf_printf(out, "throttled: %lu\n", ks.throttled);
	buf_printf(out, "failures: %lu\n", ks.failures);
	buf_printf(out, "list_fetches: %lu\n", cs.list_fetches);
	buf_printf(out, "list_failures: %lu\n", cs.refresh_failures);
	buf_printf(out, "list_pages: %lu\n", ks.list_pages);
	buf_printf(out, "lists_cut: %lu\n", ks.lists_cut);
	buf_printf(out, "operations_tracked: %zu\n",
		   cache_pending(fs->cache));
	buf_printf(out, "operation_polls: %lu\n", cs.polls);
	buf_printf(out, "cache_hits: %lu\n", cs.hits);
	buf_printf(out, "cache_misses: %lu\n", cs.misses);
	buf_printf(out, "stale_served: %lu\n", cs.stale_served);
}

/* @c's IP for .instances: public, else private, else "-". */
static const char *ip_of(const struct az_compute *c)
{
	if (c->public_ip && *c->public_ip)
		return c->public_ip;
	if (c->private_ip && *c->private_ip)
		return c->private_ip;
	return "-";
}

static int width(const char *s, int w)
{
	int n = s ? (int)strlen(s) : 1;

	return n > w ? n : w;
}

/*
 * .instances: one line an instance, columns aligned, no header: name,
 * state, size, IP, idle shutdown minutes or "off", created by (last: it
 * may hold spaces). From the listing at hand; no request.
 */
/* The .instances table of listing @l (NULL: empty). */
static void render_instances(struct cache_listing *l, struct buf *out)
{
	size_t i, n = cache_listing_count(l);
	int wn = 1, ws = 1, wz = 1, wi = 1, wl = 3;
	char idle[24];

	for (i = 0; i < n; i++) {
		const struct az_compute *c = cache_listing_at(l, i);

		wn = width(c->name, wn);
		ws = width(c->state ? c->state : "Unknown", ws);
		wz = width(c->vm_size ? c->vm_size : "-", wz);
		wi = width(ip_of(c), wi);
		snprintf(idle, sizeof(idle), "%ld", c->idle_minutes);
		wl = width(idle, wl);
	}
	for (i = 0; i < n; i++) {
		const struct az_compute *c = cache_listing_at(l, i);

		if (c->idle_minutes > 0)
			snprintf(idle, sizeof(idle), "%ld", c->idle_minutes);
		else
			snprintf(idle, sizeof(idle), "off");
		buf_printf(out, "%-*s  %-*s  %-*s  %-*s  %-*s  %s\n", wn,
			   c->name, ws, c->state ? c->state : "Unknown", wz,
			   c->vm_size ? c->vm_size : "-", wi, ip_of(c), wl,
			   idle, c->created_by && *c->created_by ?
			   c->created_by : "-");
	}
}

int cfs_read_special(struct cfs *fs, int special, struct buf *out)
{
	struct cache_listing *l;
	struct az_error err;
	enum az_err e;

	if (special != CFS_INSTANCES)
		return cfs_render_special(fs, special, out) < 0 ? -ENOENT : 0;
	/* what ls would show: waited for when there is none, an error
	 * past stale_max, as for the instances' own files */
	memset(&err, 0, sizeof(err));
	e = cache_list(fs->cache, &l, &err);
	if (e != AZ_OK)
		return -cfs_errno(e);
	render_instances(l, out);
	cache_listing_put(l);
	return 0;
}

int cfs_render_special(struct cfs *fs, int special, struct buf *out)
{
	struct cache_listing *l;

	switch ((enum cfs_special)special) {
	case CFS_WORKSPACE:
		render_workspace(fs, out);
		return 0;
	case CFS_STATUS:
		render_status(fs, out);
		return 0;
	case CFS_CREATE:
		return 0; /* write-only: no bytes */
	case CFS_INSTANCES:
		l = cache_peek_revalidate(fs->cache);
		render_instances(l, out);
		cache_listing_put(l);
		return 0;
	case CFS_SPECIAL_END:
		break;
	}
	return -1;
}
