/**
 * @file
 * The cache's real backend: the Azure client (client/client.h) and
 * CLOCK_MONOTONIC. Unit tests pass a fake struct cache_backend instead.
 * No state of its own: the client is safe to call from several threads.
 */
#include "cache/cache.h"

#include <time.h>

static enum az_err client_list(void *ctx, struct az_compute **out, size_t *n,
			       struct az_error *err)
{
	return az_list_computes(ctx, out, n, err);
}

static enum az_err client_get(void *ctx, const char *name,
			      struct az_compute *out, struct az_error *err)
{
	return az_get_compute(ctx, name, out, err);
}

static double monotonic_now(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cache_backend cache_backend_client(struct az_client *client)
{
	struct cache_backend be = {
		.list = client_list,
		.get = client_get,
		.now = monotonic_now,
		.ctx = client,
	};

	return be;
}
