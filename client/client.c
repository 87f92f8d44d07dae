/**
 * @file
 * The compute client's read side (see client.h): creating the handle,
 * listing every compute across nextLink pages, getting one compute, and
 * the workspace itself with the signed-in identity.
 *
 * DESIGN
 * The handle is immutable after az_client_new(); every shared mutable
 * piece (connections, token cache, counters) lives in http.c or the auth
 * source, each with its own locking, so calls from many threads need no
 * lock here. Server-given links (nextLink, operation URLs) are followed
 * verbatim, but only on the endpoint's own scheme, host and port, so a
 * hostile reply cannot make us send the token elsewhere.
 */
#include "client/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/auth_impl.h"
#include "client/client_impl.h"
#include "client/http.h"
#include "client/json.h"
#include "util/call.h"
#include "util/log.h"


static char *str_printf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

struct az_client *az_client_new(const struct az_client_config *cfg,
				struct az_error *err)
{
	const char *ep = cfg->endpoint && *cfg->endpoint ? cfg->endpoint :
							  AZ_DEFAULT_ENDPOINT;
	struct az_http_opts ho = {
		.ca_file = cfg->ca_file,
		.connect_timeout_ms = cfg->connect_timeout_ms,
		.total_timeout_ms = cfg->total_timeout_ms,
		.call_timeout_ms = cfg->call_timeout_ms,
		.max_retries = cfg->max_retries,
	};
	struct az_client *c;
	char id[512];
	size_t n;

	c = calloc(1, sizeof(*c));
	if (!c) {
		az_auth_free(cfg->auth);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	c->auth = cfg->auth;
	c->ws = cfg->ws;
	c->list_timeout = 4.0 * (double)(cfg->call_timeout_ms > 0 ?
					 cfg->call_timeout_ms :
					 AZ_HTTP_CALL_TIMEOUT_MS) / 1000;
	if (strncasecmp(ep, "https://", 8) != 0 &&
	    strncasecmp(ep, "http://", 7) != 0) {
		az_fail(err, AZ_ERR_INVALID, 0,
			"invalid endpoint %s: expected an https:// URL", ep);
		goto fail;
	}
	if (!az_url_token_safe(ep)) {
		az_fail(err, AZ_ERR_INVALID, 0,
			"refusing endpoint %s: a bearer token must not travel "
			"in clear; use https (plain http is allowed only to "
			"a loopback address)", ep);
		goto fail;
	}
	c->endpoint = strdup(ep);
	if (!c->endpoint)
		goto oom;
	n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	az_workspace_id(&c->ws, id, sizeof(id));
	c->ws_url = str_printf("%s%s", c->endpoint, id);
	if (!c->ws_url)
		goto oom;
	c->http = az_http_new(&ho, err);
	if (!c->http)
		goto fail;
	return c;
oom:
	az_fail(err, AZ_ERR_NOMEM, 0, NULL);
fail:
	az_client_free(c);
	return NULL;
}

void az_client_free(struct az_client *c)
{
	if (!c)
		return;
	az_http_free(c->http);
	az_auth_free(c->auth);
	free(c->endpoint);
	free(c->ws_url);
	free(c);
}

enum az_err az_client_send(struct az_client *c, const char *method,
			   const char *url, const char *body,
			   struct az_http_resp *resp, struct az_error *err)
{
	struct az_http_req r = {
		.method = method,
		.url = url,
		.body = body,
		.auth = c->auth,
		.max_retries = -1,
	};
	char log_url[400];

	if (!az_url_same_origin(url, c->endpoint)) {
		memset(resp, 0, sizeof(*resp));
		resp->retry_after_ms = -1;
		az_http_count_failure(c->http);
		az_url_for_log(url, log_url, sizeof(log_url));
		log_warn("refusing to follow %s: not on the endpoint %s",
			 log_url, c->endpoint);
		return az_fail(err, AZ_ERR_PROTOCOL, 0,
			       "refusing to follow %s: not on the endpoint %s",
			       log_url, c->endpoint);
	}
	return az_http_send(c->http, &r, resp, err);
}

char *az_client_compute_url(struct az_client *c, const char *name,
			    const char *suffix, const char *query)
{
	char *esc = az_url_escape(name), *url;

	if (!esc)
		return NULL;
	url = str_printf("%s/computes/%s%s?api-version=" AZ_API_VERSION "%s",
			 c->ws_url, esc, suffix ? suffix : "",
			 query ? query : "");
	free(esc);
	return url;
}

enum az_err az_client_parse(const struct az_http_resp *resp,
			    const char *what, cJSON **out,
			    struct az_error *err)
{
	*out = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->len);
	if (!cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		log_warn("malformed reply to %s (HTTP %ld)", what,
			 resp->status);
		return az_fail(err, AZ_ERR_PROTOCOL, resp->status,
			       "malformed reply to %s: not a JSON object",
			       what);
	}
	return AZ_OK;
}

enum az_err az_get_compute(struct az_client *c, const char *name,
			   struct az_compute *out, struct az_error *err)
{
	struct az_http_resp resp;
	cJSON *doc = NULL;
	enum az_err e;
	char *url;

	memset(out, 0, sizeof(*out));
	if (!name || !*name)
		return az_fail(err, AZ_ERR_INVALID, 0, "no compute name");
	url = az_client_compute_url(c, name, NULL, NULL);
	if (!url)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	e = az_client_send(c, "GET", url, NULL, &resp, err);
	free(url);
	if (e == AZ_OK && resp.status != 200)
		e = az_fail(err, AZ_ERR_PROTOCOL, resp.status,
			    "unexpected HTTP %ld to get compute %s",
			    resp.status, name);
	if (e == AZ_OK)
		e = az_client_parse(&resp, "get compute", &doc, err);
	if (e == AZ_OK) {
		e = az_compute_from_json(doc, out);
		if (e != AZ_OK)
			az_fail(err, e, resp.status,
				"malformed compute %s in the reply", name);
	}
	cJSON_Delete(doc);
	az_http_resp_free(&resp);
	return e;
}

/*
 * The signed-in identity from a JWT's payload (not verified: this only
 * names who we are for .workspace): upn, unique_name, appid, then oid.
 */
static void jwt_identity(const char *token, char *buf, size_t len,
			 char *oid, size_t oidlen)
{
	static const char *const claims[] = { "upn", "unique_name", "appid",
					      "oid" };
	cJSON *doc = az_jwt_payload(token);
	size_t i;

	buf[0] = '\0';
	snprintf(oid, oidlen, "%s", doc && js_str(doc, "oid") ?
					    js_str(doc, "oid") : "");
	for (i = 0; doc && i < sizeof(claims) / sizeof(claims[0]); i++) {
		const char *v = js_str(doc, claims[i]);

		if (v && *v) {
			snprintf(buf, len, "%s", v);
			break;
		}
	}
	cJSON_Delete(doc);
}

enum az_err az_get_workspace(struct az_client *c, struct az_workspace_info *out,
			     struct az_error *err)
{
	struct az_http_resp resp;
	cJSON *doc = NULL;
	const char *loc;
	enum az_err e;
	char *url, *token;

	memset(out, 0, sizeof(*out));
	url = str_printf("%s?api-version=" AZ_API_VERSION, c->ws_url);
	if (!url)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	e = az_client_send(c, "GET", url, NULL, &resp, err);
	free(url);
	if (e == AZ_OK)
		e = az_client_parse(&resp, "get workspace", &doc, err);
	if (e == AZ_OK) {
		loc = js_str(doc, "location");
		snprintf(out->location, sizeof(out->location), "%s",
			 loc ? loc : "");
	}
	cJSON_Delete(doc);
	az_http_resp_free(&resp);
	if (e != AZ_OK || !c->auth)
		return e;
	token = malloc(16384);
	if (token && az_auth_token(c->auth, token, 16384, NULL) == AZ_OK) {
		jwt_identity(token, out->identity, sizeof(out->identity),
			     out->oid, sizeof(out->oid));
		explicit_bzero(token, 16384);
	}
	free(token);
	return AZ_OK;
}

void az_client_stats(struct az_client *c, struct az_client_stats *out)
{
	struct az_http_counters k;

	az_http_counters(c->http, &k);
	out->requests = k.requests;
	out->retries = k.retries;
	out->throttled = k.throttled;
	out->failures = k.failures;
	out->list_pages = atomic_load(&c->list_pages);
	out->lists_cut = atomic_load(&c->lists_cut);
}

const char *az_client_endpoint(const struct az_client *c)
{
	return c->endpoint;
}

const char *az_client_auth_name(const struct az_client *c)
{
	return az_auth_name(c->auth);
}
