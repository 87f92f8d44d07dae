/**
 * @file
 * One validating pass over a list page (see jscan.h): a recursive-descent
 * recognizer of RFC 8259 that builds nothing, remembering only where the
 * top-level "value" elements and "nextLink" are. Every byte is looked at
 * once; strings, which are most of a ComputeResource, go through a table.
 */
#include "client/jscan.h"

#include <stdlib.h>
#include <string.h>

struct scan {
	const char *s, *end;
};

/*
 * Bytes a string's body may hold as they are: not '"' (0x22), '\\'
 * (0x5c) or < 0x20.
 */
static const unsigned char plain[256] = {
	[0x20 ... 0x21] = 1, [0x23 ... 0x5b] = 1, [0x5d ... 0xff] = 1,
};

static void ws(struct scan *sc)
{
	while (sc->s < sc->end && (*sc->s == ' ' || *sc->s == '\t' ||
				   *sc->s == '\n' || *sc->s == '\r'))
		sc->s++;
}

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* At '"': past the closing quote. */
static bool string(struct scan *sc)
{
	const unsigned char *p = (const unsigned char *)sc->s + 1;
	const unsigned char *end = (const unsigned char *)sc->end;

	for (;;) {
		while (p < end && plain[*p])
			p++;
		if (p >= end || *p < 0x20)
			return false;
		if (*p == '"')
			break;
		/* '\\' */
		if (++p >= end)
			return false;
		switch (*p) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n':
		case 'r': case 't':
			p++;
			break;
		case 'u':
			if (end - p < 5 || !hex(p[1]) || !hex(p[2]) ||
			    !hex(p[3]) || !hex(p[4]))
				return false;
			p += 5;
			break;
		default:
			return false;
		}
	}
	sc->s = (const char *)p + 1;
	return true;
}

static bool digits(struct scan *sc)
{
	const char *from = sc->s;

	while (sc->s < sc->end && *sc->s >= '0' && *sc->s <= '9')
		sc->s++;
	return sc->s > from;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number(struct scan *sc)
{
	if (*sc->s == '-')
		sc->s++;
	if (sc->s < sc->end && *sc->s == '0')
		sc->s++;
	else if (!digits(sc))
		return false;
	if (sc->s < sc->end && *sc->s == '.') {
		sc->s++;
		if (!digits(sc))
			return false;
	}
	if (sc->s < sc->end && (*sc->s == 'e' || *sc->s == 'E')) {
		sc->s++;
		if (sc->s < sc->end && (*sc->s == '+' || *sc->s == '-'))
			sc->s++;
		if (!digits(sc))
			return false;
	}
	return true;
}

static bool literal(struct scan *sc, const char *word, size_t n)
{
	if ((size_t)(sc->end - sc->s) < n || memcmp(sc->s, word, n))
		return false;
	sc->s += n;
	return true;
}

static bool value(struct scan *sc, int depth, struct jscan_page *pg);

enum more { MORE_BAD = -1, MORE_DONE, MORE_NEXT };

/* At '[' or '{': past it and the spaces after; true when @close follows. */
static bool open_empty(struct scan *sc, char close)
{
	sc->s++;
	ws(sc);
	if (sc->s < sc->end && *sc->s == close) {
		sc->s++;
		return true;
	}
	return false;
}

/* After a member or element: @close ends it, ',' means another. */
static enum more more(struct scan *sc, char close)
{
	ws(sc);
	if (sc->s >= sc->end)
		return MORE_BAD;
	if (*sc->s == close) {
		sc->s++;
		return MORE_DONE;
	}
	if (*sc->s++ != ',')
		return MORE_BAD;
	ws(sc);
	return MORE_NEXT;
}

/* At '[': past ']'. Each element's span goes to @pg unless it is NULL. */
static bool array(struct scan *sc, int depth, struct jscan_page *pg)
{
	enum more m = MORE_NEXT;

	if (open_empty(sc, ']'))
		return true;
	while (m == MORE_NEXT) {
		const char *from = sc->s;

		if (!value(sc, depth + 1, NULL))
			return false;
		if (pg) {
			if (pg->n == pg->cap) {
				size_t nc = pg->cap ? pg->cap * 2 : 64;
				struct jscan_span *ne =
					realloc(pg->elems, nc * sizeof(*ne));

				if (!ne) {
					pg->cap = (size_t)-1; /* tells OOM */
					return false;
				}
				pg->elems = ne;
				pg->cap = nc;
			}
			pg->elems[pg->n].p = from;
			pg->elems[pg->n++].len = (size_t)(sc->s - from);
		}
		m = more(sc, ']');
	}
	return m == MORE_DONE;
}

static bool key_is(const char *from, const char *to, const char *name)
{
	size_t n = strlen(name);

	return (size_t)(to - from) == n + 2 && !memcmp(from + 1, name, n);
}

/*
 * At '{': past '}'. At the top (@pg not NULL) the first "value" array's
 * elements and the first "nextLink" are noted.
 */
static bool object(struct scan *sc, int depth, struct jscan_page *pg)
{
	bool seen_value = false;
	enum more m = MORE_NEXT;

	if (open_empty(sc, '}'))
		return true;
	while (m == MORE_NEXT) {
		const char *k = sc->s, *ke, *v;
		bool collect = false;

		if (sc->s >= sc->end || *sc->s != '"' || !string(sc))
			return false;
		ke = sc->s;
		if (pg && !seen_value && key_is(k, ke, "value")) {
			seen_value = true;
			collect = true;
		}
		ws(sc);
		if (sc->s >= sc->end || *sc->s++ != ':')
			return false;
		ws(sc);
		v = sc->s;
		if (collect && sc->s < sc->end && *sc->s == '[')
			pg->has_value = true;
		else
			collect = false;
		if (!value(sc, depth + 1, collect ? pg : NULL))
			return false;
		if (pg && !pg->next_link.p && key_is(k, ke, "nextLink")) {
			pg->next_link.p = v;
			pg->next_link.len = (size_t)(sc->s - v);
		}
		m = more(sc, '}');
	}
	return m == MORE_DONE;
}

/* One value; @pg: collect the elements if it is an array (else NULL). */
static bool value(struct scan *sc, int depth, struct jscan_page *pg)
{
	if (sc->s >= sc->end || depth > JSCAN_MAX_DEPTH)
		return false;
	switch (*sc->s) {
	case '{':
		return object(sc, depth, NULL);
	case '[':
		return array(sc, depth, pg);
	case '"':
		return string(sc);
	case 't':
		return literal(sc, "true", 4);
	case 'f':
		return literal(sc, "false", 5);
	case 'n':
		return literal(sc, "null", 4);
	default:
		return number(sc);
	}
}

enum jscan_rc jscan_page(const char *s, size_t len, struct jscan_page *out)
{
	struct scan sc = { s, s + len };

	memset(out, 0, sizeof(*out));
	ws(&sc);
	if (sc.s >= sc.end || *sc.s != '{')
		return JSCAN_MALFORMED;
	if (!object(&sc, 1, out)) {
		if (out->cap == (size_t)-1) {
			out->cap = 0;
			return JSCAN_NOMEM;
		}
		return JSCAN_MALFORMED;
	}
	ws(&sc);
	return sc.s == sc.end ? JSCAN_OK : JSCAN_MALFORMED;
}

void jscan_page_free(struct jscan_page *pg)
{
	free(pg->elems);
	memset(pg, 0, sizeof(*pg));
}
