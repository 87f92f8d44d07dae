/**
 * @file
 * The FUSE low-level operations: path -> node -> cache -> bytes.
 *
 * Every answer comes from the cache (cache/cache.h); this file never sees
 * HTTP or JSON. Names starting with a dot are computefs's own and are
 * answered from memory, so a file manager's probes (.hidden, .Trash-1000,
 * autorun.inf is not a dot-name but is absent from the listing) never
 * reach Azure while the listing is fresh.
 *
 * Value files are opened with direct I/O and their bytes are rendered
 * once at open(), so a read sees one consistent snapshot and the page
 * cache never holds an old state. Directories are snapshotted at
 * opendir() so readdir's offsets stay stable while the workspace changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "fs/fs.h"
#include "fs/ops.h"
#include "fs/render.h"
#include "util/log.h"

static struct cfs *cfs_of(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/*
 * Times: an instance's directory and files carry its change time (when
 * what they show last changed, cache_compute_changed()), the root and
 * .mine/ the time an instance last came or went, the dot-files the mount
 * time. atime is mtime: reading changes nothing.
 */
static void fill_common(struct cfs *fs, struct stat *st, fuse_ino_t ino,
			struct timespec t)
{
	st->st_ino = ino;
	st->st_uid = fs->uid;
	st->st_gid = fs->gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = t;
}

static struct timespec wall(time_t t)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = 0 };

	return ts;
}

static void fill_dir(struct stat *st, mode_t perm, nlink_t links)
{
	st->st_mode = S_IFDIR | perm;
	st->st_nlink = links;
}

static void fill_file(struct stat *st, mode_t perm, size_t size)
{
	st->st_mode = S_IFREG | perm;
	st->st_nlink = 1;
	st->st_size = (off_t)size;
	st->st_blocks = (blkcnt_t)((size + 511) / 512);
}

/*
 * Attributes of instance file @file of @c: a file's size is its render
 * counted, not stored (BUF_COUNT: no allocation). Returns 0 or -errno.
 */
static int stat_instance(struct cfs *fs, uint32_t slot, int file,
			 const struct az_compute *c, struct stat *st)
{
	struct buf b = BUF_COUNT;

	memset(st, 0, sizeof(*st));
	fill_common(fs, st, cfs_ino_instance(slot, file),
		    cache_compute_changed(c));
	if (file == CFS_DIR) {
		fill_dir(st, cfs_file_perm(file), 3);
		return 0;
	}
	if (file == CFS_APPS) {
		fill_dir(st, cfs_file_perm(file), 2);
		return 0;
	}
	if (file == CFS_LINK) { /* .mine/NAME -> ../NAME */
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
		st->st_size = (off_t)(strlen("../") + strlen(c->name));
		return 0;
	}
	if (file == CFS_INFO_JSON) { /* its length is known: no render */
		fill_file(st, cfs_file_perm(file), c->json_len);
		return 0;
	}
	if (cfs_render(file, c, &b) < 0)
		return -ENOENT;
	fill_file(st, cfs_file_perm(file), b.len);
	return 0;
}

static int stat_special(struct cfs *fs, int special, struct stat *st)
{
	struct buf b = BUF_COUNT; /* its size, not its bytes */

	memset(st, 0, sizeof(*st));
	fill_common(fs, st, (fuse_ino_t)special, wall(fs->mount_time));
	if (cfs_render_special(fs, special, &b) < 0)
		return -ENOENT;
	fill_file(st, cfs_special_perm(special), b.len);
	return 0;
}

/* When the set of instances last changed (the mount time: no listing). */
static struct timespec set_time(struct cfs *fs, struct cache_listing *l)
{
	return l ? cache_listing_set_changed(l) : wall(fs->mount_time);
}

/*
 * The root links "." and ".." plus one ".." per subdirectory: .mine and
 * each instance of the listing at hand (never fetched for this).
 */
static void stat_root(struct cfs *fs, struct stat *st)
{
	struct cache_listing *l = cache_peek(fs->cache);

	memset(st, 0, sizeof(*st));
	fill_common(fs, st, FUSE_ROOT_ID, set_time(fs, l));
	fill_dir(st, 0755, 3 + (l ? cache_listing_count(l) : 0));
	cache_listing_put(l);
}

/* .mine/ changes as the root does (its links come and go with them). */
static void stat_mine(struct cfs *fs, struct stat *st)
{
	struct cache_listing *l = cache_peek(fs->cache);

	memset(st, 0, sizeof(*st));
	fill_common(fs, st, CFS_MINE_INO, set_time(fs, l));
	fill_dir(st, 0555, 2);
	cache_listing_put(l);
}

/* Created by, or assigned to, the signed-in identity? */
bool cfs_is_mine(const struct cfs *fs, const struct az_compute *c)
{
	const char *oid = fs->info.oid;

	return oid[0] &&
	       ((c->created_by_oid && strcasecmp(c->created_by_oid, oid) == 0) ||
		(c->assigned_oid && strcasecmp(c->assigned_oid, oid) == 0));
}

/*
 * The compute behind instance @slot, from the cache. On success *l holds
 * the reference keeping *c alive. Returns 0 or -errno.
 */
int cfs_instance_of(struct cfs *fs, uint32_t slot, struct cache_listing **l,
		    const struct az_compute **c)
{
	char name[256];
	struct az_error err;
	enum az_err e;

	if (!cfs_names_get(fs->names, slot, name, sizeof(name)))
		return -ENOENT;
	e = cache_get(fs->cache, name, l, c, &err);
	if (e != AZ_OK)
		return -cfs_errno(e);
	if (strcmp((*c)->name, name) != 0) { /* a different-case twin */
		cache_listing_put(*l);
		return -ENOENT;
	}
	return 0;
}

int cfs_stat_node(struct cfs *fs, fuse_ino_t ino, struct stat *st)
{
	struct cfs_node n = cfs_node_of(ino);
	struct cache_listing *l;
	const struct az_compute *c;
	int rc;

	switch (n.kind) {
	case NODE_ROOT:
		stat_root(fs, st);
		return 0;
	case NODE_SPECIAL:
		return stat_special(fs, n.special, st);
	case NODE_MINE:
		stat_mine(fs, st);
		return 0;
	case NODE_INSTANCE:
		rc = cfs_instance_of(fs, n.slot, &l, &c);
		if (rc == 0) {
			rc = stat_instance(fs, n.slot, n.file, c, st);
			cache_listing_put(l);
		}
		return rc;
	case NODE_BAD:
		break;
	}
	return -ENOENT;
}

static void cfs_getattr(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct cfs *fs = cfs_of(req);
	struct stat st;
	int rc;

	(void)fi;
	rc = cfs_stat_node(fs, ino, &st);
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_attr(req, &st, fs->entry_timeout);
}

/* Resolve @name under the instance directory or apps/ of @c. */
static int lookup_in_instance(struct cfs *fs, struct cfs_node parent,
			      const struct az_compute *c, const char *name,
			      struct fuse_entry_param *e)
{
	int file;

	if (parent.file == CFS_DIR)
		file = cfs_file_lookup(name);
	else if (parent.file == CFS_APPS)
		file = cfs_app_lookup(c, name);
	else
		return -ENOTDIR;
	if (file < 0)
		return -ENOENT;
	if (parent.file == CFS_APPS)
		file += CFS_APP_FIRST;
	e->ino = cfs_ino_instance(parent.slot, file);
	return stat_instance(fs, parent.slot, file, c, &e->attr);
}

int cfs_lookup_entry(struct cfs *fs, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e)
{
	struct cfs_node p = cfs_node_of(parent);
	struct cache_listing *l;
	const struct az_compute *c;
	struct az_error err;
	enum az_err ae;
	long slot;
	int rc;

	switch (p.kind) {
	case NODE_ROOT:
		if (strcmp(name, ".mine") == 0) {
			stat_mine(fs, &e->attr);
			e->ino = CFS_MINE_INO;
			return 0;
		}
		if (name[0] == '.') {
			int s = cfs_special_lookup(name);

			if (s < 0)
				return -ENOENT;
			e->ino = (fuse_ino_t)s;
			return stat_special(fs, s, &e->attr);
		}
		ae = cache_get(fs->cache, name, &l, &c, &err);
		if (ae != AZ_OK)
			return -cfs_errno(ae);
		rc = -ENOENT;
		if (strcmp(c->name, name) == 0) {
			slot = cfs_names_slot(fs->names, c->name);
			rc = slot < 0 ? -ENOMEM
				      : stat_instance(fs, (uint32_t)slot,
						      CFS_DIR, c, &e->attr);
			e->ino = e->attr.st_ino;
		}
		cache_listing_put(l);
		return rc;
	case NODE_INSTANCE:
		rc = cfs_instance_of(fs, p.slot, &l, &c);
		if (rc < 0)
			return rc;
		rc = lookup_in_instance(fs, p, c, name, e);
		cache_listing_put(l);
		return rc;
	case NODE_MINE:
		if (name[0] == '.')
			return -ENOENT;
		ae = cache_get(fs->cache, name, &l, &c, &err);
		if (ae != AZ_OK)
			return -cfs_errno(ae);
		rc = -ENOENT;
		slot = cfs_names_slot(fs->names, c->name);
		if (strcmp(c->name, name) == 0 && cfs_is_mine(fs, c) && slot >= 0) {
			rc = stat_instance(fs, (uint32_t)slot, CFS_LINK, c,
					   &e->attr);
			e->ino = e->attr.st_ino;
		}
		cache_listing_put(l);
		return rc;
	case NODE_SPECIAL:
		return -ENOTDIR;
	case NODE_BAD:
		break;
	}
	return -ENOENT;
}

static void cfs_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct cfs *fs = cfs_of(req);
	struct fuse_entry_param e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = cfs_lookup_entry(fs, parent, name, &e);
	e.attr_timeout = fs->entry_timeout;
	e.entry_timeout = fs->entry_timeout;
	if (rc == -ENOENT) {
		/* a negative entry: the kernel remembers the miss */
		memset(&e.attr, 0, sizeof(e.attr));
		e.ino = 0;
		fuse_reply_entry(req, &e);
	} else if (rc < 0) {
		fuse_reply_err(req, -rc);
	} else {
		fuse_reply_entry(req, &e);
	}
}

static void cfs_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct cfs *fs = cfs_of(req);
	struct cfs_node n = cfs_node_of(ino);
	struct cache_listing *l;
	const struct az_compute *c;
	char target[300];
	int rc = -EINVAL;

	if (n.kind == NODE_INSTANCE && n.file == CFS_LINK) {
		rc = cfs_instance_of(fs, n.slot, &l, &c);
		if (rc == 0) {
			snprintf(target, sizeof(target), "../%s", c->name);
			cache_listing_put(l);
		}
	}
	if (rc < 0)
		fuse_reply_err(req, -rc);
	else
		fuse_reply_readlink(req, target);
}

void cfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	/* inode numbers are stable for the life of the mount: nothing to
	 * free */
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

/* ---- directories ---- */

struct dirent_snap {
	size_t name; /* offset of its NUL-terminated name in names */
	struct stat st;
};

/* A directory as opendir() saw it: entries, their names in one pool. */
struct dirsnap {
	struct cfs_handle h; /* first: the handle list's view */
	size_t n, cap;
	struct dirent_snap *v;
	struct buf names;
};

static int snap_add(struct dirsnap *d, const char *name, const struct stat *st)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct dirent_snap *v = realloc(d->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		d->v = v;
		d->cap = cap;
	}
	d->v[d->n].name = d->names.len;
	buf_add(&d->names, name, strlen(name) + 1);
	if (d->names.failed)
		return -ENOMEM;
	d->v[d->n].st = *st;
	d->n++;
	return 0;
}

static void snap_free(struct dirsnap *d)
{
	if (!d)
		return;
	free(d->v);
	buf_free(&d->names);
	free(d);
}

static void snap_handle_free(struct cfs_handle *h)
{
	snap_free((struct dirsnap *)h);
}

/* The root (@mine false) or .mine/ (@mine true): one entry an instance. */
static int snap_root(struct cfs *fs, struct dirsnap *d, bool mine)
{
	struct cache_listing *l;
	struct az_error err;
	struct stat st, root;
	enum az_err ae;
	int rc = 0;

	stat_root(fs, &root);
	if (mine)
		stat_mine(fs, &st);
	if (snap_add(d, ".", mine ? &st : &root) || snap_add(d, "..", &root))
		return -ENOMEM;
	for (int s = CFS_WORKSPACE; s < CFS_SPECIAL_END && !mine; s++) {
		if (stat_special(fs, s, &st) == 0 &&
		    snap_add(d, cfs_special_name(s), &st))
			return -ENOMEM;
	}
	if (!mine) {
		stat_mine(fs, &st);
		if (snap_add(d, ".mine", &st))
			return -ENOMEM;
	}
	ae = cache_list(fs->cache, &l, &err);
	if (ae != AZ_OK)
		return -cfs_errno(ae);
	for (size_t i = 0; i < cache_listing_count(l) && rc == 0; i++) {
		const struct az_compute *c = cache_listing_at(l, i);
		long slot = cfs_names_slot(fs->names, c->name);

		if (slot < 0) {
			rc = -ENOMEM;
			break;
		}
		if (mine && !cfs_is_mine(fs, c))
			continue;
		rc = stat_instance(fs, (uint32_t)slot, mine ? CFS_LINK : CFS_DIR,
				   c, &st);
		if (rc == 0)
			rc = snap_add(d, c->name, &st);
	}
	cache_listing_put(l);
	return rc;
}

static int snap_instance(struct cfs *fs, struct cfs_node p, struct dirsnap *d)
{
	struct cache_listing *l;
	const struct az_compute *c;
	struct stat st;
	int rc;

	rc = cfs_instance_of(fs, p.slot, &l, &c);
	if (rc < 0)
		return rc;
	rc = stat_instance(fs, p.slot, p.file, c, &st);
	if (rc == 0)
		rc = snap_add(d, ".", &st);
	if (rc == 0)
		rc = snap_add(d, "..", &st); /* the kernel fixes ".."'s ino */
	if (p.file == CFS_DIR) {
		for (int f = 1; f < CFS_FILE_END && rc == 0; f++) {
			rc = stat_instance(fs, p.slot, f, c, &st);
			if (rc == 0)
				rc = snap_add(d, cfs_file_name(f), &st);
		}
	} else {
		/* each application's URL file, then its page */
		for (int k = 0; k < CFS_APP_MAX && rc == 0; k++) {
			char fn[256];
			int f = CFS_APP_FIRST + k;

			if (!cfs_app_entry(c, k, fn, sizeof(fn)))
				continue; /* none, or a duplicate name */
			rc = stat_instance(fs, p.slot, f, c, &st);
			if (rc == 0)
				rc = snap_add(d, fn, &st);
		}
	}
	cache_listing_put(l);
	return rc;
}

static void cfs_opendir(fuse_req_t req, fuse_ino_t ino,
			struct fuse_file_info *fi)
{
	struct cfs *fs = cfs_of(req);
	struct cfs_node n = cfs_node_of(ino);
	struct dirsnap *d = calloc(1, sizeof(*d));
	int rc = -ENOTDIR;

	if (!d) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (n.kind == NODE_ROOT || n.kind == NODE_MINE)
		rc = snap_root(fs, d, n.kind == NODE_MINE);
	else if (n.kind == NODE_INSTANCE &&
		 (n.file == CFS_DIR || n.file == CFS_APPS))
		rc = snap_instance(fs, n, d);
	else if (n.kind == NODE_BAD)
		rc = -ENOENT;
	if (rc < 0) {
		snap_free(d);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)d;
	fi->cache_readdir = 0;
	cfs_handle_add(fs, &d->h, snap_handle_free);
	if (fuse_reply_open(req, fi) == -ENOENT) {
		cfs_handle_del(fs, &d->h); /* interrupted: no releasedir */
		snap_free(d);
	}
}

static void do_readdir(fuse_req_t req, size_t size, off_t off,
		       struct fuse_file_info *fi, int plus)
{
	struct cfs *fs = cfs_of(req);
	struct dirsnap *d = (struct dirsnap *)(uintptr_t)fi->fh;
	char *buf = malloc(size); /* fuse_add_direntry*() fill what is sent */
	size_t used = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (size_t i = off < 0 ? 0 : (size_t)off; i < d->n; i++) {
		struct dirent_snap *de = &d->v[i];
		const char *name = d->names.data + de->name;
		size_t need;

		if (plus) {
			struct fuse_entry_param e;

			memset(&e, 0, sizeof(e));
			e.ino = de->st.st_ino;
			e.attr = de->st;
			e.attr_timeout = fs->entry_timeout;
			e.entry_timeout = fs->entry_timeout;
			need = fuse_add_direntry_plus(req, buf + used,
						      size - used, name, &e,
						      (off_t)(i + 1));
		} else {
			need = fuse_add_direntry(req, buf + used, size - used,
						 name, &de->st, (off_t)(i + 1));
		}
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

void cfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, 0);
}

void cfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			    off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	do_readdir(req, size, off, fi, 1);
}

void cfs_releasedir(fuse_req_t req, fuse_ino_t ino,
			   struct fuse_file_info *fi)
{
	struct dirsnap *d = (struct dirsnap *)(uintptr_t)fi->fh;

	(void)ino;
	if (d)
		cfs_handle_del(cfs_of(req), &d->h);
	snap_free(d);
	fuse_reply_err(req, 0);
}

/* What fs/calls.c wraps: each entry replies to its request itself. */
const struct fuse_lowlevel_ops cfs_ops_inner = {
	.lookup = cfs_lookup,
	.readlink = cfs_readlink,
	.getattr = cfs_getattr,
	.setattr = cfs_setattr,
	.opendir = cfs_opendir,
	.open = cfs_open,
	.write = cfs_write,
	.access = cfs_access,
	.mkdir = cfs_mkdir,
	.rmdir = cfs_rmdir,
	.create = cfs_create,
};
