/**
 * @file
 * fs/verbs.c: what may be written into control, size and .create, and
 * what is refused (EINVAL) before any request.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fs/verbs.h"

static int verb(const char *s, enum cache_verb *v)
{
	return cfs_parse_verb(s, strlen(s), v);
}

static void test_verbs(void **state)
{
	enum cache_verb v;

	(void)state;
	assert_int_equal(verb("stop\n", &v), 0);
	assert_int_equal(v, CACHE_STOP);
	assert_int_equal(verb("  START \t\n", &v), 0);
	assert_int_equal(v, CACHE_START);
	assert_int_equal(verb("Restart", &v), 0);
	assert_int_equal(v, CACHE_RESTART);
	assert_int_equal(verb("", &v), -EINVAL);
	assert_int_equal(verb("\n", &v), -EINVAL);
	assert_int_equal(verb("halt\n", &v), -EINVAL);
	assert_int_equal(verb("stop start\n", &v), -EINVAL);
	assert_int_equal(verb("stop\nstart\n", &v), -EINVAL);
	assert_int_equal(verb("stopp", &v), -EINVAL);
	assert_int_equal(verb("sto", &v), -EINVAL);
	assert_int_equal(cfs_parse_verb("stop\0x", 6, &v), -EINVAL);
}

static void test_blank(void **state)
{
	(void)state;
	assert_true(cfs_blank("", 0));
	assert_true(cfs_blank("\n", 1));
	assert_true(cfs_blank(" \t\r\n\n", 5));
	assert_false(cfs_blank("\nstop", 5));
	assert_false(cfs_blank("x", 1));
	assert_false(cfs_blank("\0", 1));
}

static void test_sizes(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(cfs_parse_size("Standard_E4s_v3\n", 16, out,
					sizeof(out)), 0);
	assert_string_equal(out, "Standard_E4s_v3");
	assert_int_equal(cfs_parse_size(" STANDARD_DS3_V2 ", 17, out,
					sizeof(out)), 0);
	assert_string_equal(out, "STANDARD_DS3_V2");
	assert_int_equal(cfs_parse_size("\n", 1, out, sizeof(out)), -EINVAL);
	assert_int_equal(cfs_parse_size("a b", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(cfs_parse_size("x/../y", 6, out, sizeof(out)),
			 -EINVAL);
	assert_int_equal(cfs_parse_size("Standard\"}", 10, out, sizeof(out)),
			 -EINVAL);
}

static int create(const char *s, struct cfs_create *c)
{
	char why[128];

	return cfs_parse_create(s, strlen(s), c, why, sizeof(why));
}

static void test_create_lines(void **state)
{
	struct cfs_create c;

	(void)state;
	assert_int_equal(create("ci-carol\n", &c), 0);
	assert_string_equal(c.name, "ci-carol");
	assert_string_equal(c.size, "");
	assert_int_equal(create("ci-dan size=Standard_E4s_v3 "
				"ssh_key=/home/d/.ssh/id.pub "
				"subnet=/subscriptions/s/x/subnets/default "
				"assign_to=oid-1@tid-2\n", &c), 0);
	assert_string_equal(c.name, "ci-dan");
	assert_string_equal(c.size, "Standard_E4s_v3");
	assert_string_equal(c.ssh_key, "/home/d/.ssh/id.pub");
	assert_string_equal(c.subnet, "/subscriptions/s/x/subnets/default");
	assert_string_equal(c.assign_oid, "oid-1");
	assert_string_equal(c.assign_tid, "tid-2");
	assert_int_equal(create("", &c), -EINVAL);
	assert_int_equal(create("size=x ci-a", &c), -EINVAL);
	assert_int_equal(create("ci-abc color=red", &c), -EINVAL);
	assert_int_equal(create("ci-abc assign_to=nobody", &c), -EINVAL);
	assert_int_equal(create("ci-abc size=", &c), -EINVAL);
	assert_int_equal(create("ci-a\nci-b\n", &c), -EINVAL);
	assert_int_equal(create("ci-abc extra", &c), -EINVAL);
	/* a key twice: which one was meant is not ours to guess */
	assert_int_equal(create("ci-abc size=Standard_DS2_v2 "
				"size=Standard_DS3_v2", &c), -EINVAL);
	assert_int_equal(create("ci-abc idle=30 days=Mon idle=60", &c),
			 -EINVAL);
	assert_int_equal(create("ci-abc idle=30 start_at=08:00 days=Mon "
				"tz=UTC stop_at=18:00", &c), 0);
	assert_int_equal(c.idle, 30);
}

static void test_azure_name_rule(void **state)
{
	struct cfs_create c;
	const char *good[] = { "abc", "ci-01a", "a-b-c", "Ci-Alice",
			       "x23456789012345678901234" };
	const char *bad[] = { "ab", "1abc", "-abc", "ci-01", "ci-", "a_b",
			      "x234567890123456789012345", "ci.alice",
			      "ci alice", "ci-alice-2" };

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(create(good[i], &c), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(create(bad[i], &c), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_create_lines),
		cmocka_unit_test(test_azure_name_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
