/**
 * @file
 * Unit tests of client/jscan.c (a list page's element spans without a
 * tree) and of a listing that reuses what the last one held
 * (az_list_computes_prev against the scripted server of http_server.h):
 * spans are exact, strings with brackets and escapes do not confuse it,
 * the first "value" and "nextLink" count, what RFC 8259 refuses is
 * refused, and an unchanged element comes back as a stub while a changed
 * one is parsed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/client.h"
#include "client/jscan.h"
#include "http_server.h"

static enum jscan_rc scan(const char *s, struct jscan_page *pg)
{
	return jscan_page(s, strlen(s), pg);
}

static void assert_span(const struct jscan_span *sp, const char *want)
{
	assert_int_equal(sp->len, strlen(want));
	assert_memory_equal(sp->p, want, sp->len);
}

static void test_spans(void **state)
{
	struct jscan_page pg;

	(void)state;
	assert_int_equal(scan(" {\"id\":\"x\", \"value\" : [ {\"name\":\"a\","
			      "\"s\":\"]}\\\"[{\"} ,\n\t{\"n\":[1,2.5e-3,-0,"
			      "true,false,null,{}]} ,\"str\\u00e9\", 7 ],"
			      "\"nextLink\":\"http://h/p?$skip=1\"}\r\n", &pg),
			 JSCAN_OK);
	assert_true(pg.has_value);
	assert_int_equal(pg.n, 4);
	assert_span(&pg.elems[0], "{\"name\":\"a\",\"s\":\"]}\\\"[{\"}");
	assert_span(&pg.elems[1], "{\"n\":[1,2.5e-3,-0,true,false,null,{}]}");
	assert_span(&pg.elems[2], "\"str\\u00e9\"");
	assert_span(&pg.elems[3], "7");
	assert_span(&pg.next_link, "\"http://h/p?$skip=1\"");
	jscan_page_free(&pg);

	/* empty, null link, no link */
	assert_int_equal(scan("{\"value\":[],\"nextLink\":null}", &pg),
			 JSCAN_OK);
	assert_true(pg.has_value);
	assert_int_equal(pg.n, 0);
	assert_span(&pg.next_link, "null");
	jscan_page_free(&pg);
	assert_int_equal(scan("{\"value\":[{}]}", &pg), JSCAN_OK);
	assert_int_equal(pg.n, 1);
	assert_int_equal(pg.next_link.len, 0);
	jscan_page_free(&pg);
}

static void test_members(void **state)
{
	struct jscan_page pg;

	(void)state;
	/* the first "value" and "nextLink" count, as cJSON's lookup */
	assert_int_equal(scan("{\"nextLink\":\"a\",\"value\":[1],"
			      "\"value\":[2,3],\"nextLink\":\"b\"}", &pg),
			 JSCAN_OK);
	assert_int_equal(pg.n, 1);
	assert_span(&pg.elems[0], "1");
	assert_span(&pg.next_link, "\"a\"");
	jscan_page_free(&pg);
	/* not an array; nested "value" does not count; other spellings */
	assert_int_equal(scan("{\"value\":{\"value\":[1]}}", &pg), JSCAN_OK);
	assert_false(pg.has_value);
	jscan_page_free(&pg);
	assert_int_equal(scan("{\"x\":{\"value\":[1]},\"Value\":[1],"
			      "\"values\":[1]}", &pg), JSCAN_OK);
	assert_false(pg.has_value);
	assert_int_equal(pg.n, 0);
	jscan_page_free(&pg);
	/* a key that merely contains the name */
	assert_int_equal(scan("{\"nextLinks\":\"x\",\"avalue\":[1]}", &pg),
			 JSCAN_OK);
	assert_false(pg.has_value);
	assert_int_equal(pg.next_link.len, 0);
	jscan_page_free(&pg);
}

static void test_malformed(void **state)
{
	static const char *bad[] = {
		"", "   ", "[]", "\"x\"", "{", "{\"value\":[1,]}",
		"{\"value\":[1 2]}", "{\"value\":[1]} x", "{\"a\" 1}",
		"{\"a\":}", "{,}", "{\"a\":1,}", "{\"a\":01}", "{\"a\":1.}",
		"{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}", "{\"a\":-}",
		"{\"a\":tru}", "{\"a\":nul}", "{\"a\":\"\\x\"}",
		"{\"a\":\"\\u12g4\"}", "{\"a\":\"tab\there\"}",
		"{\"a\":\"open}", "{\"a\":[}", "{\"a\":{]}", "{a:1}",
		"{\"value\":[{\"n\":\"a\"}]}{}",
	};
	struct jscan_page pg;
	char deep[2 * JSCAN_MAX_DEPTH + 64];
	size_t i, at = 0;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (scan(bad[i], &pg) != JSCAN_MALFORMED)
			fail_msg("accepted: %s", bad[i]);
		jscan_page_free(&pg);
	}
	/* nesting past the bound */
	at += (size_t)sprintf(deep, "{\"value\":");
	for (i = 0; i < JSCAN_MAX_DEPTH + 1; i++)
		deep[at++] = '[';
	for (i = 0; i < JSCAN_MAX_DEPTH + 1; i++)
		deep[at++] = ']';
	strcpy(deep + at, "}");
	assert_int_equal(scan(deep, &pg), JSCAN_MALFORMED);
	jscan_page_free(&pg);
	/* the length counts, not a NUL: one byte short is cut */
	assert_int_equal(jscan_page("{\"value\":[]}", 11, &pg),
			 JSCAN_MALFORMED);
	jscan_page_free(&pg);
}

/* ---- a listing reusing the last one ---- */

#define CI(name, state) "{\"name\":\"" name "\",\"properties\":" \
	"{\"computeType\":\"ComputeInstance\",\"properties\":" \
	"{\"state\":\"" state "\"}}}"

struct held {
	struct az_compute *v;
	size_t n;
	int finds;
};

static const struct az_compute *held_find(void *ctx, uint64_t hash)
{
	struct held *h = ctx;
	size_t i;

	h->finds++;
	for (i = 0; i < h->n; i++)
		if (h->v[i].raw_hash == hash)
			return &h->v[i];
	return NULL;
}

static void test_list_reuses_unchanged(void **state)
{
	struct az_client *c = new_client(0, 5000);
	struct az_compute *v;
	struct held h = { 0 };
	struct az_list_prev prev = { held_find, &h };
	struct az_error err;
	char page1[512];
	size_t n;

	(void)state;
	snprintf(page1, sizeof(page1), "{\"value\":[" CI("ci-a", "Running")
		 "," CI("ci-b", "Stopped") "],\"nextLink\":\"http://127.0.0.1:"
		 "%d" WS_PATH "/computes?p=2\"}", srv.port);
	script_reset();
	script(200, NULL, page1);
	script(200, NULL, "{\"value\":[" CI("ci-c", "Running") "]}");
	assert_int_equal(az_list_computes_prev(c, &prev, &h.v, &h.n, &err),
			 AZ_OK);
	assert_int_equal(h.n, 3);
	assert_int_equal(h.finds, 3); /* nothing held: every one parsed */
	for (n = 0; n < h.n; n++) {
		assert_null(h.v[n].same_as);
		assert_true(h.v[n].raw_hash != 0);
	}
	assert_int_not_equal(h.v[0].raw_hash, h.v[1].raw_hash);

	/* again, ci-b stopped -> starting, in a different page layout */
	script_reset();
	script(200, NULL, "{\"value\":[" CI("ci-a", "Running") ",\n "
	       CI("ci-b", "Starting") ", " CI("ci-c", "Running") "]}");
	assert_int_equal(az_list_computes_prev(c, &prev, &v, &n, &err),
			 AZ_OK);
	assert_int_equal(n, 3);
	assert_ptr_equal(v[0].same_as, &h.v[0]);
	assert_null(v[0].name); /* a stub */
	assert_null(v[1].same_as);
	assert_string_equal(v[1].name, "ci-b");
	assert_string_equal(v[1].state, "Starting");
	assert_ptr_equal(v[2].same_as, &h.v[2]);
	assert_int_equal(v[2].raw_hash, h.v[2].raw_hash);
	az_compute_free_array(v, n);

	/* a malformed page fails the listing whatever is held */
	script_reset();
	script(200, NULL, "{\"value\":[" CI("ci-a", "Running") ",]}");
	assert_int_equal(az_list_computes_prev(c, &prev, &v, &n, &err),
			 AZ_ERR_PROTOCOL);
	assert_null(v);
	/*
	 * So does an element JSON's grammar allows but cJSON refuses (a
	 * lone surrogate): malformed, not "out of memory" (found by a
	 * tester: every read failed with ENOMEM instead of the listing
	 * held being served)
	 */
	script_reset();
	script(200, NULL, "{\"value\":[" CI("ci-a", "Running") ",{\"name\":"
	       "\"ci-z\",\"properties\":{\"description\":\"\\ud800x\"}}]}");
	assert_int_equal(az_list_computes_prev(c, &prev, &v, &n, &err),
			 AZ_ERR_PROTOCOL);
	assert_null(v);
	assert_non_null(strstr(err.message, "malformed"));
	az_compute_free_array(h.v, h.n);
	az_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spans),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_list_reuses_unchanged),
	};

	return cmocka_run_group_tests(tests, server_setup, server_teardown);
}
