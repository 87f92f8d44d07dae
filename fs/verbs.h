/**
 * @file
 * What users write into computefs's files, parsed before anything is
 * asked of Azure: a verb into control, a VM size into size, a creation
 * line into .create. Pure functions, so bad input is refused (EINVAL)
 * without a request.
 */
#ifndef COMPUTEFS_FS_VERBS_H
#define COMPUTEFS_FS_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cache/cache.h"

/* true when [buf, buf + len) is only white space, or empty. */
bool cfs_blank(const char *buf, size_t len);

/*
 * One verb, "start", "stop" or "restart": case and white space around it
 * ignored. Returns 0, or -EINVAL (empty, unknown, or more than one word).
 */
int cfs_parse_verb(const char *buf, size_t len, enum cache_verb *v);

/*
 * One VM size ("Standard_DS3_v2"): letters, digits and '_', at most 63
 * characters, white space around it ignored. Returns 0 or -EINVAL.
 */
int cfs_parse_size(const char *buf, size_t len, char *out, size_t outlen);

struct cfs_create {
	char name[64];
	char size[64];       /* "" when not given */
	char ssh_key[4096];  /* a path; "" when not given */
	char subnet[512];    /* an ARM id; "" when not given */
	char assign_oid[64]; /* assign_to=OID@TID; "" when not given */
	char assign_tid[64];
	long idle;           /* idle=MINUTES; 0 when not given */
	char start_at[6];    /* start_at=HH:MM; "" when not given */
	char stop_at[6];     /* stop_at=HH:MM; "" when not given */
	unsigned days;       /* days=Mon-Fri: bit 0 Monday .. 6 Sunday;
				0 when not given (every day) */
	char tz[64];         /* tz=ZONE, '_' read as a space; "" : UTC */
};

/*
 * "NAME [size=S] [ssh_key=PATH] [subnet=ID] [assign_to=OID@TID]
 * [idle=MIN] [start_at=HH:MM] [stop_at=HH:MM] [days=D] [tz=ZONE]", one
 * line. The name must satisfy Azure's rule (az_compute_name_valid); idle
 * is 15 to 4320 minutes; days a list or range of Mon..Sun
 * ("Mon-Fri", "Sat,Sun"), used only with start_at or stop_at; tz a
 * Windows time-zone name with '_' for its spaces
 * ("W._Europe_Standard_Time"). Returns 0, or -EINVAL with a reason in
 * @why.
 */
int cfs_parse_create(const char *buf, size_t len, struct cfs_create *out,
		     char *why, size_t whylen);

/*
 * The idle shutdown written to NAME/idle_shutdown: minutes, 15 to 4320
 * (Azure's range). "off" is refused with a reason: Azure's API cannot
 * turn it off. Returns 0, or -EINVAL with a reason in @why.
 */
int cfs_parse_idle(const char *buf, size_t len, long *minutes, char *why,
		   size_t whylen);

/* "Mon-Fri", "Mon,Wed,Fri", "sat-sun" to bits (0 Monday); -1: bad. */
int cfs_parse_days(const char *s, size_t len, unsigned *out);

/*
 * Read the public key file at @path (absolute) for the caller @uid into
 * @out (@len bytes, NUL-terminated, trailing white space cut). The file
 * must be a regular file, not a symlink, of the caller's own (or the
 * caller be root), so a shared mount cannot be used to read other
 * people's files; and hold one line that starts as OpenSSH public keys
 * do ("ssh-", "ecdsa-", "sk-"). Never blocks (a FIFO is opened
 * O_NONBLOCK, then refused). Returns 0, or -errno: open(2)'s (ENOENT,
 * EACCES, ELOOP for a symlink, ...), EACCES (not a regular file of the
 * caller's), EFBIG (@len bytes or more), EINVAL (empty, or not one
 * public key: a private one?).
 */
int cfs_read_ssh_key(const char *path, uid_t uid, char *out, size_t len);

#endif
