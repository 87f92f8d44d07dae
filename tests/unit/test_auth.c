/**
 * @file
 * Unit tests for client/auth*.c: the static and token-file sources
 * (permissions, at creation and after, each refusal logged once; empty
 * files, trailing white space, re-read on change, relative paths),
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
#include "client/auth_impl.h"
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

/* How many lines of the file @log hold @needle. */
static int count_warnings(const char *log, const char *needle)
{
	FILE *f = fopen(log, "r");
	char line[1024];
	int n = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

/* After creation: the mode or the file itself changes under us. */
static void test_token_file_goes_bad(void **state)
{
	struct az_auth *a;
	struct az_error err;
	char path[128], log[128], buf[64];
	int saved, fd;

	(void)state;
	snprintf(path, sizeof(path), "%s/later", dir);
	snprintf(log, sizeof(log), "%s/stderr", dir);
	write_file(path, "tok-later\n", 0600);
	a = az_auth_token_file(path, &err);
	assert_non_null(a);

	/* warnings on, into a file */
	log_setup("test_auth", false, LOG_LVL_WARN);
	fflush(stderr);
	saved = dup(2);
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 2);
	close(fd);

	/* world-readable: refused, though the token is cached and the
	 * content did not change; one warning for many calls */
	assert_int_equal(chmod(path, 0644), 0);
	for (int i = 0; i < 3; i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
				 AZ_ERR_UNAUTHORIZED);
		assert_int_equal(err.code, AZ_ERR_UNAUTHORIZED);
		assert_non_null(strstr(err.message, path));
		assert_non_null(strstr(err.message, "chmod 600"));
		assert_non_null(strstr(err.message, "0644"));
	}
	/* another change of the file: one more line */
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_UNAUTHORIZED);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_UNAUTHORIZED);
	/* invalidation (a 401) does not bring it back */
	az_auth_invalidate(a);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_UNAUTHORIZED);

	/* fixed: works again, nothing to recreate */
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-later");

	/* removed: refused, even with the token in memory */
	assert_int_equal(unlink(path), 0);
	memset(&err, 0, sizeof(err));
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_UNAUTHORIZED);
	assert_non_null(strstr(err.message, path));
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_UNAUTHORIZED);
	write_file(path, "tok-back\n", 0600);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-back");

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	log_setup("test_auth", false, LOG_LVL_ERROR);
	assert_int_equal(count_warnings(log, "warning: token file"), 2);
	assert_int_equal(count_warnings(log, "warning: cannot stat token "
					     "file"), 1);
	assert_int_equal(count_warnings(log, "chmod 600"), 2);
	az_auth_free(a);
}

/* A relative path still names the same file once the daemon is in /. */
static void test_token_file_relative(void **state)
{
	struct az_auth *a;
	struct az_error err;
	char path[128], cwd[256], buf[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/rel", dir);
	write_file(path, "tok-rel\n", 0600);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	a = az_auth_token_file("rel", &err);
	assert_int_equal(chdir("/"), 0);
	assert_non_null(a);
	write_file(path, "tok-rel-two\n", 0600);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "tok-rel-two");
	assert_int_equal(chdir(cwd), 0);
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


static void test_expires_on(void **state)
{
	(void)state;
	assert_int_equal(az_parse_expires_on("1506484173"), 1506484173);
	assert_int_equal(az_parse_expires_on(" 1506484173 "), 1506484173);
	assert_int_equal(az_parse_expires_on("1506484173.0"), 1506484173);
	/* legacy App Service: Linux and Windows (AM/PM) forms, UTC */
	assert_int_equal(az_parse_expires_on("06/20/2019 02:57:58 +00:00"),
			 1560999478);
	assert_int_equal(az_parse_expires_on("09/14/2017 12:00:00 PM +00:00"),
			 1505390400);
	assert_int_equal(az_parse_expires_on("09/14/2017 00:00:00 PM +00:00"),
			 1505347200);
	assert_int_equal(az_parse_expires_on("09/14/2017 01:30:00 AM +00:00"),
			 1505352600);
	assert_int_equal(az_parse_expires_on(""), -1);
	assert_int_equal(az_parse_expires_on(NULL), -1);
	assert_int_equal(az_parse_expires_on("N/A"), -1);
	assert_int_equal(az_parse_expires_on("-5"), -1);
	assert_int_equal(az_parse_expires_on("12abc"), -1);
	assert_int_equal(az_parse_expires_on("2019-06-20T02:57:58Z"), -1);
}

static void test_local_time(void **state)
{
	struct tm tm = { 0 };
	time_t t;

	(void)state;
	tm.tm_year = 2020 - 1900;
	tm.tm_mon = 5;
	tm.tm_mday = 29;
	tm.tm_hour = 17;
	tm.tm_min = 22;
	tm.tm_sec = 16;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	assert_int_equal(az_parse_local_time("2020-06-29 17:22:16.443545"), t);
	assert_int_equal(az_parse_local_time("2020-06-29 17:22:16"), t);
	assert_int_equal(az_parse_local_time("N/A"), -1);
	assert_int_equal(az_parse_local_time(""), -1);
	assert_int_equal(az_parse_local_time(NULL), -1);
	assert_int_equal(az_parse_local_time("2020-06-29 17:22:16Z"), -1);
}

static void test_renew_at(void **state)
{
	(void)state;
	/* 5 minutes early for an hour's token */
	assert_int_equal(az_auth_renew_at(1000, 1000 + 3600), 1000 + 3300);
	/* short-lived tokens: at half their life */
	assert_int_equal(az_auth_renew_at(1000, 1000 + 60), 1000 + 30);
	assert_int_equal(az_auth_renew_at(1000, 1000 + 600), 1000 + 300);
	assert_int_equal(az_auth_renew_at(1000, 900), 900);
}

static void check_reply(const char *body, const char *tok, time_t exp)
{
	struct az_error err;
	char *t = NULL;
	time_t e = 0;

	assert_int_equal(az_token_from_json(body, strlen(body), 1000, &t, &e,
					    "test", &err), AZ_OK);
	assert_string_equal(t, tok);
	assert_int_equal(e, exp);
	az_free_secret(t);
}

static void test_token_replies(void **state)
{
	struct az_error err;
	char *t;
	time_t e;

	(void)state;
	/* Entra ID v2: expires_in a number */
	check_reply("{\"token_type\":\"Bearer\",\"expires_in\":3599,"
		    "\"access_token\":\"eyA\"}", "eyA", 1000 + 3599);
	/* IMDS: strings; expires_on wins */
	check_reply("{\"access_token\":\"eyB\",\"refresh_token\":\"\","
		    "\"expires_in\":\"3599\",\"expires_on\":\"1506484173\","
		    "\"not_before\":\"1506480273\",\"resource\":"
		    "\"https://management.azure.com/\",\"token_type\":"
		    "\"Bearer\"}", "eyB", 1506484173);
	/* App Service 2019: expires_on string, no expires_in */
	check_reply("{\"access_token\":\"eyC\",\"expires_on\":\"1586984735\","
		    "\"resource\":\"r\",\"token_type\":\"Bearer\"}", "eyC",
		    1586984735);
	/* Azure ML 2017: an integer; legacy: a date */
	check_reply("{\"access_token\":\"eyD\",\"expires_on\":1586984735}",
		    "eyD", 1586984735);
	check_reply("{\"access_token\":\"eyE\",\"expires_on\":"
		    "\"06/20/2019 02:57:58 +00:00\"}", "eyE", 1560999478);
	/* CLI: expires_on int, else expiresOn local; "N/A" -> JWT exp */
	check_reply("{\"accessToken\":\"eyF\",\"expiresOn\":"
		    "\"2020-06-29 17:22:16.443545\",\"expires_on\":1593451336,"
		    "\"tokenType\":\"Bearer\"}", "eyF", 1593451336);
	check_reply("{\"accessToken\":\"eyG\",\"expiresOn\":"
		    "\"2020-06-29 17:22:16\"}", "eyG",
		    az_parse_local_time("2020-06-29 17:22:16"));
	/* payload {"exp":1700000000} */
	check_reply("{\"accessToken\":\"h.eyJleHAiOjE3MDAwMDAwMDB9.s\","
		    "\"expiresOn\":\"N/A\"}", "h.eyJleHAiOjE3MDAwMDAwMDB9.s",
		    1700000000);
	/* nothing at all: ten minutes */
	check_reply("{\"access_token\":\"opaque\"}", "opaque", 1000 + 600);
	/* no token */
	assert_int_equal(az_token_from_json("{\"error\":\"x\"}", 13, 0, &t, &e,
					    "test", &err), AZ_ERR_PROTOCOL);
	assert_null(t);
	assert_int_equal(az_token_from_json("garbage", 7, 0, &t, &e, "test",
					    &err), AZ_ERR_PROTOCOL);
	assert_int_equal(az_token_from_json("{\"access_token\":\"\"}", 19, 0,
					    &t, &e, "test", &err),
			 AZ_ERR_PROTOCOL);
}

static void clear_env(void)
{
	static const char *const vars[] = {
		"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
		"AZURE_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER",
		"MSI_ENDPOINT", "MSI_SECRET",
		"AZURE_POD_IDENTITY_AUTHORITY_HOST",
	};
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	/* never the real metadata endpoint: a closed loopback port */
	setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:1", 1);
}

static void test_env_source(void **state)
{
	struct az_auth_opts o = { 0 };
	struct az_error err;
	struct az_auth *a;

	(void)state;
	clear_env();
	setenv("AZURE_CLIENT_ID", "app", 1);
	assert_null(az_auth_env(&o, &err));
	assert_int_equal(err.code, AZ_ERR_NO_CREDENTIAL);
	assert_non_null(strstr(err.message, "AZURE_TENANT_ID"));
	assert_non_null(strstr(err.message, "AZURE_CLIENT_SECRET"));
	assert_null(strstr(err.message, "AZURE_CLIENT_ID"));
	setenv("AZURE_TENANT_ID", "contoso.onmicrosoft.com", 1);
	setenv("AZURE_CLIENT_SECRET", "s3cret", 1);
	/* the secret never goes over cleartext to a remote authority */
	o.authority = "http://login.example.com";
	assert_null(az_auth_env(&o, &err));
	assert_int_equal(err.code, AZ_ERR_INVALID);
	assert_null(strstr(err.message, "s3cret"));
	o.authority = "http://127.0.0.1:1";
	a = az_auth_env(&o, &err);
	assert_non_null(a);
	assert_string_equal(az_auth_name(a), "env");
	az_auth_free(a);
	setenv("AZURE_TENANT_ID", "../evil?x=", 1);
	assert_null(az_auth_env(&o, &err));
	clear_env();
}

/* A fake `az` first in PATH. */
static void fake_az(const char *script)
{
	char path[128], newpath[256];

	snprintf(path, sizeof(path), "%s/bin", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/bin/az", dir);
	write_file(path, script, 0700);
	snprintf(newpath, sizeof(newpath), "%s/bin", dir);
	setenv("PATH", newpath, 1);
}

static void test_cli_source(void **state)
{
	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;
	struct az_error err;
	struct az_auth *a;
	char buf[64];

	(void)state;
	fake_az("#!/bin/sh\n"
		"[ \"$1 $2 $3 $4\" = \"account get-access-token --resource "
		"https://management.azure.com/\" ] || exit 3\n"
		"echo '{\"accessToken\": \"cli-tok\", \"expires_on\": "
		"4102444800, \"tokenType\": \"Bearer\"}'\n");
	a = az_auth_cli(NULL, &err);
	assert_string_equal(az_auth_name(a), "cli");
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "cli-tok");
	az_auth_free(a);

	fake_az("#!/bin/sh\necho \"ERROR: Please run 'az login' to setup "
		"account.\" >&2\nexit 1\n");
	a = az_auth_cli(NULL, &err);
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err),
			 AZ_ERR_NO_CREDENTIAL);
	assert_non_null(strstr(err.message, "az login"));
	az_auth_free(a);

	/* the whole chain: nothing configured, no az */
	clear_env();
	setenv("PATH", "/nonexistent", 1);
	assert_null(az_auth_chain(NULL, &err));
	assert_int_equal(err.code, AZ_ERR_NO_CREDENTIAL);
	assert_non_null(strstr(err.message, "service principal"));
	assert_non_null(strstr(err.message, "managed identity"));
	assert_non_null(strstr(err.message, "az not found"));

	/* the chain falls through to the CLI */
	fake_az("#!/bin/sh\necho '{\"accessToken\": \"from-cli\", "
		"\"expiresOn\": \"2099-01-01 00:00:00.000000\"}'\n");
	a = az_auth_chain(NULL, &err);
	assert_non_null(a);
	assert_string_equal(az_auth_name(a), "cli");
	assert_int_equal(az_auth_token(a, buf, sizeof(buf), &err), AZ_OK);
	assert_string_equal(buf, "from-cli");
	az_auth_free(a);

	/* a configured managed identity that fails stops the chain */
	setenv("MSI_ENDPOINT", "http://127.0.0.1:1/msi/token", 1);
	setenv("MSI_SECRET", "msi-secret", 1);
	assert_null(az_auth_chain(NULL, &err));
	assert_int_equal(err.code, AZ_ERR_UNREACHABLE);
	assert_null(strstr(err.message, "msi-secret"));
	clear_env();
	if (saved)
		setenv("PATH", saved, 1);
	free(saved);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_static),
		cmocka_unit_test(test_token_file),
		cmocka_unit_test(test_token_file_refused),
		cmocka_unit_test(test_token_file_goes_bad),
		cmocka_unit_test(test_token_file_relative),
		cmocka_unit_test(test_expires_on),
		cmocka_unit_test(test_local_time),
		cmocka_unit_test(test_renew_at),
		cmocka_unit_test(test_token_replies),
		cmocka_unit_test(test_env_source),
		cmocka_unit_test(test_cli_source),
	};

	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
