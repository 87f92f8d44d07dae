/**
 * @file
 * Workspace ARM ids (see workspace.h): parsing with ARM's case-insensitive
 * keywords, checking each part against ARM's naming rules, and building
 * the canonical id back; and Azure ML's config.json, which names one.
 */
#include "client/workspace.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "client/json.h"

#define WS_PROVIDER "Microsoft.MachineLearningServices"

static int fail(char *why, size_t len, const char *msg, const char *what)
{
	if (why && len)
		snprintf(why, len, msg, what);
	return -1;
}

/* A subscription id is a GUID: 8-4-4-4-12 hex digits. */
static bool guid_ok(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };
	size_t i, g;

	for (g = 0; g < 5; g++) {
		for (i = 0; i < (size_t)groups[g]; i++, s++) {
			if (!isxdigit((unsigned char)*s))
				return false;
		}
		if (g < 4 && *s++ != '-')
			return false;
	}
	return *s == '\0';
}

/*
 * Resource group: 1-90 characters, letters, digits, '_', '-', '.', '(',
 * ')' (ARM's \w also takes Unicode letters, so bytes of a UTF-8 sequence
 * pass), not ending in '.'.
 */
static bool rg_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 1 || n > 90 || s[n - 1] == '.')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch < 0x80 && !strchr("_-.()", ch))
			return false;
	}
	return true;
}

/* Workspace: ^[a-zA-Z0-9][a-zA-Z0-9_-]{2,32}$ */
static bool wsname_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n < 3 || n > 33 || !isalnum((unsigned char)s[0]))
		return false;
	for (i = 1; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!isalnum(ch) && ch != '_' && ch != '-')
			return false;
	}
	return true;
}

int az_workspace_from_parts(const char *sub, const char *rg, const char *name,
			    struct az_workspace *ws, char *why, size_t len)
{
	if (!sub || !*sub)
		return fail(why, len, "%s", "missing subscription id");
	if (!rg || !*rg)
		return fail(why, len, "%s", "missing resource group");
	if (!name || !*name)
		return fail(why, len, "%s", "missing workspace name");
	if (!guid_ok(sub))
		return fail(why, len,
			    "invalid subscription id '%.64s': expected a GUID "
			    "like 00000000-0000-0000-0000-000000000000", sub);
	if (!rg_ok(rg))
		return fail(why, len,
			    "invalid resource group '%.100s': 1-90 letters, "
			    "digits, '_', '-', '.', '(', ')', not ending in '.'",
			    rg);
	if (!wsname_ok(name))
		return fail(why, len,
			    "invalid workspace name '%.64s': 3-33 letters, "
			    "digits, '_' or '-', starting with a letter or digit",
			    name);
	snprintf(ws->subscription, sizeof(ws->subscription), "%s", sub);
	snprintf(ws->resource_group, sizeof(ws->resource_group), "%s", rg);
	snprintf(ws->name, sizeof(ws->name), "%s", name);
	return 0;
}

/* Copy the segment [@s, @e) into @buf; false when it does not fit. */
static bool seg_copy(char *buf, size_t size, const char *s, const char *e)
{
	size_t n = (size_t)(e - s);

	if (n >= size)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return true;
}

int az_workspace_parse(const char *id, struct az_workspace *ws, char *why,
		       size_t len)
{
	/* Segments of the id, in order; NULL marks a value. */
	static const char *const shape[] = {
		"subscriptions", NULL, "resourceGroups", NULL, "providers",
		WS_PROVIDER, "workspaces", NULL,
	};
	char vals[3][128];
	const char *p, *e;
	size_t i, nv = 0;

	if (!id || !*id)
		return fail(why, len, "%s", "empty workspace id");
	p = id[0] == '/' ? id + 1 : id;
	for (i = 0; i < sizeof(shape) / sizeof(shape[0]); i++) {
		e = strchr(p, '/');
		if (!e)
			e = p + strlen(p);
		if (e == p)
			return fail(why, len,
				    "invalid workspace id '%.300s': expected "
				    "/subscriptions/S/resourceGroups/R/providers/"
				    WS_PROVIDER "/workspaces/W", id);
		if (shape[i]) {
			if ((size_t)(e - p) != strlen(shape[i]) ||
			    strncasecmp(p, shape[i], strlen(shape[i])) != 0)
				return fail(why, len,
					    "invalid workspace id '%.300s': "
					    "expected /subscriptions/S/"
					    "resourceGroups/R/providers/"
					    WS_PROVIDER "/workspaces/W", id);
		} else if (!seg_copy(vals[nv++], sizeof(vals[0]), p, e)) {
			return fail(why, len,
				    "invalid workspace id '%.300s': a part is "
				    "too long", id);
		}
		if (*e == '\0') {
			p = e;
			i++;
			break;
		}
		p = e + 1;
	}
	if (i < sizeof(shape) / sizeof(shape[0]) || *p != '\0')
		return fail(why, len,
			    "invalid workspace id '%.300s': expected "
			    "/subscriptions/S/resourceGroups/R/providers/"
			    WS_PROVIDER "/workspaces/W", id);
	return az_workspace_from_parts(vals[0], vals[1], vals[2], ws, why,
				       len);
}

int az_workspace_from_config(const char *text, size_t len,
			     struct az_workspace *ws, char *why, size_t whylen)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	const char *scope = js_str(root, "Scope");
	const char *sub = js_str(root, "subscription_id");
	const char *rg = js_str(root, "resource_group");
	const char *name = js_str(root, "workspace_name");
	int rc;

	if (!cJSON_IsObject(root)) {
		snprintf(why, whylen, "not a JSON object");
		rc = -1;
	} else if (scope) {
		rc = az_workspace_parse(scope, ws, why, whylen);
	} else if (!sub || !rg || !name) {
		snprintf(why, whylen, "it lacks subscription_id, "
				      "resource_group or workspace_name");
		rc = -1;
	} else {
		rc = az_workspace_from_parts(sub, rg, name, ws, why, whylen);
	}
	cJSON_Delete(root);
	return rc;
}

void az_workspace_id(const struct az_workspace *ws, char *buf, size_t len)
{
	snprintf(buf, len,
		 "/subscriptions/%s/resourceGroups/%s/providers/" WS_PROVIDER
		 "/workspaces/%s", ws->subscription, ws->resource_group,
		 ws->name);
}
