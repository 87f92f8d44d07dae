/**
 * @file
 * File contents: the bytes of each instance file, made from a compute's
 * snapshot. Value files follow the sysfs rule (one value, one line,
 * newline-ended) and are empty when Azure has no value. Pure functions of
 * their input, so getattr's size and read's bytes always agree.
 */
#ifndef COMPUTEFS_FS_RENDER_H
#define COMPUTEFS_FS_RENDER_H

#include <stddef.h>

#include "client/compute.h"
#include "util/buf.h"

/*
 * Append the contents of instance file @file (enum cfs_file, or
 * CFS_APP_FIRST + i for application i) of @c to @out.
 * Returns 0, or -1 when @file is not a regular file of @c.
 */
int cfs_render(int file, const struct az_compute *c, struct buf *out);

/*
 * The file name under apps/ of application @a: its displayName without
 * spaces ("Jupyter Lab" -> "JupyterLab"), '/' made '_', never starting
 * with a dot, "app" if nothing is left.
 */
void cfs_app_filename(const struct az_app *a, char *buf, size_t len);

/* Index of the application whose file name is @name, or -1. */
int cfs_app_lookup(const struct az_compute *c, const char *name);

#endif
