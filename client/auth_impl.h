/**
 * @file
 * Internal to client/: the ops table behind struct az_auth, for the token
 * sources (auth.c, and the credential chain's files).
 *
 * A source embeds struct az_auth as its first member and fills ops; the
 * public az_auth_*() functions dispatch through it.
 */
#ifndef COMPUTEFS_CLIENT_AUTH_IMPL_H
#define COMPUTEFS_CLIENT_AUTH_IMPL_H

#include "client/auth.h"

struct az_auth_ops {
	const char *name; /* "static", "token-file", ... */
	enum az_err (*token)(struct az_auth *a, char *buf, size_t len,
			     struct az_error *err);
	void (*invalidate)(struct az_auth *a); /* may be NULL */
	void (*free)(struct az_auth *a);
};

struct az_auth {
	const struct az_auth_ops *ops;
};

/* Copy @token into @buf (size @len); AZ_ERR_INVALID when it won't fit. */
enum az_err az_auth_copy_token(const char *token, char *buf, size_t len,
			       const char *source, struct az_error *err);

/* ---- renewing sources (auth_token.c) ---- */

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <cjson/cJSON.h>

#define AZ_ARM_RESOURCE "https://management.azure.com/"
#define AZ_REFRESH_OFFSET 300 /* seconds before expiry we renew */

/*
 * A source that fetches tokens that expire. Embeds struct az_auth first;
 * the fetch hook does the network call and is never called with the
 * lock held. Concurrent callers wait for one fetch (single flight).
 */
struct az_auth_src {
	struct az_auth base;
	enum az_err (*fetch)(struct az_auth_src *s, char **token,
			     time_t *expires, struct az_error *err);
	void (*destroy)(struct az_auth_src *s); /* the source's own fields */
	pthread_mutex_t lock;
	pthread_cond_t done;
	char *token;     /* protected by lock */
	time_t expires;  /* protected by lock */
	time_t renew_at; /* protected by lock */
	bool fetching;   /* protected by lock */
};

/* Set up the shared part; @ops' token/invalidate/free come from here. */
void az_auth_src_init(struct az_auth_src *s, const struct az_auth_ops *ops);
enum az_err az_auth_src_token(struct az_auth *a, char *buf, size_t len,
			      struct az_error *err);
void az_auth_src_invalidate(struct az_auth *a);
void az_auth_src_free(struct az_auth *a);

/* When to renew a token expiring at @expires, fetched at @now. */
time_t az_auth_renew_at(time_t now, time_t expires);

/*
 * An expires_on value: epoch seconds (a number or a numeric string), or
 * App Service's "MM/DD/YYYY HH:MM:SS [AM|PM] +00:00". -1 when neither.
 */
time_t az_parse_expires_on(const char *s);

/* The CLI's expiresOn, local time "YYYY-MM-DD HH:MM:SS[.ffffff]"; -1. */
time_t az_parse_local_time(const char *s);

/* The payload of a JWT-shaped token as JSON (not verified), or NULL. */
cJSON *az_jwt_payload(const char *token);

/*
 * A token endpoint's JSON reply: the token from access_token (or the
 * CLI's accessToken) and its expiry from expires_on, else expires_in,
 * else expiresOn, else the JWT's exp, else now + 10 minutes.
 */
enum az_err az_token_from_json(const char *body, size_t len, time_t now,
			       char **token, time_t *expires,
			       const char *source, struct az_error *err);

/* Whether managed identity @a is the metadata endpoint (auth_msi.c). */
bool az_auth_msi_is_imds(const struct az_auth *a);

/* Free a string that held a secret, wiping it first. Accepts NULL. */
void az_free_secret(char *s);

#endif
