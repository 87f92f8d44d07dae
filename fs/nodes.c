/**
 * @file
 * Inode numbers and the name table (see nodes.h).
 *
 * The table is an array of names indexed by slot plus an open-addressing
 * hash from lowercased name to slot. Slots are never freed before
 * unmount; instance names are at most 24 characters, so even a workspace
 * that churns through thousands of names costs little.
 */
#include "fs/nodes.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const file_names[CFS_FILE_END] = {
	[CFS_DIR] = NULL,
	[CFS_STATE] = "state",
	[CFS_SIZE] = "size",
	[CFS_SSH] = "ssh",
	[CFS_CONTROL] = "control",
	[CFS_OPERATION] = "operation",
	[CFS_IP] = "ip",
	[CFS_LOCATION] = "location",
	[CFS_CREATED_BY] = "created_by",
	[CFS_ERRORS] = "errors",
	[CFS_INFO_JSON] = "info.json",
	[CFS_APPS] = "apps",
	[CFS_IDLE] = "idle_shutdown",
	[CFS_SCHEDULES] = "schedules",
	[CFS_WAIT] = "wait",
};

static const char *const special_names[CFS_SPECIAL_END] = {
	[CFS_WORKSPACE] = ".workspace",
	[CFS_STATUS] = ".status",
	[CFS_CREATE] = ".create",
	[CFS_INSTANCES] = ".instances",
};

struct cfs_node cfs_node_of(fuse_ino_t ino)
{
	struct cfs_node n = { .kind = NODE_BAD };

	if (ino == FUSE_ROOT_ID) {
		n.kind = NODE_ROOT;
	} else if (ino == CFS_MINE_INO) {
		n.kind = NODE_MINE;
	} else if (ino < CFS_SPECIAL_END && ino >= CFS_WORKSPACE) {
		n.kind = NODE_SPECIAL;
		n.special = (int)ino;
	} else if (ino >= CFS_INO_BASE) {
		uint64_t rel = ino - CFS_INO_BASE;

		if (rel / CFS_INO_STRIDE > UINT32_MAX)
			return n;
		n.slot = (uint32_t)(rel / CFS_INO_STRIDE);
		n.file = (int)(rel % CFS_INO_STRIDE);
		if (n.file >= CFS_FILE_END && n.file < CFS_APP_FIRST &&
		    n.file != CFS_LINK)
			return n;
		n.kind = NODE_INSTANCE;
	}
	return n;
}

fuse_ino_t cfs_ino_instance(uint32_t slot, int file)
{
	return CFS_INO_BASE + (fuse_ino_t)slot * CFS_INO_STRIDE +
	       (fuse_ino_t)file;
}

unsigned cfs_file_perm(int file)
{
	switch (file) {
	case CFS_DIR:
		return 0755;
	case CFS_APPS:
		return 0555;
	case CFS_CONTROL:
		return 0200; /* write a verb; nothing to read */
	case CFS_SIZE:
		return 0644; /* write a size to resize */
	case CFS_IDLE:
		return 0644; /* write minutes */
	default:
		return 0444;
	}
}

unsigned cfs_special_perm(int special)
{
	return special == CFS_CREATE ? 0200 : 0444;
}

const char *cfs_file_name(enum cfs_file f)
{
	return (f >= 0 && f < CFS_FILE_END) ? file_names[f] : NULL;
}

int cfs_file_lookup(const char *name)
{
	for (int i = 1; i < CFS_FILE_END; i++)
		if (strcmp(name, file_names[i]) == 0)
			return i;
	return -1;
}

const char *cfs_special_name(enum cfs_special s)
{
	return (s >= CFS_WORKSPACE && s < CFS_SPECIAL_END) ? special_names[s]
							   : NULL;
}

int cfs_special_lookup(const char *name)
{
	for (int i = CFS_WORKSPACE; i < CFS_SPECIAL_END; i++)
		if (strcmp(name, special_names[i]) == 0)
			return i;
	return -1;
}

struct cfs_names {
	pthread_mutex_t lock; /* guards every field below */
	char **names;         /* slot -> name */
	size_t n, cap;
	long *hash;           /* open addressing: slot, or -1 when empty */
	size_t hcap;          /* a power of two, kept > 2 * n */
};

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a, case-folded */

	for (; *s; s++) {
		h ^= (unsigned char)tolower((unsigned char)*s);
		h *= 1099511628211ull;
	}
	return h;
}

struct cfs_names *cfs_names_new(void)
{
	struct cfs_names *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	return n;
}

void cfs_names_free(struct cfs_names *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->names[i]);
	free(n->names);
	free(n->hash);
	pthread_mutex_destroy(&n->lock);
	free(n);
}

/* Called with n->lock held. */
static long find_locked(struct cfs_names *n, const char *name)
{
	size_t i;

	if (!n->hcap)
		return -1;
	for (i = hash_name(name) & (n->hcap - 1);; i = (i + 1) & (n->hcap - 1)) {
		long s = n->hash[i];

		if (s < 0)
			return -1;
		if (strcasecmp(n->names[s], name) == 0)
			return s;
	}
}

/* Called with n->lock held. */
static int rehash_locked(struct cfs_names *n, size_t hcap)
{
	long *h = malloc(hcap * sizeof(*h));

	if (!h)
		return -1;
	for (size_t i = 0; i < hcap; i++)
		h[i] = -1;
	for (size_t s = 0; s < n->n; s++) {
		size_t i = hash_name(n->names[s]) & (hcap - 1);

		while (h[i] >= 0)
			i = (i + 1) & (hcap - 1);
		h[i] = (long)s;
	}
	free(n->hash);
	n->hash = h;
	n->hcap = hcap;
	return 0;
}

long cfs_names_slot(struct cfs_names *n, const char *name)
{
	long s;

	pthread_mutex_lock(&n->lock);
	s = find_locked(n, name);
	if (s >= 0)
		goto out;
	s = -1;
	if (n->n >= UINT32_MAX / 2)
		goto out;
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 64;
		char **v = realloc(n->names, cap * sizeof(*v));

		if (!v)
			goto out;
		n->names = v;
		n->cap = cap;
	}
	if ((n->n + 1) * 2 >= n->hcap &&
	    rehash_locked(n, n->hcap ? n->hcap * 2 : 128) < 0)
		goto out;
	n->names[n->n] = strdup(name);
	if (!n->names[n->n])
		goto out;
	s = (long)n->n++;
	{
		size_t i = hash_name(name) & (n->hcap - 1);

		while (n->hash[i] >= 0)
			i = (i + 1) & (n->hcap - 1);
		n->hash[i] = s;
	}
out:
	pthread_mutex_unlock(&n->lock);
	return s;
}

bool cfs_names_get(struct cfs_names *n, uint32_t slot, char *buf, size_t len)
{
	bool ok = false;

	pthread_mutex_lock(&n->lock);
	if (slot < n->n && strlen(n->names[slot]) < len) {
		memcpy(buf, n->names[slot], strlen(n->names[slot]) + 1);
		ok = true;
	}
	pthread_mutex_unlock(&n->lock);
	return ok;
}
