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
 * at creation (with a message in @err) when the file is missing, empty,
 * or readable by group or others.
 */
struct az_auth *az_auth_token_file(const char *path, struct az_error *err);

/*
 * The later credential chain (service principal, managed identity, Azure
 * CLI) plugs in here through the same ops table; see auth.c.
 */

#endif
