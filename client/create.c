/**
 * @file
 * What a create sends, and the idle-shutdown setting: az_create_body()
 * (the PUT body of a ComputeInstance, with its SSH, subnet, personal
 * assignment, idle time and start/stop schedules) and
 * az_set_idle_shutdown(). Shapes from the Azure REST API specs,
 * machinelearningservices 2025-06-01 (ComputeInstanceProperties,
 * ComputeStartStopSchedule, IdleShutdownSetting); the idle time is an ISO
 * 8601 duration, 15 minutes to 3 days.
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client_impl.h"
#include "util/log.h"

static const char *const week_days[] = {
	"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
	"Sunday",
};

/* "HH:MM" to its numbers; false when it is not one. */
static bool hh_mm(const char *s, int *h, int *m)
{
	return s && strlen(s) == 5 && s[2] == ':' &&
	       sscanf(s, "%2d:%2d", h, m) == 2 && *h >= 0 && *h < 24 &&
	       *m >= 0 && *m < 60;
}

/* One weekly recurrence schedule: @action at @at on p->week_days. */
static bool add_schedule(cJSON *arr, const char *action, const char *at,
			 const struct az_create_params *p)
{
	cJSON *s = cJSON_CreateObject(), *rec, *sch, *days;
	int h, m, i;

	if (!s || !cJSON_AddItemToArray(arr, s) || !hh_mm(at, &h, &m))
		return false;
	if (!cJSON_AddStringToObject(s, "action", action) ||
	    !cJSON_AddStringToObject(s, "status", "Enabled") ||
	    !cJSON_AddStringToObject(s, "triggerType", "Recurrence"))
		return false;
	rec = cJSON_AddObjectToObject(s, "recurrence");
	if (!rec || !cJSON_AddStringToObject(rec, "frequency", "Week") ||
	    !cJSON_AddNumberToObject(rec, "interval", 1) ||
	    !cJSON_AddStringToObject(rec, "timeZone",
				     p->time_zone && *p->time_zone ?
				     p->time_zone : "UTC"))
		return false;
	sch = cJSON_AddObjectToObject(rec, "schedule");
	if (!sch)
		return false;
	if (!cJSON_AddItemToObject(sch, "hours", cJSON_CreateIntArray(&h, 1)) ||
	    !cJSON_AddItemToObject(sch, "minutes",
				   cJSON_CreateIntArray(&m, 1)))
		return false;
	days = cJSON_AddArrayToObject(sch, "weekDays");
	if (!days)
		return false;
	for (i = 0; i < 7; i++) {
		if (p->week_days && !(p->week_days & (1u << i)))
			continue;
		if (!cJSON_AddItemToArray(days,
					  cJSON_CreateString(week_days[i])))
			return false;
	}
	return true;
}

char *az_create_body(const char *location, const struct az_create_params *p)
{
	cJSON *root = cJSON_CreateObject(), *props, *inner, *o, *u, *arr;
	char *s = NULL, dur[32];

	if (!root)
		return NULL;
	if (location && *location &&
	    !cJSON_AddStringToObject(root, "location", location))
		goto out;
	props = cJSON_AddObjectToObject(root, "properties");
	if (!props ||
	    !cJSON_AddStringToObject(props, "computeType", "ComputeInstance"))
		goto out;
	inner = cJSON_AddObjectToObject(props, "properties");
	if (!inner || !cJSON_AddStringToObject(inner, "vmSize", p->vm_size))
		goto out;
	if (p->ssh_public_key && *p->ssh_public_key) {
		o = cJSON_AddObjectToObject(inner, "sshSettings");
		if (!o ||
		    !cJSON_AddStringToObject(o, "sshPublicAccess", "Enabled") ||
		    !cJSON_AddStringToObject(o, "adminPublicKey",
					     p->ssh_public_key))
			goto out;
	}
	if (p->subnet_id && *p->subnet_id) {
		o = cJSON_AddObjectToObject(inner, "subnet");
		if (!o || !cJSON_AddStringToObject(o, "id", p->subnet_id))
			goto out;
	}
	if (p->assigned_oid && *p->assigned_oid) {
		o = cJSON_AddObjectToObject(inner,
					    "personalComputeInstanceSettings");
		u = o ? cJSON_AddObjectToObject(o, "assignedUser") : NULL;
		if (!u ||
		    !cJSON_AddStringToObject(u, "objectId", p->assigned_oid) ||
		    !cJSON_AddStringToObject(u, "tenantId",
					     p->assigned_tid ?
					     p->assigned_tid : ""))
			goto out;
	}
	if (p->idle_minutes > 0) {
		snprintf(dur, sizeof(dur), "PT%ldM", p->idle_minutes);
		if (!cJSON_AddStringToObject(inner, "idleTimeBeforeShutdown",
					     dur))
			goto out;
	}
	if (p->start_at || p->stop_at) {
		o = cJSON_AddObjectToObject(inner, "schedules");
		arr = o ? cJSON_AddArrayToObject(o, "computeStartStop") : NULL;
		if (!arr ||
		    (p->start_at && !add_schedule(arr, "Start", p->start_at,
						  p)) ||
		    (p->stop_at && !add_schedule(arr, "Stop", p->stop_at, p)))
			goto out;
	}
	s = cJSON_PrintUnformatted(root);
out:
	cJSON_Delete(root);
	return s;
}

enum az_err az_set_idle_shutdown(struct az_client *c, const char *name,
				 long minutes, struct az_error *err)
{
	struct az_http_resp resp;
	char body[96], *url;
	enum az_err e;

	if (minutes < AZ_IDLE_MIN || minutes > AZ_IDLE_MAX)
		return az_fail(err, AZ_ERR_INVALID, 0, "idle shutdown of %ld "
			       "minutes: Azure takes %d to %d", minutes,
			       AZ_IDLE_MIN, AZ_IDLE_MAX);
	url = az_client_compute_url(c, name, "/updateIdleShutdownSetting",
				    NULL);
	if (!url)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	snprintf(body, sizeof(body), "{\"idleTimeBeforeShutdown\":\"PT%ldM\"}",
		 minutes);
	e = az_client_send(c, "POST", url, body, &resp, err);
	free(url);
	if (e == AZ_OK && (resp.status < 200 || resp.status > 299))
		e = az_fail(err, AZ_ERR_PROTOCOL, resp.status, "Azure answered "
			    "HTTP %ld to the idle shutdown of %s, not an "
			    "acceptance", resp.status, name);
	if (e == AZ_OK)
		log_info("idle shutdown of %s: %ld minutes", name, minutes);
	az_http_resp_free(&resp);
	return e;
}
