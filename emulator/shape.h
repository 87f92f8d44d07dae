/**
 * @file
 * The JSON shapes of Azure ML compute resources (ComputeResource and
 * ComputeInstanceProperties in the Azure REST API specs,
 * machinelearningservices 2025-06-01):
 * builders for a ComputeInstance, an AmlCompute cluster and a Kubernetes
 * compute, and the edits the state machine makes to an instance (state,
 * connectivityEndpoints, applications, lastOperation, modifiedOn).
 *
 * Pure JSON work, no locks: callers own the cJSON trees they pass.
 */
#ifndef EMULATOR_SHAPE_H
#define EMULATOR_SHAPE_H

#include <stdbool.h>
#include <time.h>

#include <cjson/cJSON.h>

#define SHAPE_TYPE "Microsoft.MachineLearningServices/workspaces/computes"

struct shape_ci {
	const char *ws_id;	/* workspace ARM id */
	const char *name;
	const char *location;
	const char *vm_size;
	const char *state;	/* Running, Stopped, ... */
	const char *provisioning;	/* default "Succeeded" */
	const char *user_name;	/* createdBy.userName */
	const char *user_oid;	/* createdBy.userId */
	const char *description;	/* NULL: null */
	bool ssh;		/* sshPublicAccess Enabled */
	const char *ssh_key;	/* adminPublicKey, NULL: absent */
	const char *subnet;	/* subnet id, NULL: null */
	const char *assigned_oid;	/* personalComputeInstanceSettings */
	bool public_ip;		/* enableNodePublicIp */
	bool system_data;	/* add systemData */
	const char *last_op;	/* lastOperation.operationName, NULL: null */
	const char *idle;	/* idleTimeBeforeShutdown, NULL: absent */
	const cJSON *schedules;	/* ComputeSchedules (copied), NULL: null */
	const char *sharing;	/* applicationSharingPolicy, default Shared */
	unsigned ip_seed;	/* picks the IP addresses */
	time_t created;		/* createdOn */
};

cJSON *shape_ci(const struct shape_ci *c);

/* An AmlCompute cluster (scaleSettings, nodeStateCounts, ...). */
cJSON *shape_amlcompute(const char *ws_id, const char *name,
			const char *location, const char *vm_size,
			int max_nodes, time_t created);

/* An attached Kubernetes compute. */
cJSON *shape_kubernetes(const char *ws_id, const char *name,
			const char *location, time_t created);

/* The resource id of compute NAME in workspace WS_ID (malloc'd). */
char *shape_compute_id(const char *ws_id, const char *name);

/* properties.computeType, properties.properties.state; NULL if absent. */
const char *shape_compute_type(const cJSON *res);
const char *shape_state(const cJSON *res);

/*
 * Set properties.properties.state and what follows from it: while
 * Running or JobRunning, connectivityEndpoints carry addresses (picked by
 * ip_seed) and applications list Jupyter, Jupyter Lab, RStudio and VS
 * Code; otherwise both addresses are null and applications is empty.
 */
void shape_set_state(cJSON *res, const char *state, unsigned ip_seed);

/* properties.provisioningState */
void shape_set_provisioning(cJSON *res, const char *state);

/* lastOperation {operationName, operationTime, operationStatus, trigger} */
void shape_set_last_op(cJSON *res, const char *name, const char *status,
		       const char *time);

/* properties.modifiedOn = now */
void shape_touch(cJSON *res);

/* Helpers: get-or-create an object member; set a string (NULL: null). */
cJSON *shape_obj(cJSON *parent, const char *key);
void shape_set_str(cJSON *o, const char *key, const char *v);
void shape_set_item(cJSON *o, const char *key, cJSON *item);

#endif
