/**
 * @file
 * The running emulator: its settings and the modules that hold its state,
 * shared by every connection thread. The modules lock themselves; the
 * fields of struct emu are set before the server starts and never change,
 * except the two rate-limit budgets, which change only atomically.
 */
#ifndef EMULATOR_EMU_H
#define EMULATOR_EMU_H

#include <stddef.h>

#include "emulator/settings.h"
#include "emulator/counters.h"
#include "emulator/faults.h"
#include "emulator/route.h"
#include "emulator/store.h"
#include "emulator/token.h"

struct emu {
	const struct emu_config *cfg;
	char sub[ROUTE_PART];	/* the workspace id's parts */
	char rg[ROUTE_PART];
	char ws[ROUTE_PART];
	struct store *store;
	struct tokens *tokens;
	struct counters *counters;
	struct faults *faults;
	long reads;		/* requests for the ratelimit headers */
	long writes;		/* (atomic) */
};

/*
 * Set up e from cfg: parse the workspace id, seed the store. Returns 0,
 * or -1 with a message in err.
 */
int emu_init(struct emu *e, const struct emu_config *cfg, char *err,
	     size_t errn);
void emu_fini(struct emu *e);

#endif
