/**
 * @file
 * Parsing what is written into control, size and .create (see verbs.h).
 */
#include "fs/verbs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
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

static const char *const day_names[] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun",
};

/* The day @s[0..2] names (0 Monday), or -1. */
static int day_of(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return -1;
	for (i = 0; i < 7; i++)
		if (strncasecmp(s, day_names[i], 3) == 0)
			return i;
	return -1;
}

int cfs_parse_days(const char *s, size_t len, unsigned *out)
{
	const char *end = s + len;
	int a, b, i;

	*out = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;
		const char *dash = memchr(s, '-', (size_t)(item_end - s));

		if (dash) {
			a = day_of(s, (size_t)(dash - s));
			b = day_of(dash + 1, (size_t)(item_end - dash - 1));
		} else {
			a = b = day_of(s, (size_t)(item_end - s));
		}
		if (a < 0 || b < 0)
			return -1;
		for (i = a;; i = (i + 1) % 7) { /* Sat-Mon wraps */
			*out |= 1u << i;
			if (i == b)
				break;
		}
		s = comma ? comma + 1 : end;
	}
	return *out ? 0 : -1;
}

/* "HH:MM", 00:00 to 23:59. */
static int take_time(char *dst, const char *v, size_t n)
{
	if (n != 5 || v[2] != ':' || !isdigit((unsigned char)v[0]) ||
	    !isdigit((unsigned char)v[1]) || !isdigit((unsigned char)v[3]) ||
	    !isdigit((unsigned char)v[4]) ||
	    (v[0] - '0') * 10 + (v[1] - '0') > 23 || v[3] > '5')
		return -1;
	memcpy(dst, v, 5);
	dst[5] = '\0';
	return 0;
}

/* A Windows time-zone name, '_' for a space: "W._Europe_Standard_Time". */
static int take_zone(char *dst, size_t dlen, const char *v, size_t n)
{
	size_t i;

	if (n == 0 || n >= dlen)
		return -1;
	for (i = 0; i < n; i++) {
		char ch = v[i];

		if (!isalnum((unsigned char)ch) && !strchr("_.-+()", ch))
			return -1;
		dst[i] = ch == '_' ? ' ' : ch;
	}
	dst[n] = '\0';
	return 0;
}

/* Minutes of idle time, Azure's 15 to 4320. */
static int take_idle(long *dst, const char *v, size_t n)
{
	char num[16], *end;
	long m;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, v, n);
	num[n] = '\0';
	errno = 0;
	m = strtol(num, &end, 10);
	if (errno || *end || m < AZ_IDLE_MIN || m > AZ_IDLE_MAX)
		return -1;
	*dst = m;
	return 0;
}

int cfs_parse_idle(const char *buf, size_t len, long *minutes, char *why,
		   size_t whylen)
{
	trim(&buf, &len);
	if (len == 3 && strncasecmp(buf, "off", 3) == 0) {
		snprintf(why, whylen, "Azure's API cannot turn idle shutdown "
			 "off; set it to at most %d minutes", AZ_IDLE_MAX);
		return -EINVAL;
	}
	if (take_idle(minutes, buf, len) < 0) {
		snprintf(why, whylen, "expected minutes, %d to %d",
			 AZ_IDLE_MIN, AZ_IDLE_MAX);
		return -EINVAL;
	}
	return 0;
}

/* The keys of a .create line, in the order of their CK_ index. */
enum {
	CK_SIZE, CK_SSH_KEY, CK_SUBNET, CK_ASSIGN_TO, CK_IDLE, CK_START_AT,
	CK_STOP_AT, CK_DAYS, CK_TZ,
};
static const char *const create_keys[] = {
	"size", "ssh_key", "subnet", "assign_to", "idle", "start_at",
	"stop_at", "days", "tz",
};

/* The CK_ index of key [k, k + kl), or -1. */
static int create_key(const char *k, size_t kl)
{
	for (size_t i = 0; i < sizeof(create_keys) / sizeof(*create_keys);
	     i++)
		if (strlen(create_keys[i]) == kl &&
		    strncmp(k, create_keys[i], kl) == 0)
			return (int)i;
	return -1;
}

int cfs_parse_create(const char *buf, size_t len, struct cfs_create *out,
		     char *why, size_t whylen)
{
	const char *end;
	size_t n;
	int words = 0;
	unsigned seen = 0; /* bit k: create_keys[k] given */

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
			const char *v = eq + 1;
			int k = create_key(buf, kl), bad = 0;

			if (k < 0) {
				snprintf(why, whylen, "unknown key '%.*s'",
					 (int)(kl > 40 ? 40 : kl), buf);
				return -EINVAL;
			}
			if (seen & (1u << k)) {
				snprintf(why, whylen, "'%s' given twice",
					 create_keys[k]);
				return -EINVAL;
			}
			seen |= 1u << k;
			switch (k) {
			case CK_SIZE:
				bad = cfs_parse_size(v, vl, out->size,
						     sizeof(out->size));
				break;
			case CK_SSH_KEY:
				bad = take(out->ssh_key, sizeof(out->ssh_key),
					   v, vl);
				break;
			case CK_SUBNET:
				bad = take(out->subnet, sizeof(out->subnet), v,
					   vl);
				break;
			case CK_ASSIGN_TO:
				bad = parse_assign(out, v, vl);
				break;
			case CK_IDLE:
				bad = take_idle(&out->idle, v, vl);
				break;
			case CK_START_AT:
				bad = take_time(out->start_at, v, vl);
				break;
			case CK_STOP_AT:
				bad = take_time(out->stop_at, v, vl);
				break;
			case CK_DAYS:
				bad = cfs_parse_days(v, vl, &out->days);
				break;
			case CK_TZ:
				bad = take_zone(out->tz, sizeof(out->tz), v,
						vl);
				break;
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
	if ((out->days || out->tz[0]) && !out->start_at[0] &&
	    !out->stop_at[0]) {
		snprintf(why, whylen, "days= and tz= go with start_at= or "
			 "stop_at=");
		return -EINVAL;
	}
	if (!az_compute_name_valid(out->name, why, whylen))
		return -EINVAL;
	return 0;
}

/*
 * One OpenSSH public key line: "TYPE BASE64 [COMMENT]", TYPE starting
 * as OpenSSH's key types do ("ssh-", "ecdsa-", "sk-"), BASE64 of 16
 * characters at least; printable ASCII only (no CR inside, no second
 * line). A private key or a token file is not one.
 */
static bool public_key_line(const char *s)
{
	const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789+/=";
	size_t t, k;

	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	if (strncmp(s, "ssh-", 4) != 0 && strncmp(s, "ecdsa-", 6) != 0 &&
	    strncmp(s, "sk-", 3) != 0)
		return false;
	t = strcspn(s, " ");
	if (s[t] != ' ')
		return false;
	k = strspn(s + t + 1, b64);
	return k >= 16 && (s[t + 1 + k] == '\0' || s[t + 1 + k] == ' ');
}

/*
 * See verbs.h.
 */
int cfs_read_ssh_key(const char *path, uid_t uid, char *out, size_t len)
{
	struct stat st;
	ssize_t n;
	/* O_NONBLOCK: a FIFO's open would wait for a writer (fstat then
	 * refuses it); reads of a regular file ignore the flag */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	if (fd < 0)
		return -errno; /* ELOOP: a symbolic link (O_NOFOLLOW) */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uid != 0 && st.st_uid != uid)) {
		close(fd);
		return -EACCES;
	}
	n = read(fd, out, len);
	close(fd);
	if (n > 0 && (size_t)n == len)
		return -EFBIG; /* larger than a key can be */
	if (n <= 0)
		return -EINVAL;
	out[n] = '\0';
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' ||
			 out[n - 1] == ' '))
		out[--n] = '\0';
	return public_key_line(out) ? 0 : -EINVAL;
}
