/**
 * @file
 * What a route handler sees of a request and what it hands back.
 *
 * server.c turns an MHD connection into a struct emu_request and a filled
 * struct emu_reply into an MHD response, so the route modules (arm.c,
 * lro.c, token.c, admin.c) never touch libmicrohttpd and unit tests can
 * call them with a fake request.
 */
#ifndef EMULATOR_REPLY_H
#define EMULATOR_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct emu_request {
	const char *method;
	const char *path;	/* decoded, without the query string */
	const char *scheme;	/* "http" or "https" */
	const char *host;	/* Host header, or the listen address */
	const char *body;	/* NUL-terminated copy of the body, or "" */
	size_t body_len;
	/* Header (case-insensitive) and query argument lookups; NULL if absent. */
	const char *(*header)(void *ctx, const char *name);
	const char *(*arg)(void *ctx, const char *name);
	void *ctx;
};

#define REPLY_MAX_HEADERS 24

struct emu_reply {
	int status;
	char *body;		/* malloc'd, may be NULL */
	size_t body_len;
	int nheaders;
	struct {
		char *name;
		char *value;
	} headers[REPLY_MAX_HEADERS];
	bool drop;		/* close the connection without answering */
};

static inline const char *req_header(const struct emu_request *rq,
				     const char *name)
{
	return rq->header ? rq->header(rq->ctx, name) : NULL;
}

static inline const char *req_arg(const struct emu_request *rq,
				  const char *name)
{
	return rq->arg ? rq->arg(rq->ctx, name) : NULL;
}

void reply_init(struct emu_reply *r);
void reply_free(struct emu_reply *r);

/* Add (or replace, if set already) a header. */
void reply_header(struct emu_reply *r, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Remove a header (case-insensitive name); nothing if it is not set. */
void reply_remove_header(struct emu_reply *r, const char *name);

/* The value of a header already set, or NULL. */
const char *reply_get_header(const struct emu_reply *r, const char *name);

/* Set status and a JSON body (consumed, may be NULL for an empty body). */
void reply_json(struct emu_reply *r, int status, cJSON *body);

/* Set status and a raw body with a content type. */
void reply_raw(struct emu_reply *r, int status, const char *ctype,
	       const char *body, size_t len);

/* ARM ErrorResponse: {"error":{"code":..., "message":...}}. */
void reply_arm_error(struct emu_reply *r, int status, const char *code,
		     const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
