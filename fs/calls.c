/**
 * @file
 * Every FUSE request that may wait on Azure runs as one call
 * (util/call.h): a deadline of -o timeout seconds, and cancellation by
 * the kernel's interrupt (the caller got a signal: Ctrl-C, SIGKILL,
 * timeout(1)) or by the mount's shutdown. The wrappers below put each
 * such operation of ops.c, file.c and write.c inside one; the rest
 * (forget, read, readdir, release, statfs, xattrs) answer from memory.
 *
 * DESIGN
 * The calls under way are in a list, fs->calls (guarded by
 * fs->calls_lock), so that libfuse's interrupt callback, which gets
 * only the request, finds the call to cancel, and a shutdown finds them
 * all. The callback is registered with the mount (never the call) as
 * its data, since libfuse may run it just after the handler replied; a
 * call leaves the list, under the lock, before its storage goes.
 * Lock order: fs->calls_lock, then a call's own lock (call_cancel).
 *
 * What an interrupted caller sees: EINTR within a second, its HTTP
 * transfer aborted. A write whose request already reached Azure may
 * still be carried out there; cache_operate() then re-reads the
 * instance in the background, so its files show what Azure did.
 */
#include "fs/fs.h"
#include "fs/ops.h"

#include "util/log.h"

struct cfs_call {
	struct call k;
	fuse_req_t req;
	struct cfs_call *next;     /* protected by fs->calls_lock */
};

static void on_interrupt(fuse_req_t req, void *data)
{
	struct cfs *fs = data;
	struct cfs_call *c;

	pthread_mutex_lock(&fs->calls_lock);
	for (c = fs->calls; c; c = c->next) {
		if (c->req == req) {
			log_debug("request interrupted: cancelling its call");
			call_cancel(&c->k);
		}
	}
	pthread_mutex_unlock(&fs->calls_lock);
}

static void begin(fuse_req_t req, struct cfs_call *c)
{
	struct cfs *fs = fuse_req_userdata(req);

	call_enter(&c->k, fs->opts->timeout);
	c->req = req;
	pthread_mutex_lock(&fs->calls_lock);
	c->next = fs->calls;
	fs->calls = c;
	if (fs->stopping)
		call_cancel(&c->k);
	pthread_mutex_unlock(&fs->calls_lock);
	fuse_req_interrupt_func(req, on_interrupt, fs);
}

/* After the handler: the request may be answered (and freed) by now. */
static void end(struct cfs *fs, struct cfs_call *c)
{
	struct cfs_call **p;

	pthread_mutex_lock(&fs->calls_lock);
	for (p = &fs->calls; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	pthread_mutex_unlock(&fs->calls_lock);
	call_leave(&c->k);
}

void cfs_calls_cancel_all(struct cfs *fs)
{
	struct cfs_call *c;
	unsigned n = 0;

	pthread_mutex_lock(&fs->calls_lock);
	fs->stopping = true;
	for (c = fs->calls; c; c = c->next, n++)
		call_cancel(&c->k);
	pthread_mutex_unlock(&fs->calls_lock);
	if (n)
		log_info("stopping: %u request%s cancelled", n,
			 n == 1 ? "" : "s");
}

/*
 * WRAP(op, params, args): cfs_ops.op runs cfs_ops_inner.op inside a
 * call. The request is saved first: the handler frees it by replying.
 */
#define WRAP(op, params, args)                                          \
	static void w_##op params                                       \
	{                                                               \
		struct cfs *fs = fuse_req_userdata(req);                \
		struct cfs_call c;                                      \
                                                                        \
		begin(req, &c);                                         \
		cfs_ops_inner.op args;                                  \
		end(fs, &c);                                            \
	}

WRAP(lookup, (fuse_req_t req, fuse_ino_t parent, const char *name),
     (req, parent, name))
WRAP(readlink, (fuse_req_t req, fuse_ino_t ino), (req, ino))
WRAP(getattr, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
     (req, ino, fi))
WRAP(setattr, (fuse_req_t req, fuse_ino_t ino, struct stat *attr,
	       int to_set, struct fuse_file_info *fi),
     (req, ino, attr, to_set, fi))
WRAP(opendir, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
     (req, ino, fi))
WRAP(open, (fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi),
     (req, ino, fi))
WRAP(write, (fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size,
	     off_t off, struct fuse_file_info *fi),
     (req, ino, buf, size, off, fi))
WRAP(mkdir, (fuse_req_t req, fuse_ino_t parent, const char *name,
	     mode_t mode),
     (req, parent, name, mode))
WRAP(rmdir, (fuse_req_t req, fuse_ino_t parent, const char *name),
     (req, parent, name))
WRAP(create, (fuse_req_t req, fuse_ino_t parent, const char *name,
	      mode_t mode, struct fuse_file_info *fi),
     (req, parent, name, mode, fi))
WRAP(access, (fuse_req_t req, fuse_ino_t ino, int mask), (req, ino, mask))

const struct fuse_lowlevel_ops cfs_ops = {
	.lookup = w_lookup,
	.forget = cfs_forget,
	.readlink = w_readlink,
	.getattr = w_getattr,
	.setattr = w_setattr,
	.opendir = w_opendir,
	.readdir = cfs_readdir,
	.readdirplus = cfs_readdirplus,
	.releasedir = cfs_releasedir,
	.open = w_open,
	.read = cfs_read,
	.write = w_write,
	.release = cfs_release,
	.statfs = cfs_statfs,
	.access = w_access,
	.getxattr = cfs_getxattr,
	.listxattr = cfs_listxattr,
	.setxattr = cfs_setxattr,
	.removexattr = cfs_removexattr,
	.mkdir = w_mkdir,
	.rmdir = w_rmdir,
	.unlink = cfs_unlink,
	.rename = cfs_rename,
	.create = w_create,
	.mknod = cfs_mknod,
	.symlink = cfs_symlink,
	.link = cfs_link,
};
