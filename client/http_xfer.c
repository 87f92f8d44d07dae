/**
 * @file
 * One HTTP attempt (see http_impl.h): its libcurl options, its header
 * list, and its reply as it arrives (body within AZ_HTTP_MAX_BODY, the
 * headers computefs reads: Location, Azure-AsyncOperation, Retry-After
 * and its ms variants).
 *
 * Secrets: the bearer token and extra headers (MSI secrets) go only into
 * the curl header list, which the caller wipes and frees after the
 * attempt; bodies are never logged.
 */
#include "client/http_impl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

#define HEADER_MAX 16384 /* longest Location we keep (ARM: >= 4 KB) */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;

	if (x->body.len + n > (size_t)AZ_HTTP_MAX_BODY) {
		x->too_big = true;
		return 0;
	}
	buf_add(&x->body, data, n);
	if (x->body.failed)
		return 0;
	return n;
}

static void xfer_clear_headers(struct xfer *x)
{
	free(x->location);
	free(x->async_op);
	free(x->ra);
	free(x->ra_ms);
	free(x->x_ra_ms);
	x->location = x->async_op = x->ra = x->ra_ms = x->x_ra_ms = NULL;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
		{ "location", offsetof(struct xfer, location) },
		{ "azure-asyncoperation", offsetof(struct xfer, async_op) },
		{ "retry-after", offsetof(struct xfer, ra) },
		{ "retry-after-ms", offsetof(struct xfer, ra_ms) },
		{ "x-ms-retry-after-ms", offsetof(struct xfer, x_ra_ms) },
	};
	struct xfer *x = userp;
	size_t n = size * nitems, i, name_len;
	const char *colon, *v, *end;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		xfer_clear_headers(x); /* a new reply (after 100 Continue) */
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon)
		return n;
	name_len = (size_t)(colon - data);
	v = colon + 1;
	end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - v > HEADER_MAX)
		return n;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		char **dst = (char **)((char *)x + keep[i].off);

		if (strlen(keep[i].name) != name_len ||
		    strncasecmp(data, keep[i].name, name_len) != 0)
			continue;
		free(*dst);
		*dst = strndup(v, (size_t)(end - v));
		break;
	}
	return n;
}

void az_http_xfer_reset(struct xfer *x)
{
	xfer_clear_headers(x);
	buf_free(&x->body);
	memset(x, 0, sizeof(*x));
}

/* Set every option of one attempt. */
enum az_err az_http_setup_easy(struct az_http *h, CURL *c,
			      const struct az_http_req *r,
			      struct curl_slist *hdrs, struct xfer *x,
			      long left_ms)
{
	long cto = r->connect_timeout_ms > 0 ? r->connect_timeout_ms :
					       h->o.connect_timeout_ms;
	long tto = h->o.total_timeout_ms;
	struct curl_blob blob;

	/* one attempt never outlives the call's deadline */
	if (cto > left_ms)
		cto = left_ms;
	if (tto > left_ms)
		tto = left_ms;

	if (curl_easy_setopt(c, CURLOPT_URL, r->url) != CURLE_OK)
		return AZ_ERR_INVALID;
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cto);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tto);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * libcurl silently sends a request again when a reused connection
	 * turns out dead before any reply: fine for GET, not for a write
	 * (start, stop, create, delete) that the server may have acted on.
	 * Writes go on a connection of their own, so only
	 * az_retry_transport() decides whether one is sent again.
	 */
	if (strcasecmp(r->method, "GET") != 0 &&
	    strcasecmp(r->method, "HEAD") != 0)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "computefs/" COMPUTEFS_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)AZ_HTTP_MAX_BODY);
	if (h->ca_data) {
		blob.data = h->ca_data;
		blob.len = h->ca_len;
		blob.flags = CURL_BLOB_NOCOPY;
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (h->ca_path) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_path);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (!r->body && strcmp(r->method, "POST") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	} else {
		/* POST always sends a body, if empty (Content-Length: 0) */
		const char *body = r->body ? r->body : "";

		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	}
	return AZ_OK;
}

/* The header list of one attempt; NULL on OOM. Holds the token. */
struct curl_slist *az_http_build_headers(const struct az_http_req *r,
					const char *token)
{
	struct curl_slist *l = NULL, *t;
	char ctype[128];
	char *auth = NULL;
	size_t i, n;

#define ADD(s) do { t = curl_slist_append(l, (s)); if (!t) goto oom; \
		    l = t; } while (0)
	ADD("Accept: application/json");
	ADD("Expect:");
	if (r->body || strcmp(r->method, "POST") == 0) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s",
			 r->content_type ? r->content_type :
					   "application/json");
		ADD(ctype);
	}
	for (i = 0; r->headers && r->headers[i]; i++)
		ADD(r->headers[i]);
	if (token) {
		n = strlen(token) + sizeof("Authorization: Bearer ");
		auth = malloc(n);
		if (!auth)
			goto oom;
		snprintf(auth, n, "Authorization: Bearer %s", token);
		ADD(auth);
		explicit_bzero(auth, n);
		free(auth);
	}
#undef ADD
	return l;
oom:
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_slist_free_all(l);
	return NULL;
}

void az_http_resp_take(struct az_http_resp *resp, struct xfer *x, long status,
		      time_t now)
{
	az_http_resp_free(resp);
	resp->status = status;
	resp->body = x->body.data ? x->body.data : strdup("");
	resp->len = x->body.len;
	resp->location = x->location;
	resp->async_op = x->async_op;
	resp->retry_after_ms = az_retry_after_ms(x->ra, x->ra_ms, x->x_ra_ms,
						 now);
	free(x->ra);
	free(x->ra_ms);
	free(x->x_ra_ms);
	memset(x, 0, sizeof(*x));
}
