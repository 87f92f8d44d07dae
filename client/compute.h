/**
 * @file
 * A compute resource as plain C: the fields computefs shows, mapped from
 * Azure's ComputeResource JSON (docs/azure-api.md section 4) by
 * az_compute_from_json(). Every string may be NULL (Azure left it null or
 * absent); enums stay strings because Azure marks them modelAsString.
 *
 * Who frees what: az_compute_free() frees every field, accepts NULL and
 * leaves the struct zeroed.
 */
#ifndef COMPUTEFS_CLIENT_COMPUTE_H
#define COMPUTEFS_CLIENT_COMPUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "client/error.h"
#include "util/buf.h"

struct az_app {
	char *name; /* displayName, e.g. "Jupyter" */
	char *url;  /* endpointUri */
};

struct az_compute {
	char *name;
	char *id;
	char *location;
	char *compute_type;       /* properties.computeType */
	char *provisioning_state; /* properties.provisioningState */
	char *created_on;         /* properties.createdOn */

	/* ComputeInstance only (properties.properties.*) */
	char *state;    /* "Running", ...; NULL when absent */
	char *vm_size;  /* as Azure spells it */
	char *public_ip;
	char *private_ip;
	char *created_by;     /* createdBy.userName */
	char *created_by_oid; /* createdBy.userId */
	char *assigned_oid;   /* personalComputeInstanceSettings.assignedUser */
	char *assigned_tid;
	bool ssh_enabled;     /* sshSettings.sshPublicAccess == "Enabled" */
	char *ssh_user;       /* sshSettings.adminUserName */
	long ssh_port;        /* sshSettings.sshPort, 0 when absent */
	char *op_name;        /* lastOperation.operationName */
	char *op_status;      /* lastOperation.operationStatus */
	char *op_time;        /* lastOperation.operationTime */
	char *errors;         /* "CODE: message\n" per error; NULL when none */
	long idle_minutes;    /* idleTimeBeforeShutdown; 0: none (off) */
	char *schedules;      /* computeStartStop[] one a line (see
				 az_schedules_text()); NULL when none */
	struct az_app *apps;  /* applications[], entries with both fields */
	size_t n_apps;

	unsigned char *zjson; /* the resource as received: its compact
				 JSON deflated (az_zjson_deflate) */
	size_t zjson_len;     /* bytes of zjson */
	size_t json_len;      /* bytes of its pretty form (info.json),
				 "\n" included; 0 when there is none */
	uint64_t raw_hash;    /* XXH3-64 of the resource's bytes as a
				 listing sent them (az_list_computes_prev);
				 0: not known (a GET, or changed since) */
	const struct az_compute *same_as; /* set only in a listing's output:
				 this compute's bytes were exactly those of
				 *same_as (the previous listing's), every
				 other field is empty (see client.h) */
};

/*
 * Map one ComputeResource object. Fails (AZ_ERR_PROTOCOL) only when @obj
 * is not an object or has no safe string "name" (az_compute_name_safe());
 * any other field may be missing, null or of the wrong type and simply
 * reads as absent. Control characters in fields become spaces.
 */
enum az_err az_compute_from_json(const cJSON *obj, struct az_compute *out);

/* true when computeType is "ComputeInstance" (the only type shown). */
bool az_compute_is_instance(const struct az_compute *c);

/*
 * Append the resource pretty-printed, "\n"-ended (c->json_len bytes) to
 * @out; nothing when it has none. 0, or -1 on OOM or a blob that does
 * not inflate. (A deflated compact form is kept; this renders it.)
 */
int az_compute_json_pretty(const struct az_compute *c, struct buf *out);

/* The resource's compact JSON, malloc'd ("" when none); NULL on OOM. */
char *az_compute_json(const struct az_compute *c);

/*
 * zjson.c: @len bytes of JSON deflated against a dictionary of what a
 * ComputeResource holds (deterministic: equal input, equal output), and
 * back (NUL-terminated, *@out_len bytes). Both malloc'd; NULL on OOM or
 * a blob that does not inflate.
 */
unsigned char *az_zjson_deflate(const char *json, size_t len,
				size_t *out_len);
char *az_zjson_inflate(const unsigned char *z, size_t z_len,
		       size_t *out_len);

/*
 * An ISO 8601 duration ("PT45M", "PT2H30M", "P3D") in whole minutes, or
 * -1 when it is not one (months and years are refused: not a time span
 * of fixed length). Seconds are rounded down.
 */
long az_duration_minutes(const char *iso);

/*
 * The start/stop schedules of a ComputeResource @obj, one a line:
 * "ACTION STATUS cron EXPR tz ZONE" or "ACTION STATUS recurrence FREQ
 * INTERVAL HH:MM[,HH:MM...] DAY[,DAY...]|* tz ZONE" (days as Mon..Sun;
 * ZONE a Windows time-zone name, may hold spaces, "UTC" when absent).
 * *@out malloc'd, NULL when there are none. 0, or -1 on OOM.
 */
int az_schedules_text(const cJSON *obj, char **out);

/*
 * Deep copy (raw_hash too; same_as is not copied); returns 0, or -1 out
 * of memory (dst left zeroed).
 */
int az_compute_copy(struct az_compute *dst, const struct az_compute *src);

void az_compute_free(struct az_compute *c);

/*
 * Azure's compute-name rule (docs/azure-api.md section 9): 3 to 24 ASCII
 * characters, a letter first, then letters, digits and '-', and not
 * ending in '-' or in '-' followed only by digits ("ci-01" is refused,
 * "ci-01a" accepted). On false, a one-line reason goes to @why (size
 * @len; may be NULL).
 */
bool az_compute_name_valid(const char *name, char *why, size_t len);

/*
 * A name from Azure's reply that is safe as a directory name, an
 * ssh_config Host and a shell word: an ASCII letter or digit, then
 * letters, digits, '-', '_' or '.', at most 255 bytes. Wider than
 * az_compute_name_valid(), so an older or odd name still shows; a hostile
 * "../x", "*" or "a\nProxyCommand ..." does not (az_compute_from_json()
 * refuses it).
 */
bool az_compute_name_safe(const char *name);
void az_compute_free_array(struct az_compute *v, size_t n);

#endif
