/**
 * @file
 * The seeded workspace (see seed.h).
 *
 * Instance 0 is ci-alice (Running, SSH enabled, applications), instance 1
 * ci-bob (Stopped); the others draw their state and details from a
 * splitmix64 generator seeded with --seed, so a seed always gives the
 * same workspace. Clusters are spread evenly through the listing so that
 * they land on different pages.
 *
 * Cost control settings go by position, i % 4 (see README.md, "Seeded
 * instances"): 0 a weekday start/stop recurrence in W. Europe Standard
 * Time, 1 the cron stop of the REST API specs' example, 2 nothing at all
 * (no idle shutdown either), 3 a disabled daily stop; idle shutdown
 * PT45M for ci-alice, PT60M for odd i, PT120M for the other i % 4 == 0.
 */
#include "emulator/seed.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "emulator/ident.h"
#include "emulator/schedule.h"
#include "emulator/shape.h"

#define SEED_EPOCH 1714554000	/* 2024-05-01T09:00:00Z */

static const char *const users[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
	"ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
	"sybil", "trent", "victor", "walter", "yara",
};
#define NUSERS (sizeof(users) / sizeof(*users))

static const char *const sizes[] = {
	"STANDARD_DS3_V2", "Standard_DS11_v2", "STANDARD_E4S_V3",
	"Standard_NC6s_v3", "STANDARD_D4S_V3",
};

static uint64_t next(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void seed_instance_name(int i, char *buf, size_t n)
{
	int round = i / (int)NUSERS;

	if (round == 0)
		snprintf(buf, n, "ci-%s", users[i % NUSERS]);
	else
		snprintf(buf, n, "ci-%s%d", users[i % NUSERS], round + 1);
}

static const char *pick_state(int i, uint64_t r)
{
	unsigned p = (unsigned)(r % 100);

	if (i == 0)
		return "Running";
	if (i == 1)
		return "Stopped";
	if (i == 2)
		return "JobRunning";
	if (p < 40)
		return "Running";
	if (p < 70)
		return "Stopped";
	if (p < 82)
		return "JobRunning";
	if (p < 88)
		return "SetupFailed";
	if (p < 92)
		return "Unusable";
	if (p < 97)
		return "CreateFailed";
	return "UserSetupFailed";
}

static void add_errors(cJSON *res, const char *code, const char *msg,
		       bool provisioning)
{
	cJSON *p = shape_obj(res, "properties");
	cJSON *ci = shape_obj(p, "properties");
	cJSON *arr = cJSON_CreateArray(), *e = cJSON_CreateObject();
	cJSON *inner = cJSON_AddObjectToObject(e, "error");

	cJSON_AddStringToObject(inner, "code", code);
	cJSON_AddStringToObject(inner, "message", msg);
	cJSON_AddItemToArray(arr, e);
	if (provisioning)
		shape_set_item(p, "provisioningErrors",
			       cJSON_Duplicate(arr, 1));
	shape_set_item(ci, "errors", arr);
}

#define WEEKDAYS 0x1fu		/* Monday .. Friday */

/* idleTimeBeforeShutdown of instance i, NULL: none. */
static const char *seed_idle(int i)
{
	if (i == 0)
		return "PT45M";
	if (i % 2 == 1)
		return "PT60M";
	return i % 4 == 0 ? "PT120M" : NULL;
}

/* ComputeSchedules of instance i, NULL: none (schedules null). */
static cJSON *seed_schedules(int i)
{
	cJSON *sch, *list;
	unsigned id = (unsigned)i * 4 + 1;

	if (i % 4 == 2)
		return NULL;
	sch = cJSON_CreateObject();
	list = cJSON_AddArrayToObject(sch, "computeStartStop");
	switch (i % 4) {
	case 0:
		cJSON_AddItemToArray(list, sched_recurrence(
			"Start", "Enabled", 8, 0, WEEKDAYS,
			"W. Europe Standard Time", "2024-05-01T00:00:00", id));
		cJSON_AddItemToArray(list, sched_recurrence(
			"Stop", "Enabled", 18, 0, WEEKDAYS,
			"W. Europe Standard Time", "2024-05-01T00:00:00",
			id + 1));
		break;
	case 1:
		/* The REST API specs' example, word for word. */
		cJSON_AddItemToArray(list, sched_cron(
			"Stop", "Enabled", "0 18 * * *",
			"Pacific Standard Time", "2021-04-23T01:30:00", id));
		break;
	default:
		cJSON_AddItemToArray(list, sched_recurrence(
			"Stop", "Disabled", 20, 0, 0, "UTC", NULL, id));
		break;
	}
	return sch;
}

static cJSON *make_instance(const struct seed_opts *o, int i, uint64_t *rng,
			    unsigned seq)
{
	const char *user = users[i % NUSERS];
	char name[64], upn[96], oid[37], subnet[512];
	struct shape_ci c = { 0 };
	uint64_t r = next(rng);
	cJSON *res, *schedules;

	seed_instance_name(i, name, sizeof(name));
	snprintf(upn, sizeof(upn), "%s@%s", user, IDENT_DOMAIN);
	ident_user_oid(user, oid);
	snprintf(subnet, sizeof(subnet),
		 "%.*s/providers/Microsoft.Network/virtualNetworks/ml-vnet/"
		 "subnets/default",
		 (int)(strstr(o->ws_id, "/providers/")
			       ? strstr(o->ws_id, "/providers/") - o->ws_id
			       : (long)strlen(o->ws_id)),
		 o->ws_id);
	c.ws_id = o->ws_id;
	c.name = name;
	c.location = o->location;
	c.state = pick_state(i, r);
	c.vm_size = i == 0 ? sizes[0] : sizes[(r >> 8) % 5];
	c.user_name = upn;
	c.user_oid = oid;
	c.ssh = i == 0 || (i > 1 && (r >> 16) % 2 == 0);
	c.ssh_key = c.ssh ? "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7emulator"
			    "key computefs-emulator" : NULL;
	c.subnet = (i > 1 && (r >> 20) % 4 == 0) ? subnet : NULL;
	c.public_ip = i < 2 || (r >> 24) % 5 != 0;
	c.system_data = i % 2 == 0;
	c.last_op = i % 3 == 1 ? NULL : (c.state[0] == 'S' && c.state[1] == 't'
					 ? "Stop" : "Start");
	c.idle = seed_idle(i);
	c.schedules = schedules = seed_schedules(i);
	c.sharing = "Personal";
	c.ip_seed = seq;
	c.created = SEED_EPOCH + (time_t)i * 3 * 3600;
	if (i % 4 == 3)
		c.assigned_oid = oid;
	else if (i % 7 == 5)
		c.assigned_oid = IDENT_SP_OID;
	if (strcmp(c.state, "CreateFailed") == 0) {
		c.provisioning = "Failed";
		c.last_op = "Create";
	}
	res = shape_ci(&c);
	cJSON_Delete(schedules);
	if (strcmp(c.state, "CreateFailed") == 0) {
		shape_set_last_op(res, "Create", "CreateFailed",
				  "2024-05-02T10:00:00.0000000+00:00");
		add_errors(res, "QuotaExceeded",
			   "Not enough quota available for the requested VM "
			   "size in this region.", true);
	} else if (strcmp(c.state, "SetupFailed") == 0 ||
		   strcmp(c.state, "UserSetupFailed") == 0) {
		add_errors(res, "SetupScriptFailed",
			   "The setup script exited with code 1.", false);
	}
	return res;
}

static cJSON *make_cluster(const struct seed_opts *o, int j)
{
	static const char *const names[] = { "cpu-cluster", "gpu-cluster",
					     "aks-infer" };
	char name[64];
	int round = j / 3;
	time_t when = SEED_EPOCH - (time_t)(j + 1) * 86400;

	if (round == 0)
		snprintf(name, sizeof(name), "%s", names[j % 3]);
	else
		snprintf(name, sizeof(name), "%s%d", names[j % 3], round + 1);
	switch (j % 3) {
	case 0:
		return shape_amlcompute(o->ws_id, name, o->location,
					"STANDARD_D2_V2", 4, when);
	case 1:
		return shape_amlcompute(o->ws_id, name, o->location,
					"Standard_NC6s_v3", 2, when);
	default:
		return shape_kubernetes(o->ws_id, name, o->location, when);
	}
}

int seed_azure(struct store *s, const struct seed_opts *o)
{
	int total = o->instances + o->clusters, ni = 0, nc = 0;
	uint64_t rng = o->seed;

	for (int pos = 0; pos < total; pos++) {
		/* Cluster j goes at about (j+1) * total / (clusters+1). */
		bool cluster = nc < o->clusters &&
			       (ni >= o->instances ||
				pos >= (long)(nc + 1) * total /
						(o->clusters + 1));
		cJSON *res;

		if (cluster)
			res = make_cluster(o, nc++);
		else
			res = make_instance(o, ni++, &rng, (unsigned)pos + 1);
		if (!res || store_insert(s, res) < 0)
			return -1;
	}
	return 0;
}
