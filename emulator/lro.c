/**
 * @file
 * Write routes and operation polling (see lro.h).
 */
#include "emulator/lro.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/schedule.h"
#include "emulator/text.h"
#include "emulator/vmsize.h"

#define NS "Microsoft.MachineLearningServices"

/*
 * An operation URL as Azure ML makes them: opaque query parameters t, c,
 * s, h after api-version and service=new. The caller frees it.
 */
static char *op_url(struct emu *e, const struct emu_request *rq,
		    const char *kind, const char *id)
{
	const char *ver = req_arg(rq, "api-version");
	unsigned char c[160], sig[48], h[24];
	char *c64, *s64, *h64, *url = NULL;
	struct timespec ts;
	long long ticks;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* .NET ticks: 100 ns since 0001-01-01. */
	ticks = ((long long)ts.tv_sec + 62135596800LL) * 10000000LL +
		ts.tv_nsec / 100;
	text_random(c, sizeof(c));
	text_random(sig, sizeof(sig));
	text_random(h, sizeof(h));
	c64 = text_b64url(c, sizeof(c));
	s64 = text_b64url(sig, sizeof(sig));
	h64 = text_b64url(h, sizeof(h));
	if (c64 && s64 && h64) {
		n = strlen(rq->scheme) + strlen(rq->host) + strlen(e->sub) +
		    strlen(e->cfg->location) + strlen(kind) + strlen(id) +
		    strlen(ver ? ver : "") + strlen(c64) + strlen(s64) +
		    strlen(h64) + 160;
		url = malloc(n);
		if (url)
			snprintf(url, n,
				 "%s://%s/subscriptions/%s/providers/" NS
				 "/locations/%s/%s/%s?api-version=%s"
				 "&service=new&t=%lld&c=%s&s=%s&h=%s",
				 rq->scheme, rq->host, e->sub,
				 e->cfg->location, kind, id, ver ? ver : "",
				 ticks, c64, s64, h64);
	}
	free(c64);
	free(s64);
	free(h64);
	return url;
}

static void add_op_header(struct emu *e, const struct emu_request *rq,
			  struct emu_reply *r, const char *header,
			  const char *kind, const char *id)
{
	char *url = op_url(e, rq, kind, id);

	if (url)
		reply_header(r, header, "%s", url);
	free(url);
}

static void async_header(struct emu *e, const struct emu_request *rq,
			 struct emu_reply *r, const char *id)
{
	add_op_header(e, rq, r, "Azure-AsyncOperation",
		      "computeOperationsStatus", id);
}

static void location_header(struct emu *e, const struct emu_request *rq,
			    struct emu_reply *r, const char *id)
{
	add_op_header(e, rq, r, "Location", "computeOperationsResults", id);
}

static void retry_after(struct emu *e, struct emu_reply *r)
{
	reply_header(r, "Retry-After", "%d", e->cfg->retry_after);
}

static void refused(struct emu_reply *r, const struct store_result *res)
{
	reply_arm_error(r, res->status, res->code, "%s", res->message);
}

void lro_put(struct emu *e, const struct route *rt,
	     const struct emu_request *rq, const struct store_caller *caller,
	     struct emu_reply *r)
{
	struct store_result res;
	cJSON *body = NULL;

	if (rq->body_len) {
		body = cJSON_ParseWithLength(rq->body, rq->body_len);
		if (!body) {
			reply_arm_error(r, 400, "InvalidRequestContent",
					"The request content was invalid and "
					"could not be deserialized: 'Unexpected "
					"character encountered while parsing "
					"value.'.");
			return;
		}
	}
	store_begin(e->store, STORE_CREATE, rt->name, body, caller, NULL,
		    text_now(), &res);
	cJSON_Delete(body);
	if (res.status) {
		refused(r, &res);
		return;
	}
	reply_json(r, res.created ? 201 : 200, res.body);
	async_header(e, rq, r, res.op_id);
	retry_after(e, r);
}

void lro_delete(struct emu *e, const struct route *rt,
		const struct emu_request *rq, struct emu_reply *r)
{
	const char *action = req_arg(rq, "underlyingResourceAction");
	struct store_result res;
	cJSON *cur;

	if (!action || !*action) {
		reply_arm_error(r, 400, "BadRequest",
				"The query parameter 'underlyingResourceAction'"
				" is required; use Delete or Detach.");
		return;
	}
	if (!text_ieq(action, "Delete") && !text_ieq(action, "Detach")) {
		reply_arm_error(r, 400, "BadRequest",
				"The value '%s' of 'underlyingResourceAction' "
				"is not valid; use Delete or Detach.", action);
		return;
	}
	if (text_ieq(action, "Detach")) {
		cur = store_get(e->store, rt->name, text_now());
		if (cur && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(cur,
								    "properties"),
				   "isAttachedCompute"))) {
			cJSON_Delete(cur);
			reply_arm_error(r, 400, "BadRequest",
					"Compute %s is not an attached compute;"
					" it can only be deleted.", rt->name);
			return;
		}
		cJSON_Delete(cur);
	}
	store_begin(e->store, STORE_DELETE, rt->name, NULL, NULL, NULL,
		    text_now(), &res);
	if (res.absent) {
		r->status = 204;
		return;
	}
	if (res.status) {
		refused(r, &res);
		return;
	}
	r->status = 202;
	async_header(e, rq, r, res.op_id);
	location_header(e, rq, r, res.op_id);
	retry_after(e, r);
}

/*
 * The request's body as a JSON object (the caller deletes it), or NULL
 * with ARM's 400 in @r naming @field, the member it must carry.
 */
static cJSON *object_body(const struct emu_request *rq, struct emu_reply *r,
			  const char *field)
{
	cJSON *body = rq->body_len ? cJSON_ParseWithLength(rq->body,
							   rq->body_len)
				   : NULL;

	if (cJSON_IsObject(body))
		return body;
	reply_arm_error(r, 400, "InvalidRequestContent",
			"The request content was invalid and could not be "
			"deserialized: a JSON object with '%s' is required.",
			field);
	cJSON_Delete(body);
	return NULL;
}

/* The targetVMSize of a resize body, or NULL with a 400 in r. */
static cJSON *resize_target(const struct emu_request *rq,
			    struct emu_reply *r, const char **size)
{
	cJSON *body = object_body(rq, r, "targetVMSize");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(body,
							  "targetVMSize");

	if (!body)
		return NULL;
	if (!cJSON_IsString(t) || !*t->valuestring) {
		reply_arm_error(r, 400, "ValidationError",
				"The field 'targetVMSize' is required.");
		cJSON_Delete(body);
		return NULL;
	}
	if (!vmsize_known(t->valuestring)) {
		reply_arm_error(r, 400, VMSIZE_REFUSED_CODE, VMSIZE_REFUSED_FMT,
				t->valuestring);
		cJSON_Delete(body);
		return NULL;
	}
	*size = t->valuestring;
	return body;
}

/*
 * POST .../updateIdleShutdownSetting {"idleTimeBeforeShutdown": "PT120M"}:
 * 200 with no body (Compute_UpdateIdleShutdownSetting), not an LRO. The
 * body is checked before the compute is looked up, as for resize.
 */
static void idle_shutdown(struct emu *e, const struct route *rt,
			  const struct emu_request *rq, struct emu_reply *r)
{
	cJSON *body = object_body(rq, r, "idleTimeBeforeShutdown");
	struct store_result res;
	char norm[32];

	if (!body)
		return;
	if (!sched_check_idle(cJSON_GetObjectItemCaseSensitive(
				      body, "idleTimeBeforeShutdown"),
			      norm, sizeof(norm), res.code, sizeof(res.code),
			      res.message, sizeof(res.message))) {
		cJSON_Delete(body);
		reply_arm_error(r, 400, res.code, "%s", res.message);
		return;
	}
	cJSON_Delete(body);
	store_set_idle(e->store, rt->name, norm, text_now(), &res);
	if (res.status) {
		refused(r, &res);
		return;
	}
	r->status = 200;
}

void lro_action(struct emu *e, const struct route *rt,
		const struct emu_request *rq, struct emu_reply *r)
{
	int v = store_verb_parse(rt->action);
	struct store_result res;
	const char *size = NULL;
	cJSON *body = NULL;

	if (text_ieq(rt->action, "updateIdleShutdownSetting")) {
		idle_shutdown(e, rt, rq, r);
		return;
	}
	if (v != STORE_START && v != STORE_STOP && v != STORE_RESTART &&
	    v != STORE_RESIZE) {
		reply_arm_error(r, 404, "InvalidResourceType",
				"The resource type 'workspaces/computes/%s' "
				"could not be found in the namespace '" NS "'.",
				rt->action);
		return;
	}
	if (v == STORE_RESIZE) {
		body = resize_target(rq, r, &size);
		if (!body)
			return;
	}
	store_begin(e->store, (enum store_verb)v, rt->name, NULL, NULL, size,
		    text_now(), &res);
	cJSON_Delete(body);
	if (res.status) {
		refused(r, &res);
		return;
	}
	r->status = 202;
	if (v == STORE_START || v == STORE_RESIZE)
		location_header(e, rq, r, res.op_id);
	else
		async_header(e, rq, r, res.op_id);
	retry_after(e, r);
}

static const char *status_word(enum store_op_status s)
{
	switch (s) {
	case STORE_OP_IN_PROGRESS:
		return "InProgress";
	case STORE_OP_SUCCEEDED:
		return "Succeeded";
	case STORE_OP_FAILED:
		return "Failed";
	}
	return "Unknown";
}

static cJSON *status_body(struct emu *e, const struct store_op *op)
{
	cJSON *b = cJSON_CreateObject(), *err;
	char id[512], when[48];

	snprintf(id, sizeof(id),
		 "/subscriptions/%s/providers/" NS
		 "/locations/%s/computeOperationsStatus/%s", e->sub,
		 e->cfg->location, op->id);
	cJSON_AddStringToObject(b, "id", id);
	cJSON_AddStringToObject(b, "name", op->id);
	cJSON_AddStringToObject(b, "status", status_word(op->status));
	text_iso6(&op->start, when, sizeof(when));
	cJSON_AddStringToObject(b, "startTime", when);
	if (op->status != STORE_OP_IN_PROGRESS) {
		text_iso6(&op->end, when, sizeof(when));
		cJSON_AddStringToObject(b, "endTime", when);
	}
	if (op->status == STORE_OP_FAILED) {
		err = cJSON_AddObjectToObject(b, "error");
		cJSON_AddStringToObject(err, "code", op->err_code);
		cJSON_AddStringToObject(err, "message", op->err_msg);
	}
	return b;
}

void lro_poll(struct emu *e, const struct route *rt,
	      const struct emu_request *rq, struct emu_reply *r)
{
	struct store_op op;
	cJSON *res = NULL;

	if (!text_ieq(rt->loc, e->cfg->location) ||
	    !store_op_get(e->store, rt->opid, text_now(), &op, &res)) {
		reply_arm_error(r, 404, "ResourceNotFound",
				"The operation '%s' was not found.",
				rt->opid);
		return;
	}
	if (rt->kind == ROUTE_OP_STATUS) {
		cJSON_Delete(res);
		reply_json(r, 200, status_body(e, &op));
		return;
	}
	switch (op.status) {
	case STORE_OP_IN_PROGRESS:
		cJSON_Delete(res);
		r->status = 202;
		location_header(e, rq, r, op.id);
		retry_after(e, r);
		return;
	case STORE_OP_FAILED:
		cJSON_Delete(res);
		reply_arm_error(r, 400, op.err_code, "%s", op.err_msg);
		return;
	case STORE_OP_SUCCEEDED:
		if (op.verb == STORE_DELETE || !res) {
			cJSON_Delete(res);
			r->status = 204;
			return;
		}
		reply_json(r, 200, res);
		return;
	}
}
