/**
 * @file
 * The workspace's computes and Azure's state machine for them.
 *
 * The store keeps every compute as the JSON resource Azure would return,
 * in listing order, and the long-running operations (start, stop,
 * restart, resize, create, delete) that move instances between states.
 * Time is passed in by the caller (monotonic seconds), so operations end
 * when a request arrives after their deadline: no timer thread, and unit
 * tests drive the clock themselves.
 */
#ifndef EMULATOR_STORE_H
#define EMULATOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

enum store_verb {
	STORE_CREATE,
	STORE_START,
	STORE_STOP,
	STORE_RESTART,
	STORE_RESIZE,
	STORE_DELETE,
	STORE_NVERBS,
};

enum store_op_status {
	STORE_OP_IN_PROGRESS,
	STORE_OP_SUCCEEDED,
	STORE_OP_FAILED,
};

struct store_opts {
	const char *ws_id;	/* workspace ARM id */
	const char *location;
	double op_seconds;	/* how long an operation takes */
};

/* Who sends a PUT: becomes createdBy of the new instance. */
struct store_caller {
	const char *user_name;
	const char *oid;
};

struct store;

struct store *store_new(const struct store_opts *o);
void store_free(struct store *s);

/* Make operations of the verbs in mask (1 << verb) end Failed. */
void store_set_fail(struct store *s, unsigned mask);
unsigned store_get_fail(struct store *s);
void store_set_op_seconds(struct store *s, double seconds);

/* Append a compute (takes ownership of res; its "name" names it). */
int store_insert(struct store *s, cJSON *res);

/* A copy of compute NAME (case-insensitive), or NULL. */
cJSON *store_get(struct store *s, const char *name, double now);

/*
 * A page of the listing: up to max computes after position `after`
 * (0: from the start), as a new JSON array. *next is the position to
 * continue from, 0 when this page is the last.
 */
cJSON *store_page(struct store *s, unsigned long after, size_t max,
		  unsigned long *next, double now);

/* Number of computes. */
size_t store_count(struct store *s, double now);

/* What store_begin() decided. */
struct store_result {
	int status;		/* 0: accepted; else the HTTP refusal */
	char code[96];		/* ARM error code of a refusal */
	char message[512];
	char op_id[40];		/* the accepted operation */
	bool created;		/* PUT made a new compute (201, not 200) */
	bool absent;		/* DELETE of a missing compute (204) */
	cJSON *body;		/* PUT reply body; caller frees */
};

/*
 * Start an operation on compute NAME. body is the PUT body (STORE_CREATE)
 * and caller who sends it; vm_size the resize target (STORE_RESIZE).
 */
void store_begin(struct store *s, enum store_verb v, const char *name,
		 const cJSON *body, const struct store_caller *caller,
		 const char *vm_size, double now, struct store_result *out);

struct store_op {
	char id[40];
	char name[128];
	enum store_verb verb;
	enum store_op_status status;
	struct timespec start;	/* wall clock */
	struct timespec end;	/* wall clock, once done */
	char err_code[96];
	char err_msg[512];
};

/*
 * Look up operation ID; *resource (if not NULL) gets a copy of the
 * compute as it is now, or NULL when it is gone.
 */
bool store_op_get(struct store *s, const char *id, double now,
		  struct store_op *out, cJSON **resource);

/*
 * Compute_UpdateIdleShutdownSetting: set instance NAME's
 * idleTimeBeforeShutdown to value (checked already). Refused (out->status)
 * 404 if absent, 400 if not a compute instance, 409 while it is being
 * created or deleted; any state else, transitions included.
 */
void store_set_idle(struct store *s, const char *name, const char *value,
		    double now, struct store_result *out);

/* Force an instance's state (for tests); false if no such instance. */
bool store_force_state(struct store *s, const char *name, const char *state,
		       double now);

/*
 * The computeName pattern of the Azure REST API specs
 * (machinelearningservices 2025-06-01): 3-24 chars, a letter first,
 * [A-Za-z0-9-], and not ending in '-' followed only by digits.
 */
bool store_name_valid(const char *name);

/* "create", "start", ...; and back (case-insensitive), -1 if unknown. */
const char *store_verb_name(enum store_verb v);
int store_verb_parse(const char *word);

#endif
