/**
 * @file
 * Unit tests for client/workspace.c: ARM workspace ids (good ids, trailing
 * slash, keyword case, wrong provider or shape, bad names, too long) and
 * building from parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/workspace.h"

#define SUB "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345"
#define PROV "/providers/Microsoft.MachineLearningServices/workspaces/"
#define ID(rg, ws) "/subscriptions/" SUB "/resourceGroups/" rg PROV ws

static void test_good(void **state)
{
	struct az_workspace ws;
	char why[256], id[512];

	(void)state;
	assert_int_equal(az_workspace_parse(ID("testrg123", "workspaces123"),
					    &ws, why, sizeof(why)), 0);
	assert_string_equal(ws.subscription, SUB);
	assert_string_equal(ws.resource_group, "testrg123");
	assert_string_equal(ws.name, "workspaces123");
	az_workspace_id(&ws, id, sizeof(id));
	assert_string_equal(id, ID("testrg123", "workspaces123"));

	/* one trailing slash, and ARM's case-insensitive keywords */
	assert_int_equal(az_workspace_parse(ID("rg", "ws1") "/", &ws, why,
					    sizeof(why)), 0);
	assert_string_equal(ws.name, "ws1");
	assert_int_equal(az_workspace_parse(
		"/SUBSCRIPTIONS/" SUB "/resourcegroups/My.RG(1)_-x/PROVIDERS/"
		"microsoft.machinelearningservices/WORKSPACES/My_ws-2",
		&ws, why, sizeof(why)), 0);
	assert_string_equal(ws.resource_group, "My.RG(1)_-x");
	assert_string_equal(ws.name, "My_ws-2");
	az_workspace_id(&ws, id, sizeof(id));
	assert_string_equal(id, ID("My.RG(1)_-x", "My_ws-2"));

	/* no leading slash (as in one of Microsoft's examples) */
	assert_int_equal(az_workspace_parse(ID("rg", "ws1") + 1, &ws, why,
					    sizeof(why)), 0);
	/* longest names */
	assert_int_equal(az_workspace_parse(
		ID("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		   "rrrrrrrrrrrrrrrrrrrrrrrrrrrrr",
		   "w23456789012345678901234567890123"),
		&ws, why, sizeof(why)), 0);
	assert_int_equal(strlen(ws.resource_group), 90);
	assert_int_equal(strlen(ws.name), 33);
}

static void test_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"workspace",
		ID("rg", "ws1") "//",
		ID("rg", "ws1") "/computes/x",
		ID("rg", "ws1") "/extra",
		"/subscriptions/" SUB "/resourceGroups/rg/providers/"
		"Microsoft.Compute/workspaces/ws1",
		"/subscriptions/" SUB "/resourceGroups/rg/providers/"
		"Microsoft.MachineLearningServices/registries/ws1",
		"/subscriptions/" SUB "/resourceGroups/rg/providers/"
		"Microsoft.MachineLearningServices/workspaces",
		"/subscriptions/" SUB "/resourceGroups/rg/providers/"
		"Microsoft.MachineLearningServices/workspaces/",
		"/subscriptions/" SUB "/resourceGroups//providers/"
		"Microsoft.MachineLearningServices/workspaces/ws1",
		"/subscription/" SUB "/resourceGroups/rg" PROV "ws1",
		"/subscriptions/not-a-guid/resourceGroups/rg" PROV "ws1",
		"/subscriptions/S/resourceGroups/R" PROV "W",
		"/subscriptions/" SUB "x/resourceGroups/rg" PROV "ws1",
		ID("rg", "ws"),       /* too short */
		ID("rg", "_ws1"),     /* must start alnum */
		ID("rg", "ws.1"),
		ID("rg", "w234567890123456789012345678901234"), /* 34 */
		ID("rg.", "ws1"),     /* ends in '.' */
		ID("r g", "ws1"),
		ID("r/g", "ws1"),
		ID("rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		   "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrr", "ws1"), /* 91 */
		ID("rg", "wsssssssssssssssssssssssssssssssssssssssssssssssss"
			 "sssssssssssssssssssssssssssssssssssssssssssssssss"
			 "ssssssssssssssssssssssssssssssssssssssssssssssss"),
	};
	struct az_workspace ws;
	char why[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (az_workspace_parse(bad[i], &ws, why, sizeof(why)) == 0)
			fail_msg("accepted: %s", bad[i]);
		assert_true(strlen(why) > 0);
	}
	assert_int_equal(az_workspace_parse(NULL, &ws, why, sizeof(why)), -1);
	/* the reason names the problem */
	az_workspace_parse("/subscriptions/x/resourceGroups/rg" PROV "ws1",
			   &ws, why, sizeof(why));
	assert_non_null(strstr(why, "subscription"));
	az_workspace_parse(ID("rg", "ws"), &ws, why, sizeof(why));
	assert_non_null(strstr(why, "workspace name"));
	/* a tiny or NULL why buffer is fine */
	assert_int_equal(az_workspace_parse("x", &ws, NULL, 0), -1);
	assert_int_equal(az_workspace_parse("x", &ws, why, 1), -1);
	assert_string_equal(why, "");
}

static void test_parts(void **state)
{
	struct az_workspace ws;
	char why[256], id[512];

	(void)state;
	assert_int_equal(az_workspace_from_parts(SUB, "rg", "ws1", &ws, why,
						 sizeof(why)), 0);
	az_workspace_id(&ws, id, sizeof(id));
	assert_string_equal(id, ID("rg", "ws1"));
	assert_int_equal(az_workspace_from_parts(NULL, "rg", "ws1", &ws, why,
						 sizeof(why)), -1);
	assert_non_null(strstr(why, "subscription"));
	assert_int_equal(az_workspace_from_parts(SUB, "", "ws1", &ws, why,
						 sizeof(why)), -1);
	assert_non_null(strstr(why, "resource group"));
	assert_int_equal(az_workspace_from_parts(SUB, "rg", NULL, &ws, why,
						 sizeof(why)), -1);
	assert_int_equal(az_workspace_from_parts(SUB, "rg", "a b", &ws, why,
						 sizeof(why)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_parts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
