/**
 * @file
 * The running emulator: its settings and the modules that hold its state,
 * shared by every connection thread. The modules lock themselves; the
 * fields of struct emu are set before the server starts and never change,
 * except the two rate-limit budgets and the endless-page counter, which
 * change only atomically, and the stop gate, which has its own lock.
 */
#ifndef EMULATOR_EMU_H
#define EMULATOR_EMU_H

#include <pthread.h>
#include <stdbool.h>
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
	unsigned long endless;	/* endless pages served (atomic) */
	struct {
		pthread_mutex_t lock;	/* guards stopping */
		pthread_cond_t cond;	/* CLOCK_MONOTONIC, broadcast */
		bool stopping;
	} stop;
};

/*
 * Set up e from cfg: parse the workspace id, seed the store. Returns 0,
 * or -1 with a message in err.
 */
int emu_init(struct emu *e, const struct emu_config *cfg, char *err,
	     size_t errn);
void emu_fini(struct emu *e);

/*
 * Wait ms milliseconds, or less if emu_stop() is called meanwhile (or was
 * before). Returns true if the whole wait ran, false if it was cut short
 * by a stop. Takes e->stop.lock; call with no other lock held.
 */
bool emu_wait(struct emu *e, long ms);

/* Wake every emu_wait() now and make later ones return at once. */
void emu_stop(struct emu *e);

#endif
