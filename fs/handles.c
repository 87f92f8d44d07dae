/**
 * @file
 * Open handles (files and directory snapshots) in one list per mount, so
 * that those the kernel never released (the mount went away while a
 * program held them: a shutdown with a write in flight) are freed when
 * the daemon ends, not leaked. fs->handles_lock guards the list only.
 */
#include "fs/fs.h"

#include <malloc.h>

/* closes (with none left open) between two malloc_trim() calls */
#define TRIM_AFTER 64

void cfs_handle_add(struct cfs *fs, struct cfs_handle *h,
		    void (*free_fn)(struct cfs_handle *))
{
	h->free = free_fn;
	h->prev = NULL;
	pthread_mutex_lock(&fs->handles_lock);
	h->next = fs->handles;
	if (h->next)
		h->next->prev = h;
	fs->handles = h;
	pthread_mutex_unlock(&fs->handles_lock);
}

void cfs_handle_del(struct cfs *fs, struct cfs_handle *h)
{
	bool trim;

	pthread_mutex_lock(&fs->handles_lock);
	if (h->prev)
		h->prev->next = h->next;
	else
		fs->handles = h->next;
	if (h->next)
		h->next->prev = h->prev;
	/* a burst of opens is over: give back what its renders left */
	trim = ++fs->closed_since_trim >= TRIM_AFTER && !fs->handles;
	if (trim)
		fs->closed_since_trim = 0;
	pthread_mutex_unlock(&fs->handles_lock);
	h->prev = h->next = NULL;
	if (trim)
		malloc_trim(0);
}

void cfs_handles_free_all(struct cfs *fs)
{
	struct cfs_handle *h, *next;

	pthread_mutex_lock(&fs->handles_lock);
	h = fs->handles;
	fs->handles = NULL;
	pthread_mutex_unlock(&fs->handles_lock);
	for (; h; h = next) {
		next = h->next;
		h->free(h);
	}
}
