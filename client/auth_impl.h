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

#endif
