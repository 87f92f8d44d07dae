/**
 * @file
 * The /_emulator/ API (see admin.h).
 */
#include "emulator/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/ident.h"
#include "emulator/text.h"

static void admin_error(struct emu_reply *r, int status, const char *msg)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "error", msg);
	reply_json(r, status, b);
}

static cJSON *parse_body(const struct emu_request *rq)
{
	return rq->body_len ? cJSON_ParseWithLength(rq->body, rq->body_len)
			    : NULL;
}

static void post_faults(struct emu *e, const struct emu_request *rq,
			struct emu_reply *r)
{
	cJSON *rules = parse_body(rq);
	char err[256];

	if (!rules) {
		admin_error(r, 400, "the body must be a JSON array of rules");
		return;
	}
	if (faults_set(e->faults, rules, err, sizeof(err)) < 0) {
		cJSON_Delete(rules);
		admin_error(r, 400, err);
		return;
	}
	cJSON_Delete(rules);
	reply_json(r, 200, faults_json(e->faults));
}

static void mint_token(struct emu *e, const struct emu_request *rq,
		       struct emu_reply *r)
{
	cJSON *body = parse_body(rq), *out;
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(body, "user");
	const cJSON *sec = cJSON_GetObjectItemCaseSensitive(body, "seconds");
	const char *user = cJSON_IsString(u) ? u->valuestring : "alice";
	char upn[256], oid[37];
	time_t exp;
	char *tok;

	tok = tokens_issue_user(e->tokens, user,
				cJSON_IsNumber(sec) ? (long)sec->valuedouble
						    : 0,
				&exp, upn, oid);
	cJSON_Delete(body);
	if (!tok) {
		admin_error(r, 500, "cannot issue a token");
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "access_token", tok);
	cJSON_AddNumberToObject(out, "expires_on", (double)exp);
	cJSON_AddStringToObject(out, "upn", upn);
	cJSON_AddStringToObject(out, "oid", oid);
	cJSON_AddStringToObject(out, "tid", IDENT_TENANT_ID);
	free(tok);
	reply_json(r, 200, out);
}

static cJSON *fail_ops_json(struct emu *e)
{
	unsigned mask = store_get_fail(e->store);
	cJSON *arr = cJSON_CreateArray();

	for (int v = 0; v < STORE_NVERBS; v++)
		if (mask >> v & 1)
			cJSON_AddItemToArray(arr, cJSON_CreateString(
				store_verb_name((enum store_verb)v)));
	return arr;
}

static void post_fail_ops(struct emu *e, const struct emu_request *rq,
			  struct emu_reply *r)
{
	cJSON *body = parse_body(rq);
	const cJSON *item;
	unsigned mask = 0;

	if (!cJSON_IsArray(body)) {
		cJSON_Delete(body);
		admin_error(r, 400, "the body must be a JSON array of verbs");
		return;
	}
	cJSON_ArrayForEach(item, body) {
		int v = cJSON_IsString(item) ? store_verb_parse(item->valuestring)
					     : -1;

		if (v < 0) {
			cJSON_Delete(body);
			admin_error(r, 400, "unknown verb; use create, start, "
					    "stop, restart, resize, delete");
			return;
		}
		mask |= 1u << v;
	}
	cJSON_Delete(body);
	store_set_fail(e->store, mask);
	reply_json(r, 200, fail_ops_json(e));
}

static void post_state(struct emu *e, const struct emu_request *rq,
		       struct emu_reply *r)
{
	cJSON *body = parse_body(rq);
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(body, "name");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(body, "state");
	cJSON *res;

	if (!cJSON_IsString(n) || !cJSON_IsString(s)) {
		cJSON_Delete(body);
		admin_error(r, 400, "need {\"name\": ..., \"state\": ...}");
		return;
	}
	if (!store_force_state(e->store, n->valuestring, s->valuestring,
			       text_now())) {
		cJSON_Delete(body);
		admin_error(r, 404, "no such compute");
		return;
	}
	res = store_get(e->store, n->valuestring, text_now());
	cJSON_Delete(body);
	reply_json(r, 200, res);
}

static void post_config(struct emu *e, const struct emu_request *rq,
			struct emu_reply *r)
{
	cJSON *body = parse_body(rq);
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(body, "op_seconds");

	if (!cJSON_IsNumber(s) || s->valuedouble < 0 ||
	    s->valuedouble > 86400) {
		cJSON_Delete(body);
		admin_error(r, 400, "need {\"op_seconds\": S}, 0 <= S <= 86400");
		return;
	}
	store_set_op_seconds(e->store, s->valuedouble);
	cJSON_Delete(body);
	r->status = 204;
}

void admin_serve(struct emu *e, const struct route *rt,
		 const struct emu_request *rq, struct emu_reply *r)
{
	const char *a = rt->admin;
	const char *only = req_arg(rq, "route");
	bool get = text_ieq(rq->method, "GET");
	bool post = text_ieq(rq->method, "POST");
	cJSON *ok;

	if (get && strcmp(a, "requests") == 0) {
		reply_json(r, 200, counters_json(e->counters,
						 only && *only ? only : NULL));
	} else if (post && strcmp(a, "reset") == 0) {
		counters_reset(e->counters);
		r->status = 204;
	} else if (get && strcmp(a, "faults") == 0) {
		reply_json(r, 200, faults_json(e->faults));
	} else if (post && strcmp(a, "faults") == 0) {
		post_faults(e, rq, r);
	} else if (post && strcmp(a, "expire-tokens") == 0) {
		tokens_expire_all(e->tokens);
		r->status = 204;
	} else if (post && strcmp(a, "token") == 0) {
		mint_token(e, rq, r);
	} else if (get && strcmp(a, "fail-ops") == 0) {
		reply_json(r, 200, fail_ops_json(e));
	} else if (post && strcmp(a, "fail-ops") == 0) {
		post_fail_ops(e, rq, r);
	} else if (post && strcmp(a, "state") == 0) {
		post_state(e, rq, r);
	} else if (post && strcmp(a, "config") == 0) {
		post_config(e, rq, r);
	} else if (get && strcmp(a, "health") == 0) {
		ok = cJSON_CreateObject();
		cJSON_AddBoolToObject(ok, "ok", true);
		reply_json(r, 200, ok);
	} else {
		admin_error(r, 404, "no such /_emulator/ route");
	}
}
