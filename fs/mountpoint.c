/**
 * @file
 * Is a path already a mount point? (see fs.h: cfs_mounted()). Read from
 * /proc/self/mountinfo, whose fifth field is the mount point with space,
 * tab, newline and backslash written as octal escapes (proc(5)).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs.h"

/* Undo mountinfo's octal escapes ("\040" for a space) in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

int cfs_mounted(const char *path)
{
	char real[PATH_MAX], line[2 * PATH_MAX + 512], *f, *end;
	FILE *mi;
	int found = 0, i;

	if (!realpath(path, real))
		return errno == ENOTCONN ? 1 : 0; /* a FUSE mount, its daemon
						     gone */
	mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return 0;
	while (!found && fgets(line, sizeof(line), mi)) {
		/* the fifth space-separated field */
		for (f = line, i = 1; f && i < 5; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (!f)
			continue;
		end = strchr(f, ' ');
		if (end)
			*end = '\0';
		unescape(f);
		found = strcmp(f, real) == 0;
	}
	fclose(mi);
	return found;
}
