/**
 * @file
 * What the renewing token sources share: a cached token renewed before it
 * expires (5 minutes, as the Azure SDKs do), the parsers for every
 * expiry format docs/azure-api.md section 10 lists, and reading a token reply.
 *
 * DESIGN
 * Each source's cached token is guarded by s->lock. A caller that finds
 * the token due for renewal marks s->fetching, drops the lock, fetches
 * (a network call or a child process), then retakes the lock to install
 * the result and wake the callers that waited on s->done meanwhile: one
 * fetch serves them all, and no lock is held across the fetch. When a
 * renewal fails while the old token is still valid, the old one is used.
 */
#include "client/auth_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/json.h"
#include "util/call.h"
#include "util/log.h"

void az_free_secret(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

time_t az_auth_renew_at(time_t now, time_t expires)
{
	time_t life = expires - now, off = AZ_REFRESH_OFFSET;

	/* short-lived tokens: renew at half their life instead */
	if (life < 2 * off)
		off = life > 0 ? life / 2 : 0;
	return expires - off;
}

void az_auth_src_init(struct az_auth_src *s, const struct az_auth_ops *ops)
{
	s->base.ops = ops;
	pthread_mutex_init(&s->lock, NULL);
	call_cond_init(&s->done);
}

enum az_err az_auth_src_token(struct az_auth *a, char *buf, size_t len,
			      struct az_error *err)
{
	struct az_auth_src *s = (struct az_auth_src *)a;
	char *tok = NULL;
	time_t exp = 0, now;
	enum az_err e;

	pthread_mutex_lock(&s->lock);
	while (s->fetching) {
		/* another caller renews: wait for it, as long as ours allows */
		int w = call_cond_wait(&s->done, &s->lock, 0);

		if (w) {
			pthread_mutex_unlock(&s->lock);
			return az_fail(err, w == ECANCELED ? AZ_ERR_CANCELED :
				       AZ_ERR_TIMEOUT, 0, "%s: no token in "
				       "time", a->ops->name);
		}
	}
	now = time(NULL);
	if (s->token && now < s->renew_at) {
		e = az_auth_copy_token(s->token, buf, len, a->ops->name, err);
		pthread_mutex_unlock(&s->lock);
		return e;
	}
	s->fetching = true;
	pthread_mutex_unlock(&s->lock);

	e = s->fetch(s, &tok, &exp, err); /* no lock held */

	pthread_mutex_lock(&s->lock);
	s->fetching = false;
	now = time(NULL);
	if (e == AZ_OK) {
		az_free_secret(s->token);
		s->token = tok;
		s->expires = exp;
		s->renew_at = az_auth_renew_at(now, exp);
		log_debug("%s: token renewed, valid %ld s", a->ops->name,
			  (long)(exp - now));
	} else if (s->token && now < s->expires - 30) {
		log_warn("%s: cannot renew the token (%s); using the current "
			 "one until it expires", a->ops->name,
			 err ? err->message : az_strerror(e));
		e = AZ_OK;
	}
	if (e == AZ_OK && s->token)
		e = az_auth_copy_token(s->token, buf, len, a->ops->name, err);
	pthread_cond_broadcast(&s->done);
	pthread_mutex_unlock(&s->lock);
	return e;
}

void az_auth_src_invalidate(struct az_auth *a)
{
	struct az_auth_src *s = (struct az_auth_src *)a;

	pthread_mutex_lock(&s->lock);
	az_free_secret(s->token);
	s->token = NULL;
	s->expires = s->renew_at = 0;
	pthread_mutex_unlock(&s->lock);
}

void az_auth_src_free(struct az_auth *a)
{
	struct az_auth_src *s = (struct az_auth_src *)a;

	az_free_secret(s->token);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->done);
	if (s->destroy)
		s->destroy(s);
	free(s);
}

/* All digits (after optional white space), to a time_t; -1 otherwise. */
static time_t parse_epoch(const char *s)
{
	char *end;
	long long v;

	while (*s == ' ')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || v <= 0)
		return -1;
	if (*end == '.') /* "1700000000.0" */
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	while (*end == ' ')
		end++;
	return *end ? -1 : (time_t)v;
}

time_t az_parse_expires_on(const char *s)
{
	static const char *const fmts[] = {
		"%m/%d/%Y %I:%M:%S %p +00:00", /* legacy App Service, Windows */
		"%m/%d/%Y %H:%M:%S +00:00",    /* legacy App Service, Linux */
		/* docs/azure-api.md's sample "00:00:00 PM": read as 24-hour */
		"%m/%d/%Y %H:%M:%S %p +00:00",
	};
	struct tm tm;
	size_t i;
	time_t t;

	if (!s || !*s)
		return -1;
	t = parse_epoch(s);
	if (t > 0)
		return t;
	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const char *end;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, fmts[i], &tm);
		if (end && *end == '\0')
			return timegm(&tm);
	}
	return -1;
}

time_t az_parse_local_time(const char *s)
{
	struct tm tm;
	const char *end;

	if (!s || !*s)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end)
		return -1;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++)
			;
	if (*end)
		return -1;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* Decode base64url (or base64; padding optional); malloc'd, NUL-ended. */
static char *b64url_decode(const char *s, size_t n)
{
	char *out = malloc(n * 3 / 4 + 4);
	unsigned int acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	if (!out)
		return NULL;
	for (i = 0; i < n && s[i] != '='; i++) {
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '-' || ch == '+')
			v = 62;
		else if (ch == '_' || ch == '/')
			v = 63;
		else {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return out;
}

cJSON *az_jwt_payload(const char *token)
{
	const char *p1, *p2;
	cJSON *doc;
	char *json;

	if (!token)
		return NULL;
	p1 = strchr(token, '.');
	p2 = p1 ? strchr(p1 + 1, '.') : NULL;
	if (!p2 || p2 == p1 + 1)
		return NULL;
	json = b64url_decode(p1 + 1, (size_t)(p2 - p1 - 1));
	if (!json)
		return NULL;
	doc = cJSON_Parse(json);
	free(json);
	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* A field that is a number or a numeric string, as epoch or seconds. */
static bool num_field(const cJSON *doc, const char *key, time_t *out)
{
	const char *s = js_str(doc, key);
	double d;

	if (js_double(doc, key, &d) && d > 0 && d < 1e12) {
		*out = (time_t)d;
		return true;
	}
	if (s && (*out = parse_epoch(s)) > 0)
		return true;
	return false;
}

enum az_err az_token_from_json(const char *body, size_t len, time_t now,
			       char **token, time_t *expires,
			       const char *source, struct az_error *err)
{
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", len), *jwt;
	const char *tok, *s;
	time_t t = -1, v;
	long exp;

	*token = NULL;
	tok = js_str(doc, "access_token");
	if (!tok)
		tok = js_str(doc, "accessToken");
	if (!tok || !*tok) {
		cJSON_Delete(doc);
		return az_fail(err, AZ_ERR_PROTOCOL, 0,
			       "%s: no access token in the reply", source);
	}
	if (num_field(doc, "expires_on", &v))
		t = v;
	else if ((s = js_str(doc, "expires_on")) &&
		 (v = az_parse_expires_on(s)) > 0)
		t = v;
	else if (num_field(doc, "expires_in", &v))
		t = now + v;
	else if ((s = js_str(doc, "expiresOn")) &&
		 (v = az_parse_local_time(s)) > 0)
		t = v;
	if (t <= 0) {
		jwt = az_jwt_payload(tok);
		if (js_long(jwt, "exp", &exp) && exp > 0)
			t = (time_t)exp;
		cJSON_Delete(jwt);
	}
	if (t <= 0) {
		log_debug("%s: no expiry in the token reply; assuming 10 "
			  "minutes", source);
		t = now + 600;
	}
	*token = strdup(tok);
	/* the parsed copy held the token: wipe it */
	explicit_bzero((char *)tok, strlen(tok));
	cJSON_Delete(doc);
	if (!*token)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	*expires = t;
	return AZ_OK;
}
