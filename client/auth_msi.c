/**
 * @file
 * The managed-identity token source (auth=managed-identity), detected in
 * azure-identity's order (docs/azure-api.md sections 10.2-10.4):
 *   IDENTITY_ENDPOINT + IDENTITY_HEADER: App Service style, api 2019-08-01,
 *     header X-IDENTITY-HEADER, query client_id;
 *   MSI_ENDPOINT + MSI_SECRET: Azure ML compute, api 2017-09-01, header
 *     secret, query clientid (sic);
 *   else the instance metadata endpoint (IMDS), header Metadata: true.
 * The identity header is a secret: it travels only in the request's
 * header list, which http.c never logs. Renewal and locking are
 * auth_token.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/auth_impl.h"
#include "client/http.h"
#include "util/log.h"

#define IMDS_DEFAULT "http://169.254.169.254"
#define IMDS_PATH "/metadata/identity/oauth2/token"
#define ARM_RESOURCE_NOSLASH "https://management.azure.com"

enum msi_kind { MSI_APP_SERVICE, MSI_AZURE_ML, MSI_IMDS };

struct auth_msi {
	struct az_auth_src src;
	enum msi_kind kind;
	struct az_http *http;
	char *url;     /* the full token URL */
	char *header;  /* "Name: secret" line, or "Metadata: true" */
	long connect_timeout_ms;
	/*
	 * IMDS answered once. Until then a request is a probe, as in
	 * azure-identity: one attempt, no retries, so a machine without IMDS
	 * (a laptop) moves on to the next credential within the 1 s connect
	 * timeout. Touched only in msi_fetch(), which az_auth_src runs one
	 * at a time (its "fetching" handoff under its lock).
	 */
	bool answered;
};

static const char *kind_name(enum msi_kind k)
{
	switch (k) {
	case MSI_APP_SERVICE:
		return "IDENTITY_ENDPOINT";
	case MSI_AZURE_ML:
		return "MSI_ENDPOINT";
	case MSI_IMDS:
		return "instance metadata endpoint";
	}
	return "?";
}

static enum az_err msi_fetch(struct az_auth_src *s, char **token,
			     time_t *expires, struct az_error *err)
{
	struct auth_msi *m = (struct auth_msi *)s;
	const char *const headers[] = { m->header, NULL };
	struct az_http_req r = {
		.method = "GET",
		.url = m->url,
		.headers = headers,
		.connect_timeout_ms = m->connect_timeout_ms,
		.max_retries = m->kind == MSI_IMDS && !m->answered ? 0 : -1,
	};
	struct az_http_resp resp;
	enum az_err e;

	e = az_http_send(m->http, &r, &resp, err);
	if (resp.status > 0)
		m->answered = true;
	if (e == AZ_OK)
		e = az_token_from_json(resp.body, resp.len, time(NULL), token,
				       expires, "managed identity", err);
	else if (err && m->kind == MSI_IMDS && resp.status == 400)
		/* IMDS says 400 when the VM has no identity assigned */
		az_fail(err, AZ_ERR_NO_CREDENTIAL, 400,
			"managed identity: no identity assigned to this "
			"machine (instance metadata endpoint)");
	else if (err && e != AZ_OK)
		snprintf(err->message + strlen(err->message),
			 sizeof(err->message) - strlen(err->message),
			 " (managed identity via %s)", kind_name(m->kind));
	if (resp.body)
		explicit_bzero(resp.body, resp.len);
	az_http_resp_free(&resp);
	return e;
}

static void msi_destroy(struct az_auth_src *s)
{
	struct auth_msi *m = (struct auth_msi *)s;

	az_http_free(m->http);
	free(m->url);
	az_free_secret(m->header);
}

static const struct az_auth_ops msi_ops = {
	.name = "managed-identity",
	.token = az_auth_src_token,
	.invalidate = az_auth_src_invalidate,
	.free = az_auth_src_free,
};

/* "{base}{path}?api-version=V&resource=R[&{id_param}=ID]", malloc'd. */
static char *token_url(const char *base, const char *path,
		       const char *version, const char *resource,
		       const char *id_param, const char *client_id)
{
	char *res = az_url_escape(resource), *cid = NULL, *url = NULL;
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/' && path[0])
		n--;
	if (client_id && *client_id) {
		cid = az_url_escape(client_id);
		if (res && cid &&
		    asprintf(&url, "%.*s%s?api-version=%s&resource=%s&%s=%s",
			     (int)n, base, path, version, res, id_param,
			     cid) < 0)
			url = NULL;
	} else if (res &&
		   asprintf(&url, "%.*s%s?api-version=%s&resource=%s", (int)n,
			    base, path, version, res) < 0) {
		url = NULL;
	}
	free(res);
	free(cid);
	return url;
}

/* Which kind, from the environment (azure-identity's order). */
static enum msi_kind detect(void)
{
	const char *ie = getenv("IDENTITY_ENDPOINT");
	const char *ih = getenv("IDENTITY_HEADER");
	const char *me = getenv("MSI_ENDPOINT");
	const char *ms = getenv("MSI_SECRET");

	if (ie && *ie && ih && *ih)
		return MSI_APP_SERVICE;
	if (me && *me && ms && *ms)
		return MSI_AZURE_ML;
	return MSI_IMDS;
}

struct az_auth *az_auth_managed_identity(const struct az_auth_opts *o,
					 struct az_error *err)
{
	const char *client_id = getenv("AZURE_CLIENT_ID");
	struct az_http_opts ho = { .max_retries = -1 };
	const char *host;
	struct auth_msi *m;
	int n = -1;

	m = calloc(1, sizeof(*m));
	if (!m) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	az_auth_src_init(&m->src, &msi_ops);
	m->src.fetch = msi_fetch;
	m->src.destroy = msi_destroy;
	m->kind = detect();
	switch (m->kind) {
	case MSI_APP_SERVICE:
		m->url = token_url(getenv("IDENTITY_ENDPOINT"), "",
				   "2019-08-01", ARM_RESOURCE_NOSLASH,
				   "client_id", client_id);
		n = asprintf(&m->header, "X-IDENTITY-HEADER: %s",
			     getenv("IDENTITY_HEADER"));
		break;
	case MSI_AZURE_ML:
		m->url = token_url(getenv("MSI_ENDPOINT"), "", "2017-09-01",
				   ARM_RESOURCE_NOSLASH, "clientid",
				   client_id);
		n = asprintf(&m->header, "secret: %s", getenv("MSI_SECRET"));
		break;
	case MSI_IMDS:
		host = getenv("AZURE_POD_IDENTITY_AUTHORITY_HOST");
		if (!host || !*host)
			host = IMDS_DEFAULT;
		m->url = token_url(host, IMDS_PATH, "2018-02-01",
				   AZ_ARM_RESOURCE, "client_id", client_id);
		n = asprintf(&m->header, "Metadata: true");
		/* IMDS is link-local: answer fast or not at all */
		m->connect_timeout_ms = 1000;
		break;
	}
	if (n < 0)
		m->header = NULL;
	if (o) {
		ho.ca_file = o->ca_file;
		ho.connect_timeout_ms = o->connect_timeout_ms;
		ho.total_timeout_ms = o->total_timeout_ms;
	}
	if (!m->url || !m->header) {
		az_auth_src_free(&m->src.base);
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	m->http = az_http_new(&ho, err);
	if (!m->http) {
		az_auth_src_free(&m->src.base);
		return NULL;
	}
	log_debug("managed identity via %s", kind_name(m->kind));
	return &m->src.base;
}

/* For the chain: whether this source is IMDS (absent unless it answers). */
bool az_auth_msi_is_imds(const struct az_auth *a)
{
	return ((const struct auth_msi *)a)->kind == MSI_IMDS;
}
