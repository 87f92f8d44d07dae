/**
 * @file
 * The client's error codes as text, and the one way a failure is
 * recorded (az_fail). See error.h.
 */
#include "client/error.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *az_strerror(enum az_err e)
{
	switch (e) {
	case AZ_OK:
		return "success";
	case AZ_ERR_NOT_FOUND:
		return "not found";
	case AZ_ERR_CONFLICT:
		return "not allowed in the present state";
	case AZ_ERR_UNAUTHORIZED:
		return "credential refused";
	case AZ_ERR_FORBIDDEN:
		return "forbidden";
	case AZ_ERR_BAD_REQUEST:
		return "bad request";
	case AZ_ERR_THROTTLED:
		return "throttled";
	case AZ_ERR_SERVER:
		return "server error";
	case AZ_ERR_TIMEOUT:
		return "timed out";
	case AZ_ERR_UNREACHABLE:
		return "unreachable";
	case AZ_ERR_TLS:
		return "tls failure";
	case AZ_ERR_PROTOCOL:
		return "unexpected reply";
	case AZ_ERR_NO_CREDENTIAL:
		return "no credential";
	case AZ_ERR_INVALID:
		return "invalid argument";
	case AZ_ERR_NOMEM:
		return "out of memory";
	case AZ_ERR_CANCELED:
		return "interrupted";
	}
	return "unknown error";
}

enum az_err az_fail(struct az_error *err, enum az_err code, long http_status,
		    const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	err->http_status = http_status;
	err->arm_code[0] = '\0';
	err->maybe_done = false;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	} else {
		snprintf(err->message, sizeof(err->message), "%s",
			 az_strerror(code));
	}
	return code;
}

void az_copy_clean(char *dst, size_t n, const char *s)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; s && s[i] && i + 1 < n; i++)
		dst[i] = iscntrl((unsigned char)s[i]) ? ' ' : s[i];
	dst[i] = '\0';
}
