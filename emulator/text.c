/**
 * @file
 * Small text helpers (see text.h). Nothing here keeps state, so every
 * function is safe to call from any thread.
 */
#include "emulator/text.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

double text_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ISO 8601 UTC with @digits (6 or 7) fraction digits and "+00:00". */
static void iso_frac(const struct timespec *ts, int digits, char *buf,
		     size_t n)
{
	struct tm tm;
	char day[32];
	long frac = digits == 7 ? ts->tv_nsec / 100 : ts->tv_nsec / 1000;

	gmtime_r(&ts->tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%0*ld+00:00", day, digits, frac);
}

void text_iso7(const struct timespec *ts, char *buf, size_t n)
{
	iso_frac(ts, 7, buf, n);
}

void text_iso7_now(char *buf, size_t n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	text_iso7(&ts, buf, n);
}

void text_iso6(const struct timespec *ts, char *buf, size_t n)
{
	iso_frac(ts, 6, buf, n);
}

void text_random(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t got = getrandom(p, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			/* No entropy source: fall back to something unique. */
			for (size_t i = 0; i < n; i++)
				p[i] = (unsigned char)(rand() ^ (int)i);
			return;
		}
		p += got;
		n -= (size_t)got;
	}
}

void text_uuid(char out[37])
{
	unsigned char b[16];

	text_random(b, sizeof(b));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

char *text_b64url(const void *data, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789-_";
	const unsigned char *in = data;
	char *out = malloc(n / 3 * 4 + 5);
	size_t o = 0, i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
			     in[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode [s, s+len) of a form body into out; '+' is a space. */
static void form_decode(const char *s, size_t len, char *out, size_t outn)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < outn; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < len &&
			   hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) << 4 |
					  hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
}

bool text_form_get(const char *body, size_t len, const char *key,
		   char *out, size_t outn)
{
	size_t klen = strlen(key), i = 0;

	while (i < len) {
		size_t end = i, eq;
		char name[128];

		while (end < len && body[end] != '&')
			end++;
		eq = i;
		while (eq < end && body[eq] != '=')
			eq++;
		form_decode(body + i, eq - i, name, sizeof(name));
		if (strlen(name) == klen && strcmp(name, key) == 0) {
			if (eq < end)
				form_decode(body + eq + 1, end - eq - 1, out,
					    outn);
			else if (outn > 0)
				out[0] = '\0';
			return true;
		}
		i = end + 1;
	}
	return false;
}

bool text_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool text_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

bool text_ieq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-' || c == '+')
		return 62;
	if (c == '_' || c == '/')
		return 63;
	return -1;
}

char *text_b64url_decode(const char *s, size_t n, size_t *outn)
{
	char *out = malloc(n / 4 * 3 + 4);
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		int v;

		if (s[i] == '=')
			break;
		v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits & 0xff);
		}
	}
	out[o] = '\0';
	*outn = o;
	return out;
}

void text_refusal(char *code, size_t coden, char *msg, size_t msgn,
		  const char *arm_code, const char *fmt, ...)
{
	va_list ap;

	snprintf(code, coden, "%s", arm_code);
	va_start(ap, fmt);
	vsnprintf(msg, msgn, fmt, ap);
	va_end(ap);
}
