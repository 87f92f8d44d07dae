/**
 * @file
 * A compute-list page without a tree: the byte spans of the elements of
 * its "value" array and of its "nextLink", found by one validating pass
 * over the bytes (RFC 8259's grammar, nesting at most JSCAN_MAX_DEPTH).
 *
 * Why: a refresh hashes each element's bytes and parses only those it has
 * not seen before; most of a workspace is the same from one listing to
 * the next (Azure's list reply, docs/azure-api.md section 5:
 * {"value": [ComputeResource...], "nextLink": "..."}).
 */
#ifndef COMPUTEFS_CLIENT_JSCAN_H
#define COMPUTEFS_CLIENT_JSCAN_H

#include <stdbool.h>
#include <stddef.h>

#define JSCAN_MAX_DEPTH 1000 /* as cJSON's CJSON_NESTING_LIMIT */

/* @len bytes at @p, inside the scanned body (not NUL-terminated). */
struct jscan_span {
	const char *p;
	size_t len;
};

struct jscan_page {
	struct jscan_span *elems; /* malloc'd: each element of "value", as
				     its bytes (no surrounding spaces) */
	size_t n;                 /* elements */
	size_t cap;
	bool has_value;           /* the first "value" member is an array */
	struct jscan_span next_link; /* the first "nextLink" member's value
					token (a string with its quotes,
					or null, ...); len 0: absent */
};

enum jscan_rc {
	JSCAN_OK = 0,
	JSCAN_MALFORMED = -1, /* not one JSON object (trailing spaces only) */
	JSCAN_NOMEM = -2,
};

/*
 * Scan @len bytes at @s (need not be NUL-terminated). On JSCAN_OK *@out
 * holds spans into @s (valid while @s is); free with jscan_page_free()
 * whatever the result. Member names are matched as they are spelled on
 * the wire ("value", not an escaped form of it).
 */
enum jscan_rc jscan_page(const char *s, size_t len, struct jscan_page *out);

void jscan_page_free(struct jscan_page *pg);

#endif
