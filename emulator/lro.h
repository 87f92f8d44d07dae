/**
 * @file
 * The write routes and their long-running operations: PUT (create),
 * DELETE, POST start/stop/restart/resize, and the operation URLs under
 * .../locations/L/computeOperationsStatus/ID and computeOperationsResults/ID.
 *
 * Header variants follow the Azure REST API specs and examples
 * (machinelearningservices 2025-06-01): start and resize answer 202
 * with Location; stop and restart 202 with Azure-AsyncOperation; PUT 201
 * (200 when it overwrites) with Azure-AsyncOperation; DELETE 202 with
 * both, 204 when the compute is absent. All carry Retry-After.
 * POST updateIdleShutdownSetting is no LRO: 200 with no body.
 */
#ifndef EMULATOR_LRO_H
#define EMULATOR_LRO_H

#include "emulator/emu.h"
#include "emulator/reply.h"
#include "emulator/route.h"

void lro_put(struct emu *e, const struct route *rt,
	     const struct emu_request *rq, const struct store_caller *caller,
	     struct emu_reply *r);
void lro_delete(struct emu *e, const struct route *rt,
		const struct emu_request *rq, struct emu_reply *r);
void lro_action(struct emu *e, const struct route *rt,
		const struct emu_request *rq, struct emu_reply *r);

/* GET of an operation status (ROUTE_OP_STATUS) or result URL. */
void lro_poll(struct emu *e, const struct route *rt,
	      const struct emu_request *rq, struct emu_reply *r);

#endif
