/**
 * @file
 * Computes and their state machine (see store.h).
 *
 * DESIGN: connection threads call in concurrently; one mutex (s->lock)
 * guards the instance array, the operation list and the settings. Every
 * public call first runs tick() under the lock, which ends the operations
 * whose deadline has passed; replies are built from copies made under the
 * lock and printed after it is released.
 */
#include "emulator/store.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emulator/create.h"
#include "emulator/shape.h"
#include "emulator/text.h"
#include "emulator/vmsize.h"

#define MAX_OPS 4096

struct op {
	struct store_op pub;
	double deadline;	/* monotonic */
	bool fail;
	char prev_state[32];	/* state to return to on failure */
	char target[64];	/* resize: the new vmSize */
};

struct inst {
	char name[128];
	unsigned long seq;	/* listing position, never reused */
	cJSON *res;
	struct op *op;		/* the running operation, or NULL */
};

struct store {
	pthread_mutex_t lock;	/* guards every field below */
	char *ws_id;
	char *location;
	double op_seconds;
	unsigned fail_mask;
	struct inst *v;		/* in seq order */
	size_t n, cap;
	unsigned long next_seq;
	struct op **ops;	/* oldest first */
	size_t nops, ops_cap;
};

static const struct verb_rule {
	const char *word;
	const char *op_name;	/* lastOperation.operationName */
	const char *during;	/* state while it runs */
	const char *after;	/* state once it succeeds (NULL: gone) */
	const char *failed;	/* lastOperation.operationStatus on failure */
	const char *allowed[2];	/* states it may start from */
	const char *refuse_code;
	const char *refuse_words;	/* the allowed states, as Azure says */
} rules[STORE_NVERBS] = {
	[STORE_CREATE] = { "create", "Create", "Creating", "Running",
			   "CreateFailed", { NULL, NULL }, NULL, NULL },
	[STORE_START] = { "start", "Start", "Starting", "Running",
			  "StartFailed", { "Stopped", NULL },
			  "StartComputeInstanceOnlyAllowedInStoppedState",
			  "'stopped'" },
	[STORE_STOP] = { "stop", "Stop", "Stopping", "Stopped", "StopFailed",
			 { "Running", "JobRunning" },
			 "StopComputeInstanceOnlyAllowedInRunningState",
			 "'running' or 'jobRunning'" },
	[STORE_RESTART] = { "restart", "Restart", "Restarting", "Running",
			    "RestartFailed", { "Running", "JobRunning" },
			    "RestartComputeInstanceOnlyAllowedInRunningState",
			    "'running' or 'jobRunning'" },
	[STORE_RESIZE] = { "resize", "Resize", "Resizing", "Stopped",
			   "ResizeFailed", { "Stopped", NULL },
			   "ResizeComputeInstanceOnlyAllowedInStoppedState",
			   "'stopped'" },
	[STORE_DELETE] = { "delete", "Delete", "Deleting", NULL,
			   "DeleteFailed", { NULL, NULL }, NULL, NULL },
};

const char *store_verb_name(enum store_verb v)
{
	return v < STORE_NVERBS ? rules[v].word : "unknown";
}

int store_verb_parse(const char *word)
{
	for (int v = 0; v < STORE_NVERBS; v++)
		if (text_ieq(word, rules[v].word))
			return v;
	return -1;
}

bool store_name_valid(const char *name)
{
	size_t len = strlen(name), i;
	const char *dash;

	if (len < 3 || len > 24 || !isalpha((unsigned char)name[0]) ||
	    !isascii((unsigned char)name[0]))
		return false;
	for (i = 1; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isascii(c) || !(isalnum(c) || c == '-'))
			return false;
	}
	/* The look-ahead: no '-' followed only by digits up to the end. */
	dash = strrchr(name, '-');
	if (dash && dash[1]) {
		for (i = 1; dash[i]; i++)
			if (!isdigit((unsigned char)dash[i]))
				return true;
		return false;
	}
	return true;
}

struct store *store_new(const struct store_opts *o)
{
	struct store *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->ws_id = strdup(o->ws_id);
	s->location = strdup(o->location);
	s->op_seconds = o->op_seconds;
	s->next_seq = 1;
	if (!s->ws_id || !s->location) {
		store_free(s);
		return NULL;
	}
	return s;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		cJSON_Delete(s->v[i].res);
	for (size_t i = 0; i < s->nops; i++)
		free(s->ops[i]);
	free(s->v);
	free(s->ops);
	free(s->ws_id);
	free(s->location);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void store_set_fail(struct store *s, unsigned mask)
{
	pthread_mutex_lock(&s->lock);
	s->fail_mask = mask;
	pthread_mutex_unlock(&s->lock);
}

unsigned store_get_fail(struct store *s)
{
	unsigned mask;

	pthread_mutex_lock(&s->lock);
	mask = s->fail_mask;
	pthread_mutex_unlock(&s->lock);
	return mask;
}

void store_set_op_seconds(struct store *s, double seconds)
{
	pthread_mutex_lock(&s->lock);
	s->op_seconds = seconds;
	pthread_mutex_unlock(&s->lock);
}

/* Called with s->lock held. */
static struct inst *find(struct store *s, const char *name, size_t *idx)
{
	for (size_t i = 0; i < s->n; i++) {
		if (strcasecmp(s->v[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &s->v[i];
		}
	}
	return NULL;
}

/* Called with s->lock held; takes ownership of res. */
static struct inst *append(struct store *s, cJSON *res, const char *name)
{
	struct inst *in;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct inst *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			cJSON_Delete(res);
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	in = &s->v[s->n++];
	memset(in, 0, sizeof(*in));
	snprintf(in->name, sizeof(in->name), "%s", name);
	in->seq = s->next_seq++;
	in->res = res;
	return in;
}

int store_insert(struct store *s, cJSON *res)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "name");
	int rc = 0;

	if (!cJSON_IsString(name)) {
		cJSON_Delete(res);
		return -1;
	}
	pthread_mutex_lock(&s->lock);
	if (find(s, name->valuestring, NULL) ||
	    !append(s, res, name->valuestring))
		rc = -1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* properties.properties.vmSize, or NULL. */
static const char *vm_size_of(const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(res, "properties");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(p, "properties"), "vmSize");

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is_ci(const cJSON *res)
{
	const char *t = shape_compute_type(res);

	return t && strcmp(t, "ComputeInstance") == 0;
}

static void now_iso(char *buf, size_t n)
{
	text_iso7_now(buf, n);
}

static void set_errors(cJSON *res, const char *code, const char *msg)
{
	cJSON *ci = shape_obj(shape_obj(res, "properties"), "properties");
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();
	cJSON *inner = cJSON_AddObjectToObject(e, "error");

	cJSON_AddStringToObject(inner, "code", code);
	cJSON_AddStringToObject(inner, "message", msg);
	cJSON_AddItemToArray(arr, e);
	shape_set_item(ci, "errors", arr);
}

static const char *last_op_time(const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(res, "properties");
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(p, "properties");
	const cJSON *lo = cJSON_GetObjectItemCaseSensitive(ci,
							   "lastOperation");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(lo,
							  "operationTime");

	return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* End the operation of instance i; called with s->lock held. */
static void finish(struct store *s, size_t i)
{
	struct inst *in = &s->v[i];
	struct op *op = in->op;
	const struct verb_rule *vr = &rules[op->pub.verb];
	bool ci = is_ci(in->res);
	char when[48];

	clock_gettime(CLOCK_REALTIME, &op->pub.end);
	in->op = NULL;
	snprintf(when, sizeof(when), "%s",
		 last_op_time(in->res) ? last_op_time(in->res) : "");
	if (!*when)
		now_iso(when, sizeof(when));
	if (!op->fail) {
		op->pub.status = STORE_OP_SUCCEEDED;
		if (op->pub.verb == STORE_DELETE) {
			cJSON_Delete(in->res);
			memmove(&s->v[i], &s->v[i + 1],
				(s->n - i - 1) * sizeof(*in));
			s->n--;
			return;
		}
		shape_set_provisioning(in->res, "Succeeded");
		if (ci) {
			if (op->pub.verb == STORE_RESIZE)
				shape_set_str(shape_obj(shape_obj(in->res,
								  "properties"),
							"properties"),
					      "vmSize", op->target);
			shape_set_state(in->res, vr->after, (unsigned)in->seq);
			shape_set_last_op(in->res, vr->op_name, "Succeeded",
					  when);
		}
		shape_touch(in->res);
		return;
	}
	op->pub.status = STORE_OP_FAILED;
	snprintf(op->pub.err_code, sizeof(op->pub.err_code),
		 "ComputeInstance%sFailed", vr->op_name);
	snprintf(op->pub.err_msg, sizeof(op->pub.err_msg),
		 "%s of compute instance %s failed: the emulator was told to "
		 "fail %s operations.", vr->op_name, in->name, vr->word);
	if (op->pub.verb == STORE_CREATE) {
		shape_set_provisioning(in->res, "Failed");
		shape_set_item(shape_obj(in->res, "properties"),
			       "provisioningErrors", cJSON_CreateArray());
	} else {
		shape_set_provisioning(in->res, "Succeeded");
	}
	if (ci) {
		const char *back = op->prev_state;

		if (op->pub.verb == STORE_CREATE)
			back = "CreateFailed";
		else if (op->pub.verb == STORE_START ||
			 op->pub.verb == STORE_RESIZE)
			back = "Stopped";
		shape_set_state(in->res, back, (unsigned)in->seq);
		shape_set_last_op(in->res, vr->op_name, vr->failed, when);
		set_errors(in->res, op->pub.err_code, op->pub.err_msg);
	}
	shape_touch(in->res);
}

/* End every operation past its deadline; called with s->lock held. */
static void tick(struct store *s, double now)
{
	size_t i = 0;

	while (i < s->n) {
		size_t before = s->n;

		if (s->v[i].op && now >= s->v[i].op->deadline)
			finish(s, i);
		if (s->n == before)
			i++;
	}
}

cJSON *store_get(struct store *s, const char *name, double now)
{
	struct inst *in;
	cJSON *copy = NULL;

	pthread_mutex_lock(&s->lock);
	tick(s, now);
	in = find(s, name, NULL);
	if (in)
		copy = cJSON_Duplicate(in->res, 1);
	pthread_mutex_unlock(&s->lock);
	return copy;
}

cJSON *store_page(struct store *s, unsigned long after, size_t max,
		  unsigned long *next, double now)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i = 0, taken = 0;

	*next = 0;
	pthread_mutex_lock(&s->lock);
	tick(s, now);
	while (i < s->n && s->v[i].seq <= after)
		i++;
	for (; i < s->n && taken < max; i++, taken++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(s->v[i].res, 1));
	if (i < s->n && taken > 0)
		*next = s->v[i - 1].seq;
	pthread_mutex_unlock(&s->lock);
	return arr;
}

size_t store_count(struct store *s, double now)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	tick(s, now);
	n = s->n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* Record a new operation; called with s->lock held. */
static struct op *new_op(struct store *s, enum store_verb v,
			 const char *name, double now)
{
	struct op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	if (s->nops == MAX_OPS) {
		/* Forget the oldest finished operation. */
		for (size_t i = 0; i < s->nops; i++) {
			if (s->ops[i]->pub.status == STORE_OP_IN_PROGRESS)
				continue;
			free(s->ops[i]);
			memmove(&s->ops[i], &s->ops[i + 1],
				(s->nops - i - 1) * sizeof(*s->ops));
			s->nops--;
			break;
		}
	}
	if (s->nops == s->ops_cap) {
		size_t cap = s->ops_cap ? s->ops_cap * 2 : 64;
		struct op **l = realloc(s->ops, cap * sizeof(*l));

		if (!l) {
			free(op);
			return NULL;
		}
		s->ops = l;
		s->ops_cap = cap;
	}
	s->ops[s->nops++] = op;
	text_uuid(op->pub.id);
	snprintf(op->pub.name, sizeof(op->pub.name), "%s", name);
	op->pub.verb = v;
	op->pub.status = STORE_OP_IN_PROGRESS;
	clock_gettime(CLOCK_REALTIME, &op->pub.start);
	op->deadline = now + s->op_seconds;
	op->fail = (s->fail_mask >> v) & 1;
	return op;
}

static void refuse(struct store_result *out, int status, const char *code,
		   const char *fmt, const char *a, const char *b)
{
	out->status = status;
	snprintf(out->code, sizeof(out->code), "%s", code);
	snprintf(out->message, sizeof(out->message), fmt, a, b);
}

/* Move instance in into verb v's transitional state; lock held. */
static bool launch(struct store *s, struct inst *in, enum store_verb v,
		   double now, struct store_result *out)
{
	const struct verb_rule *vr = &rules[v];
	const char *state = shape_state(in->res);
	struct op *op = new_op(s, v, in->name, now);
	char when[48];

	if (!op) {
		refuse(out, 500, "InternalServerError", "out of memory%s%s",
		       "", "");
		return false;
	}
	snprintf(op->prev_state, sizeof(op->prev_state), "%s",
		 state ? state : "Unknown");
	in->op = op;
	snprintf(out->op_id, sizeof(out->op_id), "%s", op->pub.id);
	if (v == STORE_CREATE)
		shape_set_provisioning(in->res, "Creating");
	else if (v == STORE_DELETE)
		shape_set_provisioning(in->res, "Deleting");
	if (is_ci(in->res)) {
		now_iso(when, sizeof(when));
		shape_set_state(in->res, vr->during, (unsigned)in->seq);
		shape_set_last_op(in->res, vr->op_name, "InProgress", when);
		shape_set_item(shape_obj(shape_obj(in->res, "properties"),
					 "properties"),
			       "errors", cJSON_CreateNull());
	}
	shape_touch(in->res);
	return true;
}

static void begin_put(struct store *s, const char *name, const cJSON *body,
		      const struct store_caller *caller, double now,
		      struct store_result *out)
{
	struct create_args a = {
		.ws_id = s->ws_id, .name = name, .location = s->location,
		.caller = caller,
	};
	struct inst *in;
	cJSON *res;

	in = find(s, name, NULL);
	if (in && in->op) {
		refuse(out, 409, "Conflict",
		       "There is an operation in progress on compute %s "
		       "(%s); retry once it completes.",
		       in->name, in->op->pub.verb < STORE_NVERBS
				 ? rules[in->op->pub.verb].during : "");
		return;
	}
	/* An overwrite keeps the name as first created (ARM's casing). */
	if (in)
		a.name = in->name;
	a.seq = in ? (unsigned)in->seq : (unsigned)s->next_seq;
	res = create_resource(&a, body, out->code, sizeof(out->code),
			      out->message, sizeof(out->message));
	if (!res) {
		out->status = 400;
		return;
	}
	if (in) {
		cJSON_Delete(in->res);
		in->res = res;
	} else {
		in = append(s, res, name);
		if (!in) {
			refuse(out, 500, "InternalServerError",
			       "out of memory%s%s", "", "");
			return;
		}
		out->created = true;
	}
	if (!launch(s, in, STORE_CREATE, now, out))
		return;
	out->body = create_reply_body(in->res);
}

void store_begin(struct store *s, enum store_verb v, const char *name,
		 const cJSON *body, const struct store_caller *caller,
		 const char *vm_size, double now, struct store_result *out)
{
	const struct verb_rule *vr = &rules[v];
	struct inst *in;
	const char *state;
	bool allowed = false;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	tick(s, now);
	if (v == STORE_CREATE) {
		begin_put(s, name, body, caller, now, out);
		goto out;
	}
	in = find(s, name, NULL);
	if (!in) {
		if (v == STORE_DELETE)
			out->absent = true;
		else
			refuse(out, 404, "ResourceNotFound",
			       "The Resource 'Microsoft.MachineLearningServices"
			       "/workspaces/computes/%s' was not found.%s",
			       name, "");
		goto out;
	}
	if (v == STORE_DELETE) {
		if (in->op && in->op->pub.verb == STORE_DELETE) {
			snprintf(out->op_id, sizeof(out->op_id), "%s",
				 in->op->pub.id);
		} else if (in->op) {
			refuse(out, 409, "Conflict",
			       "There is an operation in progress on compute "
			       "%s (%s); retry once it completes.", in->name,
			       rules[in->op->pub.verb].during);
		} else {
			launch(s, in, v, now, out);
		}
		goto out;
	}
	if (!is_ci(in->res)) {
		refuse(out, 400, "BadRequest",
		       "The %s operation is only supported on compute "
		       "instances; %s is not one.", vr->word, in->name);
		goto out;
	}
	if (v == STORE_RESIZE && text_ieq(vm_size, vm_size_of(in->res))) {
		refuse(out, 400, VMSIZE_SAME_CODE, VMSIZE_SAME_FMT, in->name,
		       vm_size);
		goto out;
	}
	state = shape_state(in->res);
	for (int i = 0; i < 2; i++)
		allowed |= vr->allowed[i] && state &&
			   strcmp(state, vr->allowed[i]) == 0;
	if (!allowed) {
		char msg[256];

		snprintf(msg, sizeof(msg),
			 "%c%s Azure ML Compute Instance is only allowed when "
			 "the instance %%s is in %s state",
			 toupper((unsigned char)vr->word[0]), vr->word + 1,
			 vr->refuse_words);
		refuse(out, 409, vr->refuse_code, msg, in->name, "");
		goto out;
	}
	if (!launch(s, in, v, now, out))
		goto out;
	if (v == STORE_RESIZE)
		snprintf(in->op->target, sizeof(in->op->target), "%s",
			 vm_size ? vm_size : "");
out:
	pthread_mutex_unlock(&s->lock);
}

bool store_op_get(struct store *s, const char *id, double now,
		  struct store_op *out, cJSON **resource)
{
	bool found = false;

	if (resource)
		*resource = NULL;
	pthread_mutex_lock(&s->lock);
	tick(s, now);
	for (size_t i = s->nops; i-- > 0;) {
		struct inst *in;

		if (strcasecmp(s->ops[i]->pub.id, id) != 0)
			continue;
		*out = s->ops[i]->pub;
		found = true;
		in = find(s, out->name, NULL);
		if (resource && in)
			*resource = cJSON_Duplicate(in->res, 1);
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return found;
}

void store_set_idle(struct store *s, const char *name, const char *value,
		    double now, struct store_result *out)
{
	struct inst *in;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	tick(s, now);
	in = find(s, name, NULL);
	if (!in) {
		refuse(out, 404, "ResourceNotFound",
		       "The Resource 'Microsoft.MachineLearningServices"
		       "/workspaces/computes/%s' was not found.%s", name, "");
	} else if (!is_ci(in->res)) {
		refuse(out, 400, "BadRequest",
		       "The %s operation is only supported on compute "
		       "instances; %s is not one.", "updateIdleShutdownSetting",
		       in->name);
	} else if (in->op && (in->op->pub.verb == STORE_CREATE ||
			      in->op->pub.verb == STORE_DELETE)) {
		refuse(out, 409, "Conflict",
		       "There is an operation in progress on compute %s "
		       "(%s); retry once it completes.", in->name,
		       rules[in->op->pub.verb].during);
	} else {
		shape_set_str(shape_obj(shape_obj(in->res, "properties"),
					"properties"),
			      "idleTimeBeforeShutdown", value);
		shape_touch(in->res);
	}
	pthread_mutex_unlock(&s->lock);
}

bool store_force_state(struct store *s, const char *name, const char *state,
		       double now)
{
	struct inst *in;

	pthread_mutex_lock(&s->lock);
	tick(s, now);
	in = find(s, name, NULL);
	if (in) {
		shape_set_state(in->res, state, (unsigned)in->seq);
		shape_touch(in->res);
	}
	pthread_mutex_unlock(&s->lock);
	return in != NULL;
}
