/**
 * @file
 * The Azure ML compute client: what cache/ calls. One handle per mount,
 * safe to use from several threads at once; connections (and TLS
 * sessions) are reused across requests.
 *
 * Every call is bounded: a connect timeout, a total timeout per attempt,
 * and at most 3 retries on 408/429/5xx (and any >=400 carrying
 * Retry-After), honoring Retry-After, as the Azure SDK's policy does.
 * nextLink is followed verbatim. ARM error bodies become az_error.
 */
#ifndef COMPUTEFS_CLIENT_CLIENT_H
#define COMPUTEFS_CLIENT_CLIENT_H

#include <stddef.h>

#include "client/auth.h"
#include "client/compute.h"
#include "client/error.h"
#include "client/workspace.h"

#define AZ_API_VERSION "2025-06-01"
#define AZ_DEFAULT_ENDPOINT "https://management.azure.com"

struct az_client_config {
	const char *endpoint;       /* ARM base URL, no trailing "/" needed */
	struct az_workspace ws;
	const char *ca_file;        /* extra CA bundle, or NULL */
	struct az_auth *auth;       /* owned by the client from az_client_new */
	long connect_timeout_ms;    /* 0: 10 s */
	long total_timeout_ms;      /* per attempt; 0: 30 s */
	long call_timeout_ms;       /* one call, all attempts and waits;
				       0: 30 s. A listing (all its pages)
				       may take 4 times this. */
	int max_retries;            /* -1: 3 */
};

struct az_client;

/*
 * Checks the endpoint (https, or http only to a loopback address, since a
 * bearer token must not cross the network in clear). Takes ownership of
 * cfg->auth even on failure. Makes no request.
 */
struct az_client *az_client_new(const struct az_client_config *cfg,
				struct az_error *err);
void az_client_free(struct az_client *c);

/*
 * Every compute of the workspace, all pages (all compute types).
 * Bounded: at most AZ_LIST_MAX_PAGES pages (more: AZ_ERR_PROTOCOL), all
 * within 4 call timeouts (AZ_ERR_TIMEOUT), and a run of
 * AZ_LIST_MAX_EMPTY_RUN empty pages that still carry a nextLink ends it
 * (AZ_ERR_PROTOCOL): a listing cut short is never taken for the whole.
 * Each cut is logged and counted in lists_cut.
 * nextLink is followed on the endpoint's origin only, never twice.
 */
#define AZ_LIST_MAX_PAGES 1000
#define AZ_LIST_MAX_EMPTY_RUN 3
enum az_err az_list_computes(struct az_client *c, struct az_compute **out,
			     size_t *n, struct az_error *err);

/*
 * What the last listing knew, so that a refresh redoes nothing for a
 * compute that did not change: @find(@ctx, hash) gives a compute that
 * was built from exactly the bytes whose XXH3-64 is @hash (its raw_hash),
 * or NULL. Such an element is not parsed: its output entry is a stub
 * with same_as pointing at what @find gave (see compute.h), which must
 * stay alive until the caller is done with the output. Called from the
 * listing's thread.
 */
struct az_list_prev {
	const struct az_compute *(*find)(void *ctx, uint64_t hash);
	void *ctx;
};

/* az_list_computes(), reusing what @prev knew (NULL: nothing). */
enum az_err az_list_computes_prev(struct az_client *c,
				  const struct az_list_prev *prev,
				  struct az_compute **out, size_t *n,
				  struct az_error *err);

/* One compute by name. AZ_ERR_NOT_FOUND on 404. */
enum az_err az_get_compute(struct az_client *c, const char *name,
			   struct az_compute *out, struct az_error *err);

struct az_workspace_info {
	char location[64]; /* "eastus" */
	char identity[128]; /* signed-in identity (token's upn/appid/oid), or "" */
	char oid[64];       /* the token's oid claim, or "" */
};

/* GET the workspace itself: proves the credential and the id. */
enum az_err az_get_workspace(struct az_client *c, struct az_workspace_info *out,
			     struct az_error *err);

struct az_client_stats {
	unsigned long requests;  /* HTTP requests sent, retries included */
	unsigned long retries;
	unsigned long throttled; /* 429 replies seen */
	unsigned long failures;  /* calls that returned an error */
	unsigned long list_pages; /* pages of the last listing */
	unsigned long lists_cut;  /* listings ended early at a bound */
};
void az_client_stats(struct az_client *c, struct az_client_stats *out);

const char *az_client_endpoint(const struct az_client *c);

/* ---- Writes and long-running operations (lro.c) ---- */

/*
 * How an accepted operation is followed (docs/azure-api.md section 7): by its
 * Azure-AsyncOperation status URL when Azure gave one, else its Location
 * URL, else (PUT) the resource's provisioningState. AZ_LRO_NONE: nothing
 * to poll; either it completed at once, or (a 202 without either header,
 * which the 2025-06-01 spec allows for start/stop/restart) Azure gave no
 * way to follow it, and the caller watches the compute's state instead.
 */
enum az_lro_kind {
	AZ_LRO_NONE,
	AZ_LRO_ASYNC_OP,
	AZ_LRO_LOCATION,
	AZ_LRO_RESOURCE,
};

enum az_lro_state {
	AZ_LRO_RUNNING,
	AZ_LRO_SUCCEEDED,
	AZ_LRO_FAILED,
	AZ_LRO_CANCELED,
};

/*
 * An accepted operation. URLs are opaque and followed verbatim, on the
 * endpoint's own host only. Free with az_lro_free().
 */
struct az_lro {
	enum az_lro_kind kind;
	char op[16];         /* "start", "create", ...: for log lines */
	long http_status;    /* of the reply that accepted it (202, 201...) */
	char *async_url;     /* Azure-AsyncOperation, or NULL */
	char *location_url;  /* Location, or NULL (updated by 202 polls) */
	char *resource_url;  /* the compute's own URL (always set) */
	long retry_after;    /* seconds the last reply asked to wait before
				the next poll; -1 when it did not say */
};

/*
 * Frees the URLs, leaves *lro zeroed (kind NONE). Accepts NULL. The
 * functions below overwrite *lro without freeing it: free an az_lro
 * before reusing it.
 */
void az_lro_free(struct az_lro *lro);

/* Human name of a state: "running", "succeeded", "failed", "canceled". */
const char *az_lro_state_name(enum az_lro_state s);

/*
 * start, stop, restart: POST with no body; Azure answers 202. Return
 * once Azure accepted (AZ_OK, *lro filled) or refused (409 CONFLICT when
 * the present state forbids it, 404 NOT_FOUND, ...). *lro is valid (and
 * must be freed) whatever the result.
 */
enum az_err az_start(struct az_client *c, const char *name,
		     struct az_lro *lro, struct az_error *err);
enum az_err az_stop(struct az_client *c, const char *name,
		    struct az_lro *lro, struct az_error *err);
enum az_err az_restart(struct az_client *c, const char *name,
		       struct az_lro *lro, struct az_error *err);

/* POST resize {"targetVMSize": @size}; Azure allows it only when Stopped. */
enum az_err az_resize(struct az_client *c, const char *name,
		      const char *size, struct az_lro *lro,
		      struct az_error *err);

struct az_create_params {
	const char *vm_size;        /* required, e.g. "STANDARD_DS3_V2" */
	const char *location;       /* NULL: the workspace's (one GET) */
	const char *ssh_public_key; /* text of the key; NULL: no SSH */
	const char *subnet_id;      /* subnet ARM id, or NULL */
	const char *assigned_oid;   /* personal instance for oid@tid, or */
	const char *assigned_tid;   /* both NULL */
	long idle_minutes;          /* idle shutdown; 0: none */
	const char *start_at;       /* "HH:MM" a start schedule, or NULL */
	const char *stop_at;        /* "HH:MM" a stop schedule, or NULL */
	unsigned week_days;         /* of both: bit 0 Monday .. bit 6
				       Sunday; 0: every day */
	const char *time_zone;      /* Windows name; NULL: "UTC" */
};

/*
 * PUT a new ComputeInstance (the name is checked with
 * az_compute_name_valid() first: AZ_ERR_INVALID, no request). PUT
 * overwrites, so the caller checks the name is free first.
 */
enum az_err az_create(struct az_client *c, const char *name,
		      const struct az_create_params *p, struct az_lro *lro,
		      struct az_error *err);

/* Azure's range for an idle time before shutdown, in minutes. */
#define AZ_IDLE_MIN 15
#define AZ_IDLE_MAX (3 * 24 * 60)

/*
 * POST updateIdleShutdownSetting {"idleTimeBeforeShutdown": "PTnM"}:
 * Azure answers 200 with no body once set (not a long-running
 * operation). @minutes outside AZ_IDLE_MIN..AZ_IDLE_MAX: AZ_ERR_INVALID,
 * no request. The API has no way to turn idle shutdown off.
 */
enum az_err az_set_idle_shutdown(struct az_client *c, const char *name,
				 long minutes, struct az_error *err);

/*
 * DELETE ?underlyingResourceAction=Delete. A 204 (already gone) is
 * success with kind AZ_LRO_NONE.
 */
enum az_err az_delete(struct az_client *c, const char *name,
		      struct az_lro *lro, struct az_error *err);

/*
 * One poll step (one request, retried per the policy) of @lro. AZ_OK:
 * *state says where the operation is; for FAILED and CANCELED @err holds
 * the operation's error (code AZ_ERR_CONFLICT, arm_code and message from
 * Azure's status body). Any other return: this poll itself failed (the
 * operation's fate is unknown; poll again later while the error is
 * transient). AZ_ERR_NOT_FOUND from a Location or resource poll means
 * the resource is gone (success for a delete). lro->retry_after is
 * updated from every reply.
 */
enum az_err az_lro_poll(struct az_client *c, struct az_lro *lro,
			enum az_lro_state *state, struct az_error *err);
const char *az_client_auth_name(const struct az_client *c);

#endif
