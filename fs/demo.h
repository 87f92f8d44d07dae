/**
 * @file
 * --demo: start the bundled emulator on a loopback port, with a sample
 * workspace, signed in as its user alice (who made ci-alice, so .mine is
 * not empty), for a mount that needs no Azure account. The emulator dies
 * with the mount.
 */
#ifndef COMPUTEFS_FS_DEMO_H
#define COMPUTEFS_FS_DEMO_H

#include <stddef.h>
#include <sys/types.h>

#define CFS_DEMO_WORKSPACE                                                   \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/" \
	"demo-rg/providers/Microsoft.MachineLearningServices/workspaces/"    \
	"demo-ws"

struct cfs_demo {
	pid_t pid;
	char url[256];   /* the emulator's base URL */
	char token[4096]; /* the bearer token it issued */
};

/*
 * Start the emulator found next to this program, in the install's bindir,
 * or on PATH. Returns 0, or -1 with one line in @why.
 */
int cfs_demo_start(struct cfs_demo *d, char *why, size_t len);

/* Stop it (accepts a demo that never started). */
void cfs_demo_stop(struct cfs_demo *d);

#endif
