/**
 * @file
 * fs/opts.c: the command line, the workspace it names, and the
 * config.json search.
 */
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

#include "fs/opts.h"

#define WS "/subscriptions/11111111-2222-3333-4444-555555555555/" \
	   "resourceGroups/rg-1/providers/" \
	   "Microsoft.MachineLearningServices/workspaces/ws-one"

static int parse(struct cfs_opts *o, struct fuse_args *args, int argc,
		 char **argv)
{
	*args = (struct fuse_args)FUSE_ARGS_INIT(argc, argv);
	args->allocated = 0;
	return cfs_opts_parse(args, o);
}

static int has_arg(struct fuse_args *a, const char *s)
{
	for (int i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return 1;
	return 0;
}

static void test_mount_helper_form(void **state)
{
	char *argv[] = { "computefs", WS, "/mnt/ws", "-o",
			 "rw,noauto,_netdev,nofail,x-systemd.automount,user,"
			 "cache_ttl=3,endpoint=http://127.0.0.1:9,allow_other",
			 NULL };
	struct fuse_args args;
	struct cfs_opts o;

	(void)state;
	assert_int_equal(parse(&o, &args, 5, argv), 0);
	assert_string_equal(o.workspace, WS);
	assert_string_equal(o.mountpoint, "/mnt/ws");
	assert_string_equal(o.endpoint, "http://127.0.0.1:9");
	assert_true(o.cache_ttl == 3);
	/* what is left is for libfuse: no fstab words, no options of ours */
	assert_true(has_arg(&args, "/mnt/ws"));
	for (int i = 0; i < args.argc; i++) {
		assert_null(strstr(args.argv[i], "noauto"));
		assert_null(strstr(args.argv[i], "x-systemd"));
		assert_null(strstr(args.argv[i], "endpoint"));
		assert_null(strstr(args.argv[i], "_netdev"));
	}
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

static void test_flags(void **state)
{
	char *argv[] = { "computefs", "--demo", "/mnt/x", "-o",
			 "no_delete,ro", NULL };
	char *help[] = { "computefs", "-h", NULL };
	char *bad_ttl[] = { "computefs", "/m", "-o", "cache_ttl=-1", NULL };
	char *three[] = { "computefs", "a", "b", "c", NULL };
	char *none[] = { "computefs", "-o", "cache_ttl=2", NULL };
	struct fuse_args args;
	struct cfs_opts o;

	(void)state;
	assert_int_equal(parse(&o, &args, 5, argv), 0);
	assert_true(o.demo && o.no_delete && o.ro);
	assert_true(o.cache_ttl == 15); /* the default */
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 2, help), 0);
	assert_true(o.show_help);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, bad_ttl), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, three), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 3, none), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

/* Numbers are digits (and one '.' for seconds): sscanf's leniency (15x,
 * 0x10, 1e3) is refused, as are signs and the empty value. */
static void test_numbers(void **state)
{
	static const char *bad[] = {
		"cache_ttl=15x", "cache_ttl=0x10", "cache_ttl=", "cache_ttl=1e3",
		"cache_ttl=-1", "cache_ttl=1.2.3", "cache_ttl=.", "cache_ttl=inf",
		"stale_max=10abc", "timeout=5q", "wait_timeout=5s", "idle=30x",
		"idle=30.5", "idle=+30", "timeout= 5",
		"cache_ttl=1234567890123456",
	};
	char *argv[] = { "computefs", "/m", "-o", NULL, NULL };
	struct fuse_args args;
	struct cfs_opts o;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		argv[3] = (char *)bad[i];
		assert_int_equal(parse(&o, &args, 4, argv), -1);
		fuse_opt_free_args(&args);
		cfs_opts_free(&o);
	}
	argv[3] = "cache_ttl=.5,stale_max=10,timeout=2.,wait_timeout=60,"
		  "idle=30";
	assert_int_equal(parse(&o, &args, 4, argv), 0);
	assert_true(o.cache_ttl == 0.5 && o.stale_max == 10 &&
		    o.timeout == 2 && o.wait_timeout == 60 && o.idle == 30);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

/* The WORKSPACE argument and -o workspace= must agree when both given. */
static void test_two_workspaces(void **state)
{
	char *two[] = { "computefs", WS, "/m", "-o", "workspace=" WS "x",
			NULL };
	char *same[] = { "computefs", WS, "/m", "-o", "workspace=" WS, NULL };
	struct fuse_args args;
	struct cfs_opts o;

	(void)state;
	assert_int_equal(parse(&o, &args, 5, two), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 5, same), 0);
	assert_string_equal(o.workspace, WS);
	assert_string_equal(o.mountpoint, "/m");
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

/* What is checked before mounting: --demo's conflicts, vm_size, ssh_key. */
static void test_check(void **state)
{
	char key[] = "/tmp/computefs-test-key.XXXXXX";
	char *demo_ws[] = { "computefs", "--demo", WS, "/m", NULL };
	char *demo_ep[] = { "computefs", "--demo", "/m", "-o",
			    "endpoint=https://management.azure.com", NULL };
	char *size[] = { "computefs", "/m", "-o", "vm_size=bad size", NULL };
	char *ssh[] = { "computefs", "/m", "-o", NULL, NULL };
	char opt[64], why[256];
	struct fuse_args args;
	struct cfs_opts o;
	int fd;

	(void)state;
	assert_int_equal(parse(&o, &args, 4, demo_ws), 0);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "--demo"));
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 5, demo_ep), 0);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "endpoint="));
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, size), 0);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "vm_size="));
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);

	fd = mkstemp(key);
	assert_true(fd >= 0);
	snprintf(opt, sizeof(opt), "ssh_key=%s", key);
	ssh[3] = opt;
	/* empty, then a private key's first line, then a public key */
	assert_int_equal(parse(&o, &args, 4, ssh), 0);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "public key"));
	assert_true(write(fd, "-----BEGIN OPENSSH PRIVATE KEY-----\n", 36) ==
		    36);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_true(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	/* a type alone, or a CR inside the line: not a key */
	assert_true(write(fd, "ssh-ed25519\n", 12) == 12);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_true(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	assert_true(write(fd, "K\rssh-rsa AAAAB3NzaC1yc2EAAAADAQAB x\n", 37) ==
		    37);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_true(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0);
	assert_true(write(fd, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 a@b\r\n", 38) ==
		    38);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), 0);
	close(fd);
	unlink(key);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "No such file"));
	/* a FIFO is refused at once, not waited on for a writer */
	assert_int_equal(mkfifo(key, 0600), 0);
	assert_int_equal(cfs_opts_check(&o, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "not a regular file"));
	unlink(key);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

static void test_delete_policy_and_paths(void **state)
{
	char *mine[] = { "computefs", "/m", NULL };
	char *any[] = { "computefs", "/m", "-o", "delete=any", NULL };
	char *none[] = { "computefs", "/m", "-o", "no_delete", NULL };
	char *bad[] = { "computefs", "/m", "-o", "delete=all", NULL };
	char *rel[] = { "computefs", "/m", "-o", "ssh_key=keys/id.pub",
			"-o", "timeout=0", NULL };
	char *key[] = { "computefs", "/m", "-o", "ssh_key=~/.ssh/id.pub",
			NULL };
	struct fuse_args args;
	struct cfs_opts o;
	char cwd[4096], want[4200];

	(void)state;
	assert_int_equal(parse(&o, &args, 2, mine), 0);
	assert_int_equal(o.delete_mode, CFS_DELETE_MINE); /* the default */
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, any), 0);
	assert_int_equal(o.delete_mode, CFS_DELETE_ANY);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, none), 0);
	assert_int_equal(o.delete_mode, CFS_DELETE_NONE);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	assert_int_equal(parse(&o, &args, 4, bad), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	/* timeout=0 is refused; the path would be made absolute */
	assert_int_equal(parse(&o, &args, 6, rel), -1);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	rel[5] = "timeout=5";
	assert_int_equal(parse(&o, &args, 6, rel), 0);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(want, sizeof(want), "%s/keys/id.pub", cwd);
	assert_string_equal(o.ssh_key, want);
	assert_true(o.timeout == 5);
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
	setenv("HOME", "/home/alice", 1);
	assert_int_equal(parse(&o, &args, 4, key), 0);
	assert_string_equal(o.ssh_key, "/home/alice/.ssh/id.pub");
	fuse_opt_free_args(&args);
	cfs_opts_free(&o);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_workspace_sources(void **state)
{
	struct cfs_opts o;
	struct az_workspace ws;
	char why[256], dir[] = "/tmp/cfs-opts-XXXXXX", path[512];

	(void)state;
	memset(&o, 0, sizeof(o));
	o.subscription = "11111111-2222-3333-4444-555555555555";
	o.resource_group = "rg-1";
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 -1); /* incomplete */
	assert_non_null(strstr(why, "workspace_name"));
	o.workspace_name = "ws-one";
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 0);
	assert_string_equal(ws.name, "ws-one");

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.json", dir);
	write_file(path, "{\"Scope\": \"" WS "\", \"extra\": 1}");
	memset(&o, 0, sizeof(o));
	o.config = path;
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 0);
	assert_string_equal(ws.resource_group, "rg-1");
	write_file(path, "{\"subscription_id\": \"x\"}");
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "resource_group"));
	write_file(path, "not json");
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 -1);
	unlink(path);
	rmdir(dir);

	memset(&o, 0, sizeof(o));
	assert_int_equal(cfs_opts_workspace(&o, NULL, &ws, why, sizeof(why)),
			 -1);
	assert_non_null(strstr(why, "no workspace"));
}

static void test_config_search(void **state)
{
	char top[] = "/tmp/cfs-cfg-XXXXXX", p[512], deep[512], found[512];
	struct cfs_opts o;
	struct az_workspace ws;
	char why[256];

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(deep, sizeof(deep), "%s/a", top);
	mkdir(deep, 0700);
	snprintf(deep, sizeof(deep), "%s/a/b", top);
	mkdir(deep, 0700);
	snprintf(p, sizeof(p), "%s/config.json", top);
	write_file(p, "{\"subscription_id\": "
		      "\"11111111-2222-3333-4444-555555555555\", "
		      "\"resource_group\": \"rg-top\", "
		      "\"workspace_name\": \"ws-top\"}");
	assert_int_equal(cfs_config_find(deep, found, sizeof(found)), 0);
	assert_string_equal(found, p);

	/* .azureml/config.json above wins over config.json, as in the SDK */
	snprintf(p, sizeof(p), "%s/a/.azureml", top);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/a/.azureml/config.json", top);
	write_file(p, "{\"subscription_id\": "
		      "\"11111111-2222-3333-4444-555555555555\", "
		      "\"resource_group\": \"rg-a\", "
		      "\"workspace_name\": \"ws-a\"}");
	memset(&o, 0, sizeof(o));
	assert_int_equal(cfs_opts_workspace(&o, deep, &ws, why, sizeof(why)),
			 0);
	assert_string_equal(ws.name, "ws-a");
	unlink(p);
	snprintf(p, sizeof(p), "%s/a/.azureml", top);
	rmdir(p);
	assert_int_equal(cfs_opts_workspace(&o, deep, &ws, why, sizeof(why)),
			 0);
	assert_string_equal(ws.name, "ws-top");
	snprintf(p, sizeof(p), "%s/config.json", top);
	unlink(p);
	rmdir(deep);
	snprintf(p, sizeof(p), "%s/a", top);
	rmdir(p);
	rmdir(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mount_helper_form),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_two_workspaces),
		cmocka_unit_test(test_delete_policy_and_paths),
		cmocka_unit_test(test_workspace_sources),
		cmocka_unit_test(test_config_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
