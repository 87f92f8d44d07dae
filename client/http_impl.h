/**
 * @file
 * Internal to client/http*.c: the HTTP handle's fields and what its three
 * files share. http_handle.c: the handle (libcurl's shared caches, the
 * CA bundle, a pool of easy handles, counters). http_xfer.c: one
 * attempt's options, headers and reply. http.c: a call, with its retries,
 * deadline and cancellation.
 */
#ifndef COMPUTEFS_CLIENT_HTTP_IMPL_H
#define COMPUTEFS_CLIENT_HTTP_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <curl/curl.h>

#include "client/http.h"
#include "util/buf.h"

#define POOL_MAX 8
#define TOKEN_MAX 16384 /* bytes: the longest bearer token we take */

struct az_http {
	struct az_http_opts o;    /* read-only after az_http_new() */
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];     /* protected by pool_lock */
	size_t n_pool;            /* protected by pool_lock */
	char *ca_data;            /* system bundle + ca_file, or NULL */
	size_t ca_len;
	char *ca_path;            /* ca_file alone (no system bundle) */
	atomic_ulong requests, retries, throttled, failures;
};

/* One attempt's reply as it arrives. */
struct xfer {
	struct buf body;
	bool too_big;
	char *location, *async_op, *ra, *ra_ms, *x_ra_ms;
};

/* http_handle.c: an idle easy handle (new if none; NULL: OOM), and back. */
CURL *az_http_handle_get(struct az_http *h);
void az_http_handle_put(struct az_http *h, CURL *c);

/*
 * http_xfer.c: set every option of one attempt of @r on @c, its reply
 * going to @x; the connect and total timeouts are cut to @left_ms.
 * AZ_ERR_INVALID for a URL libcurl refuses.
 */
enum az_err az_http_setup_easy(struct az_http *h, CURL *c,
			       const struct az_http_req *r,
			       struct curl_slist *hdrs, struct xfer *x,
			       long left_ms);
/* The header list of one attempt (holds @token); NULL on OOM. */
struct curl_slist *az_http_build_headers(const struct az_http_req *r,
					 const char *token);
/* Free what @x holds and zero it. */
void az_http_xfer_reset(struct xfer *x);
/* Move @x's reply into @resp (@now: for a Retry-After date); zeroes @x. */
void az_http_resp_take(struct az_http_resp *resp, struct xfer *x,
		       long status, time_t now);

#endif
