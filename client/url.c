/**
 * @file
 * URL checks for the client (see http.h): where a bearer token may be
 * sent, same-origin checks for server-supplied links, log-safe forms and
 * escaping. Parsing is libcurl's (CURLU), so it matches what curl sends.
 */
#include "client/http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct origin {
	char *scheme, *host, *port;
};

static void origin_free(struct origin *o)
{
	curl_free(o->scheme);
	curl_free(o->host);
	curl_free(o->port);
}

static bool origin_get(const char *url, struct origin *o)
{
	CURLU *u = curl_url();
	bool ok = false;

	memset(o, 0, sizeof(*o));
	if (!u || !url)
		goto out;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, &o->scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &o->host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &o->port,
			 CURLU_DEFAULT_PORT) != CURLUE_OK)
		goto out;
	ok = true;
out:
	if (!ok)
		origin_free(o);
	curl_url_cleanup(u);
	return ok;
}

static bool host_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n > 2 && n < sizeof(buf) && host[0] == '[' && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) == 1)
			return IN6_IS_ADDR_LOOPBACK(&a6);
	}
	return false;
}

bool az_url_token_safe(const char *url)
{
	struct origin o;
	bool ok = false;

	if (!origin_get(url, &o))
		return false;
	if (strcasecmp(o.scheme, "https") == 0)
		ok = true;
	else if (strcasecmp(o.scheme, "http") == 0)
		ok = host_loopback(o.host);
	origin_free(&o);
	return ok;
}

bool az_url_same_origin(const char *a, const char *b)
{
	struct origin oa, ob;
	bool same;

	if (!origin_get(a, &oa))
		return false;
	if (!origin_get(b, &ob)) {
		origin_free(&oa);
		return false;
	}
	same = strcasecmp(oa.scheme, ob.scheme) == 0 &&
	       strcasecmp(oa.host, ob.host) == 0 &&
	       strcmp(oa.port, ob.port) == 0;
	origin_free(&oa);
	origin_free(&ob);
	return same;
}

void az_url_for_log(const char *url, char *buf, size_t len)
{
	size_t n = strcspn(url ? url : "", "?#"), i;
	char *p;

	snprintf(buf, len, "%.*s%s", (int)(n > 300 ? 300 : n), url ? url : "",
		 n > 300 ? "..." : "");
	/* a server-given link may hold anything: keep the line one line */
	for (p = buf, i = 0; i < len && *p; p++, i++)
		if (iscntrl((unsigned char)*p))
			*p = ' ';
}

char *az_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i, j = 0;
	char *out = malloc(n * 3 + 1);

	if (!out)
		return NULL;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
		    ch == '_' || ch == '~') {
			out[j++] = (char)ch;
		} else {
			out[j++] = '%';
			out[j++] = hex[ch >> 4];
			out[j++] = hex[ch & 15];
		}
	}
	out[j] = '\0';
	return out;
}

char *az_url_resolve(const char *base, const char *ref)
{
	CURLU *u = curl_url();
	char *tmp = NULL, *out = NULL;

	if (!u)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &tmp, 0) == CURLUE_OK)
		out = strdup(tmp);
	curl_free(tmp);
	curl_url_cleanup(u);
	return out;
}
