/**
 * @file
 * The client's own error codes. client/ never speaks errno: the fs/ layer
 * maps these with one switch (fs/errmap.c), with no default, so a new code
 * nobody mapped is a compiler warning.
 */
#ifndef COMPUTEFS_CLIENT_ERROR_H
#define COMPUTEFS_CLIENT_ERROR_H

#include <stdbool.h>
#include <stddef.h>

enum az_err {
	AZ_OK = 0,
	AZ_ERR_NOT_FOUND,     /* 404, ResourceNotFound, or absent from a listing */
	AZ_ERR_CONFLICT,      /* 409: not allowed in the present state */
	AZ_ERR_UNAUTHORIZED,  /* 401: token refused (after one renewal) */
	AZ_ERR_FORBIDDEN,     /* 403: the identity lacks the right */
	AZ_ERR_BAD_REQUEST,   /* 400 and other 4xx we do not retry */
	AZ_ERR_THROTTLED,     /* 429 still, after the retries */
	AZ_ERR_SERVER,        /* 5xx still, after the retries */
	AZ_ERR_TIMEOUT,       /* connect or total timeout */
	AZ_ERR_UNREACHABLE,   /* DNS, refused, reset, dropped connection */
	AZ_ERR_TLS,           /* certificate or handshake failure */
	AZ_ERR_PROTOCOL,      /* malformed, hostile or unexpected reply */
	AZ_ERR_NO_CREDENTIAL, /* no token source could produce a token */
	AZ_ERR_INVALID,       /* bad argument from our caller */
	AZ_ERR_NOMEM,
	AZ_ERR_CANCELED,      /* the caller was interrupted, or shutdown */
};

/* Details of a failure: what Azure said, for the log and for .status. */
struct az_error {
	enum az_err code;
	long http_status;  /* 0 when no HTTP reply was received */
	char arm_code[64]; /* ARM error.code, "" when none */
	char message[512]; /* ARM error.message or a local description */
	/*
	 * The request left and no answer came back (interrupted, timed out,
	 * connection lost): Azure may have carried it out.
	 */
	bool maybe_done;
};

/* A short lowercase description of @e ("not found", "throttled"). */
const char *az_strerror(enum az_err e);

/*
 * Copy server-given text @s into @dst (size @n, always NUL-terminated),
 * control characters (newlines, escapes) as spaces, so that it stays one
 * harmless line in a log, a file or a message.
 */
void az_copy_clean(char *dst, size_t n, const char *s);

/* Fill @err (may be NULL) and return @code. printf-style message. */
enum az_err az_fail(struct az_error *err, enum az_err code, long http_status,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
