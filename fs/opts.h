/**
 * @file
 * The command line: computefs's own -o options, parsed with fuse_opt and
 * removed from the argument list, so that what is left is for libfuse
 * (-f, -d, -s, allow_other, ro, ...). Also the workspace: from the
 * WORKSPACE argument, -o workspace=, the three parts, or config.json.
 */
#ifndef COMPUTEFS_FS_OPTS_H
#define COMPUTEFS_FS_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include <fuse_lowlevel.h>

#include "client/workspace.h"

/* What mkdir creates without -o vm_size= (a general-purpose size). */
#define CFS_DEFAULT_VM_SIZE "Standard_DS3_v2"

struct cfs_opts {
	/* as given; NULL when not */
	char *workspace;      /* ARM id: -o workspace= or the WORKSPACE arg */
	char *workspace_arg;  /* the WORKSPACE arg while parsing; then NULL */
	char *subscription;
	char *resource_group;
	char *workspace_name;
	char *config;         /* -o config=PATH */
	char *endpoint;
	char *authority;
	char *auth;           /* auto|env|managed-identity|cli|token-file */
	char *token_file;
	char *ca_file;
	char *vm_size;
	char *ssh_key;
	long idle;            /* minutes of idle shutdown mkdir sets; 0: none */
	double wait_timeout;  /* seconds a read of NAME/wait may block;
				 default 1800 */
	double cache_ttl;     /* seconds; default 15 */
	double stale_max;     /* seconds past the TTL to serve when Azure
				 fails; default 300 */
	double timeout;       /* seconds one call may wait on Azure, all
				 retries included; default 30 */
	int no_delete;        /* -o no_delete: delete=none's old name */
	char *delete_policy;  /* -o delete=mine|any|none, as given */
	enum cfs_delete {
		CFS_DELETE_MINE, /* only .mine's instances (the default) */
		CFS_DELETE_ANY,
		CFS_DELETE_NONE,
	} delete_mode;        /* decided by cfs_opts_parse() */
	int stack;            /* -o stack: mount over a mounted path too */
	int ro;
	int allow_other;  /* adds default_permissions */
	int demo;
	int show_help;
	int show_version;
	char *mountpoint;     /* the last positional argument */
	int n_positional;
};

/*
 * Parse @args in place: computefs's options are taken out, the mount
 * point is put back as libfuse expects it, and fsname/subtype are added.
 * Returns 0, or -1 after printing one line to stderr.
 */
int cfs_opts_parse(struct fuse_args *args, struct cfs_opts *o);
void cfs_opts_free(struct cfs_opts *o);

/*
 * What can be checked before the mount, after cfs_opts_parse(): --demo
 * given with a workspace or credential option (it serves its own, so
 * they would be ignored); a malformed vm_size; an ssh_key file that is
 * missing, unreadable, not the caller's or not a public key (read as
 * the calling user). Returns 0, or -1 with one line in @why (@len
 * bytes).
 */
int cfs_opts_check(const struct cfs_opts *o, char *why, size_t len);

/* Print the usage text (our part; libfuse's follows). */
void cfs_opts_usage(const char *prog);

/*
 * Decide the workspace from @o: the ARM id, else the three parts, else
 * -o config=, else config.json / .azureml/config.json searched upward
 * from @cwd. Returns 0, or -1 with one line in @why.
 */
int cfs_opts_workspace(const struct cfs_opts *o, const char *cwd,
		       struct az_workspace *ws, char *why, size_t len);

/*
 * Read an Azure ML config.json (subscription_id, resource_group,
 * workspace_name, or Scope). Returns 0, or -1 with a reason in @why.
 */
int cfs_config_read(const char *path, struct az_workspace *ws, char *why,
		    size_t len);

/* Search @dir and its parents (20 levels) for .azureml/config.json then
 * config.json. Writes the path found into @out; returns 0 or -1. */
int cfs_config_find(const char *dir, char *out, size_t len);

#endif
