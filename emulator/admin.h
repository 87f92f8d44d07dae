/**
 * @file
 * The emulator's own API under /_emulator/ (never counted, never faulted):
 *
 *   GET  /_emulator/requests      counts by route and method, last requests
 *   POST /_emulator/reset         clear those counts
 *   GET  /_emulator/faults        the fault rules (see faults.h)
 *   POST /_emulator/faults        replace them with a JSON array ([] clears)
 *   POST /_emulator/expire-tokens every token issued so far is expired
 *   POST /_emulator/token         mint a user token {"user":"alice",
 *                                 "seconds":N} -> {"access_token", ...}
 *   GET  /_emulator/fail-ops      verbs whose operations end Failed
 *   POST /_emulator/fail-ops      set them: ["start", "stop", ...]
 *   POST /_emulator/state         {"name":..., "state":...} force a state
 *   POST /_emulator/config        {"op_seconds": S} change operation time
 *   GET  /_emulator/health        {"ok": true}
 */
#ifndef EMULATOR_ADMIN_H
#define EMULATOR_ADMIN_H

#include "emulator/emu.h"
#include "emulator/reply.h"
#include "emulator/route.h"

void admin_serve(struct emu *e, const struct route *rt,
		 const struct emu_request *rq, struct emu_reply *r);

#endif
