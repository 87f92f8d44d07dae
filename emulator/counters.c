/**
 * @file
 * Request counters (see counters.h).
 *
 * DESIGN: every connection thread calls counters_add() once per request,
 * so one mutex guards the whole struct; the work under it is a few string
 * compares and one copy into the log ring (the body is copied before).
 */
#include "emulator/counters.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 32

struct named_count {
	char name[32];
	long count;
};

struct log_entry {
	char method[16];
	char route[32];
	char *path;
	char *body;		/* NULL: the request had none */
	bool truncated;		/* body cut at COUNTERS_BODY_MAX */
	int status;
};

struct counters {
	pthread_mutex_t lock;	/* guards every field below */
	long total;
	struct named_count routes[MAX_NAMES];
	int nroutes;
	struct named_count methods[MAX_NAMES];
	int nmethods;
	struct log_entry log[COUNTERS_LOG_MAX];	/* ring */
	int log_next;
	int log_len;
};

/* The route names every listing shows, even at zero. */
static const char *const base_routes[] = {
	"workspace", "list", "get", "put", "delete", "start", "stop",
	"restart", "resize", "idle_shutdown", "operation_status",
	"operation_result",
	"token_aad", "token_msi", "token_appservice", "token_imds",
};

struct counters *counters_new(void)
{
	struct counters *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void clear_locked(struct counters *c)
{
	for (int i = 0; i < COUNTERS_LOG_MAX; i++) {
		free(c->log[i].path);
		free(c->log[i].body);
		c->log[i].path = NULL;
		c->log[i].body = NULL;
	}
	c->total = 0;
	c->nroutes = 0;
	c->nmethods = 0;
	c->log_next = 0;
	c->log_len = 0;
}

void counters_free(struct counters *c)
{
	if (!c)
		return;
	clear_locked(c);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static void bump(struct named_count *tab, int *n, const char *name)
{
	for (int i = 0; i < *n; i++) {
		if (strcmp(tab[i].name, name) == 0) {
			tab[i].count++;
			return;
		}
	}
	if (*n == MAX_NAMES)
		return;
	snprintf(tab[*n].name, sizeof(tab[*n].name), "%s", name);
	tab[*n].count = 1;
	(*n)++;
}

void counters_add(struct counters *c, const char *route, const char *method,
		  const char *path, const char *body, size_t body_len,
		  int status)
{
	size_t keep = body_len < COUNTERS_BODY_MAX ? body_len
						   : COUNTERS_BODY_MAX;
	char *copy = NULL;
	struct log_entry *e;

	/* Copied before the lock: a big body costs only its own thread. */
	if (body && body_len) {
		copy = malloc(keep + 1);
		if (copy) {
			memcpy(copy, body, keep);
			copy[keep] = '\0';
		}
	}
	pthread_mutex_lock(&c->lock);
	c->total++;
	bump(c->routes, &c->nroutes, route ? route : "other");
	bump(c->methods, &c->nmethods, method);
	e = &c->log[c->log_next];
	free(e->path);
	e->path = strdup(path);
	free(e->body);
	e->body = copy;
	e->truncated = copy && keep < body_len;
	snprintf(e->method, sizeof(e->method), "%s", method);
	snprintf(e->route, sizeof(e->route), "%s", route ? route : "other");
	e->status = status;
	c->log_next = (c->log_next + 1) % COUNTERS_LOG_MAX;
	if (c->log_len < COUNTERS_LOG_MAX)
		c->log_len++;
	pthread_mutex_unlock(&c->lock);
}

cJSON *counters_json(struct counters *c, const char *route)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *routes, *methods, *log;
	int start;

	pthread_mutex_lock(&c->lock);
	cJSON_AddNumberToObject(root, "total", (double)c->total);
	routes = cJSON_AddObjectToObject(root, "routes");
	for (size_t i = 0; i < sizeof(base_routes) / sizeof(*base_routes);
	     i++)
		cJSON_AddNumberToObject(routes, base_routes[i], 0);
	for (int i = 0; i < c->nroutes; i++) {
		cJSON *n = cJSON_CreateNumber((double)c->routes[i].count);

		if (cJSON_GetObjectItemCaseSensitive(routes,
						     c->routes[i].name))
			cJSON_ReplaceItemInObjectCaseSensitive(
				routes, c->routes[i].name, n);
		else
			cJSON_AddItemToObject(routes, c->routes[i].name, n);
	}
	methods = cJSON_AddObjectToObject(root, "methods");
	for (int i = 0; i < c->nmethods; i++)
		cJSON_AddNumberToObject(methods, c->methods[i].name,
					(double)c->methods[i].count);
	log = cJSON_AddArrayToObject(root, "log");
	start = (c->log_next - c->log_len + COUNTERS_LOG_MAX) %
		COUNTERS_LOG_MAX;
	for (int i = 0; i < c->log_len; i++) {
		const struct log_entry *e =
			&c->log[(start + i) % COUNTERS_LOG_MAX];
		cJSON *item;

		if (route && strcmp(route, e->route) != 0)
			continue;
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "method", e->method);
		cJSON_AddStringToObject(item, "path", e->path ? e->path : "");
		cJSON_AddStringToObject(item, "route", e->route);
		cJSON_AddNumberToObject(item, "status", e->status);
		if (e->body) {
			cJSON_AddStringToObject(item, "body", e->body);
			if (e->truncated)
				cJSON_AddTrueToObject(item, "body_truncated");
		}
		cJSON_AddItemToArray(log, item);
	}
	pthread_mutex_unlock(&c->lock);
	return root;
}

void counters_reset(struct counters *c)
{
	pthread_mutex_lock(&c->lock);
	clear_locked(c);
	pthread_mutex_unlock(&c->lock);
}
