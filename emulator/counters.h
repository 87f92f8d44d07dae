/**
 * @file
 * What the emulator served: a count per route and per method, and the
 * last requests (method, path, status, body), for GET /_emulator/requests.
 */
#ifndef EMULATOR_COUNTERS_H
#define EMULATOR_COUNTERS_H

#include <cjson/cJSON.h>

#include <stddef.h>

#define COUNTERS_LOG_MAX 2000
#define COUNTERS_BODY_MAX 16384	/* bytes of a request body kept */

struct counters;

struct counters *counters_new(void);
void counters_free(struct counters *c);

/*
 * Count one served request (route from route_counter_name()); body
 * (body_len bytes, may be NULL) is logged with it, its first
 * COUNTERS_BODY_MAX bytes.
 */
void counters_add(struct counters *c, const char *route, const char *method,
		  const char *path, const char *body, size_t body_len,
		  int status);

/*
 * {"total":N,"routes":{...},"methods":{...},"log":[...]}; the log holds
 * only route's requests if route is not NULL. A log entry is {method,
 * path, route, status} and, if the request had a body, "body" (its text)
 * and "body_truncated": true when it was longer than kept.
 */
cJSON *counters_json(struct counters *c, const char *route);

void counters_reset(struct counters *c);

#endif
