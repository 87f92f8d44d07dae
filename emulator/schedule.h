/**
 * @file
 * Cost control settings of a compute instance: the idle time before
 * shutdown (an ISO 8601 duration) and the start/stop schedules
 * (ComputeStartStopSchedule), checked as Azure checks them and built in
 * the shape Azure returns them.
 *
 * Facts from the Azure REST API specs (machinelearningservices
 * 2025-06-01): ComputeInstanceProperties.idleTimeBeforeShutdown is "Stops
 * compute instance after user defined period of inactivity. Time is
 * defined in ISO8601 format. Minimum is 15 min, maximum is 3 days";
 * IdleShutdownSetting, the body of Compute_UpdateIdleShutdownSetting,
 * holds that one string; ComputeSchedules is {"computeStartStop": [...]}
 * with action Start|Stop, status Enabled|Disabled, triggerType
 * Recurrence|Cron, recurrence {frequency Minute|Hour|Day|Week|Month,
 * interval, startTime, timeZone (default UTC), schedule {hours, minutes
 * (both required), monthDays, weekDays Monday..Sunday}} and cron
 * {startTime, timeZone (default UTC), expression}; id and
 * provisioningStatus (Completed|Provisioning|Failed) are read-only.
 *
 * Pure JSON work, no locks.
 */
#ifndef EMULATOR_SCHEDULE_H
#define EMULATOR_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define IDLE_MIN_SECONDS (15L * 60)		/* PT15M */
#define IDLE_MAX_SECONDS (3L * 24 * 3600)	/* P3D */

/*
 * Parse an ISO 8601 duration (PnYnMnDTnHnMnS or PnW, upper-case
 * designators, a decimal fraction on the smallest part only; a year
 * counted as 365 days, a month as 30) into seconds. False if s is not
 * such a duration.
 */
bool sched_parse_duration(const char *s, double *seconds);

/*
 * Check an idleTimeBeforeShutdown value v (a JSON item, NULL if absent)
 * as Azure does. On success writes the stored form, whole minutes
 * ("PT120M" for "PT2H"), to norm and returns true; else fills code and
 * msg with the 400 refusal and returns false.
 */
bool sched_check_idle(const cJSON *v, char *norm, size_t normn, char *code,
		      size_t coden, char *msg, size_t msgn);

/*
 * Check a schedules value (ComputeSchedules, not null) and build the
 * stored form: every schedule as given, enum words in Azure's spelling,
 * status and timeZone defaulted, a new id and provisioningStatus
 * Completed. NULL with code and msg filled when Azure would refuse it.
 */
cJSON *sched_build(const cJSON *v, char *code, size_t coden, char *msg,
		   size_t msgn);

/*
 * Seeded schedules. days: bit 0 Monday .. bit 6 Sunday (0: every day,
 * frequency Day; else Week with those weekDays). id_seed makes the ids.
 */
cJSON *sched_recurrence(const char *action, const char *status, int hour,
			int minute, unsigned days, const char *tz,
			const char *start, unsigned id_seed);
cJSON *sched_cron(const char *action, const char *status, const char *expr,
		  const char *tz, const char *start, unsigned id_seed);

#endif
