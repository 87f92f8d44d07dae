/**
 * @file
 * PUT bodies: check a Compute_CreateOrUpdate request body the way Azure
 * does and build the resource it creates; and the short reply body
 * Azure's examples show (computeType and provisioningState only).
 */
#ifndef EMULATOR_CREATE_H
#define EMULATOR_CREATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "emulator/store.h"

struct create_args {
	const char *ws_id;
	const char *name;
	const char *location;	/* the workspace's, if the body has none */
	const struct store_caller *caller;	/* may be NULL */
	unsigned seq;		/* picks the IP addresses */
};

/*
 * The resource for body, in state Creating; NULL with an ARM error code
 * and message when the body or name is refused (HTTP 400).
 */
cJSON *create_resource(const struct create_args *a, const cJSON *body,
		       char *code, size_t coden, char *msg, size_t msgn);

/* {id, type, name, location, properties{computeType, provisioningState}} */
cJSON *create_reply_body(const cJSON *res);


#endif
