/**
 * @file
 * fs/render.c: the exact bytes of each instance file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "fs/nodes.h"
#include "fs/render.h"

static struct az_app apps[] = {
	{ "Jupyter", "https://ci-alice.eastus.instances.azureml.ms/tree/" },
	{ "Jupyter Lab", "https://ci-alice.eastus.instances.azureml.ms/lab" },
	{ "a/b", "https://x/" },
	{ ".hidden", "https://y/" },
	{ NULL, "https://z/" },
};

#define PRETTY "{\n\t\"name\":\t\"ci-alice\"\n}\n"

static struct az_compute running(void)
{
	struct az_compute c;

	memset(&c, 0, sizeof(c));
	c.name = "ci-alice";
	c.location = "eastus";
	c.state = "Running";
	c.vm_size = "STANDARD_DS3_V2";
	c.public_ip = "203.0.113.17";
	c.private_ip = "10.0.0.4";
	c.created_by = "alice";
	c.ssh_enabled = true;
	c.ssh_user = "azureuser";
	c.ssh_port = 50000;
	c.op_name = "Start";
	c.op_status = "Succeeded";
	c.op_time = "2026-11-24T10:00:00.000Z";
	c.apps = apps;
	c.n_apps = 5;
	/* info.json is kept deflated; one blob for every test */
	static unsigned char *z;
	static size_t zlen;

	if (!z)
		z = az_zjson_deflate("{\"name\":\"ci-alice\"}", 19, &zlen);
	c.zjson = z;
	c.zjson_len = zlen;
	c.json_len = strlen(PRETTY);
	return c;
}

static void expect(int file, const struct az_compute *c, const char *want)
{
	struct buf b = BUF_INIT;

	assert_int_equal(cfs_render(file, c, &b), 0);
	assert_false(b.failed);
	assert_int_equal(b.len, strlen(want));
	if (b.len)
		assert_memory_equal(b.data, want, b.len);
	buf_free(&b);
}

static void test_values(void **state)
{
	struct az_compute c = running();

	(void)state;
	expect(CFS_STATE, &c, "Running\n");
	expect(CFS_SIZE, &c, "STANDARD_DS3_V2\n");
	expect(CFS_IP, &c, "203.0.113.17\n");
	expect(CFS_LOCATION, &c, "eastus\n");
	expect(CFS_CREATED_BY, &c, "alice\n");
	expect(CFS_OPERATION, &c, "Start Succeeded 2026-11-24T10:00:00.000Z\n");
	expect(CFS_ERRORS, &c, "");
	expect(CFS_INFO_JSON, &c, PRETTY);
	expect(CFS_APP_FIRST + CFS_APP_KINDS + CFS_APP_URL, &c,
	       "https://ci-alice.eastus.instances.azureml.ms/lab\n");
}

static void test_ssh(void **state)
{
	struct az_compute c = running();

	(void)state;
	expect(CFS_SSH, &c,
	       "Host ci-alice\n    HostName 203.0.113.17\n    Port 50000\n"
	       "    User azureuser\n");
	c.public_ip = NULL; /* private address only */
	c.ssh_port = 0;
	c.ssh_user = NULL;
	expect(CFS_SSH, &c,
	       "Host ci-alice\n    HostName 10.0.0.4\n    User azureuser\n");
	c.private_ip = NULL;
	c.state = "Stopped";
	expect(CFS_SSH, &c, "# ci-alice: no address while Stopped\n");
	c.ssh_enabled = false;
	expect(CFS_SSH, &c, "# ci-alice: SSH access is disabled\n");
}

static void test_ssh_refuses_what_is_not_an_address_or_user(void **state)
{
	static const char *const hosts[] = {
		"1.2.3.4 ProxyCommand x", "*", "-oProxyCommand=x", "a,b", "",
	};
	static const char *const users[] = {
		"u ProxyCommand x", "-l", "u\"", "a=b",
	};
	const char *refused = "# ci-alice: Azure's reply has no usable SSH "
			      "address or user\n";
	struct az_compute c = running();

	(void)state;
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		c.public_ip = (char *)hosts[i];
		c.private_ip = i == 4 ? (char *)"" : NULL;
		expect(CFS_SSH, &c, i == 4 ? "# ci-alice: no address while "
					     "Running\n" : refused);
	}
	c = running();
	for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		c.ssh_user = (char *)users[i];
		expect(CFS_SSH, &c, refused);
	}
	c.public_ip = (char *)"fe80::1";
	c.ssh_user = (char *)"data.sci_1-x";
	c.ssh_port = 0;
	expect(CFS_SSH, &c, "Host ci-alice\n    HostName fe80::1\n"
			    "    User data.sci_1-x\n");
}

static void test_absent_values(void **state)
{
	struct az_compute c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.name = "bare";
	expect(CFS_STATE, &c, "Unknown\n");
	expect(CFS_SIZE, &c, "");
	expect(CFS_IP, &c, "");
	expect(CFS_LOCATION, &c, "");
	expect(CFS_CREATED_BY, &c, "");
	expect(CFS_OPERATION, &c, "");
	expect(CFS_ERRORS, &c, "");
	expect(CFS_INFO_JSON, &c, "");
	c.op_name = "Stop"; /* partial operation: what there is */
	expect(CFS_OPERATION, &c, "Stop\n");
	c.errors = "DiskFull: the disk is full\n";
	expect(CFS_ERRORS, &c, "DiskFull: the disk is full\n");
}

static void test_not_files(void **state)
{
	struct az_compute c = running();
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(cfs_render(CFS_DIR, &c, &b), -1);
	assert_int_equal(cfs_render(CFS_APPS, &c, &b), -1);
	assert_int_equal(cfs_render(CFS_APP_FIRST + 5 * CFS_APP_KINDS, &c, &b),
			 -1);
	assert_int_equal(cfs_render(CFS_APP_FIRST + CFS_APP_MAX, &c, &b), -1);
	assert_int_equal(b.len, 0);
}

static void test_app_names(void **state)
{
	struct az_compute c = running();
	char fn[64];

	(void)state;
	cfs_app_filename(&apps[0], fn, sizeof(fn));
	assert_string_equal(fn, "Jupyter");
	cfs_app_filename(&apps[1], fn, sizeof(fn));
	assert_string_equal(fn, "JupyterLab");
	cfs_app_filename(&apps[2], fn, sizeof(fn));
	assert_string_equal(fn, "a_b");
	cfs_app_filename(&apps[3], fn, sizeof(fn));
	assert_string_equal(fn, "_hidden");
	cfs_app_filename(&apps[4], fn, sizeof(fn));
	assert_string_equal(fn, "app");
	assert_int_equal(cfs_app_lookup(&c, "JupyterLab"), CFS_APP_KINDS);
	assert_int_equal(cfs_app_lookup(&c, "JupyterLab.html"),
			 CFS_APP_KINDS + CFS_APP_HTML);
	assert_int_equal(cfs_app_lookup(&c, "JupyterLab.desktop"), -1);
	assert_int_equal(cfs_app_lookup(&c, "app.html"),
			 4 * CFS_APP_KINDS + CFS_APP_HTML);
	assert_int_equal(cfs_app_lookup(&c, "Jupyter Lab"), -1);
	assert_int_equal(cfs_app_lookup(&c, "RStudio"), -1);
}

static void test_app_page_and_link(void **state)
{
	struct az_compute c = running();

	(void)state;
	expect(CFS_APP_FIRST + CFS_APP_HTML, &c,
	       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"refresh\" content=\"0; url=https://"
	       "ci-alice.eastus.instances.azureml.ms/tree/\">\n"
	       "<title>Jupyter</title></head>\n"
	       "<body><p><a href=\"https://ci-alice.eastus.instances.azureml"
	       ".ms/tree/\">Jupyter</a></p></body></html>\n");
	/* the displayName, escaped, names the page; the URL file stays */
	expect(CFS_APP_FIRST + CFS_APP_KINDS + CFS_APP_HTML, &c,
	       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"refresh\" content=\"0; url=https://"
	       "ci-alice.eastus.instances.azureml.ms/lab\">\n"
	       "<title>Jupyter Lab</title></head>\n"
	       "<body><p><a href=\"https://ci-alice.eastus.instances.azureml"
	       ".ms/lab\">Jupyter Lab</a></p></body></html>\n");
	expect(CFS_APP_FIRST + 4 * CFS_APP_KINDS + CFS_APP_HTML, &c,
	       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"refresh\" content=\"0; url=https://z/\">"
	       "\n<title>app</title></head>\n"
	       "<body><p><a href=\"https://z/\">app</a></p></body></html>\n");
}

static void test_app_hostile(void **state)
{
	struct az_app evil[] = {
		{ "<b>\"x'&", "https://h/?a=1&b=\"><script>alert('x')</script>" },
		{ "Js", "javascript:alert(1)" },
		{ "Sp", "https://h/ a" },
		{ "Nl\nx", "https://h/\n<script>" },
		{ "Data", "data:text/html,<script>" },
	};
	struct az_compute c = running();
	char fn[256];

	(void)state;
	c.apps = evil;
	c.n_apps = 5;
	expect(CFS_APP_FIRST + CFS_APP_HTML, &c,
	       "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
	       "<meta http-equiv=\"refresh\" content=\"0; url=https://h/?a=1"
	       "&amp;b=&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script"
	       "&gt;\">\n<title>&lt;b&gt;&quot;x&#39;&amp;</title></head>\n"
	       "<body><p><a href=\"https://h/?a=1&amp;b=&quot;&gt;&lt;script"
	       "&gt;alert(&#39;x&#39;)&lt;/script&gt;\">&lt;b&gt;&quot;x&#39;"
	       "&amp;</a></p></body></html>\n");
	/* the URL file stays (what Azure said); no page */
	for (int i = 1; i < 5; i++) {
		struct buf b = BUF_INIT;
		int k = i * CFS_APP_KINDS;

		assert_true(cfs_app_entry(&c, k + CFS_APP_URL, fn, sizeof(fn)));
		assert_false(cfs_app_entry(&c, k + CFS_APP_HTML, fn,
					   sizeof(fn)));
		assert_int_equal(cfs_render(CFS_APP_FIRST + k + CFS_APP_HTML,
					    &c, &b), -1);
		assert_int_equal(b.len, 0);
	}
	assert_int_equal(cfs_app_lookup(&c, "Js.html"), -1);
	assert_int_equal(cfs_app_lookup(&c, "Js"), CFS_APP_KINDS);
}

static void test_app_urls(void **state)
{
	(void)state;
	assert_true(cfs_app_url_ok("https://ci.eastus.instances.azureml.ms/"));
	assert_true(cfs_app_url_ok("HTTP://h"));
	assert_true(cfs_app_url_ok("https://h:8888/lab?token=a&b=%20"));
	assert_false(cfs_app_url_ok(NULL));
	assert_false(cfs_app_url_ok(""));
	assert_false(cfs_app_url_ok("https://"));
	assert_false(cfs_app_url_ok("https:///etc/passwd"));
	assert_false(cfs_app_url_ok("file:///etc/passwd"));
	assert_false(cfs_app_url_ok("vscode://vscode-remote/x"));
	assert_false(cfs_app_url_ok(" https://h/"));
	assert_false(cfs_app_url_ok("https://h/\tx"));
	assert_false(cfs_app_url_ok("https://h/\x7f"));
	assert_false(cfs_app_url_ok("https://h/\xc3\xa9"));
}

static void test_app_duplicates_and_long_names(void **state)
{
	static char long_name[260];
	struct az_app dup[] = {
		{ "X.html", "https://first/" },
		{ "X", "https://second/" },
		{ long_name, "https://long/" },
	};
	struct az_compute c = running();
	char fn[256];

	(void)state;
	memset(long_name, 'n', 251);
	long_name[251] = '\0';
	c.apps = dup;
	c.n_apps = 3;
	/* "X.html" is the first application's URL file, not X's page */
	assert_int_equal(cfs_app_lookup(&c, "X.html"), 0);
	assert_true(cfs_app_entry(&c, CFS_APP_KINDS + CFS_APP_URL, fn,
				  sizeof(fn)));
	assert_string_equal(fn, "X");
	assert_false(cfs_app_entry(&c, CFS_APP_KINDS + CFS_APP_HTML, fn,
				   sizeof(fn)));
	/* 251 + ".html" would pass NAME_MAX: no page, the URL file stays */
	assert_true(cfs_app_entry(&c, 2 * CFS_APP_KINDS + CFS_APP_URL, fn,
				  sizeof(fn)));
	assert_false(cfs_app_entry(&c, 2 * CFS_APP_KINDS + CFS_APP_HTML, fn,
				   sizeof(fn)));
	/* out of range */
	assert_false(cfs_app_entry(&c, -1, fn, sizeof(fn)));
	assert_false(cfs_app_entry(&c, CFS_APP_MAX, fn, sizeof(fn)));
}

static void test_app_count(void **state)
{
	static struct az_app many[30];
	static char names[30][8];
	struct az_compute c = running();
	char fn[256];
	int n = 0;

	(void)state;
	for (int i = 0; i < 30; i++) {
		snprintf(names[i], sizeof(names[i]), "a%d", i);
		many[i].name = names[i];
		many[i].url = "https://h/";
	}
	c.apps = many;
	c.n_apps = 30;
	for (int k = 0; k < CFS_APP_MAX; k++)
		n += cfs_app_entry(&c, k, fn, sizeof(fn));
	assert_int_equal(CFS_APP_COUNT, 24);
	assert_int_equal(n, 2 * CFS_APP_COUNT);
	assert_int_equal(cfs_app_lookup(&c, "a23.html"), CFS_APP_MAX - 1);
	assert_int_equal(cfs_app_lookup(&c, "a24"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_ssh_refuses_what_is_not_an_address_or_user),
		cmocka_unit_test(test_absent_values),
		cmocka_unit_test(test_not_files),
		cmocka_unit_test(test_app_names),
		cmocka_unit_test(test_app_page_and_link),
		cmocka_unit_test(test_app_hostile),
		cmocka_unit_test(test_app_urls),
		cmocka_unit_test(test_app_duplicates_and_long_names),
		cmocka_unit_test(test_app_count),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
