/**
 * @file
 * fs/nodes.c: inode numbers <-> what they name, the file names of an
 * instance directory, and the name table that keeps inodes stable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fs/nodes.h"

static void test_root_and_specials(void **state)
{
	struct cfs_node n;

	(void)state;
	n = cfs_node_of(FUSE_ROOT_ID);
	assert_int_equal(n.kind, NODE_ROOT);
	n = cfs_node_of(CFS_STATUS);
	assert_int_equal(n.kind, NODE_SPECIAL);
	assert_int_equal(n.special, CFS_STATUS);
	assert_int_equal(cfs_special_lookup(".workspace"), CFS_WORKSPACE);
	assert_int_equal(cfs_special_lookup(".status"), CFS_STATUS);
	assert_int_equal(cfs_special_lookup(".create"), CFS_CREATE);
	assert_int_equal(cfs_special_perm(CFS_CREATE), 0200);
	assert_int_equal(cfs_special_perm(CFS_STATUS), 0444);
	assert_int_equal(cfs_file_perm(CFS_CONTROL), 0200);
	assert_int_equal(cfs_file_perm(CFS_SIZE), 0644);
	assert_int_equal(cfs_file_perm(CFS_STATE), 0444);
	assert_int_equal(cfs_special_lookup(".Trash-1000"), -1);
	assert_int_equal(cfs_special_lookup(".hidden"), -1);
	assert_int_equal(cfs_node_of(CFS_MINE_INO).kind, NODE_MINE);
	assert_int_equal(cfs_node_of(cfs_ino_instance(9, CFS_LINK)).file,
			 CFS_LINK);
	assert_int_equal(cfs_node_of(0).kind, NODE_BAD);
	assert_int_equal(cfs_node_of(500).kind, NODE_BAD);
}

static void test_instance_roundtrip(void **state)
{
	uint32_t slots[] = { 0, 1, 7, 1000, 123456 };

	(void)state;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		for (int f = 0; f < CFS_FILE_END; f++) {
			struct cfs_node n =
				cfs_node_of(cfs_ino_instance(slots[i], f));

			assert_int_equal(n.kind, NODE_INSTANCE);
			assert_int_equal(n.slot, slots[i]);
			assert_int_equal(n.file, f);
		}
		for (int a = 0; a < CFS_APP_MAX; a++) {
			struct cfs_node n = cfs_node_of(
				cfs_ino_instance(slots[i], CFS_APP_FIRST + a));

			assert_int_equal(n.kind, NODE_INSTANCE);
			assert_int_equal(n.file, CFS_APP_FIRST + a);
		}
	}
	/* the files fill the numbers below the .mine link: no overlap */
	assert_true(CFS_FILE_END <= CFS_LINK);
	assert_int_equal(cfs_node_of(cfs_ino_instance(3, CFS_LINK)).file,
			 CFS_LINK);
}

static void test_file_names(void **state)
{
	const char *names[] = { "state", "size", "ssh", "control",
				"operation", "ip",
				"location", "created_by", "errors",
				"info.json", "apps", "idle_shutdown",
				"schedules", "wait" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int f = cfs_file_lookup(names[i]);

		assert_true(f > 0);
		assert_string_equal(cfs_file_name(f), names[i]);
	}
	assert_int_equal(cfs_file_lookup("State"), -1);
	assert_int_equal(cfs_file_lookup(""), -1);
	assert_int_equal(cfs_file_lookup("autorun.inf"), -1);
	assert_null(cfs_file_name(CFS_DIR));
}

static void test_names_stable(void **state)
{
	struct cfs_names *t = cfs_names_new();
	char buf[64];
	long a, b;

	(void)state;
	a = cfs_names_slot(t, "ci-alice");
	b = cfs_names_slot(t, "ci-bob");
	assert_true(a >= 0 && b >= 0 && a != b);
	/* case-insensitive, as ARM names are */
	assert_int_equal(cfs_names_slot(t, "CI-ALICE"), a);
	/* many more names: earlier slots do not move */
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "inst-%da", i);
		assert_true(cfs_names_slot(t, buf) >= 0);
	}
	assert_int_equal(cfs_names_slot(t, "ci-alice"), a);
	assert_int_equal(cfs_names_slot(t, "ci-bob"), b);
	assert_true(cfs_names_get(t, (uint32_t)a, buf, sizeof(buf)));
	assert_string_equal(buf, "ci-alice");
	snprintf(buf, sizeof(buf), "inst-%da", 4321);
	assert_int_equal(cfs_names_slot(t, buf), 2 + 4321);
	assert_false(cfs_names_get(t, 999999, buf, sizeof(buf)));
	assert_false(cfs_names_get(t, (uint32_t)a, buf, 4)); /* too small */
	cfs_names_free(t);
	cfs_names_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_and_specials),
		cmocka_unit_test(test_instance_roundtrip),
		cmocka_unit_test(test_file_names),
		cmocka_unit_test(test_names_stable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
