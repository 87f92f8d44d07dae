/**
 * @file
 * Bearer tokens: the ones the emulator issues from its token endpoints
 * (Entra ID v2 client credentials, Azure ML MSI_ENDPOINT, App Service
 * IDENTITY_ENDPOINT, instance metadata), the static --token, and the
 * check every ARM request goes through.
 *
 * Issued tokens are JWT-shaped (base64url header.payload.signature) with
 * the claims oid, tid, appid or upn, aud, iss, iat, nbf, exp, so a client
 * can show who signed in. They are never logged.
 */
#ifndef EMULATOR_TOKEN_H
#define EMULATOR_TOKEN_H

#include <time.h>

#include <cjson/cJSON.h>

#include "emulator/reply.h"
#include "emulator/route.h"

struct tokens_opts {
	const char *static_token;	/* never expires; may be NULL */
	long lifetime;			/* seconds an issued token lives */
	const char *client_id;
	const char *client_secret;
	const char *msi_secret;
	const char *identity_header;
};

struct tokens;

struct tokens *tokens_new(const struct tokens_opts *o);
void tokens_free(struct tokens *t);

enum token_check {
	TOKEN_OK,
	TOKEN_UNKNOWN,
	TOKEN_EXPIRED,
};

/* Check a bearer token; *exp gets an issued token's expiry. */
enum token_check tokens_check(struct tokens *t, const char *token,
			      time_t *exp);

/* Make every token issued so far expired (the static one stays good). */
void tokens_expire_all(struct tokens *t);

/*
 * Issue a token with the given identity claims (upn may be NULL for an
 * application); lifetime <= 0 means the configured one. The caller frees
 * the result.
 */
char *tokens_issue(struct tokens *t, const char *oid, const char *upn,
		   const char *appid, const char *resource, long lifetime,
		   time_t *exp);

/*
 * Issue a token for user @user of the emulator's tenant (upn
 * USER@contoso.com, the oid that user's instances carry). Fills @upn and
 * @oid when not NULL. The caller frees the result.
 */
char *tokens_issue_user(struct tokens *t, const char *user, long lifetime,
			time_t *exp, char upn[256], char oid[37]);

/* Serve one of the four token endpoints (route kind ROUTE_TOKEN_*). */
void tokens_serve(struct tokens *t, const struct route *rt,
		  const struct emu_request *rq, struct emu_reply *r);

#endif
