/**
 * @file
 * Fuzz target: whatever a user may write or pass. The bytes are read as
 * a control verb, a VM size, a .create line, a compute name, a workspace
 * ARM id, and a URL (a nextLink or operation URL to resolve and check).
 * Each is parsed exactly as computefs parses it; none may crash.
 *
 * Built as a libFuzzer target by scripts/fuzz (clang), and with replay.c
 * as a plain program that meson test runs over tests/fuzz/corpus/input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client/compute.h"
#include "client/http.h"
#include "client/workspace.h"
#include "fs/verbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct cfs_create c;
	struct az_workspace ws;
	enum cache_verb v;
	char why[256], out[64], log[512];
	char *s, *u;

	cfs_parse_verb(buf, size, &v);
	cfs_parse_size(buf, size, out, sizeof(out));
	cfs_parse_create(buf, size, &c, why, sizeof(why));

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	az_compute_name_valid(s, why, sizeof(why));
	if (az_workspace_parse(s, &ws, why, sizeof(why)) == 0)
		az_workspace_id(&ws, log, sizeof(log));
	az_url_token_safe(s);
	az_url_same_origin(s, "https://management.azure.com");
	az_url_for_log(s, log, sizeof(log));
	u = az_url_resolve("https://management.azure.com/subscriptions/x", s);
	if (u) {
		az_url_token_safe(u);
		free(u);
	}
	u = az_url_escape(s);
	free(u);
	free(s);
	return 0;
}
