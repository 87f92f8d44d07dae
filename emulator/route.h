/**
 * @file
 * Which route a request path names: ARM workspace/compute paths, the
 * operation status URLs, the token endpoints and the /_emulator/ API.
 *
 * Fixed keywords ("subscriptions", "computes", ...) match case-insensitively
 * as ARM does; the names are copied out for the handlers to compare.
 */
#ifndef EMULATOR_ROUTE_H
#define EMULATOR_ROUTE_H

#include <stdbool.h>

enum route_kind {
	ROUTE_UNKNOWN,		/* nothing we serve */
	ROUTE_ARM_OTHER,	/* under /subscriptions/, but no known shape */
	ROUTE_WORKSPACE,	/* W */
	ROUTE_COMPUTES,		/* W/computes */
	ROUTE_COMPUTE,		/* W/computes/NAME */
	ROUTE_ACTION,		/* W/computes/NAME/ACTION */
	ROUTE_OP_STATUS,	/* .../locations/L/computeOperationsStatus/ID */
	ROUTE_OP_RESULT,	/* .../locations/L/computeOperationsResults/ID */
	ROUTE_TOKEN_AAD,	/* /TENANT/oauth2/v2.0/token */
	ROUTE_TOKEN_MSI,	/* /msi/token */
	ROUTE_TOKEN_APPSERVICE,	/* /identity/token */
	ROUTE_TOKEN_IMDS,	/* /metadata/identity/oauth2/token */
	ROUTE_ADMIN,		/* /_emulator/... */
};

#define ROUTE_PART 256

struct route {
	enum route_kind kind;
	char sub[ROUTE_PART];
	char rg[ROUTE_PART];
	char ws[ROUTE_PART];
	char name[ROUTE_PART];	/* compute name */
	char action[64];	/* start, stop, ... as sent */
	char loc[64];		/* operation URLs: location */
	char opid[ROUTE_PART];	/* operation URLs: id */
	char tenant[ROUTE_PART];	/* AAD token URL */
	char admin[64];		/* /_emulator/ADMIN */
	bool has_provider;	/* path went past the resource group */
};

/* Parse path (no query string) into out; returns out->kind. */
enum route_kind route_parse(const char *path, struct route *out);

/*
 * The counter name for a request: workspace, list, get, put, delete,
 * patch, start, stop, restart, resize, idle_shutdown
 * (updateIdleShutdownSetting), action, operation_status,
 * operation_result, token_aad, token_msi, token_appservice, token_imds,
 * other; NULL for /_emulator/ requests, which are not counted.
 */
const char *route_counter_name(const struct route *r, const char *method);

#endif
