/**
 * @file
 * Azure-shaped compute resources (see shape.h).
 */
#include "emulator/shape.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/ident.h"
#include "emulator/text.h"

cJSON *shape_obj(cJSON *parent, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (cJSON_IsObject(o))
		return o;
	o = cJSON_CreateObject();
	shape_set_item(parent, key, o);
	return o;
}

void shape_set_item(cJSON *o, const char *key, cJSON *item)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, item);
	else
		cJSON_AddItemToObject(o, key, item);
}

void shape_set_str(cJSON *o, const char *key, const char *v)
{
	shape_set_item(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void iso7_at(time_t t, char *buf, size_t n)
{
	struct timespec ts = { .tv_sec = t, .tv_nsec = 0 };

	text_iso7(&ts, buf, n);
}

char *shape_compute_id(const char *ws_id, const char *name)
{
	size_t n = strlen(ws_id) + strlen(name) + 16;
	char *id = malloc(n);

	if (id)
		snprintf(id, n, "%s/computes/%s", ws_id, name);
	return id;
}

/* id, name, type, location: the ARM part of every resource. */
static cJSON *arm_part(const char *ws_id, const char *name,
		       const char *location)
{
	cJSON *res = cJSON_CreateObject();
	char *id = shape_compute_id(ws_id, name);

	cJSON_AddStringToObject(res, "id", id ? id : "");
	cJSON_AddStringToObject(res, "name", name);
	cJSON_AddStringToObject(res, "type", SHAPE_TYPE);
	cJSON_AddStringToObject(res, "location", location);
	free(id);
	return res;
}

/* The outer properties every compute type shares. */
static cJSON *outer(cJSON *res, const char *type, const char *location,
		    const char *description, const char *provisioning,
		    time_t created, bool attached)
{
	cJSON *p = cJSON_AddObjectToObject(res, "properties");
	char when[48];

	iso7_at(created, when, sizeof(when));
	cJSON_AddStringToObject(p, "computeType", type);
	cJSON_AddStringToObject(p, "computeLocation", location);
	cJSON_AddStringToObject(p, "provisioningState",
				provisioning ? provisioning : "Succeeded");
	shape_set_str(p, "description", description);
	cJSON_AddStringToObject(p, "createdOn", when);
	cJSON_AddStringToObject(p, "modifiedOn", when);
	cJSON_AddNullToObject(p, "resourceId");
	cJSON_AddNullToObject(p, "provisioningErrors");
	cJSON_AddBoolToObject(p, "isAttachedCompute", attached);
	cJSON_AddBoolToObject(p, "disableLocalAuth", true);
	return p;
}

static void add_system_data(cJSON *res, const char *who, time_t created)
{
	cJSON *sd = cJSON_AddObjectToObject(res, "systemData");
	char when[48];
	struct tm tm;

	gmtime_r(&created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.0000000Z", &tm);
	cJSON_AddStringToObject(sd, "createdBy", who);
	cJSON_AddStringToObject(sd, "createdByType", "User");
	cJSON_AddStringToObject(sd, "createdAt", when);
	cJSON_AddStringToObject(sd, "lastModifiedBy", who);
	cJSON_AddStringToObject(sd, "lastModifiedByType", "User");
	cJSON_AddStringToObject(sd, "lastModifiedAt", when);
}

cJSON *shape_ci(const struct shape_ci *c)
{
	cJSON *res = arm_part(c->ws_id, c->name, c->location);
	cJSON *tags, *p, *ci, *ssh, *img, *patch, *by, *pcs, *user;
	char when[48];

	tags = cJSON_AddObjectToObject(res, "tags");
	cJSON_AddStringToObject(tags, "team", "ml-research");
	if (c->system_data)
		add_system_data(res, c->user_name, c->created);
	p = outer(res, "ComputeInstance", c->location, c->description,
		  c->provisioning, c->created, false);
	ci = cJSON_AddObjectToObject(p, "properties");
	cJSON_AddStringToObject(ci, "vmSize", c->vm_size);
	if (c->subnet)
		cJSON_AddStringToObject(cJSON_AddObjectToObject(ci, "subnet"),
					"id", c->subnet);
	else
		cJSON_AddNullToObject(ci, "subnet");
	cJSON_AddStringToObject(ci, "applicationSharingPolicy",
				c->sharing ? c->sharing : "Shared");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ci,
							"autologgerSettings"),
				"mlflowAutologger", "Disabled");
	ssh = cJSON_AddObjectToObject(ci, "sshSettings");
	cJSON_AddStringToObject(ssh, "sshPublicAccess",
				c->ssh ? "Enabled" : "Disabled");
	cJSON_AddStringToObject(ssh, "adminUserName", "azureuser");
	cJSON_AddNumberToObject(ssh, "sshPort", c->ssh ? 50000 : 4000);
	if (c->ssh_key)
		cJSON_AddStringToObject(ssh, "adminPublicKey", c->ssh_key);
	cJSON_AddNullToObject(ci, "customServices");
	img = cJSON_AddObjectToObject(ci, "osImageMetadata");
	cJSON_AddStringToObject(img, "currentImageVersion", "24.04.15");
	cJSON_AddStringToObject(img, "latestImageVersion", "24.05.06");
	cJSON_AddBoolToObject(img, "isLatestOsImageVersion", false);
	patch = cJSON_AddObjectToObject(img, "osPatchingStatus");
	cJSON_AddStringToObject(patch, "patchStatus", "Succeeded");
	iso7_at(c->created, when, sizeof(when));
	cJSON_AddStringToObject(patch, "latestPatchTime", when);
	cJSON_AddBoolToObject(patch, "rebootPending", false);
	cJSON_AddNullToObject(patch, "scheduledRebootTime");
	cJSON_AddNullToObject(patch, "osPatchingErrors");
	cJSON_AddItemToObject(ci, "connectivityEndpoints",
			      cJSON_CreateObject());
	cJSON_AddItemToObject(ci, "applications", cJSON_CreateArray());
	by = cJSON_AddObjectToObject(ci, "createdBy");
	cJSON_AddStringToObject(by, "userName", c->user_name);
	cJSON_AddStringToObject(by, "userOrgId", IDENT_TENANT_ID);
	cJSON_AddStringToObject(by, "userId", c->user_oid);
	cJSON_AddNullToObject(ci, "errors");
	cJSON_AddStringToObject(ci, "state", c->state);
	cJSON_AddStringToObject(ci, "computeInstanceAuthorizationType",
				"personal");
	cJSON_AddBoolToObject(ci, "enableOSPatching", false);
	cJSON_AddBoolToObject(ci, "enableRootAccess", true);
	cJSON_AddBoolToObject(ci, "enableSSO", true);
	cJSON_AddBoolToObject(ci, "releaseQuotaOnStop", false);
	if (c->assigned_oid) {
		pcs = cJSON_AddObjectToObject(ci,
					      "personalComputeInstanceSettings");
		user = cJSON_AddObjectToObject(pcs, "assignedUser");
		cJSON_AddStringToObject(user, "objectId", c->assigned_oid);
		cJSON_AddStringToObject(user, "tenantId", IDENT_TENANT_ID);
	} else {
		cJSON_AddNullToObject(ci, "personalComputeInstanceSettings");
	}
	cJSON_AddNullToObject(ci, "setupScripts");
	cJSON_AddNullToObject(ci, "lastOperation");
	if (c->last_op)
		shape_set_last_op(res, c->last_op, "Succeeded", when);
	cJSON_AddItemToObject(ci, "schedules",
			      c->schedules ? cJSON_Duplicate(c->schedules, 1)
					   : cJSON_CreateNull());
	if (c->idle)
		cJSON_AddStringToObject(ci, "idleTimeBeforeShutdown", c->idle);
	cJSON_AddBoolToObject(ci, "enableNodePublicIp", c->public_ip);
	cJSON_AddNullToObject(ci, "containers");
	cJSON_AddNullToObject(ci, "dataDisks");
	cJSON_AddNullToObject(ci, "dataMounts");
	cJSON_AddStringToObject(cJSON_AddObjectToObject(ci, "versions"),
				"runtime", "0.1.0");
	shape_set_state(res, c->state, c->ip_seed);
	return res;
}

cJSON *shape_amlcompute(const char *ws_id, const char *name,
			const char *location, const char *vm_size,
			int max_nodes, time_t created)
{
	cJSON *res = arm_part(ws_id, name, location);
	cJSON *p, *a, *scale, *counts;
	char when[48];
	struct tm tm;

	cJSON_AddNullToObject(res, "tags");
	p = outer(res, "AmlCompute", location, "CPU training cluster",
		  "Succeeded", created, false);
	a = cJSON_AddObjectToObject(p, "properties");
	cJSON_AddStringToObject(a, "vmSize", vm_size);
	cJSON_AddStringToObject(a, "vmPriority", "Dedicated");
	cJSON_AddStringToObject(a, "osType", "Linux");
	cJSON_AddNullToObject(a, "virtualMachineImage");
	cJSON_AddBoolToObject(a, "isolatedNetwork", false);
	cJSON_AddNullToObject(a, "subnet");
	scale = cJSON_AddObjectToObject(a, "scaleSettings");
	cJSON_AddNumberToObject(scale, "maxNodeCount", max_nodes);
	cJSON_AddNumberToObject(scale, "minNodeCount", 0);
	cJSON_AddStringToObject(scale, "nodeIdleTimeBeforeScaleDown",
				"PT120S");
	cJSON_AddStringToObject(a, "remoteLoginPortPublicAccess", "Disabled");
	cJSON_AddStringToObject(a, "allocationState", "Steady");
	gmtime_r(&created, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	cJSON_AddStringToObject(a, "allocationStateTransitionTime", when);
	cJSON_AddNullToObject(a, "errors");
	cJSON_AddNumberToObject(a, "currentNodeCount", 0);
	cJSON_AddNumberToObject(a, "targetNodeCount", 0);
	counts = cJSON_AddObjectToObject(a, "nodeStateCounts");
	cJSON_AddNumberToObject(counts, "preparingNodeCount", 0);
	cJSON_AddNumberToObject(counts, "runningNodeCount", 0);
	cJSON_AddNumberToObject(counts, "idleNodeCount", 0);
	cJSON_AddNumberToObject(counts, "unusableNodeCount", 0);
	cJSON_AddNumberToObject(counts, "leavingNodeCount", 0);
	cJSON_AddNumberToObject(counts, "preemptedNodeCount", 0);
	cJSON_AddBoolToObject(a, "enableNodePublicIp", true);
	return res;
}

cJSON *shape_kubernetes(const char *ws_id, const char *name,
			const char *location, time_t created)
{
	cJSON *res = arm_part(ws_id, name, location);
	cJSON *p, *k, *types, *def, *rsrc, *req, *lim;
	char rid[512];

	cJSON_AddNullToObject(res, "tags");
	p = outer(res, "Kubernetes", location, "attached AKS cluster",
		  "Succeeded", created, true);
	snprintf(rid, sizeof(rid),
		 "/subscriptions/00000000-0000-0000-0000-000000000000/"
		 "resourcegroups/aks-rg/providers/"
		 "Microsoft.ContainerService/managedClusters/%s", name);
	shape_set_str(p, "resourceId", rid);
	k = cJSON_AddObjectToObject(p, "properties");
	cJSON_AddNullToObject(k, "relayConnectionString");
	cJSON_AddNullToObject(k, "serviceBusConnectionString");
	cJSON_AddNullToObject(k, "extensionPrincipalId");
	cJSON_AddStringToObject(k, "extensionInstanceReleaseTrain", "stable");
	cJSON_AddNullToObject(k, "vcName");
	cJSON_AddStringToObject(k, "namespace", "default");
	cJSON_AddStringToObject(k, "defaultInstanceType",
				"defaultinstancetype");
	types = cJSON_AddObjectToObject(k, "instanceTypes");
	def = cJSON_AddObjectToObject(types, "defaultinstancetype");
	cJSON_AddNullToObject(def, "nodeSelector");
	rsrc = cJSON_AddObjectToObject(def, "resources");
	req = cJSON_AddObjectToObject(rsrc, "requests");
	cJSON_AddStringToObject(req, "cpu", "100m");
	cJSON_AddStringToObject(req, "memory", "2Gi");
	cJSON_AddNullToObject(req, "nvidia.com/gpu");
	lim = cJSON_AddObjectToObject(rsrc, "limits");
	cJSON_AddStringToObject(lim, "cpu", "2");
	cJSON_AddStringToObject(lim, "memory", "4Gi");
	cJSON_AddNullToObject(lim, "nvidia.com/gpu");
	return res;
}

const char *shape_compute_type(const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(res, "properties");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "computeType");

	return cJSON_IsString(t) ? t->valuestring : NULL;
}

const char *shape_state(const cJSON *res)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(res, "properties");
	const cJSON *ci = cJSON_GetObjectItemCaseSensitive(p, "properties");
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(ci, "state");

	return cJSON_IsString(s) ? s->valuestring : NULL;
}

static bool running(const char *state)
{
	return state && (strcmp(state, "Running") == 0 ||
			 strcmp(state, "JobRunning") == 0);
}

static void add_app(cJSON *apps, const char *display, const char *base,
		    const char *suffix)
{
	cJSON *a = cJSON_CreateObject();
	char uri[512];

	snprintf(uri, sizeof(uri), "%s%s", base, suffix);
	cJSON_AddStringToObject(a, "displayName", display);
	cJSON_AddStringToObject(a, "endpointUri", uri);
	cJSON_AddItemToArray(apps, a);
}

/*
 * A public address from the documentation ranges of RFC 5737
 * (203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24; hosts 1-254), so that
 * no emulated instance points at a real host. 762 distinct addresses,
 * then they repeat. Private addresses are in 10.0.0.0/8 (RFC 1918).
 */
static void public_ip(char *buf, size_t n, unsigned seed)
{
	static const char *const nets[] = { "203.0.113", "198.51.100",
					    "192.0.2" };
	unsigned k = seed % (3 * 254);

	snprintf(buf, n, "%s.%u", nets[k / 254], k % 254 + 1);
}

void shape_set_state(cJSON *res, const char *state, unsigned ip_seed)
{
	cJSON *p = shape_obj(res, "properties");
	cJSON *ci = shape_obj(p, "properties");
	const cJSON *pub = cJSON_GetObjectItemCaseSensitive(ci,
							    "enableNodePublicIp");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "name");
	const cJSON *loc = cJSON_GetObjectItemCaseSensitive(p,
							    "computeLocation");
	cJSON *ends = cJSON_CreateObject(), *apps = cJSON_CreateArray();
	char ip[32], base[256], lname[128] = "compute";
	size_t i;

	if (!cJSON_IsString(loc))
		loc = cJSON_GetObjectItemCaseSensitive(res, "location");
	if (cJSON_IsString(name)) {
		for (i = 0; name->valuestring[i] && i + 1 < sizeof(lname); i++)
			lname[i] = (char)tolower(
				(unsigned char)name->valuestring[i]);
		lname[i] = '\0';
	}
	shape_set_str(ci, "state", state);
	if (running(state)) {
		if (cJSON_IsFalse(pub)) {
			cJSON_AddNullToObject(ends, "publicIpAddress");
		} else {
			public_ip(ip, sizeof(ip), ip_seed);
			cJSON_AddStringToObject(ends, "publicIpAddress", ip);
		}
		snprintf(ip, sizeof(ip), "10.0.%u.%u", ip_seed / 250 % 250,
			 ip_seed % 250 + 4);
		cJSON_AddStringToObject(ends, "privateIpAddress", ip);
		snprintf(base, sizeof(base), "https://%s.%s.instances.azureml.ms",
			 lname, cJSON_IsString(loc) ? loc->valuestring
						    : "eastus");
		add_app(apps, "Jupyter", base, "/tree/");
		add_app(apps, "Jupyter Lab", base, "/lab");
		add_app(apps, "RStudio", base, "/rstudio/");
		add_app(apps, "VS Code", base, "/vscode/");
	} else {
		cJSON_AddNullToObject(ends, "publicIpAddress");
		cJSON_AddNullToObject(ends, "privateIpAddress");
	}
	shape_set_item(ci, "connectivityEndpoints", ends);
	shape_set_item(ci, "applications", apps);
}

void shape_set_provisioning(cJSON *res, const char *state)
{
	shape_set_str(shape_obj(res, "properties"), "provisioningState",
		      state);
}

void shape_set_last_op(cJSON *res, const char *name, const char *status,
		       const char *time)
{
	cJSON *ci = shape_obj(shape_obj(res, "properties"), "properties");
	cJSON *op = cJSON_CreateObject();

	cJSON_AddStringToObject(op, "operationName", name);
	cJSON_AddStringToObject(op, "operationTime", time);
	cJSON_AddStringToObject(op, "operationStatus", status);
	cJSON_AddStringToObject(op, "operationTrigger", "User");
	shape_set_item(ci, "lastOperation", op);
}

void shape_touch(cJSON *res)
{
	char now[48];

	text_iso7_now(now, sizeof(now));
	shape_set_str(shape_obj(res, "properties"), "modifiedOn", now);
}
