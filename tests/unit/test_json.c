/**
 * @file
 * Unit tests for client/json.c, the dotted-path getters: present, absent,
 * null and wrong-typed leaves, integers in and out of range, paths that
 * run through non-objects.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "client/json.h"

static const char DOC[] =
	"{\"a\":{\"b\":{\"s\":\"str\",\"n\":42,\"f\":1.5,\"t\":true,"
	"\"z\":null,\"arr\":[1,{\"x\":1}],\"o\":{},\"neg\":-7,"
	"\"big\":1e30,\"e\":\"\"}},\"top\":\"t\",\"dot.key\":1,"
	"\"Case\":\"upper\"}";

static int setup(void **state)
{
	*state = cJSON_Parse(DOC);
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cJSON_Delete(*state);
	return 0;
}

static void test_get(void **state)
{
	const cJSON *d = *state;

	assert_ptr_equal(js_get(d, ""), d);
	assert_non_null(js_get(d, "a"));
	assert_non_null(js_get(d, "a.b.z"));
	assert_true(cJSON_IsNull(js_get(d, "a.b.z")));
	assert_null(js_get(d, "a.b.missing"));
	assert_null(js_get(d, "a.b.s.deeper"));
	assert_null(js_get(d, "a.b.arr.x"));
	assert_null(js_get(d, "a..b"));
	assert_null(js_get(d, "a.b."));
	assert_null(js_get(d, "case")); /* keys are case-sensitive */
	assert_null(js_get(d, "dot.key")); /* dots always split */
	assert_null(js_get(NULL, "a"));
	assert_null(js_get(d, NULL));
}

static void test_str(void **state)
{
	const cJSON *d = *state;

	assert_string_equal(js_str(d, "a.b.s"), "str");
	assert_string_equal(js_str(d, "top"), "t");
	assert_string_equal(js_str(d, "a.b.e"), "");
	assert_null(js_str(d, "a.b.n"));
	assert_null(js_str(d, "a.b.z"));
	assert_null(js_str(d, "a.b.t"));
	assert_null(js_str(d, "a.b.o"));
	assert_null(js_str(d, "a.b"));
	assert_null(js_str(d, "nope"));
}

static void test_long(void **state)
{
	const cJSON *d = *state;
	long v = 99;

	assert_true(js_long(d, "a.b.n", &v));
	assert_int_equal(v, 42);
	assert_true(js_long(d, "a.b.neg", &v));
	assert_int_equal(v, -7);
	v = 99;
	assert_false(js_long(d, "a.b.f", &v));
	assert_false(js_long(d, "a.b.big", &v));
	assert_false(js_long(d, "a.b.s", &v));
	assert_false(js_long(d, "a.b.z", &v));
	assert_false(js_long(d, "a.b.t", &v));
	assert_false(js_long(d, "missing", &v));
	assert_int_equal(v, 99);
}

static void test_double_bool(void **state)
{
	const cJSON *d = *state;
	double f = 0;
	bool b = false;

	assert_true(js_double(d, "a.b.f", &f));
	assert_true(f == 1.5);
	assert_true(js_double(d, "a.b.n", &f));
	assert_true(f == 42.0);
	assert_false(js_double(d, "a.b.s", &f));
	assert_true(js_bool(d, "a.b.t", &b));
	assert_true(b);
	b = false;
	assert_false(js_bool(d, "a.b.n", &b));
	assert_false(js_bool(d, "a.b.z", &b));
	assert_false(b);
}

static void test_array_object(void **state)
{
	const cJSON *d = *state;

	assert_non_null(js_array(d, "a.b.arr"));
	assert_int_equal(cJSON_GetArraySize(js_array(d, "a.b.arr")), 2);
	assert_null(js_array(d, "a.b.o"));
	assert_null(js_array(d, "a.b.z"));
	assert_non_null(js_object(d, "a.b.o"));
	assert_non_null(js_object(d, "a"));
	assert_null(js_object(d, "a.b.arr"));
	assert_null(js_object(d, "a.b.s"));
}

static void test_strdup(void **state)
{
	const cJSON *d = *state;
	char *s = js_strdup(d, "a.b.s");

	assert_string_equal(s, "str");
	free(s);
	assert_null(js_strdup(d, "a.b.n"));
	assert_null(js_strdup(d, "a.b.z"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),
		cmocka_unit_test(test_str),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_double_bool),
		cmocka_unit_test(test_array_object),
		cmocka_unit_test(test_strdup),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
