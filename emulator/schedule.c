/**
 * @file
 * Idle shutdown durations and start/stop schedules (see schedule.h).
 */
#include "emulator/schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/shape.h"
#include "emulator/text.h"

static const char *const actions[] = { "Start", "Stop", NULL };
static const char *const statuses[] = { "Enabled", "Disabled", NULL };
static const char *const triggers[] = { "Recurrence", "Cron", NULL };
static const char *const frequencies[] = { "Minute", "Hour", "Day", "Week",
					   "Month", NULL };
static const char *const weekdays[] = { "Monday", "Tuesday", "Wednesday",
					"Thursday", "Friday", "Saturday",
					"Sunday", NULL };

/* ---- durations ------------------------------------------------------- */

static const struct part {
	char designator;
	bool time;		/* after the T */
	double seconds;
} parts[] = {
	{ 'Y', false, 365.0 * 86400 }, { 'M', false, 30.0 * 86400 },
	{ 'W', false, 7.0 * 86400 }, { 'D', false, 86400 },
	{ 'H', true, 3600 }, { 'M', true, 60 }, { 'S', true, 1 },
};
#define NPARTS (sizeof(parts) / sizeof(*parts))
#define FIRST_TIME_PART 4

/* A number: digits, then an optional fraction after '.' or ','. */
static const char *number(const char *p, double *out, bool *frac)
{
	char buf[32];
	size_t n = 0;

	*frac = false;
	while (isdigit((unsigned char)*p) && n < 12)
		buf[n++] = *p++;
	if (n == 0 || isdigit((unsigned char)*p))
		return NULL;
	if (*p == '.' || *p == ',') {
		size_t start;

		buf[n++] = '.';
		p++;
		start = n;
		while (isdigit((unsigned char)*p) && n < sizeof(buf) - 1)
			buf[n++] = *p++;
		if (n == start || isdigit((unsigned char)*p))
			return NULL;
		*frac = true;
	}
	buf[n] = '\0';
	*out = strtod(buf, NULL);
	return p;
}

bool sched_parse_duration(const char *s, double *seconds)
{
	const char *p = s;
	size_t next = 0;
	int count = 0;
	bool time = false, frac = false, week = false;
	double total = 0;

	if (!s || *p++ != 'P')
		return false;
	while (*p) {
		double v;
		size_t i;

		if (*p == 'T') {
			if (time || !p[1])
				return false;
			time = true;
			if (next < FIRST_TIME_PART)
				next = FIRST_TIME_PART;
			p++;
			continue;
		}
		if (frac)	/* a fraction only on the smallest part */
			return false;
		p = number(p, &v, &frac);
		if (!p)
			return false;
		for (i = next; i < NPARTS; i++)
			if (parts[i].designator == *p && parts[i].time == time)
				break;
		if (i == NPARTS)
			return false;
		week |= parts[i].designator == 'W';
		total += v * parts[i].seconds;
		next = i + 1;
		count++;
		p++;
	}
	if (count == 0 || (week && count > 1))	/* PnW stands alone */
		return false;
	*seconds = total;
	return true;
}

#define FAIL(...) \
	(text_refusal(code, coden, msg, msgn, __VA_ARGS__), false)

bool sched_check_idle(const cJSON *v, char *norm, size_t normn, char *code,
		      size_t coden, char *msg, size_t msgn)
{
	const char *s;
	double secs;

	if (!v || cJSON_IsNull(v) ||
	    (cJSON_IsString(v) && !*v->valuestring))
		return FAIL("ValidationError",
			    "The field 'idleTimeBeforeShutdown' is required: "
			    "an ISO 8601 duration between 15 minutes (PT15M) "
			    "and 3 days (P3D).");
	if (!cJSON_IsString(v))
		return FAIL("InvalidRequestContent",
			    "The request content was invalid and could not be "
			    "deserialized: 'idleTimeBeforeShutdown' must be a "
			    "string.");
	s = v->valuestring;
	if (!sched_parse_duration(s, &secs))
		return FAIL("InvalidParameter",
			    "The value '%.64s' provided for "
			    "idleTimeBeforeShutdown is not valid. It must be "
			    "an ISO 8601 duration such as PT30M, PT2H or P1D.",
			    s);
	if (secs < IDLE_MIN_SECONDS || secs > IDLE_MAX_SECONDS)
		return FAIL("InvalidParameter",
			    "The value '%.64s' provided for "
			    "idleTimeBeforeShutdown is out of range. Idle time "
			    "before shutdown must be between 15 minutes "
			    "(PT15M) and 3 days (P3D).", s);
	if (secs != (double)(long long)secs || (long long)secs % 60)
		return FAIL("InvalidParameter",
			    "The value '%.64s' provided for "
			    "idleTimeBeforeShutdown is not valid. It must be "
			    "a whole number of minutes.", s);
	snprintf(norm, normn, "PT%ldM", (long)(secs / 60));
	return true;
}

/* ---- schedules ------------------------------------------------------- */

static const cJSON *member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNull(v) ? NULL : v;
}

/* The word of table matching v (case-insensitive), or NULL. */
static const char *word_of(const cJSON *v, const char *const *table)
{
	if (!cJSON_IsString(v))
		return NULL;
	for (int i = 0; table[i]; i++)
		if (text_ieq(v->valuestring, table[i]))
			return table[i];
	return NULL;
}

/* "yyyy-MM-ddTHH:mm:ss", optionally fractional seconds and an offset. */
static bool start_time_ok(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	int mo, d, h, mi, se;

	for (size_t i = 0; i < sizeof(pat) - 1; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i])
				  : s[i] != pat[i])
			return false;
	if (sscanf(s + 5, "%2d-%2d", &mo, &d) != 2 ||
	    sscanf(s + 11, "%2d:%2d:%2d", &h, &mi, &se) != 3)
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    se > 59)
		return false;
	return strspn(s + 19, "0123456789.Z+-:") == strlen(s + 19);
}

/* An array of integers in [lo, hi]; required: not absent nor empty. */
static bool int_list(const cJSON *a, int lo, int hi, bool required)
{
	const cJSON *it;

	if (!a)
		return !required;
	if (!cJSON_IsArray(a) || (required && !cJSON_GetArraySize(a)))
		return false;
	cJSON_ArrayForEach(it, a) {
		if (!cJSON_IsNumber(it) || it->valuedouble != it->valueint ||
		    it->valueint < lo || it->valueint > hi)
			return false;
	}
	return true;
}

/* startTime and timeZone of a recurrence or cron, defaulting the zone. */
static bool when_ok(cJSON *t, const char *where, char *code, size_t coden,
		    char *msg, size_t msgn)
{
	const cJSON *st = member(t, "startTime"), *tz = member(t, "timeZone");

	if (st && (!cJSON_IsString(st) || !start_time_ok(st->valuestring)))
		return FAIL("ValidationError",
			    "%s.startTime must be a date and time such as "
			    "2021-04-23T01:30:00.", where);
	if (tz && (!cJSON_IsString(tz) || !*tz->valuestring))
		return FAIL("ValidationError",
			    "%s.timeZone must be a Windows time zone name such "
			    "as UTC or Pacific Standard Time.", where);
	if (!tz)
		shape_set_str(t, "timeZone", "UTC");
	return true;
}

static bool recurrence_ok(cJSON *r, char *code, size_t coden, char *msg,
			  size_t msgn)
{
	const cJSON *freq = member(r, "frequency"), *iv = member(r, "interval");
	cJSON *sch = cJSON_GetObjectItemCaseSensitive(r, "schedule"), *wd;
	const char *w;

	if (!cJSON_IsObject(r))
		return FAIL("ValidationError",
			    "A schedule with triggerType Recurrence needs a "
			    "recurrence object.");
	w = word_of(freq, frequencies);
	if (!w)
		return FAIL("ValidationError",
			    "recurrence.frequency must be one of Minute, Hour, "
			    "Day, Week, Month.");
	shape_set_str(r, "frequency", w);
	if (iv && (!cJSON_IsNumber(iv) || iv->valuedouble != iv->valueint ||
		   iv->valueint < 1))
		return FAIL("ValidationError",
			    "recurrence.interval must be a positive integer.");
	if (!iv)
		shape_set_item(r, "interval", cJSON_CreateNumber(1));
	if (!when_ok(r, "recurrence", code, coden, msg, msgn))
		return false;
	if (!cJSON_IsObject(sch))
		return FAIL("ValidationError",
			    "recurrence.schedule is required (hours and "
			    "minutes).");
	if (!int_list(member(sch, "hours"), 0, 23, true) ||
	    !int_list(member(sch, "minutes"), 0, 59, true))
		return FAIL("ValidationError",
			    "recurrence.schedule needs hours (0-23) and "
			    "minutes (0-59), each a non-empty list of "
			    "integers.");
	if (!int_list(member(sch, "monthDays"), 1, 31, false))
		return FAIL("ValidationError",
			    "recurrence.schedule.monthDays must be integers "
			    "from 1 to 31.");
	wd = cJSON_GetObjectItemCaseSensitive(sch, "weekDays");
	if (cJSON_IsNull(wd) || !wd)
		return true;
	if (!cJSON_IsArray(wd))
		return FAIL("ValidationError",
			    "recurrence.schedule.weekDays must be a list.");
	for (cJSON *it = wd->child; it; it = it->next) {
		w = word_of(it, weekdays);
		if (!w)
			return FAIL("ValidationError",
				    "recurrence.schedule.weekDays takes "
				    "Monday, Tuesday, Wednesday, Thursday, "
				    "Friday, Saturday, Sunday.");
		cJSON_SetValuestring(it, w);
	}
	return true;
}

/* NCronTab: five fields (six with seconds) of digits, names, * , - /. */
static bool cron_expr_ok(const char *e)
{
	int fields = 0;

	while (*e) {
		size_t n;

		e += strspn(e, " \t");
		if (!*e)
			break;
		n = strcspn(e, " \t");
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)e[i]) &&
			    !strchr("*,-/?", e[i]))
				return false;
		fields++;
		e += n;
	}
	return fields == 5 || fields == 6;
}

static bool cron_ok(cJSON *c, char *code, size_t coden, char *msg,
		    size_t msgn)
{
	const cJSON *ex = member(c, "expression");

	if (!cJSON_IsObject(c))
		return FAIL("ValidationError",
			    "A schedule with triggerType Cron needs a cron "
			    "object.");
	if (!cJSON_IsString(ex) || !cron_expr_ok(ex->valuestring))
		return FAIL("ValidationError",
			    "cron.expression must be a cron expression of five "
			    "fields, such as 0 18 * * *.");
	return when_ok(c, "cron", code, coden, msg, msgn);
}

static bool one_ok(cJSON *s, char *code, size_t coden, char *msg,
		   size_t msgn)
{
	const char *action, *status, *trigger;
	const cJSON *st;
	char id[37];

	if (!cJSON_IsObject(s))
		return FAIL("InvalidRequestContent",
			    "Each computeStartStop schedule must be an "
			    "object.");
	action = word_of(member(s, "action"), actions);
	if (!action)
		return FAIL("ValidationError",
			    "A schedule's action must be Start or Stop.");
	st = member(s, "status");
	status = st ? word_of(st, statuses) : "Enabled";
	if (!status)
		return FAIL("ValidationError",
			    "A schedule's status must be Enabled or "
			    "Disabled.");
	trigger = word_of(member(s, "triggerType"), triggers);
	if (!trigger)
		return FAIL("ValidationError",
			    "A schedule's triggerType must be Recurrence or "
			    "Cron.");
	if (strcmp(trigger, "Recurrence") == 0) {
		if (!recurrence_ok(cJSON_GetObjectItemCaseSensitive(
					   s, "recurrence"),
				   code, coden, msg, msgn))
			return false;
		shape_set_item(s, "cron", cJSON_CreateNull());
	} else {
		if (!cron_ok(cJSON_GetObjectItemCaseSensitive(s, "cron"),
			     code, coden, msg, msgn))
			return false;
		shape_set_item(s, "recurrence", cJSON_CreateNull());
	}
	text_uuid(id);
	shape_set_str(s, "id", id);
	shape_set_str(s, "provisioningStatus", "Completed");
	shape_set_str(s, "status", status);
	shape_set_str(s, "action", action);
	shape_set_str(s, "triggerType", trigger);
	return true;
}

cJSON *sched_build(const cJSON *v, char *code, size_t coden, char *msg,
		   size_t msgn)
{
	cJSON *out, *list;

	if (!cJSON_IsObject(v)) {
		text_refusal(code, coden, msg, msgn, "InvalidRequestContent",
			     "The request content was invalid and could not "
			     "be deserialized: 'schedules' must be an "
			     "object.");
		return NULL;
	}
	out = cJSON_Duplicate(v, 1);
	list = cJSON_GetObjectItemCaseSensitive(out, "computeStartStop");
	if (!list || cJSON_IsNull(list)) {
		shape_set_item(out, "computeStartStop", cJSON_CreateArray());
		return out;
	}
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(out);
		text_refusal(code, coden, msg, msgn, "InvalidRequestContent",
			     "The request content was invalid and could not "
			     "be deserialized: 'schedules.computeStartStop' "
			     "must be a list.");
		return NULL;
	}
	for (cJSON *s = list->child; s; s = s->next) {
		if (!one_ok(s, code, coden, msg, msgn)) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

/* ---- seeds ----------------------------------------------------------- */

static cJSON *seeded(const char *action, const char *status,
		     const char *trigger, unsigned id_seed)
{
	cJSON *s = cJSON_CreateObject();
	char id[37];

	snprintf(id, sizeof(id), "%08x-5eed-4c0e-8a11-%012x",
		 id_seed * 2654435761u, id_seed);
	cJSON_AddStringToObject(s, "id", id);
	cJSON_AddStringToObject(s, "provisioningStatus", "Completed");
	cJSON_AddStringToObject(s, "status", status);
	cJSON_AddStringToObject(s, "action", action);
	cJSON_AddStringToObject(s, "triggerType", trigger);
	return s;
}

cJSON *sched_recurrence(const char *action, const char *status, int hour,
			int minute, unsigned days, const char *tz,
			const char *start, unsigned id_seed)
{
	cJSON *s = seeded(action, status, "Recurrence", id_seed);
	cJSON *r = cJSON_AddObjectToObject(s, "recurrence"), *sch, *wd;

	cJSON_AddStringToObject(r, "frequency", days ? "Week" : "Day");
	cJSON_AddNumberToObject(r, "interval", 1);
	shape_set_str(r, "startTime", start);
	cJSON_AddStringToObject(r, "timeZone", tz);
	sch = cJSON_AddObjectToObject(r, "schedule");
	cJSON_AddItemToObject(sch, "hours", cJSON_CreateIntArray(&hour, 1));
	cJSON_AddItemToObject(sch, "minutes",
			      cJSON_CreateIntArray(&minute, 1));
	if (days) {
		wd = cJSON_AddArrayToObject(sch, "weekDays");
		for (int i = 0; i < 7; i++)
			if (days >> i & 1)
				cJSON_AddItemToArray(
					wd, cJSON_CreateString(weekdays[i]));
	}
	cJSON_AddNullToObject(s, "cron");
	return s;
}

cJSON *sched_cron(const char *action, const char *status, const char *expr,
		  const char *tz, const char *start, unsigned id_seed)
{
	cJSON *s = seeded(action, status, "Cron", id_seed);
	cJSON *c;

	cJSON_AddNullToObject(s, "recurrence");
	c = cJSON_AddObjectToObject(s, "cron");
	shape_set_str(c, "startTime", start);
	cJSON_AddStringToObject(c, "timeZone", tz);
	cJSON_AddStringToObject(c, "expression", expr);
	return s;
}
