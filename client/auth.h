/**
 * @file
 * Token sources behind one small interface. The client asks for a bearer
 * token before each request and calls az_auth_invalidate() once on a 401.
 *
 * A source caches its token in memory and renews it 5 minutes before it
 * expires, as the Azure SDKs do. Tokens are never logged nor written out.
 * Sources are thread-safe: each guards its cached token with its own lock,
 * which is never held across a network call.
 */
#ifndef COMPUTEFS_CLIENT_AUTH_H
#define COMPUTEFS_CLIENT_AUTH_H

#include <stddef.h>
#include <time.h>

#include "client/error.h"

struct az_auth;

/*
 * Copy the current token into @buf (size @len). Returns AZ_OK, or an
 * error with a message saying which source failed and why.
 */
enum az_err az_auth_token(struct az_auth *a, char *buf, size_t len,
			  struct az_error *err);

/* Forget the cached token (after a 401): the next call fetches anew. */
void az_auth_invalidate(struct az_auth *a);

/* "token-file", "static", ...: for .workspace and messages. */
const char *az_auth_name(const struct az_auth *a);

/* Accepts NULL. */
void az_auth_free(struct az_auth *a);

/*
 * A fixed token (the demo's). @token is copied.
 */
struct az_auth *az_auth_static(const char *token);

/*
 * A token read from @path, re-read when its mtime or size changes. Fails
 * at creation (AZ_ERR_NO_CREDENTIAL, with a message in @err) when the
 * file is missing, empty, or accessible by group or others. A relative
 * @path is taken against the working directory at creation.
 *
 * Afterwards every az_auth_token() stats the file: when it is gone or
 * has become accessible by group or others, the cached token is dropped
 * and the call fails with AZ_ERR_UNAUTHORIZED, the message naming the
 * file and the fix (chmod 600 PATH); one warning is logged per change of
 * the file, not per call. It works again, without remounting, once the
 * file is back and private.
 */
struct az_auth *az_auth_token_file(const char *path, struct az_error *err);

/* ---- The credential chain (auth_env.c, auth_msi.c, auth_cli.c) ---- */

struct az_auth_opts {
	/* Entra ID authority: -o authority=; NULL: $AZURE_AUTHORITY_HOST,
	 * else https://login.microsoftonline.com */
	const char *authority;
	const char *ca_file; /* extra CA bundle for token endpoints, or NULL */
	/* Timeouts for token requests; 0: 10 s connect, 30 s total. */
	long connect_timeout_ms;
	long total_timeout_ms;
};

/*
 * Service principal from AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_CLIENT_SECRET (client credentials against
 * {authority}/{tenant}/oauth2/v2.0/token). NULL with AZ_ERR_NO_CREDENTIAL
 * (naming the missing variables) when they are not all set. Makes no
 * request.
 */
struct az_auth *az_auth_env(const struct az_auth_opts *o,
			    struct az_error *err);

/*
 * Managed identity, detected as azure-identity does: IDENTITY_ENDPOINT +
 * IDENTITY_HEADER (App Service, 2019-08-01), MSI_ENDPOINT + MSI_SECRET
 * (Azure ML compute, 2017-09-01), else the instance metadata endpoint
 * ($AZURE_POD_IDENTITY_AUTHORITY_HOST or http://169.254.169.254).
 * AZURE_CLIENT_ID, when set, picks a user-assigned identity. Makes no
 * request.
 */
struct az_auth *az_auth_managed_identity(const struct az_auth_opts *o,
					 struct az_error *err);

/*
 * The Azure CLI: `az account get-access-token --resource
 * https://management.azure.com/ --output json`, run without a shell and
 * bounded in time. Makes no request and runs nothing until asked.
 */
struct az_auth *az_auth_cli(const struct az_auth_opts *o,
			    struct az_error *err);

/*
 * auth=auto: the sources above in DefaultAzureCredential's order, each
 * asked for a token; returns the first that produces one (its name is
 * that source's). A source that is absent (no variables, no metadata
 * endpoint answering, no `az`) is skipped; one that is configured but
 * refused stops the chain with its error. When none works: NULL,
 * AZ_ERR_NO_CREDENTIAL, and a message saying what was tried.
 */
struct az_auth *az_auth_chain(const struct az_auth_opts *o,
			      struct az_error *err);

#endif
