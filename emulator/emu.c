/**
 * @file
 * Setting up and tearing down the emulator's state (see emu.h).
 */
#include "emulator/emu.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "emulator/seed.h"

/* The stop gate: a mutex and a condition timed on CLOCK_MONOTONIC. */
static int stop_init(struct emu *e)
{
	pthread_condattr_t attr;
	int rc;

	if (pthread_condattr_init(&attr) != 0)
		return -1;
	rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(&e->stop.cond, &attr);
	pthread_condattr_destroy(&attr);
	if (rc != 0)
		return -1;
	pthread_mutex_init(&e->stop.lock, NULL);
	return 0;
}

int emu_init(struct emu *e, const struct emu_config *cfg, char *err,
	     size_t errn)
{
	struct tokens_opts to = {
		.static_token = cfg->token,
		.lifetime = cfg->token_seconds,
		.client_id = cfg->client_id,
		.client_secret = cfg->client_secret,
		.msi_secret = cfg->msi_secret,
		.identity_header = cfg->identity_header,
	};
	struct store_opts so = {
		.ws_id = cfg->workspace,
		.location = cfg->location,
		.op_seconds = cfg->op_seconds,
	};
	struct seed_opts seed = {
		.ws_id = cfg->workspace,
		.location = cfg->location,
		.instances = cfg->instances,
		.clusters = cfg->clusters,
		.seed = cfg->seed,
	};
	struct route rt;
	int rc;

	memset(e, 0, sizeof(*e));
	e->cfg = cfg;
	if (route_parse(cfg->workspace, &rt) != ROUTE_WORKSPACE ||
	    cfg->workspace[0] != '/') {
		snprintf(err, errn,
			 "invalid workspace id '%s': expected /subscriptions/S/"
			 "resourceGroups/R/providers/"
			 "Microsoft.MachineLearningServices/workspaces/W",
			 cfg->workspace);
		return -1;
	}
	snprintf(e->sub, sizeof(e->sub), "%s", rt.sub);
	snprintf(e->rg, sizeof(e->rg), "%s", rt.rg);
	snprintf(e->ws, sizeof(e->ws), "%s", rt.ws);
	if (stop_init(e) < 0) {
		snprintf(err, errn, "cannot set up the stop condition");
		return -1;
	}
	e->store = store_new(&so);
	e->tokens = tokens_new(&to);
	e->counters = counters_new();
	e->faults = faults_new();
	if (!e->store || !e->tokens || !e->counters || !e->faults) {
		snprintf(err, errn, "out of memory");
		emu_fini(e);
		return -1;
	}
	store_set_fail(e->store, cfg->fail_ops);
	if (cfg->shape == EMU_SHAPE_EXAMPLES)
		rc = seed_examples(e->store, &seed);
	else
		rc = seed_azure(e->store, &seed);
	if (rc < 0) {
		snprintf(err, errn, "cannot build the seeded workspace");
		emu_fini(e);
		return -1;
	}
	return 0;
}

void emu_fini(struct emu *e)
{
	store_free(e->store);
	tokens_free(e->tokens);
	counters_free(e->counters);
	faults_free(e->faults);
	e->store = NULL;
	e->tokens = NULL;
	e->counters = NULL;
	e->faults = NULL;
	pthread_cond_destroy(&e->stop.cond);
	pthread_mutex_destroy(&e->stop.lock);
}

bool emu_wait(struct emu *e, long ms)
{
	struct timespec until;
	bool stopped;
	int rc = 0;

	if (ms < 0)
		ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += ms % 1000 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&e->stop.lock);
	while (!e->stop.stopping && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&e->stop.cond, &e->stop.lock,
					    &until);
	stopped = e->stop.stopping;
	pthread_mutex_unlock(&e->stop.lock);
	return !stopped;
}

void emu_stop(struct emu *e)
{
	pthread_mutex_lock(&e->stop.lock);
	e->stop.stopping = true;
	pthread_cond_broadcast(&e->stop.cond);
	pthread_mutex_unlock(&e->stop.lock);
}
