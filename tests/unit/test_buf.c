/**
 * @file
 * Unit tests of util/buf.c: appending, printf, the failed flag, and
 * buf_read_file() with its bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"

static void test_append(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_puts(&b, "Host ");
	buf_printf(&b, "%s:%d", "ci-alice", 22);
	buf_add(&b, "\nxyz", 1); /* only the first n bytes */
	assert_false(b.failed);
	assert_int_equal(b.len, 17);
	assert_string_equal(b.data, "Host ci-alice:22\n");
	buf_free(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

static void test_read_file(void **state)
{
	char path[] = "/tmp/test_buf.XXXXXX";
	struct buf b = BUF_INIT;
	char big[10000];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);

	buf_puts(&b, ">");
	assert_int_equal(buf_read_file(&b, path, sizeof(big)), 0);
	assert_int_equal(b.len, 1 + sizeof(big)); /* appended, whole */
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);

	errno = 0;
	assert_int_equal(buf_read_file(&b, path, sizeof(big) - 1), -1);
	assert_int_equal(errno, EFBIG);
	buf_free(&b);

	unlink(path);
	assert_int_equal(buf_read_file(&b, path, 100), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

/* printf into the room left, and across a growth; counting stores none */
static void test_printf_and_count(void **state)
{
	struct buf b = BUF_INIT, n = BUF_COUNT;
	char want[300];
	int i;

	(void)state;
	for (i = 0; i < 40; i++) {
		buf_printf(&b, "%d:%s;", i, i % 7 ? "ab" : "a longer piece");
		buf_printf(&n, "%d:%s;", i, i % 7 ? "ab" : "a longer piece");
		buf_puts(&b, "-");
		buf_puts(&n, "-");
	}
	assert_false(b.failed);
	assert_int_equal(b.len, strlen(b.data));
	assert_int_equal(n.len, b.len);
	assert_null(n.data);
	assert_int_equal(strncmp(b.data, "0:a longer piece;-1:ab;-2:ab;-", 30),
			 0);
	buf_free(&b);
	memset(want, 'y', sizeof(want) - 1);
	want[sizeof(want) - 1] = '\0';
	buf_puts(&b, "x");
	buf_printf(&b, "%s|", want); /* does not fit the first 64 bytes */
	assert_int_equal(b.len, 1 + strlen(want) + 1);
	assert_int_equal(b.data[b.len - 1], '|');
	assert_int_equal(b.data[b.len], '\0');
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_read_file),
		cmocka_unit_test(test_printf_and_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
