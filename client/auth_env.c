/**
 * @file
 * The service-principal token source (auth=env): client credentials from
 * AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, posted to
 * {authority}/{tenant}/oauth2/v2.0/token (docs/azure-api.md section 10.1).
 * Renewal and locking are auth_token.c's; the secret stays in memory and
 * is wiped on free. The form body holds the secret, so it is never
 * logged (http.c logs no bodies).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/auth_impl.h"
#include "client/http.h"
#include "util/log.h"

#define DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define ARM_SCOPE "https://management.azure.com/.default"

struct auth_env {
	struct az_auth_src src;
	struct az_http *http;
	char *token_url;
	char *client_id;
	char *secret;
};

static enum az_err env_fetch(struct az_auth_src *s, char **token,
			     time_t *expires, struct az_error *err)
{
	struct auth_env *a = (struct auth_env *)s;
	struct az_http_req r = {
		.method = "POST",
		.url = a->token_url,
		.content_type = "application/x-www-form-urlencoded",
		.max_retries = -1,
	};
	struct az_http_resp resp;
	char *id = az_url_escape(a->client_id);
	char *sec = az_url_escape(a->secret);
	char *scope = az_url_escape(ARM_SCOPE);
	char *body = NULL;
	enum az_err e;

	if (!id || !sec || !scope ||
	    asprintf(&body, "client_id=%s&scope=%s&client_secret=%s"
		     "&grant_type=client_credentials", id, scope, sec) < 0) {
		body = NULL;
		e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		goto out;
	}
	r.body = body;
	e = az_http_send(a->http, &r, &resp, err);
	if (e == AZ_OK)
		e = az_token_from_json(resp.body, resp.len, time(NULL), token,
				       expires, "service principal", err);
	else if (err)
		/* AADSTS messages say what is wrong with the credential */
		snprintf(err->message + strlen(err->message),
			 sizeof(err->message) - strlen(err->message), "%s",
			 e == AZ_ERR_UNAUTHORIZED || e == AZ_ERR_BAD_REQUEST ?
			 " (service principal from AZURE_CLIENT_ID)" : "");
	if (resp.body)
		explicit_bzero(resp.body, resp.len);
	az_http_resp_free(&resp);
out:
	az_free_secret(body);
	az_free_secret(sec);
	free(id);
	free(scope);
	return e;
}

static void env_destroy(struct az_auth_src *s)
{
	struct auth_env *a = (struct auth_env *)s;

	az_http_free(a->http);
	free(a->token_url);
	free(a->client_id);
	az_free_secret(a->secret);
}

static const struct az_auth_ops env_ops = {
	.name = "env",
	.token = az_auth_src_token,
	.invalidate = az_auth_src_invalidate,
	.free = az_auth_src_free,
};

/* A tenant is a GUID or a domain name: nothing that could bend the URL. */
static bool tenant_ok(const char *t)
{
	size_t i;

	for (i = 0; t[i]; i++) {
		char ch = t[i];

		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '.')
			return false;
	}
	return i > 0 && i < 256;
}

struct az_auth *az_auth_env(const struct az_auth_opts *o,
			    struct az_error *err)
{
	const char *tenant = getenv("AZURE_TENANT_ID");
	const char *id = getenv("AZURE_CLIENT_ID");
	const char *secret = getenv("AZURE_CLIENT_SECRET");
	const char *auth = o && o->authority && *o->authority ? o->authority :
			   getenv("AZURE_AUTHORITY_HOST");
	struct az_http_opts ho = { .max_retries = -1 };
	char missing[128] = "";
	char *base = NULL;
	struct auth_env *a;
	size_t n;

	if (!tenant || !*tenant)
		strcat(missing, " AZURE_TENANT_ID");
	if (!id || !*id)
		strcat(missing, " AZURE_CLIENT_ID");
	if (!secret || !*secret)
		strcat(missing, " AZURE_CLIENT_SECRET");
	if (missing[0]) {
		az_fail(err, AZ_ERR_NO_CREDENTIAL, 0,
			"service principal: not set:%s", missing);
		return NULL;
	}
	if (!tenant_ok(tenant)) {
		az_fail(err, AZ_ERR_INVALID, 0,
			"service principal: AZURE_TENANT_ID is not a tenant "
			"id or domain");
		return NULL;
	}
	if (!auth || !*auth)
		auth = DEFAULT_AUTHORITY;
	/* azure-identity accepts a bare host name and means https */
	if (strncasecmp(auth, "https://", 8) != 0 &&
	    strncasecmp(auth, "http://", 7) != 0) {
		if (asprintf(&base, "https://%s", auth) < 0)
			base = NULL;
	} else {
		base = strdup(auth);
	}
	if (!base) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		base[--n] = '\0';
	if (!az_url_token_safe(base)) {
		az_fail(err, AZ_ERR_INVALID, 0,
			"refusing authority %s: the client secret must not "
			"travel in clear; use https", base);
		free(base);
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		free(base);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	az_auth_src_init(&a->src, &env_ops);
	a->src.fetch = env_fetch;
	a->src.destroy = env_destroy;
	if (asprintf(&a->token_url, "%s/%s/oauth2/v2.0/token", base,
		     tenant) < 0)
		a->token_url = NULL;
	free(base);
	a->client_id = strdup(id);
	a->secret = strdup(secret);
	if (o) {
		ho.ca_file = o->ca_file;
		ho.connect_timeout_ms = o->connect_timeout_ms;
		ho.total_timeout_ms = o->total_timeout_ms;
	}
	if (!a->token_url || !a->client_id || !a->secret) {
		az_auth_src_free(&a->src.base);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	a->http = az_http_new(&ho, err);
	if (!a->http) {
		az_auth_src_free(&a->src.base);
		return NULL;
	}
	return &a->src.base;
}
