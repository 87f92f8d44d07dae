/**
 * @file
 * What the emulator served: a count per route and per method, and the
 * last requests (method, path, status), for GET /_emulator/requests.
 */
#ifndef EMULATOR_COUNTERS_H
#define EMULATOR_COUNTERS_H

#include <cjson/cJSON.h>

#define COUNTERS_LOG_MAX 2000

struct counters;

struct counters *counters_new(void);
void counters_free(struct counters *c);

/* Count one served request (route from route_counter_name()). */
void counters_add(struct counters *c, const char *route, const char *method,
		  const char *path, int status);

/* {"total":N,"routes":{...},"methods":{...},"log":[...]} */
cJSON *counters_json(struct counters *c);

void counters_reset(struct counters *c);

#endif
