/**
 * @file
 * PUT body checks and the resource a PUT creates (see create.h).
 */
#include "emulator/create.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator/schedule.h"
#include "emulator/shape.h"
#include "emulator/text.h"
#include "emulator/vmsize.h"

static const char *const compute_types[] = {
	"AKS", "Kubernetes", "AmlCompute", "ComputeInstance", "DataFactory",
	"VirtualMachine", "HDInsight", "Databricks", "DataLakeAnalytics",
	"SynapseSpark",
};

static const cJSON *member(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNull(v) ? NULL : v;
}

#define FAIL(...) \
	(text_refusal(code, coden, msg, msgn, __VA_ARGS__), (cJSON *)NULL)

static cJSON *other_type(const struct create_args *a, const cJSON *body,
			 const cJSON *props, const char *location)
{
	cJSON *res = cJSON_CreateObject(), *p;
	char *id = shape_compute_id(a->ws_id, a->name);
	char now[48];
	const cJSON *tags = member(body, "tags");

	cJSON_AddStringToObject(res, "id", id ? id : "");
	free(id);
	cJSON_AddStringToObject(res, "name", a->name);
	cJSON_AddStringToObject(res, "type", SHAPE_TYPE);
	cJSON_AddStringToObject(res, "location", location);
	cJSON_AddItemToObject(res, "tags", tags ? cJSON_Duplicate(tags, 1)
						: cJSON_CreateNull());
	p = cJSON_Duplicate(props, 1);
	cJSON_AddItemToObject(res, "properties", p);
	text_iso7_now(now, sizeof(now));
	shape_set_str(p, "provisioningState", "Creating");
	shape_set_str(p, "createdOn", now);
	shape_set_str(p, "modifiedOn", now);
	if (!cJSON_GetObjectItemCaseSensitive(p, "computeLocation"))
		shape_set_str(p, "computeLocation", location);
	if (!cJSON_GetObjectItemCaseSensitive(p, "description"))
		shape_set_str(p, "description", NULL);
	shape_set_item(p, "provisioningErrors", cJSON_CreateNull());
	shape_set_item(p, "isAttachedCompute", cJSON_CreateFalse());
	return res;
}

cJSON *create_resource(const struct create_args *a, const cJSON *body,
		       char *code, size_t coden, char *msg, size_t msgn)
{
	const cJSON *props, *type, *loc, *ci, *v, *ssh, *key = NULL, *sub;
	const cJSON *pcs, *desc, *tags;
	struct shape_ci c = { 0 };
	bool known = false;
	cJSON *res, *sched = NULL;
	char idle[32];

	if (!store_name_valid(a->name))
		return FAIL("ValidationError",
			    "Compute name '%s' is invalid. It can include "
			    "letters, digits and dashes. It must start with a "
			    "letter, end with a letter or digit, be between 3 "
			    "and 24 characters in length, and must not end "
			    "with a dash followed only by digits.", a->name);
	if (!cJSON_IsObject(body))
		return FAIL("InvalidRequestContent",
			    "The request content was invalid and could not be "
			    "deserialized: the body must be a JSON object.");
	loc = member(body, "location");
	if (loc && !cJSON_IsString(loc))
		return FAIL("InvalidRequestContent",
			    "The request content was invalid and could not be "
			    "deserialized: 'location' must be a string.");
	props = member(body, "properties");
	if (!cJSON_IsObject(props))
		return FAIL("ValidationError",
			    "The compute properties are required.");
	type = member(props, "computeType");
	if (!cJSON_IsString(type))
		return FAIL("ValidationError",
			    "properties.computeType is required.");
	for (size_t i = 0; i < sizeof(compute_types) / sizeof(*compute_types);
	     i++)
		known |= strcmp(type->valuestring, compute_types[i]) == 0;
	if (!known)
		return FAIL("ValidationError",
			    "Unknown compute type '%s'.", type->valuestring);
	c.location = loc ? loc->valuestring : a->location;
	if (strcmp(type->valuestring, "ComputeInstance") != 0)
		return other_type(a, body, props, c.location);

	ci = member(props, "properties");
	if (ci && !cJSON_IsObject(ci))
		return FAIL("InvalidRequestContent",
			    "properties.properties must be an object.");
	v = member(ci, "vmSize");
	if (v && !cJSON_IsString(v))
		return FAIL("InvalidRequestContent",
			    "properties.properties.vmSize must be a string.");
	c.vm_size = v ? v->valuestring : "STANDARD_DS3_V2";
	if (!vmsize_known(c.vm_size))
		return FAIL(VMSIZE_REFUSED_CODE, VMSIZE_REFUSED_FMT, c.vm_size);
	ssh = member(ci, "sshSettings");
	if (ssh) {
		v = member(ssh, "sshPublicAccess");
		key = member(ssh, "adminPublicKey");
		if (v && (!cJSON_IsString(v) ||
			  (!text_ieq(v->valuestring, "Enabled") &&
			   !text_ieq(v->valuestring, "Disabled"))))
			return FAIL("ValidationError",
				    "sshPublicAccess must be Enabled or "
				    "Disabled.");
		c.ssh = v && text_ieq(v->valuestring, "Enabled");
		if (key && !cJSON_IsString(key))
			return FAIL("InvalidRequestContent",
				    "adminPublicKey must be a string.");
		if (c.ssh && (!key || !*key->valuestring))
			return FAIL("ValidationError",
				    "An SSH public key (adminPublicKey) is "
				    "required when sshPublicAccess is "
				    "Enabled.");
		c.ssh_key = key ? key->valuestring : NULL;
	}
	sub = member(ci, "subnet");
	if (sub) {
		v = member(sub, "id");
		if (!cJSON_IsString(v))
			return FAIL("InvalidRequestContent",
				    "subnet.id must be a string.");
		if (!vmsize_subnet_id_valid(v->valuestring))
			return FAIL(SUBNET_REFUSED_CODE, SUBNET_REFUSED_FMT,
				    v->valuestring);
		c.subnet = v->valuestring;
	}
	pcs = member(ci, "personalComputeInstanceSettings");
	if (pcs) {
		v = member(member(pcs, "assignedUser"), "objectId");
		if (!cJSON_IsString(v) ||
		    !cJSON_IsString(member(member(pcs, "assignedUser"),
					   "tenantId")))
			return FAIL("ValidationError",
				    "assignedUser needs objectId and "
				    "tenantId.");
		c.assigned_oid = v->valuestring;
	}
	v = member(ci, "applicationSharingPolicy");
	if (v && (!cJSON_IsString(v) ||
		  (strcmp(v->valuestring, "Personal") != 0 &&
		   strcmp(v->valuestring, "Shared") != 0)))
		return FAIL("ValidationError",
			    "applicationSharingPolicy must be Personal or "
			    "Shared.");
	c.sharing = v ? v->valuestring : NULL;
	v = member(ci, "idleTimeBeforeShutdown");
	if (v && !sched_check_idle(v, idle, sizeof(idle), code, coden, msg,
				   msgn))
		return NULL;
	c.idle = v ? idle : NULL;
	v = member(ci, "schedules");
	if (v) {
		sched = sched_build(v, code, coden, msg, msgn);
		if (!sched)
			return NULL;
	}
	c.schedules = sched;
	v = member(ci, "enableNodePublicIp");
	c.public_ip = !cJSON_IsFalse(v);
	desc = member(props, "description");
	c.description = cJSON_IsString(desc) ? desc->valuestring : NULL;
	c.ws_id = a->ws_id;
	c.name = a->name;
	c.state = "Creating";
	c.provisioning = "Creating";
	c.user_name = a->caller && a->caller->user_name ? a->caller->user_name
							: "unknown";
	c.user_oid = a->caller && a->caller->oid ? a->caller->oid
						 : "00000000-0000-0000-0000-"
						   "000000000000";
	c.system_data = true;
	c.ip_seed = a->seq;
	c.created = time(NULL);
	res = shape_ci(&c);
	cJSON_Delete(sched);
	tags = member(body, "tags");
	shape_set_item(res, "tags", cJSON_IsObject(tags)
					    ? cJSON_Duplicate(tags, 1)
					    : cJSON_CreateNull());
	return res;
}

cJSON *create_reply_body(const cJSON *res)
{
	static const char *const keys[] = { "id", "type", "name", "location" };
	cJSON *out = cJSON_CreateObject(), *p;
	const cJSON *t;

	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		t = cJSON_GetObjectItemCaseSensitive(res, keys[i]);
		if (t)
			cJSON_AddItemToObject(out, keys[i],
					      cJSON_Duplicate(t, 1));
	}
	p = cJSON_AddObjectToObject(out, "properties");
	cJSON_AddStringToObject(p, "computeType",
				shape_compute_type(res)
					? shape_compute_type(res) : "");
	cJSON_AddStringToObject(p, "provisioningState", "Creating");
	return out;
}
