/**
 * @file
 * Fault rules (see faults.h).
 *
 * DESIGN: the rule list is replaced as a whole by POST /_emulator/faults
 * and read by every connection thread; one mutex guards it, held only to
 * match and to count a rule's remaining uses, never while a delay runs.
 */
#include "emulator/faults.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/text.h"

struct rule {
	char *method;
	char *path;
	char *route;
	int status;
	cJSON *headers;
	char *body;
	long delay_ms;		/* ms */
	bool drop;
	bool malformed;
	bool endless;
	bool lost_reply;
	cJSON *drop_headers;	/* array of header names, or NULL */
	long skip;		/* matches still to let through */
	long times;		/* -1: unlimited */
};

struct faults {
	pthread_mutex_t lock;	/* guards rules and nrules */
	struct rule *rules;
	size_t nrules;
};

struct faults *faults_new(void)
{
	struct faults *f = calloc(1, sizeof(*f));

	if (f)
		pthread_mutex_init(&f->lock, NULL);
	return f;
}

static void rules_free(struct rule *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].method);
		free(rules[i].path);
		free(rules[i].route);
		free(rules[i].body);
		cJSON_Delete(rules[i].headers);
		cJSON_Delete(rules[i].drop_headers);
	}
	free(rules);
}

void faults_free(struct faults *f)
{
	if (!f)
		return;
	rules_free(f->rules, f->nrules);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static bool get_long(const cJSON *o, const char *key, long min, long max,
		     long *out, char *err, size_t errn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return true;
	if (!cJSON_IsNumber(v) || v->valuedouble < (double)min ||
	    v->valuedouble > (double)max) {
		snprintf(err, errn, "'%s' must be a number from %ld to %ld",
			 key, min, max);
		return false;
	}
	*out = (long)v->valuedouble;
	return true;
}

static bool get_str(const cJSON *o, const char *key, char **out, char *err,
		    size_t errn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsString(v)) {
		snprintf(err, errn, "'%s' must be a string", key);
		return false;
	}
	*out = strdup(v->valuestring);
	return *out != NULL;
}

static bool get_bool(const cJSON *o, const char *key, bool *out, char *err,
		     size_t errn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!v)
		return true;
	if (!cJSON_IsBool(v)) {
		snprintf(err, errn, "'%s' must be true or false", key);
		return false;
	}
	*out = cJSON_IsTrue(v);
	return true;
}

/* An optional array of non-empty header names. */
static bool get_names(const cJSON *o, const char *key, cJSON **out,
		      char *err, size_t errn)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key), *n;

	if (!v || cJSON_IsNull(v))
		return true;
	if (!cJSON_IsArray(v)) {
		snprintf(err, errn, "'%s' must be an array of header names",
			 key);
		return false;
	}
	cJSON_ArrayForEach(n, v) {
		if (!cJSON_IsString(n) || !*n->valuestring ||
		    strpbrk(n->valuestring, " :\r\n")) {
			snprintf(err, errn,
				 "'%s' must be an array of header names", key);
			return false;
		}
	}
	*out = cJSON_Duplicate(v, 1);
	return *out != NULL;
}

static bool parse_rule(const cJSON *o, struct rule *r, char *err, size_t errn)
{
	static const char *const keys[] = {
		"method", "path", "route", "status", "headers", "body",
		"delay_ms", "drop", "malformed", "endless", "skip", "times",
		"lost_reply", "drop_headers",
	};
	const cJSON *item, *h;
	long status = 0;

	memset(r, 0, sizeof(*r));
	r->times = -1;
	if (!cJSON_IsObject(o)) {
		snprintf(err, errn, "each rule must be an object");
		return false;
	}
	cJSON_ArrayForEach(item, o) {
		bool known = false;

		for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
			known |= strcmp(item->string, keys[i]) == 0;
		if (!known) {
			snprintf(err, errn, "unknown rule key '%s'",
				 item->string);
			return false;
		}
	}
	if (!get_str(o, "method", &r->method, err, errn) ||
	    !get_str(o, "path", &r->path, err, errn) ||
	    !get_str(o, "route", &r->route, err, errn) ||
	    !get_str(o, "body", &r->body, err, errn) ||
	    !get_long(o, "status", 100, 599, &status, err, errn) ||
	    !get_long(o, "delay_ms", 0, 600000, &r->delay_ms, err, errn) ||
	    !get_long(o, "skip", 0, 1000000, &r->skip, err, errn) ||
	    !get_long(o, "times", 1, 1000000000, &r->times, err, errn) ||
	    !get_bool(o, "drop", &r->drop, err, errn) ||
	    !get_bool(o, "malformed", &r->malformed, err, errn) ||
	    !get_bool(o, "endless", &r->endless, err, errn) ||
	    !get_bool(o, "lost_reply", &r->lost_reply, err, errn) ||
	    !get_names(o, "drop_headers", &r->drop_headers, err, errn))
		return false;
	if (r->endless && (status || r->body || r->drop)) {
		snprintf(err, errn,
			 "'endless' cannot be combined with status, body or "
			 "drop");
		return false;
	}
	if (r->lost_reply && (status || r->body || r->drop)) {
		snprintf(err, errn,
			 "'lost_reply' cannot be combined with status, body "
			 "or drop (it serves the request, then drops the "
			 "reply)");
		return false;
	}
	r->status = (int)status;
	h = cJSON_GetObjectItemCaseSensitive(o, "headers");
	if (h && !cJSON_IsNull(h)) {
		const cJSON *hv;

		if (!cJSON_IsObject(h)) {
			snprintf(err, errn, "'headers' must be an object");
			return false;
		}
		cJSON_ArrayForEach(hv, h) {
			if (!cJSON_IsString(hv) && !cJSON_IsNumber(hv)) {
				snprintf(err, errn,
					 "header '%s' must be a string",
					 hv->string);
				return false;
			}
		}
		r->headers = cJSON_Duplicate(h, 1);
	}
	return true;
}

int faults_set(struct faults *f, const cJSON *rules, char *err, size_t errn)
{
	struct rule *parsed = NULL, *old;
	size_t n = 0, oldn;
	const cJSON *item;

	if (!cJSON_IsArray(rules)) {
		snprintf(err, errn, "the body must be a JSON array of rules");
		return -1;
	}
	n = (size_t)cJSON_GetArraySize(rules);
	if (n) {
		parsed = calloc(n, sizeof(*parsed));
		if (!parsed) {
			snprintf(err, errn, "out of memory");
			return -1;
		}
	}
	n = 0;
	cJSON_ArrayForEach(item, rules) {
		if (!parse_rule(item, &parsed[n], err, errn)) {
			rules_free(parsed, n + 1);
			return -1;
		}
		n++;
	}
	pthread_mutex_lock(&f->lock);
	old = f->rules;
	oldn = f->nrules;
	f->rules = parsed;
	f->nrules = n;
	pthread_mutex_unlock(&f->lock);
	rules_free(old, oldn);
	return 0;
}

cJSON *faults_json(struct faults *f)
{
	cJSON *arr = cJSON_CreateArray();

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		const struct rule *r = &f->rules[i];
		cJSON *o = cJSON_CreateObject();

		if (r->method)
			cJSON_AddStringToObject(o, "method", r->method);
		if (r->path)
			cJSON_AddStringToObject(o, "path", r->path);
		if (r->route)
			cJSON_AddStringToObject(o, "route", r->route);
		if (r->status)
			cJSON_AddNumberToObject(o, "status", r->status);
		if (r->headers)
			cJSON_AddItemToObject(o, "headers",
					      cJSON_Duplicate(r->headers, 1));
		if (r->body)
			cJSON_AddStringToObject(o, "body", r->body);
		if (r->delay_ms)
			cJSON_AddNumberToObject(o, "delay_ms",
						(double)r->delay_ms);
		cJSON_AddBoolToObject(o, "drop", r->drop);
		cJSON_AddBoolToObject(o, "malformed", r->malformed);
		if (r->endless)
			cJSON_AddBoolToObject(o, "endless", true);
		if (r->lost_reply)
			cJSON_AddBoolToObject(o, "lost_reply", true);
		if (r->drop_headers)
			cJSON_AddItemToObject(o, "drop_headers",
					      cJSON_Duplicate(r->drop_headers,
							      1));
		cJSON_AddNumberToObject(o, "skip", (double)r->skip);
		cJSON_AddNumberToObject(o, "times_left", (double)r->times);
		cJSON_AddItemToArray(arr, o);
	}
	pthread_mutex_unlock(&f->lock);
	return arr;
}

static bool path_matches(const char *pattern, const char *path)
{
	if (!pattern || !*pattern)
		return true;
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, path, 0) == 0;
	return strstr(path, pattern) != NULL;
}

bool faults_match(struct faults *f, const char *method, const char *path,
		  const char *route, struct fault_action *out)
{
	bool hit = false;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		struct rule *r = &f->rules[i];

		if (r->times == 0)
			continue;
		if (r->method && strcmp(r->method, "*") != 0 &&
		    !text_ieq(r->method, method))
			continue;
		if (r->route && !text_ieq(r->route, route))
			continue;
		if (r->endless && (!text_ieq(route, "list") ||
				   !text_ieq(method, "GET")))
			continue;
		if (!path_matches(r->path, path))
			continue;
		if (r->skip > 0) {
			r->skip--;
			break;
		}
		if (r->times > 0)
			r->times--;
		out->status = r->status;
		out->headers = r->headers ? cJSON_Duplicate(r->headers, 1)
					  : NULL;
		out->body = r->body ? strdup(r->body) : NULL;
		out->delay_ms = r->delay_ms;
		out->drop = r->drop;
		out->malformed = r->malformed;
		out->endless = r->endless;
		out->lost_reply = r->lost_reply;
		out->drop_headers = r->drop_headers
					    ? cJSON_Duplicate(r->drop_headers, 1)
					    : NULL;
		hit = true;
		break;
	}
	pthread_mutex_unlock(&f->lock);
	return hit;
}

void fault_action_free(struct fault_action *a)
{
	if (!a)
		return;
	cJSON_Delete(a->headers);
	cJSON_Delete(a->drop_headers);
	free(a->body);
	a->headers = NULL;
	a->drop_headers = NULL;
	a->body = NULL;
}
