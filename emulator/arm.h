/**
 * @file
 * The ARM side: what every management request goes through (bearer
 * token, api-version, subscription / resource group / workspace, the
 * x-ms-* headers) and the read routes (workspace, list, get). Write
 * routes are in lro.c.
 */
#ifndef EMULATOR_ARM_H
#define EMULATOR_ARM_H

#include <stdbool.h>

#include "emulator/emu.h"
#include "emulator/reply.h"
#include "emulator/route.h"

/*
 * Serve an ARM request (route kinds WORKSPACE ... OP_RESULT, ARM_OTHER).
 * endless (a fault rule's): a GET of the compute list that passes the
 * checks gets an empty page with a fresh nextLink (see faults.h).
 */
void arm_serve(struct emu *e, const struct route *rt,
	       const struct emu_request *rq, bool endless,
	       struct emu_reply *r);

/* Is v an api-version the emulator accepts (2022-10-01 .. 2025-06-01)? */
bool arm_api_version_ok(const char *v);

/* Encode / decode the opaque list continuation token. */
void arm_skiptoken(unsigned long pos, char *buf, size_t n);
bool arm_skiptoken_parse(const char *tok, unsigned long *pos);

#endif
