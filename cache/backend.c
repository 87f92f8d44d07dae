/**
 * @file
 * The cache's real backend: the Azure client (client/client.h) and
 * CLOCK_MONOTONIC. Unit tests pass a fake struct cache_backend instead.
 * No state of its own beyond each operation's handle (struct client_op,
 * touched by one thread at a time: the caller of cache_operate(), then
 * the tracker); the client is safe to call from several threads.
 */
#include "cache/cache.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The handle cache_operate() keeps for one accepted operation. */
struct client_op {
	enum cache_verb verb;
	struct az_lro lro;
};

static enum az_err client_list(void *ctx, struct az_compute **out, size_t *n,
			       struct az_error *err)
{
	return az_list_computes(ctx, out, n, err);
}

/*
 * The previous listing's computes by raw_hash: open addressing, a power
 * of two at least twice their number. Only computes shown as Azure sent
 * them (raw_hash not 0: no operation record applied) are in it.
 */
struct prev_index {
	size_t mask;
	const struct az_compute **slot;
};

static const struct az_compute *prev_find(void *ctx, uint64_t hash)
{
	const struct prev_index *ix = ctx;
	size_t i;

	for (i = hash & ix->mask; ix->slot[i]; i = (i + 1) & ix->mask)
		if (ix->slot[i]->raw_hash == hash)
			return ix->slot[i];
	return NULL;
}

static int prev_index(struct prev_index *ix, const struct cache_listing *l)
{
	size_t n = cache_listing_count(l), size = 16, i, j;

	while (size < 2 * n)
		size *= 2;
	ix->mask = size - 1;
	ix->slot = calloc(size, sizeof(*ix->slot));
	if (!ix->slot)
		return -1;
	for (i = 0; i < n; i++) {
		const struct az_compute *c = cache_listing_at(l, i);

		if (!c->raw_hash || prev_find(ix, c->raw_hash))
			continue;
		for (j = c->raw_hash & ix->mask; ix->slot[j];
		     j = (j + 1) & ix->mask)
			;
		ix->slot[j] = c;
	}
	return 0;
}

static enum az_err client_list_prev(void *ctx,
				    const struct cache_listing *prev,
				    struct az_compute **out, size_t *n,
				    struct az_error *err)
{
	struct prev_index ix;
	struct az_list_prev p = { prev_find, &ix };
	enum az_err rc;

	if (!prev || prev_index(&ix, prev))
		return az_list_computes(ctx, out, n, err);
	rc = az_list_computes_prev(ctx, &p, out, n, err);
	free(ix.slot);
	return rc;
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

static enum az_err send_verb(struct az_client *client, const char *name,
			     enum cache_verb v,
			     const struct cache_op_args *args,
			     struct az_lro *lro, struct az_error *err)
{
	struct az_create_params p = { 0 };

	switch (v) {
	case CACHE_START:
		return az_start(client, name, lro, err);
	case CACHE_STOP:
		return az_stop(client, name, lro, err);
	case CACHE_RESTART:
		return az_restart(client, name, lro, err);
	case CACHE_RESIZE:
		return az_resize(client, name, args->vm_size, lro, err);
	case CACHE_CREATE:
		p.vm_size = args->vm_size;
		p.ssh_public_key = args->ssh_key;
		p.subnet_id = args->subnet;
		p.assigned_oid = args->assign_oid;
		p.assigned_tid = args->assign_tid;
		p.idle_minutes = args->idle_minutes;
		p.start_at = args->start_at;
		p.stop_at = args->stop_at;
		p.week_days = args->week_days;
		p.time_zone = args->time_zone;
		return az_create(client, name, &p, lro, err);
	case CACHE_DELETE:
		return az_delete(client, name, lro, err);
	case CACHE_IDLE:
		memset(lro, 0, sizeof(*lro)); /* nothing to follow */
		lro->retry_after = -1;
		return az_set_idle_shutdown(client, name, args->idle_minutes,
					    err);
	}
	return az_fail(err, AZ_ERR_INVALID, 0, "unknown operation");
}

static double wait_asked(const struct az_lro *lro)
{
	return lro->retry_after > 0 ? (double)lro->retry_after : 0;
}

static enum az_err client_operate(void *ctx, const char *name,
				  enum cache_verb v,
				  const struct cache_op_args *args, void **op,
				  double *retry_after, struct az_error *err)
{
	struct client_op *o = calloc(1, sizeof(*o));
	enum az_err rc;

	*op = NULL;
	*retry_after = 0;
	if (!o)
		return az_fail(err, AZ_ERR_NOMEM, 0, "out of memory");
	o->verb = v;
	rc = send_verb(ctx, name, v, args, &o->lro, err);
	if (rc == AZ_OK && o->lro.kind != AZ_LRO_NONE) {
		*retry_after = wait_asked(&o->lro);
		*op = o;
		return AZ_OK;
	}
	/* Refused, or nothing to poll: the cache watches the instance. */
	az_lro_free(&o->lro);
	free(o);
	return rc;
}

static enum az_err client_poll(void *ctx, void *op, bool *done,
			       double *retry_after, struct az_error *err)
{
	struct client_op *o = op;
	enum az_lro_state state = AZ_LRO_RUNNING;
	enum az_err rc;

	rc = az_lro_poll(ctx, &o->lro, &state, err);
	*retry_after = wait_asked(&o->lro);
	*done = false;
	if (rc == AZ_ERR_NOT_FOUND && o->verb == CACHE_DELETE) {
		*done = true; /* gone: what a delete wanted */
		return AZ_OK;
	}
	if (rc != AZ_OK)
		return rc;
	switch (state) {
	case AZ_LRO_RUNNING:
		return AZ_OK;
	case AZ_LRO_SUCCEEDED:
		*done = true;
		return AZ_OK;
	case AZ_LRO_FAILED:
	case AZ_LRO_CANCELED:
		*done = true;
		return err && err->code != AZ_OK ? err->code :
			AZ_ERR_CONFLICT;
	}
	return AZ_OK;
}

static void client_op_free(void *ctx, void *op)
{
	struct client_op *o = op;

	(void)ctx;
	if (!o)
		return;
	az_lro_free(&o->lro);
	free(o);
}

struct cache_backend cache_backend_client(struct az_client *client)
{
	struct cache_backend be = {
		.list = client_list,
		.list_prev = client_list_prev,
		.get = client_get,
		.now = monotonic_now,
		.ctx = client,
		.operate = client_operate,
		.poll = client_poll,
		.op_free = client_op_free,
	};

	return be;
}
