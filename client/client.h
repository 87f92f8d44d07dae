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

/* Every compute of the workspace, all pages (all compute types). */
enum az_err az_list_computes(struct az_client *c, struct az_compute **out,
			     size_t *n, struct az_error *err);

/* One compute by name. AZ_ERR_NOT_FOUND on 404. */
enum az_err az_get_compute(struct az_client *c, const char *name,
			   struct az_compute *out, struct az_error *err);

struct az_workspace_info {
	char location[64]; /* "eastus" */
	char identity[128]; /* signed-in identity (token's upn/appid/oid), or "" */
};

/* GET the workspace itself: proves the credential and the id. */
enum az_err az_get_workspace(struct az_client *c, struct az_workspace_info *out,
			     struct az_error *err);

struct az_client_stats {
	unsigned long requests;  /* HTTP requests sent, retries included */
	unsigned long retries;
	unsigned long throttled; /* 429 replies seen */
	unsigned long failures;  /* calls that returned an error */
};
void az_client_stats(struct az_client *c, struct az_client_stats *out);

const char *az_client_endpoint(const struct az_client *c);
const char *az_client_auth_name(const struct az_client *c);

#endif
