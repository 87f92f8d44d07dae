/**
 * @file
 * Internal to client/: HTTP over libcurl with Azure's retry policy, and
 * the small pure functions behind it (exposed here so that unit tests can
 * reach them, curl's UNITTEST idea).
 *
 * One struct az_http per client (and per token source that makes HTTP
 * calls). It is safe to use from several threads: connections, DNS and
 * TLS sessions are shared between requests.
 */
#ifndef COMPUTEFS_CLIENT_HTTP_H
#define COMPUTEFS_CLIENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <curl/curl.h>

#include "client/auth.h"
#include "client/error.h"

#define AZ_HTTP_MAX_BODY (32L * 1024 * 1024) /* larger replies: PROTOCOL */
#define AZ_HTTP_MAX_WAIT_MS 60000L /* waiting between one call's retries */
#define AZ_HTTP_CALL_TIMEOUT_MS 30000L /* one call, everything included */

struct az_http_opts {
	const char *ca_file;     /* extra CA bundle added to the system's */
	long connect_timeout_ms; /* 0: 10 s */
	long total_timeout_ms;   /* per attempt; 0: $COMPUTEFS_HTTP_TIMEOUT_MS
				    (hidden, for tests), else 30 s */
	int max_retries;         /* -1: 3 */
	long max_wait_ms;        /* retry waits of one call, in all;
				    0: AZ_HTTP_MAX_WAIT_MS */
	long call_timeout_ms;    /* one call: every attempt, backoff and
				    Retry-After wait; 0:
				    AZ_HTTP_CALL_TIMEOUT_MS */
};

struct az_http_req {
	const char *method;       /* "GET", "POST", "PUT", "DELETE", ... */
	const char *url;          /* absolute */
	const char *body;         /* NULL: none */
	const char *content_type; /* NULL: application/json */
	/*
	 * Extra "Name: value" header lines, NULL-terminated, or NULL. They
	 * may carry secrets (MSI headers), so they are never logged.
	 */
	const char *const *headers;
	struct az_auth *auth;     /* bearer token source, or NULL */
	long connect_timeout_ms;  /* 0: the handle's */
	int max_retries;          /* -1: the handle's */
	bool quiet;               /* log failures at debug level only */
};

struct az_http_resp {
	long status;          /* 0 when no reply */
	char *body;           /* NUL-terminated, "" when empty */
	size_t len;
	char *location;       /* Location header, or NULL */
	char *async_op;       /* Azure-AsyncOperation header, or NULL */
	long retry_after_ms;  /* from Retry-After & co, -1 when absent */
	bool lost_reply;      /* an earlier attempt of this call left and no
				 answer came back: Azure may have acted on it */
};

struct az_http_counters {
	unsigned long requests, retries, throttled, failures;
};

struct az_http *az_http_new(const struct az_http_opts *o,
			    struct az_error *err);
void az_http_free(struct az_http *h);

/*
 * Send @r, retrying per the Azure SDK policy; fill @resp (free it with
 * az_http_resp_free() whatever the result). Returns AZ_OK for any reply
 * below 400; otherwise the mapped error, with Azure's code and message in
 * @err and the reply still in @resp.
 *
 * Time: the whole call (attempts, backoff, Retry-After waits, a token
 * renewal) ends by its deadline: call_timeout_ms from now, or the current
 * call's (util/call.h) when sooner; each attempt's libcurl timeouts are
 * cut to what is left, a retry is made only when its wait ends before the
 * deadline, and AZ_ERR_TIMEOUT says the deadline passed. A canceled call
 * (call_cancel(): an interrupted FUSE request, a shutdown) ends at once,
 * its transfer aborted: AZ_ERR_CANCELED. err->maybe_done tells when a
 * request left but no answer came back.
 */
enum az_err az_http_send(struct az_http *h, const struct az_http_req *r,
			 struct az_http_resp *resp, struct az_error *err);
void az_http_resp_free(struct az_http_resp *resp);

void az_http_counters(struct az_http *h, struct az_http_counters *out);
/* Count one failed call (for callers that fail after a 2xx). */
void az_http_count_failure(struct az_http *h);

/* ---- retry policy (retry.c), pure ---- */

/*
 * The wait a reply asks for, in milliseconds, or -1 when it asks none:
 * Retry-After (seconds, possibly fractional, or an HTTP-date relative to
 * @now), else retry-after-ms, else x-ms-retry-after-ms. Any argument may
 * be NULL. Garbage reads as absent; a date in the past as 0.
 */
long az_retry_after_ms(const char *retry_after, const char *ra_ms,
		       const char *x_ms_ra_ms, time_t now);

/*
 * Whether a reply with @status to @method is retried: 408 and 429 (not
 * processed, [THR]) always; 500, 502, 503 and 504 for GET, HEAD and
 * DELETE only (a POST, PATCH or PUT that reached Azure is not sent
 * twice); never anything else, whatever Retry-After says
 * (@has_retry_after is ignored: a 409 refusal is final).
 */
bool az_retry_status(const char *method, long status, bool has_retry_after);

/*
 * Whether a transport failure is retried: every method when the request
 * never left (resolve, connect); only GET, HEAD and DELETE once it may
 * have reached the server.
 */
bool az_retry_transport(const char *method, CURLcode code, bool sent);

/*
 * The wait before retry number @n (1-based) without a server hint:
 * 0 for the first, then 0.8 s * 2^(n-1) (1.6 s, 3.2 s, ...), at most
 * 120 s, as azure-core's exponential backoff.
 */
long az_retry_backoff_ms(int n);

/*
 * The wait before retry @n: @hint_ms (Retry-After) when >= 0, else
 * backoff, at most @budget_ms (what is left of the call's waiting);
 * -1 when the hint alone is more than that: the call gives up at once
 * with the reply it has (429: EAGAIN) rather than hold a read for it.
 */
long az_retry_wait_ms(long hint_ms, int n, long budget_ms);

/* HTTP status (>= 400) to error code. */
enum az_err az_http_status_err(long status);

/* libcurl failure to error code. */
enum az_err az_curl_err(CURLcode code);

/*
 * The error of a refusal: az_http_status_err(), except that a 400 whose
 * ARM code or message says the instance's present state or condition
 * forbids it ("StartComputeInstanceOnlyAllowedInStoppedState", "... is
 * not allowed when ComputeInstance disk is full": docs/azure-api.md section
 * 6) is AZ_ERR_CONFLICT, as a 409 is: a valid request refused for now,
 * not a malformed one. Either string may be NULL.
 */
enum az_err az_http_refusal_err(long status, const char *arm_code,
				const char *message);

/*
 * Fill @err (may be NULL) for a failed reply and return its code
 * (az_http_refusal_err()): arm_code and message from an ARM error body
 * ({"error": {"code", "message"}}) or an OAuth one ({"error": "...",
 * "error_description": "..."}); any other body gives a generic message.
 * Never fails on hostile input.
 */
enum az_err az_http_error_from_body(long status, const char *body,
				    size_t len, struct az_error *err);

/* ---- URLs (url.c), pure ---- */

/* true when @url is https, or http to 127.0.0.0/8, ::1 or localhost. */
bool az_url_token_safe(const char *url);

/* true when @a and @b have the same scheme, host and port. */
bool az_url_same_origin(const char *a, const char *b);

/* The URL up to its query, for log lines (query strings may be signed). */
void az_url_for_log(const char *url, char *buf, size_t len);

/*
 * @ref (absolute, or relative to @base) as an absolute URL; malloc'd,
 * NULL when either does not parse.
 */
char *az_url_resolve(const char *base, const char *ref);

/* Percent-encode @s (RFC 3986 unreserved kept); malloc'd, NULL on OOM. */
char *az_url_escape(const char *s);

#endif
