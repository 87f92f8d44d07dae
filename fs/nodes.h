/**
 * @file
 * Stable inode numbers. Every name the mount has ever shown gets a slot
 * that it keeps until unmount, so an instance's inode (and its files')
 * never change while it exists, and a deleted-then-recreated name comes
 * back with the same numbers. The numbers encode what a node is:
 *
 *     1                      the root
 *     2..7                   computefs's own dot-files (enum cfs_special)
 *     8                      .mine/
 *     1024 + 64*slot + k     instance @slot: k = 0 its directory,
 *                            1..14 its files (enum cfs_file), 15 its
 *                            symlink in .mine/, 16..63 the files of
 *                            apps/: application i's file of kind j
 *                            (enum cfs_app_kind) at k = 16 + 2*i + j,
 *                            so 24 applications at most
 */
#ifndef COMPUTEFS_FS_NODES_H
#define COMPUTEFS_FS_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fuse_lowlevel.h>

enum cfs_special {
	CFS_WORKSPACE = 2, /* .workspace */
	CFS_STATUS = 3,    /* .status */
	CFS_CREATE = 4,    /* .create (write-only) */
	CFS_INSTANCES = 5, /* .instances: one line an instance */
	CFS_SPECIAL_END,
};

/* .mine/: symlinks to the instances created by or assigned to the
 * signed-in identity. */
#define CFS_MINE_INO 8

enum cfs_file {
	CFS_DIR = 0,
	CFS_STATE,
	CFS_SIZE,
	CFS_SSH,
	CFS_CONTROL,
	CFS_OPERATION,
	CFS_IP,
	CFS_LOCATION,
	CFS_CREATED_BY,
	CFS_ERRORS,
	CFS_INFO_JSON,
	CFS_APPS,
	CFS_IDLE,      /* idle_shutdown: minutes or "off"; write minutes */
	CFS_SCHEDULES, /* schedules: one start/stop schedule a line */
	CFS_WAIT,      /* wait: a read blocks while an operation runs */
	CFS_FILE_END,
};

#define CFS_LINK 15 /* an instance's symlink in .mine/ */
#define CFS_APP_FIRST 16
#define CFS_APP_MAX 48 /* inode slots of apps/ files: 16..63 */

/* The files of one application in apps/, in inode order. */
enum cfs_app_kind {
	CFS_APP_URL = 0, /* NAME: its URL, one line (for scripts) */
	CFS_APP_HTML,    /* NAME.html: a page redirecting to the URL, what
			  * a file manager's double-click opens in the
			  * browser */
	CFS_APP_KINDS,
};

/* The applications apps/ shows at most (the rest are left out). */
#define CFS_APP_COUNT (CFS_APP_MAX / CFS_APP_KINDS)
#define CFS_INO_BASE 1024
#define CFS_INO_STRIDE 64

/* What an inode number stands for. */
struct cfs_node {
	enum { NODE_ROOT, NODE_SPECIAL, NODE_MINE, NODE_INSTANCE,
	       NODE_BAD } kind;
	int special;       /* enum cfs_special, for NODE_SPECIAL */
	uint32_t slot;     /* for NODE_INSTANCE */
	int file;          /* enum cfs_file, or CFS_APP_FIRST + apps/ slot */
};

struct cfs_node cfs_node_of(fuse_ino_t ino);
fuse_ino_t cfs_ino_instance(uint32_t slot, int file);

/* Permission bits of instance file @file (apps files: 0444). */
unsigned cfs_file_perm(int file);
/* Permission bits of a dot-file. */
unsigned cfs_special_perm(int special);

/* The file name of an instance file, or NULL for CFS_DIR. */
const char *cfs_file_name(enum cfs_file f);
/* The enum of a file name inside an instance directory, or -1. */
int cfs_file_lookup(const char *name);

const char *cfs_special_name(enum cfs_special s);
int cfs_special_lookup(const char *name);

/* The name table: slot <-> instance name (case-insensitive). */
struct cfs_names;
struct cfs_names *cfs_names_new(void);
void cfs_names_free(struct cfs_names *n);
/* The slot of @name, adding it if new; -1 when out of memory or full. */
long cfs_names_slot(struct cfs_names *n, const char *name);
/* Copy the name of @slot into @buf; false when the slot is unknown. */
bool cfs_names_get(struct cfs_names *n, uint32_t slot, char *buf, size_t len);

#endif
