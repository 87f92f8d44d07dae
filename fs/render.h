/**
 * @file
 * File contents: the bytes of each instance file, made from a compute's
 * snapshot. Value files follow the sysfs rule (one value, one line,
 * newline-ended) and are empty when Azure has no value. Pure functions of
 * their input, so getattr's size and read's bytes always agree.
 */
#ifndef COMPUTEFS_FS_RENDER_H
#define COMPUTEFS_FS_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "client/compute.h"
#include "util/buf.h"

/*
 * Append the contents of instance file @file (enum cfs_file, or
 * CFS_APP_FIRST + k for apps/ slot k, see cfs_app_entry) of @c to @out.
 * Returns 0, or -1 when @file is not a regular file of @c.
 */
int cfs_render(int file, const struct az_compute *c, struct buf *out);

/*
 * The base file name under apps/ of application @a: its displayName
 * without spaces ("Jupyter Lab" -> "JupyterLab"), '/' made '_', never
 * starting with a dot, "app" if nothing is left.
 */
void cfs_app_filename(const struct az_app *a, char *buf, size_t len);

/*
 * true when @url may be opened by a browser from a file manager: an
 * http:// or https:// URL with a host, made of printable ASCII only (no
 * space, no control character). Only such URLs get a NAME.html page;
 * "javascript:...", "file:...", "vscode://..." don't.
 */
bool cfs_app_url_ok(const char *url);

/*
 * The name of apps/ slot @k (0 <= k < CFS_APP_MAX: application
 * k / CFS_APP_KINDS, file kind k % CFS_APP_KINDS) of @c into @buf:
 * the base name, then ".html" for the page. Returns false when @c has
 * no such file: no such application, a URL that is not cfs_app_url_ok
 * for the page, a name too long, or a name that an earlier slot already
 * has (the first one wins).
 */
bool cfs_app_entry(const struct az_compute *c, int k, char *buf,
		   size_t len);

/* The apps/ slot whose file name is @name, or -1. */
int cfs_app_lookup(const struct az_compute *c, const char *name);

#endif
