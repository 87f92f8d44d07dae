/**
 * @file
 * File handles (open, read, release) and the calls that must never reach
 * Azure: statfs, access and the xattr family (file managers send them by
 * the hundred).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "fs/ops.h"
#include "fs/render.h"

/* Render the bytes of regular file @ino into @b. Returns 0 or -errno. */
static int render_node(struct cfs *fs, fuse_ino_t ino, struct buf *b)
{
	struct cfs_node n = cfs_node_of(ino);
	struct cache_listing *l;
	const struct az_compute *c;
	int rc;

	switch (n.kind) {
	case NODE_SPECIAL:
		return cfs_read_special(fs, n.special, b);
	case NODE_INSTANCE:
		if (n.file == CFS_DIR || n.file == CFS_APPS)
			return -EISDIR;
		rc = cfs_instance_of(fs, n.slot, &l, &c);
		if (rc < 0)
			return rc;
		rc = cfs_render(n.file, c, b) < 0 ? -ENOENT : 0;
		cache_listing_put(l);
		return rc;
	case NODE_ROOT:
	case NODE_MINE:
		return -EISDIR;
	case NODE_BAD:
		break;
	}
	return -ENOENT;
}


static void fh_free(struct cfs_handle *h)
{
	struct fh *f = (struct fh *)h;

	buf_free(&f->b);
	free(f);
}

void cfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct cfs *fs = fuse_req_userdata(req);
	int acc = fi->flags & O_ACCMODE;
	struct stat st;
	struct fh *f;
	struct buf *b;
	int rc;

	rc = cfs_stat_node(fs, ino, &st);
	if (rc == 0 && S_ISDIR(st.st_mode))
		rc = -EISDIR;
	if (rc == 0 && ((acc != O_WRONLY && !(st.st_mode & S_IRUSR)) ||
			(acc != O_RDONLY && !(st.st_mode & S_IWUSR))))
		rc = -EACCES;
	if (rc < 0) {
		fuse_reply_err(req, -rc);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	b = &f->b;
	f->wait = cfs_node_of(ino).kind == NODE_INSTANCE &&
		  cfs_node_of(ino).file == CFS_WAIT;
	/* a wait file's bytes come when its read is answered (wait.c) */
	rc = f->wait ? 0 : render_node(fs, ino, b);
	if (rc == 0 && b->failed)
		rc = -ENOMEM;
	if (rc < 0) {
		fh_free(&f->h);
		fuse_reply_err(req, -rc);
		return;
	}
	fi->fh = (uintptr_t)f;
	fi->direct_io = 1; /* the page cache never holds an old state */
	fi->keep_cache = 0;
	cfs_handle_add(fs, &f->h, fh_free);
	if (fuse_reply_open(req, fi) == -ENOENT) {
		cfs_handle_del(fs, &f->h); /* interrupted: no release */
		fh_free(&f->h);
	}
}

void cfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct fh *f = (struct fh *)(uintptr_t)fi->fh;
	struct buf *b = f ? &f->b : NULL;
	struct cfs *fs = fuse_req_userdata(req);
	char name[256];
	char *copy;

	if (f && f->wait) {
		if (!cfs_names_get(fs->names, cfs_node_of(ino).slot, name,
				   sizeof(name))) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		cfs_wait_read(fs, req, name, f, size, off,
			      fi->flags & O_NONBLOCK);
		return;
	}
	if (!b || off < 0 || (size_t)off >= b->len) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > b->len - (size_t)off)
		size = b->len - (size_t)off;
	/*
	 * Reply from a copy: once the kernel has the reply, the reader may
	 * close the file and another thread run release() and free @b
	 * while this one is still inside fuse_reply_buf().
	 */
	copy = malloc(size);
	if (!copy) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	memcpy(copy, b->data + off, size);
	fuse_reply_buf(req, copy, size);
	free(copy);
}

void cfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fh *f = (struct fh *)(uintptr_t)fi->fh;

	(void)ino;
	if (f) {
		cfs_handle_del(fuse_req_userdata(req), &f->h);
		fh_free(&f->h);
	}
	fuse_reply_err(req, 0);
}

void cfs_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	(void)ino;
	memset(&st, 0, sizeof(st));
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

void cfs_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct cfs *fs = fuse_req_userdata(req);
	struct stat st;
	int rc = cfs_stat_node(fs, ino, &st);

	if (rc == 0 && (((mask & R_OK) && !(st.st_mode & S_IRUSR)) ||
			((mask & W_OK) && !(st.st_mode & S_IWUSR)) ||
			((mask & X_OK) && !(st.st_mode & S_IXUSR))))
		rc = -EACCES;
	fuse_reply_err(req, -rc);
}

/*
 * No extended attributes exist. ENOSYS, not ENODATA: the kernel then
 * remembers that this mount has none and stops asking (every `ls -l`
 * asks twice a file: security.selinux, system.posix_acl_access), and
 * callers get EOPNOTSUPP at once.
 */
void cfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size)
{
	(void)ino;
	(void)name;
	(void)size;
	fuse_reply_err(req, ENOSYS);
}

void cfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

void cfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags)
{
	(void)ino;
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	fuse_reply_err(req, ENOTSUP);
}

void cfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	(void)name;
	fuse_reply_err(req, ENODATA);
}
