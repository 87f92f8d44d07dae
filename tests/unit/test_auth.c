/**
 * @file
 * Unit tests for client/auth*.c: the static and token-file sources
 * (permissions, empty files, trailing white space, re-read on change),
 * and the credential chain's pure parts.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/auth.h"
#include "util/log.h"

static char dir[64];

static int make_dir(void **state)
{
	(void)state;
	log_setup("test_auth", false, LOG_LVL_ERROR);
	snprintf(dir, sizeof(dir), "/tmp/test_auth.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_static(void **state)
{
	struct az_auth *a = az_auth_static("abc");
	struct az_error err;
	char buf[8];

	(void)state;
	assert_string_equal(az_auth_name(a), "static");
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "abc");
	az_auth_invalidate(a);
	assert_int_equal(az_auth_token(a, buf, 3, &err), AZ_ERR_INVALID);
	az_auth_free(a);
	az_auth_free(NULL);
	assert_null(az_auth_static(NULL));
	assert_int_equal(az_auth_token(NULL, buf, sizeof(buf), &err),
			 AZ_ERR_NO_CREDENTIAL);
}

static void test_token_file(void **state)
{
	struct az_auth *a;
	struct az_error err;
	char path[128], buf[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/token", dir);
	write_file(path, "tok-one \n\n", 0600);
	a = az_auth_token_file(path, &err);
	assert_non_null(a);
	assert_string_equal(az_auth_name(a), "token-file");
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-one");

	/* rewritten (new size): picked up without invalidation */
	write_file(path, "tok-second\n", 0600);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-second");

	/* mid-rewrite (empty): the previous token stays */
	write_file(path, "", 0600);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-second");
	write_file(path, "tok-three\r\n", 0400);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-three");
	az_auth_invalidate(a);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-three");
	az_auth_free(a);
}

static void test_token_file_refused(void **state)
{
	struct az_error err;
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_null(az_auth_token_file(path, &err));
	assert_int_equal(err.code, AZ_ERR_NO_CREDENTIAL);
	assert_non_null(strstr(err.message, path));

	snprintf(path, sizeof(path), "%s/open", dir);
	write_file(path, "tok\n", 0640);
	assert_null(az_auth_token_file(path, &err));
	assert_non_null(strstr(err.message, path));
	assert_non_null(strstr(err.message, "chmod 600"));
	write_file(path, "tok\n", 0604);
	assert_null(az_auth_token_file(path, &err));
	assert_non_null(strstr(err.message, "chmod 600"));

	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, " \n\t\n", 0600);
	assert_null(az_auth_token_file(path, &err));
	assert_non_null(strstr(err.message, "empty"));
	assert_non_null(strstr(err.message, path));

	snprintf(path, sizeof(path), "%s/two", dir);
	write_file(path, "a\nb\n", 0600);
	assert_null(az_auth_token_file(path, &err));

	assert_null(az_auth_token_file(dir, &err)); /* a directory */
	assert_null(az_auth_token_file("", &err));
	assert_null(az_auth_token_file(NULL, &err));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_file_refused),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
