/**
 * @file
 * Token issuing, checking and the token endpoints (see token.h).
 *
 * DESIGN: connection threads issue and check tokens concurrently; the
 * list of issued tokens is guarded by one mutex. A token is found by its
 * whole text; the list is pruned of long-expired entries as it grows.
 */
#include "emulator/token.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/ident.h"
#include "emulator/text.h"

struct issued {
	char *token;
	time_t exp;
};

struct tokens {
	struct tokens_opts o;		/* read-only after tokens_new() */
	pthread_mutex_t lock;		/* guards list, n, cap */
	struct issued *list;
	size_t n, cap;
};

struct tokens *tokens_new(const struct tokens_opts *o)
{
	struct tokens *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->o = *o;
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void tokens_free(struct tokens *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->list[i].token);
	free(t->list);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Drop tokens expired more than an hour ago; called with t->lock held. */
static void prune_locked(struct tokens *t, time_t now)
{
	size_t j = 0;

	for (size_t i = 0; i < t->n; i++) {
		if (t->list[i].exp < now - 3600) {
			free(t->list[i].token);
			continue;
		}
		t->list[j++] = t->list[i];
	}
	t->n = j;
}

static int remember(struct tokens *t, const char *token, time_t exp)
{
	int rc = 0;

	pthread_mutex_lock(&t->lock);
	if (t->n == t->cap) {
		prune_locked(t, time(NULL));
		if (t->n == t->cap) {
			size_t cap = t->cap ? t->cap * 2 : 64;
			struct issued *l = realloc(t->list, cap * sizeof(*l));

			if (!l) {
				rc = -1;
				goto out;
			}
			t->list = l;
			t->cap = cap;
		}
	}
	t->list[t->n].token = strdup(token);
	t->list[t->n].exp = exp;
	if (t->list[t->n].token)
		t->n++;
	else
		rc = -1;
out:
	pthread_mutex_unlock(&t->lock);
	return rc;
}

char *tokens_issue(struct tokens *t, const char *oid, const char *upn,
		   const char *appid, const char *resource, long lifetime,
		   time_t *exp)
{
	static const char header[] =
		"{\"typ\":\"JWT\",\"alg\":\"RS256\",\"kid\":\"computefs-emulator\"}";
	time_t now = time(NULL);
	cJSON *claims = cJSON_CreateObject();
	char iss[128], jti[37], *payload, *h64, *p64, *s64, *out = NULL;
	unsigned char sig[64];
	size_t len;

	if (lifetime <= 0)
		lifetime = t->o.lifetime;
	*exp = now + lifetime;
	snprintf(iss, sizeof(iss), "https://sts.windows.net/%s/",
		 IDENT_TENANT_ID);
	text_uuid(jti);
	cJSON_AddStringToObject(claims, "aud",
				resource ? resource
					 : "https://management.azure.com/");
	cJSON_AddStringToObject(claims, "iss", iss);
	cJSON_AddNumberToObject(claims, "iat", (double)now);
	cJSON_AddNumberToObject(claims, "nbf", (double)now);
	cJSON_AddNumberToObject(claims, "exp", (double)*exp);
	if (appid) {
		cJSON_AddStringToObject(claims, "appid", appid);
		cJSON_AddStringToObject(claims, "appidacr", "1");
	}
	if (upn) {
		cJSON_AddStringToObject(claims, "upn", upn);
		cJSON_AddStringToObject(claims, "unique_name", upn);
		cJSON_AddStringToObject(claims, "idtyp", "user");
	} else {
		cJSON_AddStringToObject(claims, "idtyp", "app");
	}
	cJSON_AddStringToObject(claims, "oid", oid);
	cJSON_AddStringToObject(claims, "sub", oid);
	cJSON_AddStringToObject(claims, "tid", IDENT_TENANT_ID);
	cJSON_AddStringToObject(claims, "uti", jti);
	cJSON_AddStringToObject(claims, "ver", "1.0");
	payload = cJSON_PrintUnformatted(claims);
	cJSON_Delete(claims);
	if (!payload)
		return NULL;
	text_random(sig, sizeof(sig));
	h64 = text_b64url(header, strlen(header));
	p64 = text_b64url(payload, strlen(payload));
	s64 = text_b64url(sig, sizeof(sig));
	free(payload);
	if (h64 && p64 && s64) {
		len = strlen(h64) + strlen(p64) + strlen(s64) + 3;
		out = malloc(len);
		if (out)
			snprintf(out, len, "%s.%s.%s", h64, p64, s64);
	}
	free(h64);
	free(p64);
	free(s64);
	if (out && remember(t, out, *exp) < 0) {
		free(out);
		out = NULL;
	}
	return out;
}

enum token_check tokens_check(struct tokens *t, const char *token,
			      time_t *exp)
{
	enum token_check rc = TOKEN_UNKNOWN;

	*exp = 0;
	if (!token || !*token)
		return TOKEN_UNKNOWN;
	if (t->o.static_token && *t->o.static_token &&
	    strcmp(token, t->o.static_token) == 0)
		return TOKEN_OK;
	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++) {
		if (strcmp(t->list[i].token, token) != 0)
			continue;
		*exp = t->list[i].exp;
		rc = t->list[i].exp > time(NULL) ? TOKEN_OK : TOKEN_EXPIRED;
		break;
	}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

char *tokens_issue_user(struct tokens *t, const char *user, long lifetime,
			time_t *exp, char upn[256], char oid[37])
{
	char u[256], o[37];

	ident_user_oid(user, o);
	snprintf(u, sizeof(u), "%s@%s", user, IDENT_DOMAIN);
	if (upn)
		memcpy(upn, u, sizeof(u));
	if (oid)
		memcpy(oid, o, sizeof(o));
	return tokens_issue(t, o, u, NULL, "https://management.azure.com/",
			    lifetime, exp);
}

void tokens_expire_all(struct tokens *t)
{
	time_t past = time(NULL) - 1;

	pthread_mutex_lock(&t->lock);
	for (size_t i = 0; i < t->n; i++)
		if (t->list[i].exp > past)
			t->list[i].exp = past;
	pthread_mutex_unlock(&t->lock);
}

/* ---- Entra ID v2 client credentials ---------------------------------- */

static void aad_error(struct emu_reply *r, int status, const char *error,
		      int code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void aad_error(struct emu_reply *r, int status, const char *error,
		      int code, const char *fmt, ...)
{
	char msg[512], desc[1024], trace[37], corr[37], stamp[48], uri[96];
	cJSON *body = cJSON_CreateObject();
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	text_uuid(trace);
	text_uuid(corr);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%SZ", &tm);
	snprintf(desc, sizeof(desc),
		 "AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s",
		 code, msg, trace, corr, stamp);
	snprintf(uri, sizeof(uri),
		 "https://login.microsoftonline.com/error?code=%d", code);
	cJSON_AddStringToObject(body, "error", error);
	cJSON_AddStringToObject(body, "error_description", desc);
	cJSON_AddItemToObject(body, "error_codes",
			      cJSON_CreateIntArray(&code, 1));
	cJSON_AddStringToObject(body, "timestamp", stamp);
	cJSON_AddStringToObject(body, "trace_id", trace);
	cJSON_AddStringToObject(body, "correlation_id", corr);
	cJSON_AddStringToObject(body, "error_uri", uri);
	reply_json(r, status, body);
}

static bool arm_scope(const char *scope)
{
	static const char *const ok[] = {
		"https://management.azure.com/.default",
		"https://management.azure.com//.default",
		"https://management.core.windows.net/.default",
		"https://management.core.windows.net//.default",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++)
		if (text_ieq(scope, ok[i]))
			return true;
	return false;
}

static void serve_aad(struct tokens *t, const struct route *rt,
		      const struct emu_request *rq, struct emu_reply *r)
{
	char grant[64], client[256], secret[256], scope[512];
	const char *b = rq->body;
	size_t n = rq->body_len;
	cJSON *body;
	time_t exp;
	char *tok;

	if (!text_ieq(rq->method, "POST")) {
		aad_error(r, 405, "invalid_request", 900561,
			  "The endpoint only accepts POST requests. "
			  "Received a %s request.", rq->method);
		return;
	}
	if (!text_form_get(b, n, "grant_type", grant, sizeof(grant))) {
		aad_error(r, 400, "invalid_request", 900144,
			  "The request body must contain the following "
			  "parameter: 'grant_type'.");
		return;
	}
	if (strcmp(grant, "client_credentials") != 0) {
		aad_error(r, 400, "unsupported_grant_type", 70003,
			  "The app requested an unsupported grant type '%s'.",
			  grant);
		return;
	}
	if (!text_form_get(b, n, "client_id", client, sizeof(client)) ||
	    !*client) {
		aad_error(r, 400, "invalid_request", 900144,
			  "The request body must contain the following "
			  "parameter: 'client_id'.");
		return;
	}
	if (strcmp(client, t->o.client_id) != 0) {
		aad_error(r, 400, "unauthorized_client", 700016,
			  "Application with identifier '%s' was not found in "
			  "the directory '%s'. This can happen if the "
			  "application has not been installed by the "
			  "administrator of the tenant or consented to by any "
			  "user in the tenant. You may have sent your "
			  "authentication request to the wrong tenant.",
			  client, rt->tenant);
		return;
	}
	if (!text_form_get(b, n, "client_secret", secret, sizeof(secret)) ||
	    !*secret) {
		aad_error(r, 401, "invalid_client", 7000218,
			  "The request body must contain the following "
			  "parameter: 'client_assertion' or 'client_secret'.");
		return;
	}
	if (strcmp(secret, t->o.client_secret) != 0) {
		aad_error(r, 401, "invalid_client", 7000215,
			  "Invalid client secret provided. Ensure the secret "
			  "being sent in the request is the client secret "
			  "value, not the client secret ID, for a secret "
			  "added to app '%s'.", client);
		return;
	}
	if (!text_form_get(b, n, "scope", scope, sizeof(scope)) || !*scope) {
		aad_error(r, 400, "invalid_request", 90014,
			  "The required field 'scope' is missing from the "
			  "credential. Ensure that you have all the necessary "
			  "parameters for the login request.");
		return;
	}
	if (!arm_scope(scope)) {
		aad_error(r, 400, "invalid_scope", 70011,
			  "The provided request must include a 'scope' input "
			  "parameter. The provided value for the input "
			  "parameter 'scope' is not valid. The scope %s is "
			  "not valid.", scope);
		return;
	}
	tok = tokens_issue(t, IDENT_SP_OID, NULL, client,
			   "https://management.azure.com/", 0, &exp);
	if (!tok) {
		aad_error(r, 500, "temporarily_unavailable", 90033,
			  "A transient error has occurred.");
		return;
	}
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "token_type", "Bearer");
	cJSON_AddNumberToObject(body, "expires_in", (double)t->o.lifetime);
	cJSON_AddNumberToObject(body, "ext_expires_in",
				(double)t->o.lifetime);
	cJSON_AddStringToObject(body, "access_token", tok);
	free(tok);
	reply_json(r, 200, body);
	reply_header(r, "Cache-Control", "no-store, no-cache");
	reply_header(r, "Pragma", "no-cache");
}

/* ---- managed identity endpoints --------------------------------------- */

/* {"error":..., "error_description":...}, as IMDS and Azure ML answer. */
static void mi_error(struct emu_reply *r, int status, const char *error,
		     const char *desc)
{
	cJSON *body = cJSON_CreateObject();

	cJSON_AddStringToObject(body, "error", error);
	cJSON_AddStringToObject(body, "error_description", desc);
	reply_json(r, status, body);
}

/* App Service answers {"statusCode":N,"message":...,"correlationId":...}. */
static void appservice_error(struct emu_reply *r, int status,
			     const char *msg)
{
	cJSON *body = cJSON_CreateObject();
	char corr[37];

	text_uuid(corr);
	cJSON_AddNumberToObject(body, "statusCode", status);
	cJSON_AddStringToObject(body, "message", msg);
	cJSON_AddStringToObject(body, "correlationId", corr);
	reply_json(r, status, body);
}

static bool arm_resource(const char *res)
{
	return res && strncmp(res, "https://management.", 19) == 0;
}

/* Issue the managed identity's token; false (and a 500) on failure. */
static char *mi_token(struct tokens *t, const char *resource, time_t *exp,
		      struct emu_reply *r)
{
	char *tok = tokens_issue(t, IDENT_MI_OID, NULL, IDENT_MI_CLIENT_ID,
				 resource, 0, exp);

	if (!tok)
		mi_error(r, 500, "server_error", "cannot issue a token");
	return tok;
}

static void serve_msi(struct tokens *t, const struct emu_request *rq,
		      struct emu_reply *r)
{
	const char *secret = req_header(rq, "secret");
	const char *ver = req_arg(rq, "api-version");
	const char *res = req_arg(rq, "resource");
	const char *cid = req_arg(rq, "clientid");
	cJSON *body;
	time_t exp;
	char *tok;

	if (!secret) {
		mi_error(r, 400, "invalid_request",
			 "Required header 'secret' is missing");
		return;
	}
	if (strcmp(secret, t->o.msi_secret) != 0) {
		mi_error(r, 401, "unauthorized_client",
			 "The 'secret' header does not match MSI_SECRET");
		return;
	}
	if (!ver || strcmp(ver, "2017-09-01") != 0) {
		mi_error(r, 400, "invalid_request",
			 "Invalid api-version: use 2017-09-01");
		return;
	}
	if (!res || !*res) {
		mi_error(r, 400, "invalid_request",
			 "Required query variable 'resource' is missing");
		return;
	}
	if (!arm_resource(res)) {
		mi_error(r, 400, "invalid_resource",
			 "AADSTS500011: The resource principal was not found "
			 "in the tenant.");
		return;
	}
	if (cid && strcmp(cid, IDENT_MI_CLIENT_ID) != 0) {
		mi_error(r, 400, "invalid_request",
			 "No managed identity with this client id is "
			 "assigned to the compute");
		return;
	}
	tok = mi_token(t, res, &exp, r);
	if (!tok)
		return;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "access_token", tok);
	cJSON_AddNumberToObject(body, "expires_on", (double)exp);
	cJSON_AddStringToObject(body, "resource", res);
	cJSON_AddStringToObject(body, "token_type", "Bearer");
	free(tok);
	reply_json(r, 200, body);
}

static void serve_appservice(struct tokens *t, const struct emu_request *rq,
			     struct emu_reply *r)
{
	const char *hdr = req_header(rq, "X-IDENTITY-HEADER");
	const char *ver = req_arg(rq, "api-version");
	const char *res = req_arg(rq, "resource");
	char num[32];
	cJSON *body;
	time_t exp;
	char *tok;

	if (!hdr) {
		appservice_error(r, 400, "The X-IDENTITY-HEADER header is "
					 "missing from the request.");
		return;
	}
	if (strcmp(hdr, t->o.identity_header) != 0) {
		appservice_error(r, 401, "The X-IDENTITY-HEADER header does "
					 "not match IDENTITY_HEADER.");
		return;
	}
	if (!ver || strcmp(ver, "2019-08-01") != 0) {
		appservice_error(r, 400, "The api-version is not supported; "
					 "use 2019-08-01.");
		return;
	}
	if (!res || !*res || !arm_resource(res)) {
		appservice_error(r, 400, "The resource parameter is missing "
					 "or not valid.");
		return;
	}
	tok = mi_token(t, res, &exp, r);
	if (!tok)
		return;
	snprintf(num, sizeof(num), "%lld", (long long)exp);
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "access_token", tok);
	cJSON_AddStringToObject(body, "expires_on", num);
	cJSON_AddStringToObject(body, "resource", res);
	cJSON_AddStringToObject(body, "token_type", "Bearer");
	cJSON_AddStringToObject(body, "client_id", IDENT_MI_CLIENT_ID);
	free(tok);
	reply_json(r, 200, body);
}

static void serve_imds(struct tokens *t, const struct emu_request *rq,
		       struct emu_reply *r)
{
	const char *md = req_header(rq, "Metadata");
	const char *ver = req_arg(rq, "api-version");
	const char *res = req_arg(rq, "resource");
	char num[32];
	cJSON *body;
	time_t exp;
	char *tok;

	if (!md || !text_ieq(md, "true")) {
		mi_error(r, 400, "invalid_request",
			 "Required metadata header not specified");
		return;
	}
	if (!ver || !*ver) {
		mi_error(r, 400, "invalid_request",
			 "Required query variable 'api-version' is missing");
		return;
	}
	if (strcmp(ver, "2018-02-01") != 0 && strcmp(ver, "2019-08-01") != 0) {
		mi_error(r, 400, "invalid_request", "Invalid api-version");
		return;
	}
	if (!res || !*res) {
		mi_error(r, 400, "invalid_request",
			 "Required query variable 'resource' is missing");
		return;
	}
	if (!arm_resource(res)) {
		mi_error(r, 400, "invalid_resource",
			 "AADSTS500011: The resource principal was not found "
			 "in the tenant.");
		return;
	}
	tok = mi_token(t, res, &exp, r);
	if (!tok)
		return;
	body = cJSON_CreateObject();
	cJSON_AddStringToObject(body, "access_token", tok);
	cJSON_AddStringToObject(body, "refresh_token", "");
	snprintf(num, sizeof(num), "%ld", t->o.lifetime);
	cJSON_AddStringToObject(body, "expires_in", num);
	snprintf(num, sizeof(num), "%lld", (long long)exp);
	cJSON_AddStringToObject(body, "expires_on", num);
	snprintf(num, sizeof(num), "%lld", (long long)(exp - t->o.lifetime));
	cJSON_AddStringToObject(body, "not_before", num);
	cJSON_AddStringToObject(body, "resource", res);
	cJSON_AddStringToObject(body, "token_type", "Bearer");
	free(tok);
	reply_json(r, 200, body);
}

void tokens_serve(struct tokens *t, const struct route *rt,
		  const struct emu_request *rq, struct emu_reply *r)
{
	switch (rt->kind) {
	case ROUTE_TOKEN_AAD:
		serve_aad(t, rt, rq, r);
		return;
	case ROUTE_TOKEN_MSI:
		serve_msi(t, rq, r);
		return;
	case ROUTE_TOKEN_APPSERVICE:
		serve_appservice(t, rq, r);
		return;
	case ROUTE_TOKEN_IMDS:
		serve_imds(t, rq, r);
		return;
	default:
		mi_error(r, 404, "not_found", "no such token endpoint");
		return;
	}
}
