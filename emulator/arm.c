/**
 * @file
 * ARM request checks and read routes (see arm.h).
 *
 * Order of checks, as ARM does them: bearer token (401), api-version
 * (400), subscription, resource group, workspace (404), then the route.
 */
#include "emulator/arm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/ident.h"
#include "emulator/lro.h"
#include "emulator/text.h"

#define API_MIN "2022-10-01"
#define API_MAX "2025-06-01"
#define WS_TYPE "Microsoft.MachineLearningServices/workspaces"

/* The versions named in NoRegisteredProviderFound messages. */
static const char supported_versions[] =
	"2022-10-01, 2022-12-01-preview, 2023-02-01-preview, 2023-04-01, "
	"2023-04-01-preview, 2023-06-01-preview, 2023-08-01-preview, "
	"2023-10-01, 2024-01-01-preview, 2024-04-01, 2024-04-01-preview, "
	"2024-07-01-preview, 2024-10-01, 2024-10-01-preview, "
	"2025-01-01-preview, 2025-04-01, 2025-04-01-preview, 2025-06-01";

bool arm_api_version_ok(const char *v)
{
	long y, m, d;
	char part[8];

	if (!v || strlen(v) < 10)
		return false;
	for (int i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (v[i] != '-')
				return false;
		} else if (!isdigit((unsigned char)v[i])) {
			return false;
		}
	}
	if (v[10] && strcmp(v + 10, "-preview") != 0)
		return false;
	snprintf(part, sizeof(part), "%.4s", v);
	text_parse_long(part, 0, 9999, &y);
	snprintf(part, sizeof(part), "%.2s", v + 5);
	text_parse_long(part, 0, 99, &m);
	snprintf(part, sizeof(part), "%.2s", v + 8);
	text_parse_long(part, 0, 99, &d);
	if (m < 1 || m > 12 || d < 1 || d > 31)
		return false;
	return strncmp(v, API_MIN, 10) >= 0 && strncmp(v, API_MAX, 10) <= 0;
}

void arm_skiptoken(unsigned long pos, char *buf, size_t n)
{
	char raw[64];
	char *enc;

	snprintf(raw, sizeof(raw), "computefs-emulator:v1:%lu", pos);
	enc = text_b64url(raw, strlen(raw));
	snprintf(buf, n, "%s", enc ? enc : "");
	free(enc);
}

bool arm_skiptoken_parse(const char *tok, unsigned long *pos)
{
	static const char prefix[] = "computefs-emulator:v1:";
	size_t len;
	char *raw = text_b64url_decode(tok, strlen(tok), &len);
	long v;
	bool ok;

	if (!raw)
		return false;
	ok = strncmp(raw, prefix, sizeof(prefix) - 1) == 0 &&
	     text_parse_long(raw + sizeof(prefix) - 1, 1, 0x7fffffffL, &v);
	free(raw);
	if (ok)
		*pos = (unsigned long)v;
	return ok;
}

static void arm_headers(struct emu *e, const struct emu_request *rq,
			struct emu_reply *r)
{
	const char *corr = req_header(rq, "x-ms-correlation-request-id");
	const char *client = req_header(rq, "x-ms-client-request-id");
	bool read = text_ieq(rq->method, "GET") || text_ieq(rq->method, "HEAD");
	char id[37], corr_id[37];
	long n;

	text_uuid(id);
	text_uuid(corr_id);
	reply_header(r, "x-ms-request-id", "%s", id);
	reply_header(r, "x-ms-correlation-request-id", "%s",
		     corr && strlen(corr) < 100 ? corr : corr_id);
	if (client && strlen(client) < 100)
		reply_header(r, "x-ms-client-request-id", "%s", client);
	reply_header(r, "x-ms-routing-request-id", "%s:%s",
		     "EASTUS", corr_id);
	if (read) {
		n = __atomic_fetch_add(&e->reads, 1, __ATOMIC_RELAXED);
		reply_header(r, "x-ms-ratelimit-remaining-subscription-reads",
			     "%ld", 11999 - n % 12000);
	} else {
		n = __atomic_fetch_add(&e->writes, 1, __ATOMIC_RELAXED);
		reply_header(r, "x-ms-ratelimit-remaining-subscription-writes",
			     "%ld", 1199 - n % 1200);
	}
	reply_header(r, "Cache-Control", "no-cache");
	reply_header(r, "Pragma", "no-cache");
	reply_header(r, "Expires", "-1");
}

static void unauthorized(struct emu_reply *r, const char *code,
			 const char *msg)
{
	reply_arm_error(r, 401, code, "%s", msg);
	reply_header(r, "WWW-Authenticate",
		     "Bearer authorization_uri=\"https://login.microsoftonline"
		     ".com/common\", error=\"invalid_token\", "
		     "error_description=\"%s\"", msg);
}

static void us_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, n, "%d/%d/%d %d:%02d:%02d %s", tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_year + 1900, tm.tm_hour % 12 ? tm.tm_hour % 12 : 12,
		 tm.tm_min, tm.tm_sec, tm.tm_hour < 12 ? "AM" : "PM");
}

/* The bearer token of the request, or NULL (and a 401 in r). */
static const char *check_auth(struct emu *e, const struct emu_request *rq,
			      struct emu_reply *r)
{
	const char *h = req_header(rq, "Authorization");
	char msg[256], then[40], now[40];
	time_t exp;

	if (!h) {
		unauthorized(r, "AuthenticationFailed",
			     "Authentication failed. The 'Authorization' "
			     "header is missing.");
		return NULL;
	}
	if (strncasecmp(h, "Bearer ", 7) != 0) {
		unauthorized(r, "AuthenticationFailed",
			     "Authentication failed. The 'Authorization' "
			     "header is provided in an invalid format.");
		return NULL;
	}
	h += 7;
	while (*h == ' ')
		h++;
	switch (tokens_check(e->tokens, h, &exp)) {
	case TOKEN_OK:
		return h;
	case TOKEN_EXPIRED:
		us_time(exp, then, sizeof(then));
		us_time(time(NULL), now, sizeof(now));
		snprintf(msg, sizeof(msg),
			 "The access token expiry UTC time '%s' is earlier "
			 "than current UTC time '%s'.", then, now);
		unauthorized(r, "ExpiredAuthenticationToken", msg);
		return NULL;
	case TOKEN_UNKNOWN:
		unauthorized(r, "InvalidAuthenticationToken",
			     "The access token is invalid.");
		return NULL;
	}
	return NULL;
}

static const char *resource_type(const struct route *rt)
{
	switch (rt->kind) {
	case ROUTE_WORKSPACE:
		return "workspaces";
	case ROUTE_OP_STATUS:
		return "locations/computeOperationsStatus";
	case ROUTE_OP_RESULT:
		return "locations/computeOperationsResults";
	default:
		return "workspaces/computes";
	}
}

static bool check_api_version(struct emu *e, const struct route *rt,
			      const struct emu_request *rq,
			      struct emu_reply *r)
{
	const char *v = req_arg(rq, "api-version");

	if (!v || !*v) {
		reply_arm_error(r, 400, "MissingApiVersionParameter",
				"The api-version query parameter "
				"(?api-version=) is required for all "
				"requests.");
		return false;
	}
	if (arm_api_version_ok(v))
		return true;
	reply_arm_error(r, 400, "NoRegisteredProviderFound",
			"No registered resource provider found for location "
			"'%s' and API version '%s' for type '%s'. The "
			"supported api-versions are '%s'. The supported "
			"locations are '%s'.", e->cfg->location, v,
			resource_type(rt), supported_versions,
			e->cfg->location);
	return false;
}

/* 404s for another subscription, resource group or workspace. */
static bool check_scope(struct emu *e, const struct route *rt,
			struct emu_reply *r)
{
	if (!text_ieq(rt->sub, e->sub)) {
		reply_arm_error(r, 404, "SubscriptionNotFound",
				"The subscription '%s' could not be found.",
				rt->sub);
		return false;
	}
	if (rt->kind == ROUTE_OP_STATUS || rt->kind == ROUTE_OP_RESULT)
		return true;
	if (rt->rg[0] && !text_ieq(rt->rg, e->rg)) {
		reply_arm_error(r, 404, "ResourceGroupNotFound",
				"Resource group '%s' could not be found.",
				rt->rg);
		return false;
	}
	if (rt->ws[0] && !text_ieq(rt->ws, e->ws)) {
		reply_arm_error(r, 404, "ResourceNotFound",
				"The Resource '%s/%s' under resource group "
				"'%s' was not found. For more details please "
				"go to https://aka.ms/ARMResourceNotFoundFix",
				WS_TYPE, rt->ws, rt->rg);
		return false;
	}
	return true;
}

static void method_not_allowed(const struct emu_request *rq,
			       struct emu_reply *r)
{
	reply_arm_error(r, 405, "MethodNotAllowed",
			"The requested resource does not support http method "
			"'%s'.", rq->method);
}

static void get_workspace(struct emu *e, struct emu_reply *r)
{
	cJSON *ws = cJSON_CreateObject(), *p, *id, *sku;
	char wsid[37], storage[512];
	int n;

	ident_user_oid(e->cfg->workspace, wsid);
	cJSON_AddStringToObject(ws, "id", e->cfg->workspace);
	cJSON_AddStringToObject(ws, "name", e->ws);
	cJSON_AddStringToObject(ws, "type", WS_TYPE);
	cJSON_AddStringToObject(ws, "location", e->cfg->location);
	cJSON_AddItemToObject(ws, "tags", cJSON_CreateObject());
	cJSON_AddStringToObject(ws, "kind", "Default");
	sku = cJSON_AddObjectToObject(ws, "sku");
	cJSON_AddStringToObject(sku, "name", "Basic");
	cJSON_AddStringToObject(sku, "tier", "Basic");
	id = cJSON_AddObjectToObject(ws, "identity");
	cJSON_AddStringToObject(id, "type", "SystemAssigned");
	cJSON_AddStringToObject(id, "principalId", IDENT_MI_OID);
	cJSON_AddStringToObject(id, "tenantId", IDENT_TENANT_ID);
	p = cJSON_AddObjectToObject(ws, "properties");
	cJSON_AddStringToObject(p, "friendlyName", e->ws);
	cJSON_AddStringToObject(p, "description",
				"Workspace served by computefs-emulator");
	cJSON_AddStringToObject(p, "workspaceId", wsid);
	cJSON_AddStringToObject(p, "provisioningState", "Succeeded");
	cJSON_AddStringToObject(p, "tenantId", IDENT_TENANT_ID);
	n = snprintf(storage, sizeof(storage),
		     "/subscriptions/%s/resourceGroups/%s/providers/"
		     "Microsoft.Storage/storageAccounts/%.16sstorage", e->sub,
		     e->rg, e->ws);
	if (n > 0)
		cJSON_AddStringToObject(p, "storageAccount", storage);
	cJSON_AddNullToObject(p, "containerRegistry");
	snprintf(storage, sizeof(storage),
		 "https://%s.api.azureml.ms/discovery", e->cfg->location);
	cJSON_AddStringToObject(p, "discoveryUrl", storage);
	cJSON_AddBoolToObject(p, "hbiWorkspace", false);
	cJSON_AddStringToObject(p, "publicNetworkAccess", "Enabled");
	cJSON_AddBoolToObject(p, "v1LegacyMode", false);
	reply_json(r, 200, ws);
}

/* Add "nextLink": this list URL with $skiptoken=skip (Azure's shape). */
static void add_next_link(cJSON *body, const struct emu_request *rq,
			  const char *skip)
{
	const char *api = req_arg(rq, "api-version");
	size_t n = strlen(rq->scheme) + strlen(rq->host) + strlen(rq->path) +
		   strlen(api) + strlen(skip) + 64;
	char *link = malloc(n);

	if (!link)
		return;
	snprintf(link, n, "%s://%s%s?api-version=%s&$skiptoken=%s",
		 rq->scheme, rq->host, rq->path, api, skip);
	cJSON_AddStringToObject(body, "nextLink", link);
	free(link);
}

static void list_computes(struct emu *e, const struct emu_request *rq,
			  struct emu_reply *r)
{
	const char *tok = req_arg(rq, "$skiptoken");
	unsigned long after = 0, next;
	cJSON *body, *page;
	char skip[128];

	if (!tok)
		tok = req_arg(rq, "$skip");
	if (tok && *tok && !arm_skiptoken_parse(tok, &after)) {
		reply_arm_error(r, 400, "InvalidSkipToken",
				"The continuation token '%s' is not valid.",
				tok);
		return;
	}
	page = store_page(e->store, after, (size_t)e->cfg->page_size, &next,
			  text_now());
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "value", page);
	if (next) {
		arm_skiptoken(next, skip, sizeof(skip));
		add_next_link(body, rq, skip);
	}
	reply_json(r, 200, body);
}

/*
 * The endless fault's page: no computes and a nextLink whose token was
 * never given before (a process-wide counter). The token is not one
 * arm_skiptoken_parse() accepts, so it names no position.
 */
static void endless_page(struct emu *e, const struct emu_request *rq,
			 struct emu_reply *r)
{
	unsigned long seq = __atomic_add_fetch(&e->endless, 1,
					       __ATOMIC_RELAXED);
	char raw[64], *skip;
	cJSON *body;

	snprintf(raw, sizeof(raw), "computefs-emulator:endless:%lu", seq);
	skip = text_b64url(raw, strlen(raw));
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "value", cJSON_CreateArray());
	if (skip)
		add_next_link(body, rq, skip);
	free(skip);
	reply_json(r, 200, body);
}

static void not_found_compute(struct emu *e, const struct route *rt,
			      struct emu_reply *r)
{
	reply_arm_error(r, 404, "ResourceNotFound",
			"The Resource '%s/%s/computes/%s' under resource "
			"group '%s' was not found. For more details please go "
			"to https://aka.ms/ARMResourceNotFoundFix",
			WS_TYPE, e->ws, rt->name, e->rg);
}

static void get_compute(struct emu *e, const struct route *rt,
			struct emu_reply *r)
{
	cJSON *res = store_get(e->store, rt->name, text_now());

	if (!res) {
		not_found_compute(e, rt, r);
		return;
	}
	reply_json(r, 200, res);
}

/* Who the token names, for createdBy; static tokens act as alice. */
static void caller_of(const char *token, char *name, size_t nn, char *oid,
		      size_t on)
{
	const char *dot1 = strchr(token, '.');
	const char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	const cJSON *v;
	cJSON *claims = NULL;
	size_t len;
	char *raw;

	snprintf(name, nn, "alice@%s", IDENT_DOMAIN);
	ident_user_oid("alice", oid);
	if (!dot2)
		return;
	raw = text_b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &len);
	if (raw)
		claims = cJSON_Parse(raw);
	free(raw);
	v = cJSON_GetObjectItemCaseSensitive(claims, "upn");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(claims, "appid");
	if (cJSON_IsString(v))
		snprintf(name, nn, "%s", v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(claims, "oid");
	if (cJSON_IsString(v))
		snprintf(oid, on, "%s", v->valuestring);
	cJSON_Delete(claims);
}

/* Route an ARM request that passed the checks. */
static void dispatch(struct emu *e, const struct route *rt,
		     const struct emu_request *rq, const char *token,
		     struct emu_reply *r)
{
	const char *m = rq->method;
	bool get = text_ieq(m, "GET");
	char who[256], oid[64];
	struct store_caller caller = { who, oid };

	if (rt->kind == ROUTE_WORKSPACE && get) {
		get_workspace(e, r);
	} else if (rt->kind == ROUTE_COMPUTES && get) {
		list_computes(e, rq, r);
	} else if (rt->kind == ROUTE_COMPUTE && get) {
		get_compute(e, rt, r);
	} else if (rt->kind == ROUTE_COMPUTE && text_ieq(m, "PUT")) {
		caller_of(token, who, sizeof(who), oid, sizeof(oid));
		lro_put(e, rt, rq, &caller, r);
	} else if (rt->kind == ROUTE_COMPUTE && text_ieq(m, "DELETE")) {
		lro_delete(e, rt, rq, r);
	} else if (rt->kind == ROUTE_ACTION && text_ieq(m, "POST")) {
		lro_action(e, rt, rq, r);
	} else if ((rt->kind == ROUTE_OP_STATUS ||
		    rt->kind == ROUTE_OP_RESULT) && get) {
		lro_poll(e, rt, rq, r);
	} else if (rt->kind == ROUTE_ARM_OTHER) {
		reply_arm_error(r, 404, "InvalidResourceType",
				"The resource type could not be found in the "
				"namespace 'Microsoft.MachineLearningServices' "
				"for api version '%s'.",
				req_arg(rq, "api-version"));
	} else {
		method_not_allowed(rq, r);
	}
}

void arm_serve(struct emu *e, const struct route *rt,
	       const struct emu_request *rq, bool endless,
	       struct emu_reply *r)
{
	const char *token;

	arm_headers(e, rq, r);
	token = check_auth(e, rq, r);
	if (!token)
		return;
	if (!check_api_version(e, rt, rq, r) || !check_scope(e, rt, r))
		return;
	if (endless && rt->kind == ROUTE_COMPUTES &&
	    text_ieq(rq->method, "GET"))
		endless_page(e, rq, r);
	else
		dispatch(e, rt, rq, token, r);
}
