/**
 * @file
 * Fault injection: rules posted to /_emulator/faults that make matching
 * requests slow, fail, lose their connection or get a broken body.
 *
 * A rule is a JSON object:
 *   method     "GET", ... (absent or "*": any)
 *   path       substring of the path, or a glob if it holds * ? or [
 *   route      counter name of the route ("list", "start", ...)
 *   status     answer this status instead of serving the request (the
 *              request is not carried out: nothing changes)
 *   headers    {"Name": "value"}: each replaces the same-named header of
 *              the answer (status's, or the real one when the request is
 *              served) or is added to it
 *   drop_headers ["Name", ...]: remove these headers (case-insensitive)
 *              from the answer; applied before headers
 *   body       body of that answer (default: an ARM error body)
 *   delay_ms   wait this many ms first (at most 600000), then serve or
 *              apply the rest
 *   drop       true: close the connection without any answer (the
 *              request is not carried out)
 *   lost_reply true: serve the request fully (state changes, operations
 *              start, counters count it), then close the connection
 *              without sending a byte of the reply: a reply lost after
 *              the request was carried out. Not with status, body, drop.
 *   malformed  true: truncate the body (of the real answer, or of status's)
 *   endless    true: a compute list that never ends (see below)
 *   skip       let this many matching requests through first (default 0)
 *   times      how many matches the rule applies to (default unlimited)
 * The first rule that matches applies. path is matched against the path
 * alone, never the query, so a list's nextLink pages match what its first
 * page matches (route "list" counts every page).
 *
 * A status answer is a plain answer whatever the status: 307 with
 * {"Location": URL} is a redirect that carries nothing out, and 400 with
 * a body {"error":{"code":...,"message":...}} is a refusal Azure might
 * give (e.g. a verb refused with a code of its own).
 *
 * An endless rule matches only GET W/computes (route "list"; any other
 * request passes it by) and answers, after the usual ARM checks
 * (auth, api-version, scope), 200 {"value": [], "nextLink": URL} where
 * URL is the request's own scheme://host/path?api-version=V with a
 * $skiptoken never given before: a client that follows nextLink pages
 * forever. It can be combined with delay_ms, headers, malformed, skip and
 * times, not with status, body or drop. Its tokens name no position: once
 * the rule is gone, following one answers 400 InvalidSkipToken.
 *
 * A delay is cut short when the emulator stops (SIGTERM, SIGINT): the
 * request is then dropped (connection closed, no answer).
 */
#ifndef EMULATOR_FAULTS_H
#define EMULATOR_FAULTS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct faults;

/* What a matched rule asks for; release with fault_action_free(). */
struct fault_action {
	int status;		/* 0: serve the request normally */
	cJSON *headers;		/* object or NULL */
	char *body;		/* NULL: default body */
	long delay_ms;		/* ms */
	bool drop;
	bool malformed;
	bool endless;		/* empty list page, fresh nextLink */
	bool lost_reply;	/* serve, then close without the reply */
	cJSON *drop_headers;	/* array of names, or NULL */
};

struct faults *faults_new(void);
void faults_free(struct faults *f);

/*
 * Replace every rule by those of the JSON array (empty array clears).
 * Returns 0, or -1 with a message in err when a rule is not valid (the
 * rules are then unchanged).
 */
int faults_set(struct faults *f, const cJSON *rules, char *err, size_t errn);

/* The rules, with the matches left ("times_left", -1 if unlimited). */
cJSON *faults_json(struct faults *f);

/* Match a request; true and *out filled if a rule applies. */
bool faults_match(struct faults *f, const char *method, const char *path,
		  const char *route, struct fault_action *out);

void fault_action_free(struct fault_action *a);

#endif
