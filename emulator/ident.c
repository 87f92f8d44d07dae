/**
 * @file
 * Deterministic user object ids (see ident.h).
 */
#include "emulator/ident.h"

#include <stdint.h>
#include <stdio.h>

static uint64_t fnv1a(const char *s, uint64_t h)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void ident_user_oid(const char *name, char out[37])
{
	uint64_t a = fnv1a(name, 14695981039346656037ULL);
	uint64_t b = fnv1a(name, a);

	snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012llx",
		 (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
		 (unsigned)a & 0xfff, (unsigned)(b >> 52) & 0xfff,
		 (unsigned long long)(b & 0xffffffffffffULL));
}
