/**
 * @file
 * Internal to client/: the client handle's fields and the request helper
 * shared by client.c (reads) and the write-side files.
 */
#ifndef COMPUTEFS_CLIENT_CLIENT_IMPL_H
#define COMPUTEFS_CLIENT_CLIENT_IMPL_H

#include <stdatomic.h>

#include <cjson/cJSON.h>

#include "client/client.h"
#include "client/http.h"

/* Immutable after az_client_new(), so read without a lock ... */
struct az_client {
	char *endpoint;        /* no trailing "/" */
	struct az_workspace ws;
	char *ws_url;          /* endpoint + workspace ARM id */
	struct az_auth *auth;  /* owned; thread-safe itself */
	struct az_http *http;  /* thread-safe itself */
	double list_timeout;   /* seconds one listing may take, all pages */
	/* ... but for these counters, atomics */
	atomic_ulong list_pages;   /* pages of the last listing */
	atomic_ulong lists_cut;    /* listings ended early at a bound */
};

/*
 * One authenticated request to @url, which must be on the endpoint's
 * scheme, host and port (server-given links are checked here, so no
 * token goes elsewhere). @resp must be freed by the caller.
 */
enum az_err az_client_send(struct az_client *c, const char *method,
			   const char *url, const char *body,
			   struct az_http_resp *resp, struct az_error *err);

/* "{ws_url}/computes/{escaped name}{suffix}?api-version=...{query}" */
char *az_client_compute_url(struct az_client *c, const char *name,
			    const char *suffix, const char *query);

/* Parse @resp's body as a JSON object; AZ_ERR_PROTOCOL otherwise. */
enum az_err az_client_parse(const struct az_http_resp *resp,
			    const char *what, cJSON **out,
			    struct az_error *err);

/* ---- long-running operations (lro.c), pure ---- */

/* Azure's status word to a state (case-insensitive; unknown: running). */
enum az_lro_state az_lro_state_of(const char *status);

/*
 * Fill @lro from the reply that accepted an operation (@method, @resp):
 * Azure-AsyncOperation first, then Location, then for PUT the resource at
 * @resource_url (unless the reply's provisioningState is already
 * terminal). Overwrites *@lro (not freed first); takes copies;
 * AZ_ERR_NOMEM or AZ_OK.
 */
enum az_err az_lro_setup(struct az_lro *lro, const char *op,
			 const char *method, const struct az_http_resp *resp,
			 const char *resource_url, struct az_error *err);

/*
 * An Azure-AsyncOperation status body to a state; FAILED/CANCELED fill
 * @err from its "error". AZ_ERR_PROTOCOL when it has no "status".
 */
enum az_err az_lro_parse_status(const char *body, size_t len,
				enum az_lro_state *st, struct az_error *err);

/*
 * A resource body's properties.provisioningState to a state (absent:
 * succeeded, as azure-core reads a 200); failures fill @err from
 * provisioningErrors.
 */
enum az_err az_lro_parse_resource(const char *body, size_t len,
				  enum az_lro_state *st, struct az_error *err);

/* The PUT body creating a ComputeInstance; malloc'd, NULL on OOM. */
char *az_create_body(const char *location, const struct az_create_params *p);

#endif
