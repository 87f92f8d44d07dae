/**
 * @file
 * Path parsing and route names (see route.h).
 */
#include "emulator/route.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emulator/text.h"

#define MAX_SEGS 16

/* Split path on '/', skipping empty segments; returns the count or -1. */
static int split(const char *path, char segs[MAX_SEGS][ROUTE_PART])
{
	int n = 0;
	const char *p = path;

	while (*p) {
		const char *s;
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		s = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - s);
		if (n == MAX_SEGS || len >= ROUTE_PART)
			return -1;
		memcpy(segs[n], s, len);
		segs[n][len] = '\0';
		n++;
	}
	return n;
}

/* Copy src into dst[n], cutting it short if it does not fit. */
static void copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static enum route_kind parse_arm(char segs[MAX_SEGS][ROUTE_PART], int n,
				 struct route *r)
{
	/* subscriptions/S/... */
	if (n < 2)
		return ROUTE_ARM_OTHER;
	copy(r->sub, sizeof(r->sub), segs[1]);
	/* subscriptions/S/providers/NS/locations/L/TYPE/ID */
	if (n == 8 && text_ieq(segs[2], "providers") &&
	    text_ieq(segs[3], "Microsoft.MachineLearningServices") &&
	    text_ieq(segs[4], "locations")) {
		copy(r->loc, sizeof(r->loc), segs[5]);
		copy(r->opid, sizeof(r->opid), segs[7]);
		if (text_ieq(segs[6], "computeOperationsStatus"))
			return ROUTE_OP_STATUS;
		if (text_ieq(segs[6], "computeOperationsResults"))
			return ROUTE_OP_RESULT;
		return ROUTE_ARM_OTHER;
	}
	if (n < 4 || !text_ieq(segs[2], "resourceGroups"))
		return ROUTE_ARM_OTHER;
	copy(r->rg, sizeof(r->rg), segs[3]);
	if (n < 8)
		return ROUTE_ARM_OTHER;
	r->has_provider = true;
	if (!text_ieq(segs[4], "providers") ||
	    !text_ieq(segs[5], "Microsoft.MachineLearningServices") ||
	    !text_ieq(segs[6], "workspaces"))
		return ROUTE_ARM_OTHER;
	copy(r->ws, sizeof(r->ws), segs[7]);
	if (n == 8)
		return ROUTE_WORKSPACE;
	if (!text_ieq(segs[8], "computes"))
		return ROUTE_ARM_OTHER;
	if (n == 9)
		return ROUTE_COMPUTES;
	copy(r->name, sizeof(r->name), segs[9]);
	if (n == 10)
		return ROUTE_COMPUTE;
	if (n == 11) {
		copy(r->action, sizeof(r->action), segs[10]);
		return ROUTE_ACTION;
	}
	return ROUTE_ARM_OTHER;
}

enum route_kind route_parse(const char *path, struct route *r)
{
	char segs[MAX_SEGS][ROUTE_PART];
	int n;

	memset(r, 0, sizeof(*r));
	n = split(path, segs);
	if (n <= 0)
		return r->kind = ROUTE_UNKNOWN;
	if (strcmp(segs[0], "_emulator") == 0) {
		if (n == 2)
			copy(r->admin, sizeof(r->admin), segs[1]);
		return r->kind = ROUTE_ADMIN;
	}
	if (text_ieq(segs[0], "subscriptions"))
		return r->kind = parse_arm(segs, n, r);
	if (n == 4 && text_ieq(segs[1], "oauth2") &&
	    text_ieq(segs[2], "v2.0") && text_ieq(segs[3], "token")) {
		copy(r->tenant, sizeof(r->tenant), segs[0]);
		return r->kind = ROUTE_TOKEN_AAD;
	}
	if (n == 2 && text_ieq(segs[0], "msi") && text_ieq(segs[1], "token"))
		return r->kind = ROUTE_TOKEN_MSI;
	if (n == 2 && text_ieq(segs[0], "identity") &&
	    text_ieq(segs[1], "token"))
		return r->kind = ROUTE_TOKEN_APPSERVICE;
	if (n == 4 && text_ieq(segs[0], "metadata") &&
	    text_ieq(segs[1], "identity") && text_ieq(segs[2], "oauth2") &&
	    text_ieq(segs[3], "token"))
		return r->kind = ROUTE_TOKEN_IMDS;
	return r->kind = ROUTE_UNKNOWN;
}

static const char *action_name(const char *action)
{
	static const char *const known[] = { "start", "stop", "restart",
					     "resize" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (text_ieq(action, known[i]))
			return known[i];
	if (text_ieq(action, "updateIdleShutdownSetting"))
		return "idle_shutdown";
	return "action";
}

const char *route_counter_name(const struct route *r, const char *method)
{
	switch (r->kind) {
	case ROUTE_ADMIN:
		return NULL;
	case ROUTE_WORKSPACE:
		return "workspace";
	case ROUTE_COMPUTES:
		return "list";
	case ROUTE_COMPUTE:
		if (text_ieq(method, "GET"))
			return "get";
		if (text_ieq(method, "PUT"))
			return "put";
		if (text_ieq(method, "DELETE"))
			return "delete";
		if (text_ieq(method, "PATCH"))
			return "patch";
		return "other";
	case ROUTE_ACTION:
		return action_name(r->action);
	case ROUTE_OP_STATUS:
		return "operation_status";
	case ROUTE_OP_RESULT:
		return "operation_result";
	case ROUTE_TOKEN_AAD:
		return "token_aad";
	case ROUTE_TOKEN_MSI:
		return "token_msi";
	case ROUTE_TOKEN_APPSERVICE:
		return "token_appservice";
	case ROUTE_TOKEN_IMDS:
		return "token_imds";
	case ROUTE_ARM_OTHER:
	case ROUTE_UNKNOWN:
		return "other";
	}
	return "other";
}
