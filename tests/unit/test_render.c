/**
 * @file
 * fs/render.c: the exact bytes of each instance file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
	c.json = "{\n\t\"name\":\t\"ci-alice\"\n}\n";
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
	expect(CFS_INFO_JSON, &c, c.json);
	expect(CFS_APP_FIRST + 1, &c,
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
	assert_int_equal(cfs_render(CFS_APP_FIRST + 5, &c, &b), -1);
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
	assert_int_equal(cfs_app_lookup(&c, "JupyterLab"), 1);
	assert_int_equal(cfs_app_lookup(&c, "Jupyter Lab"), -1);
	assert_int_equal(cfs_app_lookup(&c, "RStudio"), -1);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
