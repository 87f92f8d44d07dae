/**
 * @file
 * Unit tests of the emulator's state machine (store.c) with a clock the
 * test drives, the compute name rule, the VM size table and subnet ids,
 * api-version checks, skiptokens, route parsing, fault rule matching,
 * idle shutdown durations and updateIdleShutdownSetting on the store.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "emulator/arm.h"
#include "emulator/faults.h"
#include "emulator/reply.h"
#include "emulator/route.h"
#include "emulator/schedule.h"
#include "emulator/seed.h"
#include "emulator/shape.h"
#include "emulator/store.h"
#include "emulator/vmsize.h"

#define WS "/subscriptions/s/resourceGroups/rg/providers/" \
	   "Microsoft.MachineLearningServices/workspaces/ws"

static struct store *seeded(int instances, int clusters)
{
	struct store_opts so = { WS, "eastus", 1.0 };
	struct seed_opts o = { WS, "eastus", instances, clusters, 1 };
	struct store *s = store_new(&so);

	assert_non_null(s);
	assert_int_equal(seed_azure(s, &o), 0);
	return s;
}

/* The state of NAME at time now (a copy is read and freed). */
static char *state_at(struct store *s, const char *name, double now)
{
	static char buf[64];
	cJSON *res = store_get(s, name, now);

	if (!res)
		return NULL;
	snprintf(buf, sizeof(buf), "%s", shape_state(res) ? shape_state(res)
							  : "(none)");
	cJSON_Delete(res);
	return buf;
}

static void begin(struct store *s, enum store_verb v, const char *name,
		  double now, struct store_result *out)
{
	store_begin(s, v, name, NULL, NULL,
		    v == STORE_RESIZE ? "STANDARD_E4S_V3" : NULL, now, out);
}

static void test_stop_start_restart(void **state)
{
	struct store *s = seeded(4, 0);
	struct store_result r;
	struct store_op op;

	(void)state;
	assert_string_equal(state_at(s, "ci-alice", 0), "Running");
	begin(s, STORE_STOP, "ci-alice", 10, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-alice", 10.5), "Stopping");
	assert_true(store_op_get(s, r.op_id, 10.5, &op, NULL));
	assert_int_equal(op.status, STORE_OP_IN_PROGRESS);
	assert_string_equal(state_at(s, "ci-alice", 11.0), "Stopped");
	assert_true(store_op_get(s, r.op_id, 11.0, &op, NULL));
	assert_int_equal(op.status, STORE_OP_SUCCEEDED);
	assert_int_equal(op.verb, STORE_STOP);

	begin(s, STORE_START, "ci-alice", 12, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-alice", 12.1), "Starting");
	assert_string_equal(state_at(s, "ci-alice", 13.1), "Running");

	begin(s, STORE_RESTART, "ci-alice", 14, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-alice", 14.1), "Restarting");
	assert_string_equal(state_at(s, "ci-alice", 15.0), "Running");
	store_free(s);
}

static void test_refusals(void **state)
{
	struct store *s = seeded(4, 1);
	struct store_result r;

	(void)state;
	begin(s, STORE_START, "ci-alice", 0, &r);	/* Running */
	assert_int_equal(r.status, 409);
	assert_string_equal(r.code,
			    "StartComputeInstanceOnlyAllowedInStoppedState");
	begin(s, STORE_STOP, "ci-bob", 0, &r);		/* Stopped */
	assert_int_equal(r.status, 409);
	assert_string_equal(r.code,
			    "StopComputeInstanceOnlyAllowedInRunningState");
	begin(s, STORE_RESTART, "ci-bob", 0, &r);
	assert_int_equal(r.status, 409);
	begin(s, STORE_RESIZE, "ci-alice", 0, &r);
	assert_int_equal(r.status, 409);
	assert_string_equal(r.code,
			    "ResizeComputeInstanceOnlyAllowedInStoppedState");
	begin(s, STORE_START, "ci-nobody", 0, &r);
	assert_int_equal(r.status, 404);
	begin(s, STORE_START, "cpu-cluster", 0, &r);
	assert_int_equal(r.status, 400);
	/* one operation at a time */
	begin(s, STORE_STOP, "ci-alice", 0, &r);
	assert_int_equal(r.status, 0);
	begin(s, STORE_STOP, "ci-alice", 0.5, &r);
	assert_int_equal(r.status, 409);
	begin(s, STORE_DELETE, "ci-alice", 0.5, &r);
	assert_int_equal(r.status, 409);
	/* JobRunning may be stopped */
	begin(s, STORE_STOP, "ci-carol", 0, &r);
	assert_int_equal(r.status, 0);
	store_free(s);
}

static void test_resize_and_fail(void **state)
{
	struct store *s = seeded(2, 0);
	struct store_result r;
	struct store_op op;
	cJSON *res;

	(void)state;
	begin(s, STORE_RESIZE, "ci-bob", 0, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-bob", 0.2), "Resizing");
	res = store_get(s, "ci-bob", 2);
	assert_string_equal(shape_state(res), "Stopped");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(res, "properties"), "properties"),
		"vmSize")->valuestring, "STANDARD_E4S_V3");
	cJSON_Delete(res);

	store_set_fail(s, 1u << STORE_START);
	begin(s, STORE_START, "ci-bob", 3, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-bob", 3.5), "Starting");
	assert_string_equal(state_at(s, "ci-bob", 4.5), "Stopped");
	assert_true(store_op_get(s, r.op_id, 5, &op, NULL));
	assert_int_equal(op.status, STORE_OP_FAILED);
	assert_string_equal(op.err_code, "ComputeInstanceStartFailed");
	store_free(s);
}

static void test_create_and_delete(void **state)
{
	struct store *s = seeded(2, 0);
	struct store_caller who = { "zed@contoso.com", "oid-zed" };
	struct store_result r;
	struct store_op op;
	cJSON *body = cJSON_Parse("{\"properties\":{\"computeType\":"
				  "\"ComputeInstance\"}}");
	cJSON *res;

	(void)state;
	store_begin(s, STORE_CREATE, "ci-zed", body, &who, NULL, 0, &r);
	assert_int_equal(r.status, 0);
	assert_true(r.created);
	assert_non_null(r.body);
	cJSON_Delete(r.body);
	assert_int_equal(store_count(s, 0), 3);
	assert_string_equal(state_at(s, "ci-zed", 0.5), "Creating");
	res = store_get(s, "CI-ZED", 1.5);
	assert_string_equal(shape_state(res), "Running");
	cJSON_Delete(res);
	/* overwrite */
	store_begin(s, STORE_CREATE, "ci-zed", body, &who, NULL, 2, &r);
	assert_int_equal(r.status, 0);
	assert_false(r.created);
	cJSON_Delete(r.body);
	/* invalid names and bodies */
	store_begin(s, STORE_CREATE, "ci-01", body, &who, NULL, 3, &r);
	assert_int_equal(r.status, 400);
	store_begin(s, STORE_CREATE, "ci-new", NULL, &who, NULL, 3, &r);
	assert_int_equal(r.status, 400);
	/* delete */
	begin(s, STORE_DELETE, "ci-zed", 4, &r);
	assert_int_equal(r.status, 0);
	assert_string_equal(state_at(s, "ci-zed", 4.5), "Deleting");
	assert_null(store_get(s, "ci-zed", 5.5));
	assert_true(store_op_get(s, r.op_id, 5.5, &op, NULL));
	assert_int_equal(op.status, STORE_OP_SUCCEEDED);
	begin(s, STORE_DELETE, "ci-zed", 6, &r);
	assert_true(r.absent);
	assert_int_equal(store_count(s, 6), 2);
	cJSON_Delete(body);
	store_free(s);
}

static void test_paging(void **state)
{
	struct store *s = seeded(10, 3);
	unsigned long after = 0, next;
	int total = 0, pages = 0;

	(void)state;
	do {
		cJSON *page = store_page(s, after, 4, &next, 0);

		total += cJSON_GetArraySize(page);
		pages++;
		cJSON_Delete(page);
		after = next;
	} while (next);
	assert_int_equal(total, 13);
	assert_int_equal(pages, 4);
	store_free(s);
}

static void test_name_rule(void **state)
{
	static const char *const good[] = {
		"ci-alice", "ci-01a", "abc", "abc-", "Abc-1-x",
		"a23456789012345678901234", "ci-alice2",
	};
	static const char *const bad[] = {
		"ci-01", "ab", "1abc", "-abc", "ab_c", "abc--1", "x-1-2",
		"a234567890123456789012345", "", "ab.c", "ci-\xc3\xa9t\xc3\xa9",
	};
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
		assert_true(store_name_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_false(store_name_valid(bad[i]));
	for (int i = 0; i < 200; i++) {
		seed_instance_name(i, name, sizeof(name));
		assert_true(store_name_valid(name));
	}
}

static void test_vm_sizes_and_subnets(void **state)
{
	static const char *const sizes[] = {
		"Standard_DS3_v2", "STANDARD_DS3_V2", "standard_e4s_v3",
		"Standard_NC6s_v3", "STANDARD_NC6", "Standard_D2_v2",
		"Standard_DS11_v2", "Standard_ND96asr_v4",
	};
	static const char *const not_sizes[] = {
		"bogus", "", "Standard_DS3", "Standard_DS3_v2 ", "DS3_v2",
		"Standard_DS3_v2x",
	};
	static const char *const bad_subnets[] = {
		"test-subnet-resource-id", "", "/",
		"/subscriptions/00000000-0000-0000-0000-00000000000/"
		"resourceGroups/rg/providers/Microsoft.Network/"
		"virtualNetworks/vn/subnets/s",
		"/subscriptions/00000000-0000-0000-0000-000000000000/"
		"resourceGroups/rg./providers/Microsoft.Network/"
		"virtualNetworks/vn/subnets/s",
		"/subscriptions/00000000-0000-0000-0000-000000000000/"
		"resourceGroups/rg/providers/Microsoft.Network/"
		"virtualNetworks/v/subnets/s",
		"/subscriptions/00000000-0000-0000-0000-000000000000/"
		"resourceGroups/rg/providers/Microsoft.Network/"
		"virtualNetworks/vn/subnets/s-",
		"/subscriptions/00000000-0000-0000-0000-000000000000/"
		"resourceGroups/rg/providers/Microsoft.Network/"
		"virtualNetworks/vn/subnets/s/",
	};
	struct store *s = seeded(2, 0);
	struct store_result r;
	char same[64];
	cJSON *res;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		assert_true(vmsize_known(sizes[i]));
	for (size_t i = 0; i < sizeof(not_sizes) / sizeof(*not_sizes); i++)
		assert_false(vmsize_known(not_sizes[i]));
	assert_false(vmsize_known(NULL));
	assert_true(vmsize_subnet_id_valid(
		"/subscriptions/00000000-0000-0000-0000-000000000000/"
		"resourceGroups/rg/providers/Microsoft.Network/"
		"virtualNetworks/vn/subnets/s"));
	assert_true(vmsize_subnet_id_valid(
		"/SUBSCRIPTIONS/ABCDEF00-0000-0000-0000-000000000000/"
		"resourcegroups/a(b)_c-d.e/providers/microsoft.network/"
		"virtualnetworks/v.n_/subnets/s_1"));
	for (size_t i = 0; i < sizeof(bad_subnets) / sizeof(*bad_subnets);
	     i++)
		assert_false(vmsize_subnet_id_valid(bad_subnets[i]));
	assert_false(vmsize_subnet_id_valid(NULL));

	/*
	 * A resize to the present size, its letters case-swapped, starts
	 * nothing.
	 */
	res = store_get(s, "ci-bob", 0);
	snprintf(same, sizeof(same), "%s", cJSON_GetObjectItem(
		cJSON_GetObjectItem(cJSON_GetObjectItem(res, "properties"),
				    "properties"), "vmSize")->valuestring);
	cJSON_Delete(res);
	for (char *c = same; *c; c++)
		*c = (char)(*c ^ 0x20 * !!isalpha((unsigned char)*c));
	store_begin(s, STORE_RESIZE, "ci-bob", NULL, NULL, same, 0, &r);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.code, "InvalidParameter");
	assert_string_equal(state_at(s, "ci-bob", 0.1), "Stopped");
	store_free(s);
}

static void test_api_versions(void **state)
{
	(void)state;
	assert_true(arm_api_version_ok("2022-10-01"));
	assert_true(arm_api_version_ok("2025-06-01"));
	assert_true(arm_api_version_ok("2024-01-01-preview"));
	assert_false(arm_api_version_ok("2022-09-30"));
	assert_false(arm_api_version_ok("2025-06-02"));
	assert_false(arm_api_version_ok("2025-09-01"));
	assert_false(arm_api_version_ok("2024-04-01-beta"));
	assert_false(arm_api_version_ok("2024-13-01"));
	assert_false(arm_api_version_ok(""));
	assert_false(arm_api_version_ok(NULL));
}

static void test_skiptoken(void **state)
{
	unsigned long pos = 0;
	char tok[128];

	(void)state;
	arm_skiptoken(42, tok, sizeof(tok));
	assert_true(arm_skiptoken_parse(tok, &pos));
	assert_int_equal(pos, 42);
	assert_false(arm_skiptoken_parse("garbage", &pos));
	assert_false(arm_skiptoken_parse("", &pos));
}

static void test_routes(void **state)
{
	struct route r;

	(void)state;
	assert_int_equal(route_parse(WS "/computes", &r), ROUTE_COMPUTES);
	assert_string_equal(route_counter_name(&r, "GET"), "list");
	assert_int_equal(route_parse("/SUBSCRIPTIONS/s/resourcegroups/rg/"
				     "providers/microsoft.machinelearningservices"
				     "/WORKSPACES/ws/Computes/CI-A/Start", &r),
			 ROUTE_ACTION);
	assert_string_equal(r.name, "CI-A");
	assert_string_equal(route_counter_name(&r, "POST"), "start");
	assert_int_equal(route_parse("/subscriptions/s/providers/Microsoft."
				     "MachineLearningServices/locations/eastus/"
				     "computeOperationsStatus/abc", &r),
			 ROUTE_OP_STATUS);
	assert_string_equal(r.opid, "abc");
	assert_int_equal(route_parse("/t/oauth2/v2.0/token", &r),
			 ROUTE_TOKEN_AAD);
	assert_int_equal(route_parse("/msi/token", &r), ROUTE_TOKEN_MSI);
	assert_int_equal(route_parse("/metadata/identity/oauth2/token", &r),
			 ROUTE_TOKEN_IMDS);
	assert_int_equal(route_parse("/_emulator/requests", &r), ROUTE_ADMIN);
	assert_null(route_counter_name(&r, "GET"));
	assert_int_equal(route_parse("/", &r), ROUTE_UNKNOWN);
}

static void test_faults(void **state)
{
	struct faults *f = faults_new();
	struct fault_action a;
	char err[128];
	cJSON *rules = cJSON_Parse("[{\"method\":\"GET\",\"path\":"
				   "\"*/computes/ci-a\",\"status\":500,"
				   "\"times\":1},{\"route\":\"list\","
				   "\"drop\":true,\"skip\":1}]");

	(void)state;
	assert_int_equal(faults_set(f, rules, err, sizeof(err)), 0);
	assert_false(faults_match(f, "POST", "/x/computes/ci-a", "get", &a));
	assert_true(faults_match(f, "GET", "/x/computes/ci-a", "get", &a));
	assert_int_equal(a.status, 500);
	fault_action_free(&a);
	assert_false(faults_match(f, "GET", "/x/computes/ci-a", "get", &a));
	assert_false(faults_match(f, "GET", "/x/computes", "list", &a));
	assert_true(faults_match(f, "GET", "/x/computes", "list", &a));
	assert_true(a.drop);
	fault_action_free(&a);
	cJSON_Delete(rules);
	rules = cJSON_Parse("[{\"bogus\":1}]");
	assert_int_equal(faults_set(f, rules, err, sizeof(err)), -1);
	cJSON_Delete(rules);
	faults_free(f);
}

/* lost_reply and drop_headers reach the action; a header is removed. */
static void test_lost_reply_and_drop_headers(void **state)
{
	struct faults *f = faults_new();
	struct fault_action a;
	struct emu_reply r;
	char err[128];
	cJSON *rules = cJSON_Parse("[{\"route\":\"stop\",\"lost_reply\":"
				   "true,\"drop_headers\":[\"location\"]}]");

	(void)state;
	assert_int_equal(faults_set(f, rules, err, sizeof(err)), 0);
	assert_true(faults_match(f, "POST", "/x/stop", "stop", &a));
	assert_true(a.lost_reply);
	assert_int_equal(a.status, 0);
	assert_int_equal(cJSON_GetArraySize(a.drop_headers), 1);
	fault_action_free(&a);
	cJSON_Delete(rules);
	rules = cJSON_Parse("[{\"lost_reply\":true,\"status\":500}]");
	assert_int_equal(faults_set(f, rules, err, sizeof(err)), -1);
	cJSON_Delete(rules);
	faults_free(f);

	reply_init(&r);
	reply_header(&r, "Location", "a");
	reply_header(&r, "Retry-After", "0");
	reply_header(&r, "Azure-AsyncOperation", "b");
	reply_remove_header(&r, "LOCATION");
	reply_remove_header(&r, "absent");
	assert_int_equal(r.nheaders, 2);
	assert_null(reply_get_header(&r, "Location"));
	assert_string_equal(reply_get_header(&r, "Retry-After"), "0");
	assert_string_equal(reply_get_header(&r, "azure-asyncoperation"), "b");
	reply_free(&r);
}

static void test_idle_durations(void)
{
	static const struct {
		const char *in;
		double seconds;	/* < 0: not a duration */
	} cases[] = {
		{ "PT15M", 900 }, { "PT2H", 7200 }, { "P1D", 86400 },
		{ "PT1H30M", 5400 }, { "PT0.5H", 1800 }, { "PT0,5H", 1800 },
		{ "P1W", 604800 }, { "P1DT1S", 86401 }, { "PT", -1 },
		{ "P", -1 }, { "pt30m", -1 }, { "PT30M1H", -1 },
		{ "P1DT", -1 }, { "PT0.5H30M", -1 }, { "P1W1D", -1 },
		{ "30M", -1 }, { "PT30", -1 }, { "", -1 },
	};
	char norm[32], code[64], msg[256];
	cJSON *v;
	double secs;

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		bool ok = sched_parse_duration(cases[i].in, &secs);

		assert_int_equal(ok, cases[i].seconds >= 0);
		if (ok)
			assert_true(secs == cases[i].seconds);
	}
	v = cJSON_CreateString("PT2H");
	assert_true(sched_check_idle(v, norm, sizeof(norm), code,
				     sizeof(code), msg, sizeof(msg)));
	assert_string_equal(norm, "PT120M");
	cJSON_SetValuestring(v, "PT14M");
	assert_false(sched_check_idle(v, norm, sizeof(norm), code,
				      sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "InvalidParameter");
	cJSON_Delete(v);
	assert_false(sched_check_idle(NULL, norm, sizeof(norm), code,
				      sizeof(code), msg, sizeof(msg)));
	assert_string_equal(code, "ValidationError");
}

static void test_store_idle(void)
{
	struct store *s = seeded(4, 1);
	struct store_result out;
	cJSON *res;

	store_set_idle(s, "CI-ALICE", "PT30M", 0, &out);
	assert_int_equal(out.status, 0);
	res = store_get(s, "ci-alice", 0);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(res, "properties"), "properties"),
		"idleTimeBeforeShutdown")->valuestring, "PT30M");
	cJSON_Delete(res);
	store_set_idle(s, "nobody", "PT30M", 0, &out);
	assert_int_equal(out.status, 404);
	store_set_idle(s, "cpu-cluster", "PT30M", 0, &out);
	assert_int_equal(out.status, 400);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stop_start_restart),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_resize_and_fail),
		cmocka_unit_test(test_create_and_delete),
		cmocka_unit_test(test_paging),
		cmocka_unit_test(test_name_rule),
		cmocka_unit_test(test_vm_sizes_and_subnets),
		cmocka_unit_test(test_api_versions),
		cmocka_unit_test(test_skiptoken),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_lost_reply_and_drop_headers),
		cmocka_unit_test(test_idle_durations),
		cmocka_unit_test(test_store_idle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
