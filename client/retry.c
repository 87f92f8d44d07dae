/**
 * @file
 * The retry policy and failure mapping of http.c as pure functions:
 * Retry-After parsing, which replies and transport failures are retried,
 * backoff, and HTTP status / curl code / ARM error body to az_error.
 * Follows azure-core's RetryPolicy (docs/azure-api.md section 8) for reads,
 * but sends a write at most once: POST, PATCH and PUT are retried only
 * when Azure provably did not process them (no connection, 408, 429),
 * never after a 5xx or a lost reply; a 4xx refusal is never retried,
 * Retry-After or not.
 */
#include "client/http.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "client/json.h"

#define BACKOFF_MAX_MS 120000L
#define HUGE_WAIT 1000000L /* seconds; any wait gets capped far below */

/*
 * A non-negative decimal number ("12", "1.5", " 3 ") scaled by @scale
 * (1000 for seconds to ms, 1 for ms); -1 when not such a number.
 */
static long parse_decimal(const char *s, long scale)
{
	long whole = 0, frac = 0, div = 1;
	bool digits = false;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; isdigit((unsigned char)*s); s++) {
		digits = true;
		if (whole < HUGE_WAIT) /* saturate: fits in a long as ms */
			whole = whole * 10 + (*s - '0');
	}
	if (*s == '.') {
		for (s++; isdigit((unsigned char)*s); s++) {
			digits = true;
			if (div < 1000000) {
				frac = frac * 10 + (*s - '0');
				div *= 10;
			}
		}
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (!digits || *s)
		return -1;
	if (whole > HUGE_WAIT)
		whole = HUGE_WAIT;
	return whole * scale + frac * scale / div;
}

long az_retry_after_ms(const char *retry_after, const char *ra_ms,
		       const char *x_ms_ra_ms, time_t now)
{
	long v;

	if (retry_after && *retry_after) {
		time_t t;

		v = parse_decimal(retry_after, 1000);
		if (v >= 0)
			return v;
		t = curl_getdate(retry_after, NULL);
		if (t != (time_t)-1) {
			if (t <= now)
				return 0;
			if (t - now > HUGE_WAIT)
				return HUGE_WAIT * 1000;
			return (long)(t - now) * 1000;
		}
		/* garbage: fall through to the ms headers */
	}
	if (ra_ms && *ra_ms) {
		v = parse_decimal(ra_ms, 1);
		if (v >= 0)
			return v;
	}
	if (x_ms_ra_ms && *x_ms_ra_ms) {
		v = parse_decimal(x_ms_ra_ms, 1);
		if (v >= 0)
			return v;
	}
	return -1;
}

static bool method_is(const char *method, const char *m)
{
	return method && strcasecmp(method, m) == 0;
}

/*
 * A method whose repetition Azure would not take as the same request:
 * POST (start, stop, restart, resize), PATCH, and PUT (a compute
 * instance's PUT creates it; a second one is refused, not ignored).
 */
static bool unsafe_method(const char *method)
{
	return method_is(method, "POST") || method_is(method, "PATCH") ||
	       method_is(method, "PUT");
}

bool az_retry_status(const char *method, long status, bool has_retry_after)
{
	(void)has_retry_after; /* a refusal's Retry-After is no reason */
	switch (status) {
	case 408: /* the server never took the whole request */
	case 429: /* throttled: "not processed" [THR] */
		return true;
	case 500:
	case 502:
	case 503:
	case 504:
		/* it reached Azure, which may have acted: not twice */
		return !unsafe_method(method);
	default:
		return false; /* 4xx refusals, and anything below 400 */
	}
}

bool az_retry_transport(const char *method, CURLcode code, bool sent)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return true; /* the request never left */
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return !sent || !unsafe_method(method);
	default:
		return false; /* TLS, protocol, size: retrying won't help */
	}
}

long az_retry_backoff_ms(int n)
{
	long ms = 800;
	int i;

	if (n <= 1)
		return 0;
	for (i = 1; i < n && ms < BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

long az_retry_wait_ms(long hint_ms, int n, long budget_ms)
{
	long ms;

	if (budget_ms < 0)
		budget_ms = 0;
	if (hint_ms > budget_ms)
		return -1; /* the server asks for more than is left: give up */
	ms = hint_ms >= 0 ? hint_ms : az_retry_backoff_ms(n);
	return ms < budget_ms ? ms : budget_ms;
}

enum az_err az_http_status_err(long status)
{
	switch (status) {
	case 401:
		return AZ_ERR_UNAUTHORIZED;
	case 403:
		return AZ_ERR_FORBIDDEN;
	case 404:
		return AZ_ERR_NOT_FOUND;
	case 409:
		return AZ_ERR_CONFLICT;
	case 429:
		return AZ_ERR_THROTTLED;
	default:
		break;
	}
	if (status >= 500)
		return AZ_ERR_SERVER;
	if (status >= 400)
		return AZ_ERR_BAD_REQUEST;
	return AZ_ERR_PROTOCOL;
}

enum az_err az_curl_err(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return AZ_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return AZ_ERR_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return AZ_ERR_TLS;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return AZ_ERR_UNREACHABLE;
	case CURLE_OUT_OF_MEMORY:
		return AZ_ERR_NOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return AZ_ERR_INVALID;
	default:
		return AZ_ERR_PROTOCOL;
	}
}

/* Azure's words for "not in the present state/condition" (case-blind). */
static bool says_not_now(const char *s)
{
	static const char *const words[] = {
		"onlyallowedin", "notallowed", "not allowed", "only allowed",
		"invalidstate", "in progress", "inprogress",
	};
	size_t i;

	for (i = 0; s && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(s, words[i]))
			return true;
	return false;
}

enum az_err az_http_refusal_err(long status, const char *arm_code,
				const char *message)
{
	enum az_err e = az_http_status_err(status);

	if (status == 400 && (says_not_now(arm_code) || says_not_now(message)))
		return AZ_ERR_CONFLICT;
	return e;
}

enum az_err az_http_error_from_body(long status, const char *body,
				    size_t len, struct az_error *err)
{
	const char *code = NULL, *msg = NULL;
	cJSON *doc = NULL;
	enum az_err e;

	if (body && len) {
		doc = cJSON_ParseWithLength(body, len);
		if (js_object(doc, "error")) {
			code = js_str(doc, "error.code");
			msg = js_str(doc, "error.message");
		} else if (js_str(doc, "error")) {
			/* OAuth token endpoints */
			code = js_str(doc, "error");
			msg = js_str(doc, "error_description");
		} else if (doc) {
			/* some services drop the envelope */
			code = js_str(doc, "code");
			msg = js_str(doc, "message");
		}
	}
	e = az_http_refusal_err(status, code, msg);
	az_fail(err, e, status, "HTTP %ld (%s)", status, az_strerror(e));
	if (err && code && *code)
		az_copy_clean(err->arm_code, sizeof(err->arm_code), code);
	if (err && msg && *msg)
		az_copy_clean(err->message, sizeof(err->message), msg);
	else if (err && code && *code)
		snprintf(err->message, sizeof(err->message), "HTTP %ld: %s",
			 status, err->arm_code);
	cJSON_Delete(doc);
	return e;
}
