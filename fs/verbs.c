/**
 * @file
 * Parsing what is written into control, size and .create (see verbs.h).
 */
#include "fs/verbs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client/compute.h"

/* Trim white space from both ends of [*s, *s + *len). */
static void trim(const char **s, size_t *len)
{
	while (*len && isspace((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len && isspace((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

bool cfs_blank(const char *buf, size_t len)
{
	trim(&buf, &len);
	return len == 0;
}

int cfs_parse_verb(const char *buf, size_t len, enum cache_verb *v)
{
	static const struct {
		const char *word;
		enum cache_verb verb;
	} verbs[] = {
		{ "start", CACHE_START },
		{ "stop", CACHE_STOP },
		{ "restart", CACHE_RESTART },
	};

	trim(&buf, &len);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (len == strlen(verbs[i].word) &&
		    strncasecmp(buf, verbs[i].word, len) == 0) {
			*v = verbs[i].verb;
			return 0;
		}
	}
	return -EINVAL;
}

int cfs_parse_size(const char *buf, size_t len, char *out, size_t outlen)
{
	trim(&buf, &len);
	if (len == 0 || len >= outlen || len > 63)
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)buf[i]) && buf[i] != '_')
			return -EINVAL;
	memcpy(out, buf, len);
	out[len] = '\0';
	return 0;
}

/* Copy the value of "key=value" into @dst; -1 when it does not fit. */
static int take(char *dst, size_t dlen, const char *val, size_t vlen)
{
	if (vlen == 0 || vlen >= dlen)
		return -1;
	memcpy(dst, val, vlen);
	dst[vlen] = '\0';
	return 0;
}

static int parse_assign(struct cfs_create *out, const char *v, size_t n)
{
	const char *at = memchr(v, '@', n);

	if (!at)
		return -1;
	return take(out->assign_oid, sizeof(out->assign_oid), v,
		    (size_t)(at - v)) ||
	       take(out->assign_tid, sizeof(out->assign_tid), at + 1,
		    n - (size_t)(at - v) - 1);
}

int cfs_parse_create(const char *buf, size_t len, struct cfs_create *out,
		     char *why, size_t whylen)
{
	const char *end;
	size_t n;
	int words = 0;

	memset(out, 0, sizeof(*out));
	trim(&buf, &len);
	if (memchr(buf, '\n', len)) {
		snprintf(why, whylen, "one instance a write");
		return -EINVAL;
	}
	end = buf + len;
	while (buf < end) {
		const char *eq;

		while (buf < end && isspace((unsigned char)*buf))
			buf++;
		for (n = 0; buf + n < end && !isspace((unsigned char)buf[n]);)
			n++;
		if (n == 0)
			break;
		eq = memchr(buf, '=', n);
		if (words++ == 0) {
			if (eq || take(out->name, sizeof(out->name), buf, n)) {
				snprintf(why, whylen, "the line must start "
						      "with the name");
				return -EINVAL;
			}
		} else if (!eq) {
			snprintf(why, whylen, "expected key=value, got '%.*s'",
				 (int)(n > 40 ? 40 : n), buf);
			return -EINVAL;
		} else {
			size_t kl = (size_t)(eq - buf), vl = n - kl - 1;
			int bad;

			if (kl == 4 && strncmp(buf, "size", 4) == 0)
				bad = cfs_parse_size(eq + 1, vl, out->size,
						     sizeof(out->size));
			else if (kl == 7 && strncmp(buf, "ssh_key", 7) == 0)
				bad = take(out->ssh_key, sizeof(out->ssh_key),
					   eq + 1, vl);
			else if (kl == 6 && strncmp(buf, "subnet", 6) == 0)
				bad = take(out->subnet, sizeof(out->subnet),
					   eq + 1, vl);
			else if (kl == 9 && strncmp(buf, "assign_to", 9) == 0)
				bad = parse_assign(out, eq + 1, vl);
			else {
				snprintf(why, whylen, "unknown key '%.*s'",
					 (int)(kl > 40 ? 40 : kl), buf);
				return -EINVAL;
			}
			if (bad) {
				snprintf(why, whylen, "bad value for '%.*s'",
					 (int)kl, buf);
				return -EINVAL;
			}
		}
		buf += n;
	}
	if (!out->name[0]) {
		snprintf(why, whylen, "no name given");
		return -EINVAL;
	}
	if (!az_compute_name_valid(out->name, why, whylen))
		return -EINVAL;
	return 0;
}
