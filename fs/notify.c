/**
 * @file
 * Telling the kernel what changed. The cache calls cfs_notify() from its
 * tracker thread once an operation completed and the cache already
 * answers with the new state; here the kernel's cached attributes, data
 * and directory entries for that instance are invalidated. This never
 * runs inside a request handler (libfuse's doc/README.notifications: a
 * notification from a handler can deadlock), and -ENOENT from the kernel
 * (it had nothing cached) is success.
 */
#include <errno.h>
#include <string.h>

#include "fs/fs.h"
#include "util/log.h"

static void inval_inode(struct cfs *fs, fuse_ino_t ino)
{
	int rc = fuse_lowlevel_notify_inval_inode(fs->se, ino, 0, 0);

	if (rc < 0 && rc != -ENOENT && rc != -ENOTCONN)
		log_debug("cannot invalidate inode %lu: %s",
			  (unsigned long)ino, strerror(-rc));
}

void cfs_notify(void *ctx, const char *name, unsigned what)
{
	struct cfs *fs = ctx;
	long slot = cfs_names_slot(fs->names, name);
	int rc;

	cfs_wait_poke(fs); /* an operation may have ended */
	if (slot >= 0 && (what & (CACHE_CHANGED | CACHE_REMOVED))) {
		for (int f = 0; f < CFS_FILE_END; f++)
			inval_inode(fs, cfs_ino_instance((uint32_t)slot, f));
		for (int a = 0; a < CFS_APP_MAX; a++)
			inval_inode(fs, cfs_ino_instance((uint32_t)slot,
							 CFS_APP_FIRST + a));
	}
	if (what & (CACHE_ADDED | CACHE_REMOVED)) {
		rc = fuse_lowlevel_notify_inval_entry(fs->se, FUSE_ROOT_ID,
						      name, strlen(name));
		if (rc < 0 && rc != -ENOENT && rc != -ENOTCONN)
			log_debug("cannot invalidate entry %s: %s", name,
				  strerror(-rc));
		inval_inode(fs, FUSE_ROOT_ID);
	}
}
