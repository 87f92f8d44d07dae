/**
 * @file
 * Internal to fs/: the operations, split by what they work on
 * (ops.c: names, attributes, directories; file.c: file handles and the
 * calls that never reach Azure; write.c: everything that changes things),
 * and the few helpers they share.
 */
#ifndef COMPUTEFS_FS_OPS_H
#define COMPUTEFS_FS_OPS_H

#include "fs/fs.h"

/*
 * The compute behind instance @slot, from the cache. On success *l holds
 * the reference keeping *c alive. Returns 0 or -errno.
 */
int cfs_instance_of(struct cfs *fs, uint32_t slot, struct cache_listing **l,
		    const struct az_compute **c);

/* Created by, or assigned to, the signed-in identity (what .mine holds)? */
bool cfs_is_mine(const struct cfs *fs, const struct az_compute *c);

/* ops.c: what ops.c, file.c and write.c answer, before calls.c wraps it */
extern const struct fuse_lowlevel_ops cfs_ops_inner;
void cfs_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void cfs_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		 struct fuse_file_info *fi);
void cfs_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
		     off_t off, struct fuse_file_info *fi);
void cfs_releasedir(fuse_req_t req, fuse_ino_t ino,
		    struct fuse_file_info *fi);

/* An open file: its bytes, rendered once at open() (file.c). */
struct fh {
	struct cfs_handle h; /* first: the handle list's view */
	struct buf b;        /* for a wait file: protected by
				fs->wait_lock, filled when answered */
	bool wait;           /* NAME/wait: a read parks (wait.c) */
	bool answered;       /* protected by fs->wait_lock */
	size_t want;         /* protected by fs->wait_lock: the parked
				read's size */
};

/*
 * wait.c: a read of NAME/wait on @f: answers at once when nothing is in
 * flight (or with the rest of an earlier answer), else parks @req and
 * returns; the wait thread replies. @nonblock (O_NONBLOCK, as a content
 * sniffer opens): EAGAIN instead of parking.
 */
void cfs_wait_read(struct cfs *fs, fuse_req_t req, const char *name,
		   struct fh *f, size_t size, off_t off, bool nonblock);

/* file.c */
void cfs_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	      struct fuse_file_info *fi);
void cfs_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void cfs_statfs(fuse_req_t req, fuse_ino_t ino);
void cfs_access(fuse_req_t req, fuse_ino_t ino, int mask);
void cfs_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  size_t size);
void cfs_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void cfs_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		  const char *value, size_t size, int flags);
void cfs_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

/* write.c */
void cfs_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode);
void cfs_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void cfs_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void cfs_rename(fuse_req_t req, fuse_ino_t parent, const char *name,
		fuse_ino_t newparent, const char *newname, unsigned int flags);
void cfs_create(fuse_req_t req, fuse_ino_t parent, const char *name,
		mode_t mode, struct fuse_file_info *fi);
void cfs_mknod(fuse_req_t req, fuse_ino_t parent, const char *name,
	       mode_t mode, dev_t rdev);
void cfs_symlink(fuse_req_t req, const char *link, fuse_ino_t parent,
		 const char *name);
void cfs_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent,
	      const char *newname);
void cfs_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		 struct fuse_file_info *fi);
void cfs_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	       off_t off, struct fuse_file_info *fi);

/* lookup without the reply: 0 and @e filled, or -errno. */
int cfs_lookup_entry(struct cfs *fs, fuse_ino_t parent, const char *name,
		     struct fuse_entry_param *e);

/* getattr, shared with write.c */
int cfs_stat_node(struct cfs *fs, fuse_ino_t ino, struct stat *st);

#endif
