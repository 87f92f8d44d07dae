/**
 * @file
 * Small text helpers the emulator's modules share: Azure's timestamp
 * formats, random ids, base64url, form-body fields and clocks.
 */
#ifndef EMULATOR_TEXT_H
#define EMULATOR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * A refusal as ARM words it: @arm_code into code[@coden], the formatted
 * message into msg[@msgn] (both truncated to fit). For the validators
 * of create and schedule bodies, which return after it.
 */
void text_refusal(char *code, size_t coden, char *msg, size_t msgn,
		  const char *arm_code, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Seconds on a monotonic clock, with fractions. */
double text_now(void);

/* Wall clock as ARM writes createdOn: 2024-05-01T09:00:00.0000000+00:00 */
void text_iso7(const struct timespec *ts, char *buf, size_t n);

/* The same, for the current time. */
void text_iso7_now(char *buf, size_t n);

/* An operation's startTime: 2024-05-01T09:00:00.123456+00:00 */
void text_iso6(const struct timespec *ts, char *buf, size_t n);

/* A random version-4 UUID, lowercase, 36 characters plus NUL. */
void text_uuid(char out[37]);

/* Fill buf with n random bytes. */
void text_random(void *buf, size_t n);

/* base64url without padding; the caller frees the result. */
char *text_b64url(const void *data, size_t n);

/* Decode base64url (or base64); NUL-terminated, NULL on junk. */
char *text_b64url_decode(const char *s, size_t n, size_t *outn);

/*
 * Look up KEY in an application/x-www-form-urlencoded body and decode its
 * value into out. Returns true if the key is present (value may be "").
 */
bool text_form_get(const char *body, size_t len, const char *key,
		   char *out, size_t outn);

/* strtol/strtod with full-string checks; return false on junk. */
bool text_parse_long(const char *s, long min, long max, long *out);
bool text_parse_double(const char *s, double min, double max, double *out);

/* Case-insensitive string equality; NULL equals nothing. */
bool text_ieq(const char *a, const char *b);

#endif
