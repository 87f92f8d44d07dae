/**
 * @file
 * The workspace the emulator starts with: --shape azure makes --instances
 * compute instances in a deterministic mix of states (from --seed) with
 * --clusters other computes interleaved; --shape examples makes resources
 * shaped exactly like Microsoft's published REST examples.
 */
#ifndef EMULATOR_SEED_H
#define EMULATOR_SEED_H

#include "emulator/store.h"

struct seed_opts {
	const char *ws_id;
	const char *location;
	int instances;
	int clusters;
	unsigned long seed;
};

/* Fill s; 0 on success. */
int seed_azure(struct store *s, const struct seed_opts *o);
int seed_examples(struct store *s, const struct seed_opts *o);

/* The name of the i-th seeded instance: ci-alice, ci-bob, ..., ci-alice2. */
void seed_instance_name(int i, char *buf, size_t n);

#endif
