/**
 * @file
 * Listing every compute across nextLink pages (see client.h).
 *
 * DESIGN
 * A page is scanned, not parsed (jscan.h): each element of "value" is
 * hashed as the bytes Azure sent (XXH3), and only an element the previous
 * listing did not hold byte for byte is parsed into a tree and mapped.
 * A refresh of a workspace where nothing changed so builds no tree at
 * all. nextLink is followed verbatim on the endpoint's origin only (see
 * client.c), never twice.
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

#include "client/client_impl.h"
#include "client/http.h"
#include "client/jscan.h"
#include "util/call.h"
#include "util/log.h"

static enum az_err malformed(const struct az_http_resp *resp,
			     struct az_error *err)
{
	log_warn("malformed reply to the compute list (HTTP %ld)",
		 resp->status);
	return az_fail(err, AZ_ERR_PROTOCOL, resp->status,
		       "malformed reply to the compute list: not a JSON "
		       "object");
}

/* What take_elem() made of one element. */
enum elem_rc {
	ELEM_OK,
	ELEM_SKIP,      /* not a compute with a usable name */
	ELEM_NOMEM,
	ELEM_MALFORMED, /* cJSON refuses what the scanner let through (a
			   lone surrogate "\ud800"), or ran out of memory:
			   it does not say which */
};

/*
 * One element of "value" into *@out: a stub pointing at the compute
 * @prev holds with the same bytes, else the element parsed and mapped.
 */
static enum elem_rc take_elem(const struct jscan_span *sp,
			      struct az_compute *out,
			      const struct az_list_prev *prev)
{
	uint64_t h = XXH3_64bits(sp->p, sp->len);
	const struct az_compute *same;
	enum az_err e;
	cJSON *obj;

	if (!h)
		h = 1; /* 0 means "not known" */
	same = prev ? prev->find(prev->ctx, h) : NULL;
	if (same) {
		memset(out, 0, sizeof(*out));
		out->same_as = same;
		out->raw_hash = h;
		return ELEM_OK;
	}
	obj = cJSON_ParseWithLength(sp->p, sp->len);
	if (!obj)
		return ELEM_MALFORMED;
	e = az_compute_from_json(obj, out);
	cJSON_Delete(obj);
	if (e == AZ_ERR_NOMEM)
		return ELEM_NOMEM;
	if (e != AZ_OK)
		return ELEM_SKIP;
	out->raw_hash = h;
	return ELEM_OK;
}

/*
 * Append page @pg's elements to *@v (count *@n, capacity *@cap). An
 * element that does not parse fails the page, as a page that does not
 * parse does: the listing held is kept.
 */
static enum az_err take_page(const struct jscan_page *pg,
			     struct az_compute **v, size_t *n, size_t *cap,
			     const struct az_list_prev *prev,
			     struct az_error *err)
{
	size_t i;

	if (!pg->has_value)
		return az_fail(err, AZ_ERR_PROTOCOL, 200,
			       "malformed compute list: no \"value\" array");
	for (i = 0; i < pg->n; i++) {
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 64;
			struct az_compute *nv = realloc(*v, nc * sizeof(**v));

			if (!nv)
				return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
			*v = nv;
			*cap = nc;
		}
		switch (take_elem(&pg->elems[i], &(*v)[*n], prev)) {
		case ELEM_OK:
			(*n)++;
			break;
		case ELEM_SKIP:
			log_warn("skipping a compute without a usable name "
				 "in the list");
			break;
		case ELEM_NOMEM:
			return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		case ELEM_MALFORMED:
			log_warn("malformed compute in the list (element %zu "
				 "of its page, %zu bytes)", i, pg->elems[i].len);
			return az_fail(err, AZ_ERR_PROTOCOL, 200,
				       "malformed reply to the compute list: "
				       "a compute that does not parse");
		}
	}
	return AZ_OK;
}

/*
 * The next page's URL from @pg (of the page at @cur), or NULL (with
 * *@e = AZ_OK) at the end: no nextLink, or one that is not a string.
 * Refuses a link seen before (a loop).
 */
static char *next_link(const struct jscan_page *pg, const char *cur,
		       char **seen, size_t n_seen, enum az_err *e,
		       struct az_error *err)
{
	cJSON *tok = NULL;
	const char *link = NULL;
	char *url = NULL;
	size_t i;

	*e = AZ_OK;
	if (pg->next_link.len) {
		tok = cJSON_ParseWithLength(pg->next_link.p,
					    pg->next_link.len);
		if (!tok) {
			*e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
			return NULL;
		}
		link = cJSON_IsString(tok) ? tok->valuestring : NULL;
	}
	if (!link || !*link) {
		cJSON_Delete(tok);
		return NULL;
	}
	if (strncasecmp(link, "https://", 8) == 0 ||
	    strncasecmp(link, "http://", 7) == 0)
		url = strdup(link); /* verbatim */
	else
		url = az_url_resolve(cur, link);
	cJSON_Delete(tok);
	if (!url) {
		*e = az_fail(err, AZ_ERR_PROTOCOL, 200,
			     "malformed nextLink in the compute list");
		return NULL;
	}
	for (i = 0; i < n_seen; i++) {
		if (strcmp(seen[i], url) == 0) {
			free(url);
			*e = az_fail(err, AZ_ERR_PROTOCOL, 200,
				     "the compute list's nextLink loops");
			log_warn("the compute list's nextLink loops");
			return NULL;
		}
	}
	return url;
}

enum az_err az_list_computes(struct az_client *c, struct az_compute **out,
			     size_t *n, struct az_error *err)
{
	return az_list_computes_prev(c, NULL, out, n, err);
}

/* Past a bound: @what logged, counted in lists_cut. */
static enum az_err cut(struct az_client *c, struct az_error *err,
		       const char *fmt, int bound)
{
	enum az_err e = az_fail(err, AZ_ERR_PROTOCOL, 200, fmt, bound);

	log_warn(fmt, bound);
	atomic_fetch_add(&c->lists_cut, 1);
	return e;
}

enum az_err az_list_computes_prev(struct az_client *c,
				  const struct az_list_prev *prev,
				  struct az_compute **out, size_t *n,
				  struct az_error *err)
{
	struct az_compute *v = NULL;
	size_t count = 0, cap = 0, pages = 0, before, empty_run = 0, i;
	char **seen;
	char *url = NULL;
	enum az_err e = AZ_OK;
	struct call k;

	*out = NULL;
	*n = 0;
	call_enter(&k, c->list_timeout); /* every page within this */
	seen = calloc(AZ_LIST_MAX_PAGES, sizeof(*seen));
	if (seen && asprintf(&url, "%s/computes?api-version=" AZ_API_VERSION,
			     c->ws_url) < 0)
		url = NULL;
	if (!seen || !url) {
		e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		goto out;
	}
	while (url) {
		struct az_http_resp resp;
		struct jscan_page pg;
		enum jscan_rc sr;

		if (pages == AZ_LIST_MAX_PAGES) {
			e = cut(c, err, "the compute list has more than %d "
				"pages", AZ_LIST_MAX_PAGES);
			break;
		}
		if (empty_run == AZ_LIST_MAX_EMPTY_RUN) {
			/* a server that pages nothing forever: stop here */
			e = cut(c, err, "the compute list sent %d empty "
				"pages in a row, each with a nextLink",
				AZ_LIST_MAX_EMPTY_RUN);
			break;
		}
		seen[pages++] = url; /* seen owns it now */
		url = NULL;
		memset(&pg, 0, sizeof(pg));
		e = az_client_send(c, "GET", seen[pages - 1], NULL, &resp,
				   err);
		if (e == AZ_OK && resp.status != 200)
			e = az_fail(err, AZ_ERR_PROTOCOL, resp.status,
				    "unexpected HTTP %ld to the compute list",
				    resp.status);
		if (e == AZ_OK) {
			sr = jscan_page(resp.body ? resp.body : "", resp.len,
					&pg);
			if (sr == JSCAN_NOMEM)
				e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
			else if (sr != JSCAN_OK)
				e = malformed(&resp, err);
		}
		before = count;
		if (e == AZ_OK)
			e = take_page(&pg, &v, &count, &cap, prev, err);
		empty_run = count == before ? empty_run + 1 : 0;
		if (e == AZ_OK)
			url = next_link(&pg, seen[pages - 1], seen, pages,
					&e, err);
		jscan_page_free(&pg);
		az_http_resp_free(&resp);
		if (e != AZ_OK)
			break;
	}
out:
	call_leave(&k);
	atomic_store(&c->list_pages, pages);
	free(url); /* not yet in seen */
	for (i = 0; i < pages; i++)
		free(seen[i]);
	free(seen);
	if (e != AZ_OK) {
		az_compute_free_array(v, count);
		return e;
	}
	*out = v;
	*n = count;
	return AZ_OK;
}
