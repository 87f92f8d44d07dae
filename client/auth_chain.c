/**
 * @file
 * auth=auto: the credential chain in DefaultAzureCredential's order
 * (computefs(1), CREDENTIALS): service principal from the environment,
 * managed identity, then the Azure CLI. Each is asked for a token; the
 * first that gives one is the mount's source from then on.
 *
 * A source that is simply absent (variables unset, no metadata endpoint
 * answering, no `az`, `az` not logged in) is skipped and noted; one that
 * is configured but refused (a wrong client secret, an identity endpoint
 * that says no) ends the chain with its own error, as azure-identity
 * does, so a broken credential is not silently replaced by another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/auth_impl.h"
#include "util/log.h"

/* Append "; @what" to the tried list. */
static void note(char *tried, size_t len, const char *what)
{
	size_t n = strlen(tried), w = strlen(what);

	if (n && n + 2 < len) {
		memcpy(tried + n, "; ", 2);
		n += 2;
	}
	if (n + w >= len)
		w = len - n - 1;
	memcpy(tried + n, what, w);
	tried[n + w] = '\0';
}

/* Ask @a for a token; true when it gave one. */
static bool works(struct az_auth *a, struct az_error *err)
{
	char *buf = malloc(16384);
	bool ok;

	if (!buf) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return false;
	}
	ok = az_auth_token(a, buf, 16384, err) == AZ_OK;
	explicit_bzero(buf, 16384);
	free(buf);
	return ok;
}

/* Whether a failure of a configured source means "absent, go on". */
static bool absent(struct az_auth *a, const struct az_error *e)
{
	if (e->code == AZ_ERR_NO_CREDENTIAL)
		return true;
	/* IMDS that does not answer: not on an Azure VM */
	return az_auth_msi_is_imds(a) &&
	       (e->code == AZ_ERR_UNREACHABLE || e->code == AZ_ERR_TIMEOUT ||
		e->code == AZ_ERR_NOT_FOUND);
}

struct az_auth *az_auth_chain(const struct az_auth_opts *o,
			      struct az_error *err)
{
	char tried[400] = "";
	struct az_error e;
	struct az_auth *a;

	/* 1. service principal */
	a = az_auth_env(o, &e);
	if (a) {
		if (works(a, &e)) {
			log_info("credential: service principal (environment)");
			return a;
		}
		az_auth_free(a);
		if (err)
			*err = e;
		return NULL;
	}
	if (e.code != AZ_ERR_NO_CREDENTIAL) {
		if (err)
			*err = e;
		return NULL;
	}
	note(tried, sizeof(tried), "service principal (AZURE_TENANT_ID, "
	     "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET not set)");

	/* 2. managed identity */
	a = az_auth_managed_identity(o, &e);
	if (!a) {
		if (err)
			*err = e;
		return NULL;
	}
	if (works(a, &e)) {
		log_info("credential: managed identity");
		return a;
	}
	if (!absent(a, &e)) {
		az_auth_free(a);
		if (err)
			*err = e;
		return NULL;
	}
	az_auth_free(a);
	note(tried, sizeof(tried), "managed identity (no identity endpoint "
	     "answered)");

	/* 3. Azure CLI */
	a = az_auth_cli(o, &e);
	if (a && works(a, &e)) {
		log_info("credential: Azure CLI");
		return a;
	}
	az_auth_free(a);
	if (e.code != AZ_ERR_NO_CREDENTIAL && e.code != AZ_ERR_TIMEOUT) {
		if (err)
			*err = e;
		return NULL;
	}
	note(tried, sizeof(tried), e.message);
	az_fail(err, AZ_ERR_NO_CREDENTIAL, 0, "no credential found; tried: %s",
		tried);
	return NULL;
}
