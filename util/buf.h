/**
 * @file
 * A growable byte buffer for building file contents and request bodies.
 * buf_free() accepts an empty buffer; after an allocation failure the
 * buffer is marked failed and further appends are ignored, so a caller
 * checks once at the end (buf->failed). A BUF_COUNT buffer stores nothing:
 * its len is what the same appends would have stored (a file's size
 * without its bytes).
 */
#ifndef COMPUTEFS_BUF_H
#define COMPUTEFS_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated when len > 0 */
	size_t len;
	size_t cap;
	bool failed;
	bool count; /* measure only: len grows, nothing is stored or
		       allocated (data stays NULL) */
};

#define BUF_INIT { NULL, 0, 0, false, false }
/* A buffer that only counts the bytes appended (a file's size). */
#define BUF_COUNT { NULL, 0, 0, false, true }

void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_free(struct buf *b);

/*
 * Append the whole file at @path, at most @max bytes of it. Returns 0, or
 * -1 with errno (EFBIG when the file is larger than @max, ENOMEM when the
 * buffer failed), leaving what was appended.
 */
int buf_read_file(struct buf *b, const char *path, size_t max);

#endif
