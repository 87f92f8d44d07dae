/**
 * @file
 * Fuzz target: whatever a server may send back. The bytes are read as
 * every kind of reply computefs parses: a compute list or resource
 * (mapped to structs, then every file of every instance rendered), an
 * ARM or OAuth error body, an operation status body, a resource polled
 * for its provisioningState, and a Retry-After header. None may crash,
 * leak or read out of bounds, whatever the input. And the list page
 * scanner (jscan.h) may accept only what cJSON parses, with the same
 * "value" elements.
 *
 * Built as a libFuzzer target by scripts/fuzz (clang), and with replay.c
 * as a plain program that meson test runs over tests/fuzz/corpus/reply.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "client/client_impl.h"
#include "client/http.h"
#include "client/jscan.h"
#include "fs/nodes.h"
#include "fs/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void render_all(const struct az_compute *c)
{
	for (int f = 0; f < CFS_APP_FIRST + CFS_APP_MAX; f++) {
		struct buf b = BUF_INIT;

		cfs_render(f, c, &b);
		buf_free(&b);
	}
	for (size_t i = 0; i < c->n_apps; i++) {
		char fn[256];

		cfs_app_filename(&c->apps[i], fn, sizeof(fn));
		cfs_app_lookup(c, fn);
	}
}

static void map_one(const cJSON *obj)
{
	struct az_compute c, copy;

	memset(&c, 0, sizeof(c));
	if (az_compute_from_json(obj, &c) != AZ_OK)
		return;
	az_compute_is_instance(&c);
	render_all(&c);
	if (az_compute_copy(&copy, &c) == 0) {
		render_all(&copy);
		az_compute_free(&copy);
	}
	az_compute_free(&c);
}

/*
 * What jscan accepts, cJSON parses as an object, with as many "value"
 * elements, each parsing alone to the same JSON (cJSON is the more
 * lenient: its refusals are a subset of jscan's).
 */
static void scan_agrees(const char *text, size_t size, const cJSON *root,
			const cJSON *arr)
{
	struct jscan_page pg;
	const cJSON *it;
	size_t i = 0;

	if (jscan_page(text, size, &pg) == JSCAN_OK) {
		if (!cJSON_IsObject(root) || pg.has_value != (arr != NULL) ||
		    (arr && pg.n != (size_t)cJSON_GetArraySize(arr)))
			abort();
		cJSON_ArrayForEach(it, arr) {
			cJSON *one = cJSON_ParseWithLength(pg.elems[i].p,
							   pg.elems[i].len);
			/* printed, not cJSON_Compare: keys may repeat */
			char *a = cJSON_PrintUnformatted(one);
			char *b = cJSON_PrintUnformatted(it);

			if (!one || !a || !b || strcmp(a, b))
				abort();
			cJSON_free(a);
			cJSON_free(b);
			cJSON_Delete(one);
			i++;
		}
	}
	jscan_page_free(&pg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	cJSON *root = cJSON_ParseWithLength(text, size);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "value");
	const cJSON *arr = cJSON_IsArray(v) ? v : NULL;
	const cJSON *it;
	struct az_error err;
	enum az_lro_state st;
	char *s;

	map_one(root);
	cJSON_ArrayForEach(it, arr)
		map_one(it);
	scan_agrees(text, size, root, arr);
	cJSON_Delete(root);

	for (long status = 400; status < 600; status += 99) {
		memset(&err, 0, sizeof(err));
		az_http_error_from_body(status, text, size, &err);
	}
	az_lro_parse_status(text, size, &st, &err);
	az_lro_parse_resource(text, size, &st, &err);

	s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
		az_retry_after_ms(s, s, s, time(NULL));
		az_lro_state_of(s);
		free(s);
	}
	return 0;
}
