/**
 * @file
 * Cost settings of a compute instance as text: the idle time before
 * shutdown (an ISO 8601 duration, "PT45M") in minutes, and the start/stop
 * schedules (properties.properties.schedules.computeStartStop[]) one a
 * line. Shapes from the Azure REST API specs, machinelearningservices
 * 2025-06-01: ComputeStartStopSchedule {action Start|Stop, status
 * Enabled|Disabled, triggerType Recurrence|Cron, recurrence {frequency,
 * interval, timeZone, schedule {hours[], minutes[], weekDays[]}}, cron
 * {expression, timeZone}}; time zones are Windows names, "UTC" when
 * absent.
 */
#include "client/compute.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/json.h"
#include "util/buf.h"

#define CI "properties.properties."
#define DURATION_MAX (366L * 24 * 60) /* minutes; more is not a duration
					 anyone sets */

long az_duration_minutes(const char *iso)
{
	const char *s = iso;
	long total = 0, v;
	bool in_time = false, any = false;
	char *end;

	if (!s || (*s != 'P' && *s != 'p'))
		return -1;
	for (s++; *s; s = end + 1) {
		if (*s == 'T' || *s == 't') {
			if (in_time)
				return -1;
			in_time = true;
			end = (char *)s;
			continue;
		}
		if (!isdigit((unsigned char)*s))
			return -1;
		v = strtol(s, &end, 10);
		if (v < 0 || v > DURATION_MAX * 60)
			return -1;
		switch (toupper((unsigned char)*end)) {
		case 'D':
			if (in_time)
				return -1;
			total += v * 24 * 60;
			break;
		case 'H':
			if (!in_time)
				return -1;
			total += v * 60;
			break;
		case 'M':
			if (!in_time)
				return -1; /* months: not an idle time */
			total += v;
			break;
		case 'S':
			if (!in_time)
				return -1;
			total += v / 60;
			break;
		default:
			return -1;
		}
		any = true;
		if (total > DURATION_MAX)
			return -1;
	}
	return any ? total : -1;
}

/* "Monday" -> "Mon"; anything else as given (flattened). */
static void add_day(struct buf *b, const char *day, bool first)
{
	if (!first)
		buf_puts(b, ",");
	if (strlen(day) >= 3 && isalpha((unsigned char)day[0]))
		buf_printf(b, "%c%c%c", toupper((unsigned char)day[0]),
			   tolower((unsigned char)day[1]),
			   tolower((unsigned char)day[2]));
	else
		buf_puts(b, "?");
}

/* One word: spaces and control characters would split the line. */
static void add_word(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_printf(b, "%c", isspace((unsigned char)*s) ||
			   iscntrl((unsigned char)*s) ? '_' : *s);
}

/* A free text that ends the line (a zone name may hold spaces). */
static void add_text(struct buf *b, const char *s)
{
	for (; s && *s; s++)
		buf_printf(b, "%c", iscntrl((unsigned char)*s) ? ' ' : *s);
}

/* "HH:MM" for every hour and minute given, comma-separated. */
static void add_times(struct buf *b, const cJSON *sched)
{
	const cJSON *hours = js_array(sched, "hours");
	const cJSON *minutes = js_array(sched, "minutes");
	const cJSON *h, *m;
	bool first = true;

	cJSON_ArrayForEach(h, hours) {
		cJSON_ArrayForEach(m, minutes) {
			if (!cJSON_IsNumber(h) || !cJSON_IsNumber(m))
				continue;
			buf_printf(b, "%s%02d:%02d", first ? "" : ",",
				   h->valueint, m->valueint);
			first = false;
		}
	}
	if (first)
		buf_puts(b, "-");
}

static void add_schedule(struct buf *b, const cJSON *s)
{
	const char *trigger = js_str(s, "triggerType");
	const char *zone = NULL;
	const cJSON *days, *d, *rec;
	bool first = true;
	long interval = 1;

	add_word(b, js_str(s, "action") ? js_str(s, "action") : "?");
	buf_puts(b, " ");
	add_word(b, js_str(s, "status") ? js_str(s, "status") : "Enabled");
	if (trigger && !strcasecmp(trigger, "Cron")) {
		buf_puts(b, " cron ");
		add_text(b, js_str(s, "cron.expression") ?
			 js_str(s, "cron.expression") : "-");
		zone = js_str(s, "cron.timeZone");
	} else {
		rec = js_object(s, "recurrence");
		buf_puts(b, " recurrence ");
		add_word(b, js_str(rec, "frequency") ?
			 js_str(rec, "frequency") : "-");
		js_long(rec, "interval", &interval);
		buf_printf(b, " %ld ", interval);
		add_times(b, js_object(rec, "schedule"));
		days = js_array(rec, "schedule.weekDays");
		buf_puts(b, " ");
		cJSON_ArrayForEach(d, days) {
			if (cJSON_IsString(d)) {
				add_day(b, d->valuestring, first);
				first = false;
			}
		}
		if (first)
			buf_puts(b, "*");
		zone = js_str(rec, "timeZone");
	}
	buf_puts(b, " tz ");
	add_text(b, zone && *zone ? zone : "UTC");
	buf_puts(b, "\n");
}

int az_schedules_text(const cJSON *obj, char **out)
{
	const cJSON *arr = js_array(obj, CI "schedules.computeStartStop");
	const cJSON *s;
	struct buf b = BUF_INIT;

	*out = NULL;
	cJSON_ArrayForEach(s, arr) {
		if (cJSON_IsObject(s))
			add_schedule(&b, s);
	}
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	*out = b.data; /* NULL when there were none */
	return 0;
}
