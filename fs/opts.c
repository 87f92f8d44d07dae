/**
 * @file
 * Command-line options (see opts.h): an offsetof table for fuse_opt_parse,
 * as libfuse's examples do, plus the workspace and config.json search.
 */
#include "fs/opts.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/client.h"
#include "fs/verbs.h"
#include "util/buf.h"

enum {
	KEY_HELP,
	KEY_VERSION,
	KEY_DEMO,
	KEY_IGNORE,
	KEY_RO,
	KEY_ALLOW_OTHER,
	KEY_NUMBER,
	KEY_REMOUNT,
};

#define OPT(t, p) { t, offsetof(struct cfs_opts, p), 1 }

static const struct fuse_opt cfs_opt_spec[] = {
	OPT("workspace=%s", workspace),
	OPT("subscription=%s", subscription),
	OPT("resource_group=%s", resource_group),
	OPT("workspace_name=%s", workspace_name),
	OPT("config=%s", config),
	OPT("endpoint=%s", endpoint),
	OPT("authority=%s", authority),
	OPT("auth=%s", auth),
	OPT("token_file=%s", token_file),
	OPT("ca_file=%s", ca_file),
	FUSE_OPT_KEY("cache_ttl=", KEY_NUMBER),
	FUSE_OPT_KEY("stale_max=", KEY_NUMBER),
	FUSE_OPT_KEY("timeout=", KEY_NUMBER),
	FUSE_OPT_KEY("idle=", KEY_NUMBER),
	FUSE_OPT_KEY("wait_timeout=", KEY_NUMBER),
	OPT("vm_size=%s", vm_size),
	OPT("ssh_key=%s", ssh_key),
	OPT("no_delete", no_delete),
	OPT("delete=%s", delete_policy),
	OPT("stack", stack),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("remount", KEY_REMOUNT),
	FUSE_OPT_KEY("allow_other", KEY_ALLOW_OTHER),
	FUSE_OPT_KEY("-h", KEY_HELP),
	FUSE_OPT_KEY("--help", KEY_HELP),
	FUSE_OPT_KEY("-V", KEY_VERSION),
	FUSE_OPT_KEY("--version", KEY_VERSION),
	FUSE_OPT_KEY("--demo", KEY_DEMO),
	/* fstab-only words: mount(8) and systemd use them, we do not */
	FUSE_OPT_KEY("auto", KEY_IGNORE),
	FUSE_OPT_KEY("noauto", KEY_IGNORE),
	FUSE_OPT_KEY("user", KEY_IGNORE),
	FUSE_OPT_KEY("users", KEY_IGNORE),
	FUSE_OPT_KEY("nouser", KEY_IGNORE),
	FUSE_OPT_KEY("_netdev", KEY_IGNORE),
	FUSE_OPT_KEY("nofail", KEY_IGNORE),
	FUSE_OPT_KEY("defaults", KEY_IGNORE),
	FUSE_OPT_KEY("rw", KEY_IGNORE),
	FUSE_OPT_END
};

/*
 * The numeric options, read here and strictly: fuse_opt's "%lf" is
 * sscanf's, which takes "15x" as 15 and "0x10" as 16.
 */
static const struct number_opt {
	const char *name; /* up to its '=' */
	size_t off;       /* of a double, or of a long when @whole */
	bool whole;
} number_opts[] = {
	{ "cache_ttl", offsetof(struct cfs_opts, cache_ttl), false },
	{ "stale_max", offsetof(struct cfs_opts, stale_max), false },
	{ "timeout", offsetof(struct cfs_opts, timeout), false },
	{ "wait_timeout", offsetof(struct cfs_opts, wait_timeout), false },
	{ "idle", offsetof(struct cfs_opts, idle), true },
};

/*
 * Store "NAME=VALUE" @arg in @o: VALUE is decimal digits, with one '.'
 * unless the option is whole. Returns 0, or -1 said on stderr.
 */
static int number_opt(struct cfs_opts *o, const char *arg)
{
	const char *eq = strchr(arg, '='), *v = eq + 1, *p;
	size_t i, digits = 0, dots = 0;

	for (p = v; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (*p == '.')
			dots++;
		else
			break;
	}
	for (i = 0; i < sizeof(number_opts) / sizeof(number_opts[0]); i++) {
		const struct number_opt *n = &number_opts[i];
		char *field = (char *)o + n->off;

		if (strlen(n->name) != (size_t)(eq - arg) ||
		    strncmp(arg, n->name, (size_t)(eq - arg)) != 0)
			continue;
		if (p - v > 15) {
			fprintf(stderr, "computefs: %s: too long (15 "
				"characters at most)\n", arg);
			return -1;
		}
		if (*p || !digits || dots > (n->whole ? 0u : 1u)) {
			fprintf(stderr, "computefs: %s: %s\n", arg,
				n->whole ? "minutes are digits only"
					 : "seconds are digits, one '.' at most");
			return -1;
		}
		if (n->whole)
			*(long *)(void *)field = strtol(v, NULL, 10);
		else
			*(double *)(void *)field = strtod(v, NULL);
		return 0;
	}
	return -1; /* not reached: fuse_opt matched one of the names */
}

static int opt_proc(void *data, const char *arg, int key,
		    struct fuse_args *outargs)
{
	struct cfs_opts *o = data;

	(void)outargs;
	switch (key) {
	case KEY_HELP:
		o->show_help = 1;
		return 0;
	case KEY_VERSION:
		o->show_version = 1;
		return 0;
	case KEY_DEMO:
		o->demo = 1;
		return 0;
	case KEY_IGNORE:
		return 0;
	case KEY_NUMBER:
		return number_opt(o, arg);
	case KEY_REMOUNT:
		/* mount -o remount: a FUSE daemon cannot take new options */
		fprintf(stderr, "computefs: remount is not supported: unmount "
				"(fusermount3 -u) and mount again\n");
		return -1;
	case KEY_RO:
		o->ro = 1;
		return 1; /* the kernel needs it too */
	case KEY_ALLOW_OTHER:
		o->allow_other = 1;
		return 1;
	case FUSE_OPT_KEY_NONOPT:
		o->n_positional++;
		if (o->n_positional > 2) {
			fprintf(stderr, "computefs: unexpected argument '%s'\n",
				arg);
			return -1;
		}
		if (o->mountpoint) /* WORKSPACE MOUNTPOINT */
			o->workspace_arg = o->mountpoint;
		o->mountpoint = strdup(arg);
		return 0;
	case FUSE_OPT_KEY_OPT:
		/* x-systemd.automount, x-gvfs-show, ...: fstab's own */
		return strncmp(arg, "x-", 2) == 0 ? 0 : 1;
	default:
		return 1;
	}
}

/*
 * Make *@p absolute as the mount command meant it: "~/..." from $HOME,
 * relative from the working directory (the daemon then moves to "/").
 * Returns 0, or -1 (*@p unchanged).
 */
static int absolute_path(char **p)
{
	char cwd[PATH_MAX], *s = NULL;
	const char *home = getenv("HOME");

	if ((*p)[0] == '/')
		return 0;
	if ((*p)[0] == '~' && ((*p)[1] == '/' || !(*p)[1])) {
		if (!home || !*home || asprintf(&s, "%s%s", home, *p + 1) < 0)
			return -1;
	} else {
		if (!getcwd(cwd, sizeof(cwd)) ||
		    asprintf(&s, "%s/%s", cwd, *p) < 0)
			return -1;
	}
	free(*p);
	*p = s;
	return 0;
}

/*
 * The mount's source, as mount(8) and findmnt show it: the WORKSPACE
 * argument as given (an fstab line's first field, so that mount -a finds
 * the line mounted and skips it), else "computefs". A value fuse_opt
 * would split (',', '\\') or the kernel refuses (white space) is not
 * used. Returns 0 or -1 (out of memory).
 */
static int add_fsname(struct fuse_args *args, const struct cfs_opts *o)
{
	const char *src = "computefs";
	char *opt;
	int rc;

	if (o->n_positional == 2 && o->workspace && o->workspace[0] &&
	    strlen(o->workspace) < 1024 &&
	    !o->workspace[strcspn(o->workspace, ",\\ \t\n")])
		src = o->workspace;
	if (asprintf(&opt, "-ofsname=%s,subtype=computefs", src) < 0)
		return -1;
	rc = fuse_opt_add_arg(args, opt);
	free(opt);
	return rc;
}

int cfs_opts_parse(struct fuse_args *args, struct cfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->cache_ttl = 15;
	o->stale_max = 300;
	o->timeout = 30;
	o->wait_timeout = 1800;
	if (fuse_opt_parse(args, o, cfs_opt_spec, opt_proc) == -1)
		return -1;
	if (o->workspace_arg) { /* and -o workspace=: the same one, or none */
		if (o->workspace && strcmp(o->workspace, o->workspace_arg)) {
			fprintf(stderr, "computefs: two workspaces given: '%s' "
					"and workspace=%s\n", o->workspace_arg,
				o->workspace);
			return -1;
		}
		free(o->workspace);
		o->workspace = o->workspace_arg;
		o->workspace_arg = NULL;
	}
	if (o->cache_ttl < 0 || o->cache_ttl > 86400) {
		fprintf(stderr, "computefs: cache_ttl must be 0 to 86400 "
				"seconds\n");
		return -1;
	}
	if (o->stale_max < 1 || o->stale_max > 86400) {
		fprintf(stderr, "computefs: stale_max must be 1 to 86400 "
				"seconds\n");
		return -1;
	}
	if (o->idle && (o->idle < AZ_IDLE_MIN || o->idle > AZ_IDLE_MAX)) {
		fprintf(stderr, "computefs: idle must be %d to %d minutes\n",
			AZ_IDLE_MIN, AZ_IDLE_MAX);
		return -1;
	}
	if (!(o->wait_timeout >= 1 && o->wait_timeout <= 86400)) {
		fprintf(stderr, "computefs: wait_timeout must be 1 to 86400 "
				"seconds\n");
		return -1;
	}
	if (!(o->timeout >= 1 && o->timeout <= 3600)) {
		fprintf(stderr, "computefs: timeout must be 1 to 3600 "
				"seconds\n");
		return -1;
	}
	if (!o->delete_policy || !strcmp(o->delete_policy, "mine")) {
		o->delete_mode = CFS_DELETE_MINE;
	} else if (!strcmp(o->delete_policy, "any")) {
		o->delete_mode = CFS_DELETE_ANY;
	} else if (!strcmp(o->delete_policy, "none")) {
		o->delete_mode = CFS_DELETE_NONE;
	} else {
		fprintf(stderr, "computefs: delete=%s: use mine (the "
				"default), any or none\n", o->delete_policy);
		return -1;
	}
	if (o->no_delete)
		o->delete_mode = CFS_DELETE_NONE;
	if (o->ssh_key && absolute_path(&o->ssh_key) < 0) {
		fprintf(stderr, "computefs: ssh_key=%s: cannot resolve it "
				"(no HOME, or the path is too long)\n",
			o->ssh_key);
		return -1;
	}
	if (o->show_help || o->show_version)
		return 0;
	if (!o->mountpoint) {
		fprintf(stderr, "computefs: no mount point given "
				"(try 'computefs --help')\n");
		return -1;
	}
	/* a shared mount: the kernel checks modes, as on any filesystem */
	if (o->allow_other &&
	    fuse_opt_add_arg(args, "-odefault_permissions") == -1)
		return -1;
	if (fuse_opt_add_arg(args, o->mountpoint) == -1 ||
	    add_fsname(args, o) == -1)
		return -1;
	return 0;
}

int cfs_opts_check(const struct cfs_opts *o, char *why, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} not_demo[] = {
#define F(n) { #n, offsetof(struct cfs_opts, n) }
		F(workspace), F(subscription), F(resource_group),
		F(workspace_name), F(config), F(endpoint), F(authority),
		F(auth), F(token_file), F(ca_file),
#undef F
	};
	char size[64], *key;
	int rc;

	for (size_t i = 0; o->demo && i < sizeof(not_demo) / sizeof(*not_demo);
	     i++) {
		const char *v =
			*(char *const *)(const void *)((const char *)o +
						      not_demo[i].off);

		if (!v)
			continue;
		if (i == 0 && o->n_positional > 1)
			snprintf(why, len, "--demo takes a mount point only "
				 "(it serves its own workspace): '%s'", v);
		else
			snprintf(why, len, "--demo serves its own workspace: "
				 "drop %s=%s", not_demo[i].name, v);
		return -1;
	}
	if (o->vm_size && (cfs_parse_size(o->vm_size, strlen(o->vm_size),
					  size, sizeof(size)) < 0 ||
			   strcmp(size, o->vm_size) != 0)) {
		snprintf(why, len, "vm_size=%.100s: a VM size is 1 to 63 "
			 "letters, digits and '_' (Standard_DS3_v2)",
			 o->vm_size);
		return -1;
	}
	if (!o->ssh_key)
		return 0;
	key = malloc(16384);
	if (!key) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	rc = cfs_read_ssh_key(o->ssh_key, getuid(), key, 16384);
	free(key);
	if (rc == -EINVAL)
		snprintf(why, len, "ssh_key=%s: not one OpenSSH public key "
			 "line (the .pub file, not the private key)",
			 o->ssh_key);
	else if (rc == -ELOOP)
		snprintf(why, len, "ssh_key=%s: a symbolic link; name the "
			 "file itself", o->ssh_key);
	else if (rc == -EACCES)
		snprintf(why, len, "ssh_key=%s: not a regular file of yours",
			 o->ssh_key);
	else if (rc < 0)
		snprintf(why, len, "ssh_key=%s: %s", o->ssh_key,
			 strerror(-rc));
	return rc < 0 ? -1 : 0;
}

void cfs_opts_free(struct cfs_opts *o)
{
	char **strs[] = {
		&o->workspace, &o->subscription, &o->resource_group,
		&o->workspace_name, &o->config, &o->endpoint, &o->authority,
		&o->auth, &o->token_file, &o->ca_file, &o->vm_size,
		&o->ssh_key, &o->mountpoint, &o->delete_policy,
		&o->workspace_arg,
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		free(*strs[i]);
		*strs[i] = NULL;
	}
}

void cfs_opts_usage(const char *prog)
{
	printf("usage: %s [options] MOUNTPOINT\n"
	       "       %s WORKSPACE MOUNTPOINT [-o options]\n"
	       "       %s --demo MOUNTPOINT\n"
	       "\n"
	       "Mount an Azure Machine Learning workspace: one directory per\n"
	       "compute instance, with state, size, ssh and control files.\n"
	       "\n"
	       "computefs options:\n"
	       "    --demo                 start the bundled emulator and "
	       "mount its workspace\n"
	       "    -o workspace=ARM_ID    the workspace's ARM id\n"
	       "    -o subscription=S,resource_group=R,workspace_name=W\n"
	       "    -o config=PATH         an Azure ML config.json\n"
	       "    -o endpoint=URL        ARM base URL (default "
	       "https://management.azure.com)\n"
	       "    -o authority=URL       Entra ID authority host (default\n"
	       "                           https://login.microsoftonline.com)"
	       "\n"
	       "    -o auth=MODE           auto (default), env, "
	       "managed-identity, cli\n"
	       "                           or token-file\n"
	       "    -o token_file=PATH     bearer token file (mode 0600)\n"
	       "    -o ca_file=PATH        extra CA bundle (PEM)\n"
	       "    -o cache_ttl=SECONDS   how long a listing stays fresh "
	       "(default 15)\n"
	       "    -o stale_max=SECONDS   how long past the TTL to serve the "
	       "last listing\n"
	       "                           while Azure fails (default 300)\n"
	       "    -o timeout=SECONDS     longest wait on Azure of one call "
	       "(default 30)\n"
	       "    -o vm_size=SIZE        VM size mkdir uses (default "
	       CFS_DEFAULT_VM_SIZE ")\n"
	       "    -o ssh_key=PATH        public key mkdir enables SSH "
	       "with\n"
	       "    -o idle=MINUTES        idle shutdown mkdir sets (15 to "
	       "4320; default none)\n"
	       "    -o wait_timeout=SECONDS  longest a read of NAME/wait "
	       "blocks (default 1800)\n"
	       "    -o delete=WHO          whose instances rmdir deletes: "
	       "mine (default:\n"
	       "                           those in .mine), any, or none\n"
	       "    -o no_delete           delete=none\n"
	       "    -o stack               mount over a path already "
	       "mounted\n"
	       "    -o ro                  refuse every change\n"
	       "\n"
	       "See computefs(1).\n\n",
	       prog, prog, prog);
}

static int check_parts(const struct cfs_opts *o, struct az_workspace *ws,
		       char *why, size_t len)
{
	if (!o->subscription || !o->resource_group || !o->workspace_name) {
		snprintf(why, len, "incomplete workspace: give subscription=, "
				   "resource_group= and workspace_name= "
				   "together");
		return -1;
	}
	return az_workspace_from_parts(o->subscription, o->resource_group,
				       o->workspace_name, ws, why, len);
}

int cfs_opts_workspace(const struct cfs_opts *o, const char *cwd,
		       struct az_workspace *ws, char *why, size_t len)
{
	char found[PATH_MAX];

	if (o->workspace)
		return az_workspace_parse(o->workspace, ws, why, len);
	if (o->subscription || o->resource_group || o->workspace_name)
		return check_parts(o, ws, why, len);
	if (o->config)
		return cfs_config_read(o->config, ws, why, len);
	if (cwd && cfs_config_find(cwd, found, sizeof(found)) == 0)
		return cfs_config_read(found, ws, why, len);
	snprintf(why, len, "no workspace given: name one as WORKSPACE, "
			   "-o workspace=, or put a config.json in this "
			   "directory or above");
	return -1;
}

int cfs_config_read(const char *path, struct az_workspace *ws, char *why,
		    size_t len)
{
	struct buf text = BUF_INIT;
	char reason[256];
	int rc;

	if (buf_read_file(&text, path, 64 * 1024) < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		buf_free(&text);
		return -1;
	}
	rc = az_workspace_from_config(text.data ? text.data : "", text.len,
				      ws, reason, sizeof(reason));
	buf_free(&text);
	if (rc < 0)
		snprintf(why, len, "%s: %s", path, reason);
	return rc;
}

/* Walk up from @dir looking for @rel; 0 and the path in @out if found. */
static int walk_up(const char *dir, const char *rel, char *out, size_t len)
{
	char cur[PATH_MAX];
	struct stat st;

	if (snprintf(cur, sizeof(cur), "%s", dir) >= (int)sizeof(cur))
		return -1;
	for (int level = 0; level < 20; level++) {
		char *slash;

		if (snprintf(out, len, "%s/%s", strcmp(cur, "/") ? cur : "",
			     rel) < (int)len &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return 0;
		if (strcmp(cur, "/") == 0)
			break;
		slash = strrchr(cur, '/');
		if (!slash)
			break;
		if (slash == cur)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	return -1;
}

int cfs_config_find(const char *dir, char *out, size_t len)
{
	/* the order of MLClient.from_config: .azureml/ first, then . */
	if (walk_up(dir, ".azureml/config.json", out, len) == 0)
		return 0;
	return walk_up(dir, "config.json", out, len);
}
