/**
 * @file
 * Everything that changes things: control, size and .create writes,
 * mkdir and rmdir. Each parses its input first (fs/verbs.c) and refuses
 * bad input with EINVAL before any request; then it asks the cache
 * (cache_operate), which returns once Azure accepted the request, and
 * the error comes from the system call itself (fs/errmap.c).
 *
 * The rest of what a shell or file manager may try (new files, links,
 * renames, chmod, touch) is refused at once with EPERM, without a
 * request to Azure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/ops.h"
#include "fs/verbs.h"
#include "util/log.h"


/* Ask the cache; it logs Azure's answer (and its message) itself. */
static int operate(struct cfs *fs, const char *name, enum cache_verb v,
		   const struct cache_op_args *args)
{
	struct az_error err;
	enum az_err e;

	memset(&err, 0, sizeof(err));
	e = cache_operate(fs->cache, name, v, args, &err);
	return e == AZ_OK ? 0 : cfs_errno(e);
}

/*
 * @path as the writer meant it: "~/..." in the caller's home, a relative
 * path in the caller's working directory (/proc/PID/cwd: the daemon's
 * own is "/"), an absolute one as it is. Returns 0 or -errno.
 */
static int caller_path(fuse_req_t req, const char *path, char *out,
		       size_t len)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct passwd pw, *res = NULL;
	char pwbuf[4096];
	int n;

	if (path[0] == '/')
		n = snprintf(out, len, "%s", path);
	else if (path[0] == '~' && (path[1] == '/' || !path[1])) {
		if (getpwuid_r(ctx->uid, &pw, pwbuf, sizeof(pwbuf), &res) ||
		    !res || !res->pw_dir)
			return -ENOENT;
		n = snprintf(out, len, "%s%s", res->pw_dir, path + 1);
	} else if (path[0] == '~') {
		return -EINVAL; /* ~otheruser: not ours to read */
	} else {
		n = snprintf(out, len, "/proc/%d/cwd/%s", (int)ctx->pid,
			     path);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * cfs_read_ssh_key() with the caller's file-system identity (setfsuid/setfsgid
 * act on this thread alone), so a root daemon reads only what the
 * writer could read itself.
 */
static int read_key_as(fuse_req_t req, const char *path, char *out,
		       size_t len)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	char full[PATH_MAX];
	uid_t ouid;
	gid_t ogid;
	int rc = caller_path(req, path, full, sizeof(full));

	if (rc < 0)
		return rc;
	ogid = (gid_t)setfsgid(ctx->gid);
	ouid = (uid_t)setfsuid(ctx->uid);
	rc = cfs_read_ssh_key(full, ctx->uid, out, len);
	setfsuid(ouid);
	setfsgid(ogid);
	return rc;
}

/* Create @c->name with the mount's defaults filled in. */
static int create(struct cfs *fs, fuse_req_t req, const struct cfs_create *c)
{
	const struct cfs_opts *o = fs->opts;
	struct cache_op_args a;
	const char *key_path = c->ssh_key[0] ? c->ssh_key : o->ssh_key;
	char *key = NULL;
	int rc;

	memset(&a, 0, sizeof(a));
	a.vm_size = c->size[0] ? c->size
			       : (o->vm_size ? o->vm_size : CFS_DEFAULT_VM_SIZE);
	a.subnet = c->subnet[0] ? c->subnet : NULL;
	a.assign_oid = c->assign_oid[0] ? c->assign_oid : NULL;
	a.assign_tid = c->assign_tid[0] ? c->assign_tid : NULL;
	a.idle_minutes = c->idle ? c->idle : o->idle;
	a.start_at = c->start_at[0] ? c->start_at : NULL;
	a.stop_at = c->stop_at[0] ? c->stop_at : NULL;
	a.week_days = c->days;
	a.time_zone = c->tz[0] ? c->tz : NULL;
	if (key_path) {
		key = malloc(16384);
		if (!key)
			return ENOMEM;
		/* -o ssh_key= was made absolute when the mount began */
		rc = read_key_as(req, key_path, key, 16384);
		if (rc < 0) {
			log_warn("create %s: cannot use ssh key %s: %s",
				 c->name, key_path, strerror(-rc));
			free(key);
			return -rc;
		}
		a.ssh_key = key;
	}
	rc = operate(fs, c->name, CACHE_CREATE, &a);
	free(key);
	/*
	 * Azure's 409 to a create: the name is taken (by a compute we do
	 * not show, such as a cluster, or by one made meanwhile).
	 */
	return rc == EBUSY ? EEXIST : rc;
}

/* Is @name an instance the cache knows? 0, or an errno (ENOENT). */
static int known(struct cfs *fs, const char *name)
{
	struct cache_listing *l;
	const struct az_compute *c;
	struct az_error err;
	enum az_err e = cache_get(fs->cache, name, &l, &c, &err);
	int rc;

	if (e != AZ_OK)
		return cfs_errno(e);
	rc = strcmp(c->name, name) == 0 ? 0 : ENOENT;
	cache_listing_put(l);
	return rc;
}

/*
 * delete=mine: @name must be the signed-in identity's (in .mine), else
 * EACCES, said in the log and the instance's errors. 0 when it may go.
 */
static int guard_delete(struct cfs *fs, const char *name)
{
	struct cache_listing *l;
	const struct az_compute *c;
	struct az_error err;
	bool mine;

	if (cache_get(fs->cache, name, &l, &c, &err) != AZ_OK)
		return ENOENT;
	mine = cfs_is_mine(fs, c);
	cache_listing_put(l);
	if (mine)
		return 0;
	az_fail(&err, AZ_ERR_FORBIDDEN, 0, "not yours: neither created by "
		"nor assigned to %s; computefs deletes only the instances in "
		".mine unless mounted with -o delete=any",
		fs->info.identity[0] ? fs->info.identity :
				       "the signed-in identity");
	log_warn("rmdir %s: %s", name, err.message);
	cache_refuse(fs->cache, name, CACHE_DELETE, &err);
	return EACCES;
}

void cfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode)
{
	struct cfs *fs = fuse_req_userdata(req);
	struct fuse_entry_param e;
	struct cfs_create c;
	char why[256];
	long slot;
	int rc;

	(void)mode;
	if (parent != FUSE_ROOT_ID || name[0] == '.') {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (fs->opts->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	/* the name alone: options go through .create, never a dir name */
	if (!az_compute_name_valid(name, why, sizeof(why)) ||
	    cfs_parse_create(name, strlen(name), &c, why, sizeof(why)) < 0) {
		log_warn("mkdir %s: %s", name, why);
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (known(fs, name) == 0) {
		fuse_reply_err(req, EEXIST);
		return;
	}
	rc = create(fs, req, &c);
	if (rc) {
		fuse_reply_err(req, rc);
		return;
	}
	slot = cfs_names_slot(fs->names, name);
	memset(&e, 0, sizeof(e));
	if (slot < 0 ||
	    cfs_stat_node(fs, cfs_ino_instance((uint32_t)slot, CFS_DIR),
			  &e.attr) < 0) {
		/* accepted, but not listed yet: answer with what we know */
		e.attr.st_mode = S_IFDIR | cfs_file_perm(CFS_DIR);
		e.attr.st_nlink = 3;
		e.attr.st_uid = fs->uid;
		e.attr.st_gid = fs->gid;
		e.attr.st_ino = slot < 0 ? 0
					 : cfs_ino_instance((uint32_t)slot,
							    CFS_DIR);
	}
	e.ino = e.attr.st_ino;
	e.attr_timeout = 0;
	e.entry_timeout = 0;
	if (e.ino == 0)
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_entry(req, &e);
}

void cfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs *fs = fuse_req_userdata(req);
	int rc;

	if (fs->opts->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	if (parent != FUSE_ROOT_ID || name[0] == '.') {
		/* apps/, .mine/: they come back, so no success without
		 * effect (EPERM); a file is ENOTDIR, a stranger ENOENT */
		struct fuse_entry_param e;

		memset(&e, 0, sizeof(e));
		rc = cfs_lookup_entry(fs, parent, name, &e);
		if (rc == 0)
			rc = S_ISDIR(e.attr.st_mode) ? -EPERM : -ENOTDIR;
		fuse_reply_err(req, -rc);
		return;
	}
	if (fs->opts->delete_mode == CFS_DELETE_NONE) {
		fuse_reply_err(req, EPERM);
		return;
	}
	rc = known(fs, name);
	if (rc == 0 && fs->opts->delete_mode == CFS_DELETE_MINE)
		rc = guard_delete(fs, name);
	if (rc == 0)
		rc = operate(fs, name, CACHE_DELETE, NULL);
	fuse_reply_err(req, rc);
}

/* Handle one write to a writable file. Returns 0 or an errno. */
static int write_node(struct cfs *fs, fuse_req_t req, fuse_ino_t ino,
		      const char *buf, size_t size, off_t off)
{
	struct cfs_node n = cfs_node_of(ino);
	struct cache_op_args a;
	struct cfs_create c;
	enum cache_verb v;
	char name[256], vm[64], why[256];

	if (fs->opts->ro)
		return EROFS;
	/*
	 * White space after an earlier write on this open file ends that
	 * write's line (bash's printf sends "stop\n\n" as "stop\n", "\n"):
	 * no verb, no change. At offset 0 it is an empty verb: EINVAL.
	 */
	if (off > 0 && cfs_blank(buf, size))
		return 0;
	if (n.kind == NODE_SPECIAL && n.special == CFS_CREATE) {
		if (cfs_parse_create(buf, size, &c, why, sizeof(why)) < 0) {
			log_warn(".create: %s", why);
			return EINVAL;
		}
		if (known(fs, c.name) == 0)
			return EEXIST;
		return create(fs, req, &c);
	}
	if (n.kind != NODE_INSTANCE ||
	    !cfs_names_get(fs->names, n.slot, name, sizeof(name)))
		return EACCES;
	memset(&a, 0, sizeof(a));
	switch (n.file) {
	case CFS_CONTROL:
		if (cfs_parse_verb(buf, size, &v) < 0) {
			log_warn("control %s: unknown verb (start, stop, "
				 "restart)", name);
			return EINVAL;
		}
		return operate(fs, name, v, NULL);
	case CFS_SIZE:
		if (cfs_parse_size(buf, size, vm, sizeof(vm)) < 0) {
			log_warn("size %s: not a VM size", name);
			return EINVAL;
		}
		a.vm_size = vm;
		return operate(fs, name, CACHE_RESIZE, &a);
	case CFS_IDLE:
		if (cfs_parse_idle(buf, size, &a.idle_minutes, why,
				   sizeof(why)) < 0) {
			log_warn("idle_shutdown %s: %s", name, why);
			return EINVAL;
		}
		return operate(fs, name, CACHE_IDLE, &a);
	default:
		return EACCES;
	}
}

void cfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	       off_t off, struct fuse_file_info *fi)
{
	struct cfs *fs = fuse_req_userdata(req);
	int rc;

	(void)fi;
	if (size > 8192) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	/* one verb per write(2), wherever the file offset is */
	rc = write_node(fs, req, ino, buf, size, off);
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_write(req, size);
}

void cfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi)
{
	struct cfs *fs = fuse_req_userdata(req);
	struct stat st;
	int rc;

	(void)fi;
	rc = -cfs_stat_node(fs, ino, &st);
	/* only the truncate that the shell's '>' does, on writable files */
	if (rc == 0 && (!(to_set & FUSE_SET_ATTR_SIZE) || attr->st_size != 0 ||
			(to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID |
				   FUSE_SET_ATTR_GID)) ||
			!(st.st_mode & S_IWUSR) || S_ISDIR(st.st_mode)))
		rc = EPERM;
	if (rc)
		fuse_reply_err(req, rc);
	else
		fuse_reply_attr(req, &st, 0);
}

/* ---- refused at once, no request ---- */

/*
 * Unlinking a generated file of an instance (or of its apps/) succeeds
 * and changes nothing: the file is made again on the next lookup. This
 * is what lets `rm -r NAME` reach the rmdir that deletes the instance
 * (rm does not remove a directory whose entries it could not remove).
 * Anywhere else, unlink is EPERM.
 */
void cfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs *fs = fuse_req_userdata(req);
	struct cfs_node p = cfs_node_of(parent);
	struct fuse_entry_param e;
	int rc;

	if (p.kind != NODE_INSTANCE) {
		fuse_reply_err(req, EPERM);
		return;
	}
	if (fs->opts->ro) {
		fuse_reply_err(req, EROFS);
		return;
	}
	memset(&e, 0, sizeof(e));
	rc = cfs_lookup_entry(fs, parent, name, &e);
	if (rc == 0 && S_ISDIR(e.attr.st_mode))
		rc = -EISDIR;
	else if (rc == 0)
		rc = -EPERM; /* it would come back: no success without effect */
	fuse_reply_err(req, -rc);
}

void cfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	(void)flags;
	fuse_reply_err(req, EPERM);
}

void cfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EPERM);
}

void cfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)rdev;
	fuse_reply_err(req, EPERM);
}

void cfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	fuse_reply_err(req, EPERM);
}

void cfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	fuse_reply_err(req, EPERM);
}
