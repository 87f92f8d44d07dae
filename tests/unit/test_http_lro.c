/**
 * @file
 * Unit tests for the client's long-running operations: the pure side
 * (provisioning and operation states, status and resource bodies, which
 * header to poll, the create body), and, against the scripted loopback
 * server of http_server.c, the flows of start, stop, restart, resize,
 * create and delete: accepted, then followed with az_lro_poll() to
 * completion or failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "client/client.h"
#include "client/client_impl.h"
#include "client/http.h"

#include "http_server.h"

/* ---- pure ---- */

static void test_lro_state_of(void **state)
{
	(void)state;
	assert_int_equal(az_lro_state_of("Succeeded"), AZ_LRO_SUCCEEDED);
	assert_int_equal(az_lro_state_of("succeeded"), AZ_LRO_SUCCEEDED);
	assert_int_equal(az_lro_state_of("FAILED"), AZ_LRO_FAILED);
	assert_int_equal(az_lro_state_of("Canceled"), AZ_LRO_CANCELED);
	assert_int_equal(az_lro_state_of("Cancelled"), AZ_LRO_RUNNING);
	assert_int_equal(az_lro_state_of("InProgress"), AZ_LRO_RUNNING);
	assert_int_equal(az_lro_state_of("Creating"), AZ_LRO_RUNNING);
	assert_int_equal(az_lro_state_of(NULL), AZ_LRO_RUNNING);
	assert_string_equal(az_lro_state_name(AZ_LRO_FAILED), "failed");
}

static void test_lro_status_body(void **state)
{
	enum az_lro_state st;
	struct az_error err;
	const char *b;

	(void)state;
	b = "{\"id\":\"x\",\"name\":\"op\",\"status\":\"InProgress\","
	    "\"startTime\":\"2017-01-06T20:56:36.002812+00:00\"}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_RUNNING);
	b = "{\"status\":\"Succeeded\",\"percentComplete\":100}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	b = "{\"status\":\"Failed\",\"error\":{\"code\":"
	    "\"StartComputeInstanceOnlyAllowedInStoppedState\",\"message\":"
	    "\"only allowed when stopped\"}}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	assert_int_equal(err.code, AZ_ERR_CONFLICT);
	assert_string_equal(err.arm_code,
			    "StartComputeInstanceOnlyAllowedInStoppedState");
	assert_string_equal(err.message, "only allowed when stopped");
	b = "{\"status\":\"Canceled\"}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_CANCELED);
	assert_string_equal(err.arm_code, "");
	assert_non_null(strstr(err.message, "canceled"));
	b = "{\"status\":\"Failed\",\"error\":\"boom\"}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	b = "{\"state\":\"Succeeded\"}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err),
			 AZ_ERR_PROTOCOL);
	assert_int_equal(az_lro_parse_status("", 0, &st, &err),
			 AZ_ERR_PROTOCOL);
	assert_int_equal(az_lro_parse_status("{\"status\":1}", 12, &st, &err),
			 AZ_ERR_PROTOCOL);
	assert_int_equal(az_lro_parse_status(NULL, 0, &st, NULL),
			 AZ_ERR_PROTOCOL);
	/* Azure's text is one line, whatever the server puts in it */
	b = "{\"status\":\"Failed\",\"error\":{\"code\":\"A\\nB\","
	    "\"message\":\"one\\ntwo\\u001b[31m\\r\"}}";
	assert_int_equal(az_lro_parse_status(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	assert_string_equal(err.arm_code, "A B");
	assert_string_equal(err.message, "one two [31m ");
}

static void test_copy_clean(void **state)
{
	char buf[8];

	(void)state;
	az_copy_clean(buf, sizeof(buf), "a\tb\nc\x7f");
	assert_string_equal(buf, "a b c ");
	az_copy_clean(buf, sizeof(buf), "0123456789");
	assert_string_equal(buf, "0123456");
	az_copy_clean(buf, 1, "x");
	assert_string_equal(buf, "");
	az_copy_clean(buf, sizeof(buf), NULL);
	assert_string_equal(buf, "");
	az_copy_clean(NULL, 0, "x"); /* nothing to write to */
}

static void test_lro_resource_body(void **state)
{
	enum az_lro_state st;
	struct az_error err;
	const char *b;

	(void)state;
	b = "{\"name\":\"ci\",\"properties\":{\"computeType\":"
	    "\"ComputeInstance\",\"provisioningState\":\"Creating\"}}";
	assert_int_equal(az_lro_parse_resource(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_RUNNING);
	b = "{\"properties\":{\"provisioningState\":\"Succeeded\"}}";
	assert_int_equal(az_lro_parse_resource(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	b = "{\"name\":\"ci\"}";
	assert_int_equal(az_lro_parse_resource(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	b = "{\"properties\":{\"provisioningState\":\"Failed\","
	    "\"provisioningErrors\":[{\"error\":{\"code\":\"QuotaExceeded\","
	    "\"message\":\"no cores\"}}]}}";
	assert_int_equal(az_lro_parse_resource(b, strlen(b), &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	assert_string_equal(err.arm_code, "QuotaExceeded");
	assert_string_equal(err.message, "no cores");
	assert_int_equal(az_lro_parse_resource("[]", 2, &st, &err),
			 AZ_ERR_PROTOCOL);
}

static void test_lro_header_choice(void **state)
{
	struct az_http_resp r = { .status = 202, .retry_after_ms = -1 };
	struct az_lro lro = { 0 };
	struct az_error err;
	const char *res = "https://h/computes/ci";

	(void)state;
	/* both: Azure-AsyncOperation wins */
	r.async_op = "https://h/aop?sig=1";
	r.location = "https://h/loc";
	r.retry_after_ms = 1500;
	assert_int_equal(az_lro_setup(&lro, "delete", "DELETE", &r, res, &err),
			 AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_ASYNC_OP);
	assert_string_equal(lro.async_url, "https://h/aop?sig=1");
	assert_string_equal(lro.location_url, "https://h/loc");
	assert_string_equal(lro.resource_url, res);
	assert_int_equal(lro.retry_after, 2);
	assert_int_equal(lro.http_status, 202);
	assert_string_equal(lro.op, "delete");
	az_lro_free(&lro);
	/* Location only */
	r.async_op = NULL;
	r.retry_after_ms = -1;
	az_lro_setup(&lro, "start", "POST", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_LOCATION);
	assert_null(lro.async_url);
	assert_int_equal(lro.retry_after, -1);
	az_lro_free(&lro);
	/* neither: PUT 201 polls the resource; POST has nothing to poll */
	r.location = NULL;
	r.status = 201;
	az_lro_setup(&lro, "create", "PUT", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_RESOURCE);
	az_lro_free(&lro);
	r.status = 202;
	az_lro_setup(&lro, "stop", "POST", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	az_lro_free(&lro);
	/* PUT 200 with a terminal provisioningState: done already */
	r.status = 200;
	r.body = "{\"properties\":{\"provisioningState\":\"Succeeded\"}}";
	r.len = strlen(r.body);
	az_lro_setup(&lro, "create", "PUT", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	az_lro_free(&lro);
	r.body = "{\"properties\":{\"provisioningState\":\"Creating\"}}";
	r.len = strlen(r.body);
	az_lro_setup(&lro, "create", "PUT", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_RESOURCE);
	az_lro_free(&lro);
	/* DELETE 204: gone already */
	r.status = 204;
	r.body = NULL;
	r.len = 0;
	az_lro_setup(&lro, "delete", "DELETE", &r, res, &err);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	az_lro_free(&lro);
	assert_null(lro.resource_url);
	az_lro_free(NULL);
}

static void test_create_body(void **state)
{
	struct az_create_params p = { .vm_size = "STANDARD_DS3_V2" };
	char *b;

	(void)state;
	b = az_create_body("eastus", &p);
	assert_string_equal(b, "{\"location\":\"eastus\",\"properties\":{"
			    "\"computeType\":\"ComputeInstance\","
			    "\"properties\":{\"vmSize\":\"STANDARD_DS3_V2\"}}}");
	cJSON_free(b);
	p.ssh_public_key = "ssh-rsa AAAA\"x user@h";
	p.subnet_id = "/subscriptions/s/.../subnets/default";
	p.assigned_oid = "oid-1";
	p.assigned_tid = "tid-1";
	b = az_create_body("westeurope", &p);
	assert_string_equal(b, "{\"location\":\"westeurope\",\"properties\":{"
			    "\"computeType\":\"ComputeInstance\","
			    "\"properties\":{\"vmSize\":\"STANDARD_DS3_V2\","
			    "\"sshSettings\":{\"sshPublicAccess\":\"Enabled\","
			    "\"adminPublicKey\":\"ssh-rsa AAAA\\\"x user@h\"},"
			    "\"subnet\":{\"id\":"
			    "\"/subscriptions/s/.../subnets/default\"},"
			    "\"personalComputeInstanceSettings\":{"
			    "\"assignedUser\":{\"objectId\":\"oid-1\","
			    "\"tenantId\":\"tid-1\"}}}}}");
	cJSON_free(b);
}

/* ---- against the scripted server ---- */

static void test_lro_location_flow(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_lro lro;
	enum az_lro_state st;
	struct az_error err;
	char hdr[256];

	(void)state;
	script_reset();
	snprintf(hdr, sizeof(hdr), "Location: http://127.0.0.1:%d/results/1"
		 "?sig=abc\r\nRetry-After: 1\r\n", srv.port);
	script(202, hdr, NULL);
	script(202, "Retry-After: 2\r\n", NULL);
	script(200, NULL, CI_BODY);
	assert_int_equal(az_start(c, "ci-a", &lro, &err), AZ_OK);
	assert_string_equal(srv.seen[0].method, "POST");
	assert_string_equal(srv.seen[0].target, WS_PATH
			    "/computes/ci-a/start?api-version=2025-06-01");
	assert_string_equal(srv.seen[0].body, "");
	assert_int_equal(lro.kind, AZ_LRO_LOCATION);
	assert_int_equal(lro.retry_after, 1);
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_RUNNING);
	assert_int_equal(lro.retry_after, 2);
	assert_string_equal(srv.seen[1].target, "/results/1?sig=abc");
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	assert_int_equal(lro.retry_after, -1);
	az_lro_free(&lro);

	/* a failed operation's error reply on the Location URL */
	script_reset();
	script(202, hdr, NULL);
	script(400, NULL, "{\"error\":{\"code\":\"ResizeFailed\",\"message\":"
	       "\"size not available\"}}");
	assert_int_equal(az_resize(c, "ci-a", "Standard_E4s_v3", &lro, &err),
			 AZ_OK);
	assert_string_equal(srv.seen[0].target, WS_PATH
			    "/computes/ci-a/resize?api-version=2025-06-01");
	assert_string_equal(srv.seen[0].body,
			    "{\"targetVMSize\":\"Standard_E4s_v3\"}");
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	assert_int_equal(err.code, AZ_ERR_CONFLICT);
	assert_string_equal(err.arm_code, "ResizeFailed");
	az_lro_free(&lro);
	az_client_free(c);
}

static void test_lro_async_flow(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_lro lro;
	enum az_lro_state st;
	struct az_error err;
	char hdr[256];

	(void)state;
	script_reset();
	snprintf(hdr, sizeof(hdr), "Azure-AsyncOperation: http://127.0.0.1:%d"
		 "/locations/eastus/computeOperationsStatus/op1?api-version="
		 "2025-06-01&s=x\r\n", srv.port);
	script(202, hdr, NULL);
	script(200, NULL, "{\"status\":\"InProgress\"}");
	script(200, "Retry-After: 0\r\n", "{\"status\":\"Failed\",\"error\":{"
	       "\"code\":\"StopFailed\",\"message\":\"could not stop\"}}");
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_ASYNC_OP);
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_RUNNING);
	assert_string_equal(srv.seen[1].target, "/locations/eastus/"
			    "computeOperationsStatus/op1?api-version="
			    "2025-06-01&s=x");
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_FAILED);
	assert_int_equal(lro.retry_after, 0);
	assert_string_equal(err.arm_code, "StopFailed");
	assert_string_equal(err.message, "could not stop");
	az_lro_free(&lro);

	/* refused at once: 409 with Azure's message */
	script_reset();
	script(409, NULL, "{\"error\":{\"code\":\"Conflict\",\"message\":"
	       "\"Cannot restart a stopped instance\"}}");
	assert_int_equal(az_restart(c, "ci-a", &lro, &err), AZ_ERR_CONFLICT);
	assert_string_equal(err.message, "Cannot restart a stopped instance");
	assert_int_equal(srv.n_seen, 1); /* POST 409: not retried */
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	az_lro_free(&lro);

	/* a status URL on another host is dropped: the instance is
	 * watched instead (kind NONE), the other host never asked */
	script_reset();
	snprintf(hdr, sizeof(hdr), "Azure-AsyncOperation: http://127.0.0.2:%d"
		 "/op\r\n", srv.port);
	script(202, hdr, NULL);
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	assert_null(lro.async_url);
	assert_int_equal(srv.n_seen, 1);
	az_lro_free(&lro);
	/* ... and with a Location of our own beside it, that one is used */
	script_reset();
	snprintf(hdr, sizeof(hdr), "Azure-AsyncOperation: http://127.0.0.2:%d"
		 "/op\r\nLocation: http://127.0.0.1:%d/loc\r\n", srv.port,
		 srv.port);
	script(202, hdr, NULL);
	script(307, "Location: http://127.0.0.1/x\r\n", NULL);
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_LOCATION);
	/* a redirect from the poll says nothing: unusable, not success */
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_ERR_INVALID);
	az_lro_free(&lro);
	az_client_free(c);
}

static void test_create_and_delete(void **state)
{
	struct az_create_params p = { .vm_size = "STANDARD_DS3_V2" };
	struct az_client *c = new_client(3, 5000);
	struct az_lro lro;
	enum az_lro_state st;
	struct az_error err;

	(void)state;
	/* no location given: one GET of the workspace first */
	script_reset();
	script(200, NULL, "{\"location\":\"northeurope\"}");
	script(201, NULL, "{\"name\":\"ci-new\",\"properties\":{\"computeType\":"
	       "\"ComputeInstance\",\"provisioningState\":\"Creating\"}}");
	script(200, NULL, "{\"name\":\"ci-new\",\"properties\":{"
	       "\"provisioningState\":\"Creating\"}}");
	script(200, NULL, "{\"name\":\"ci-new\",\"properties\":{"
	       "\"provisioningState\":\"Succeeded\"}}");
	assert_int_equal(az_create(c, "ci-new", &p, &lro, &err), AZ_OK);
	assert_string_equal(srv.seen[0].target,
			    WS_PATH "?api-version=2025-06-01");
	assert_string_equal(srv.seen[1].method, "PUT");
	assert_string_equal(srv.seen[1].target, WS_PATH
			    "/computes/ci-new?api-version=2025-06-01");
	assert_non_null(strstr(srv.seen[1].body,
			       "\"location\":\"northeurope\""));
	assert_int_equal(lro.kind, AZ_LRO_RESOURCE);
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_RUNNING);
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	assert_string_equal(srv.seen[3].target, WS_PATH
			    "/computes/ci-new?api-version=2025-06-01");
	az_lro_free(&lro);

	/* invalid names never reach Azure */
	script_reset();
	assert_int_equal(az_create(c, "ci-01", &p, &lro, &err),
			 AZ_ERR_INVALID);
	az_lro_free(&lro);
	assert_int_equal(srv.n_seen, 0);

	/* delete: 202 with both headers, then 204 for one already gone */
	script_reset();
	script(202, "Azure-AsyncOperation: /aop\r\nLocation: /loc\r\n", NULL);
	script(204, NULL, NULL);
	assert_int_equal(az_delete(c, "ci-new", &lro, &err), AZ_OK);
	assert_string_equal(srv.seen[0].method, "DELETE");
	assert_string_equal(srv.seen[0].target, WS_PATH "/computes/ci-new?"
			    "api-version=2025-06-01&"
			    "underlyingResourceAction=Delete");
	assert_int_equal(lro.kind, AZ_LRO_ASYNC_OP);
	assert_true(az_url_same_origin(lro.async_url, az_client_endpoint(c)));
	assert_non_null(strstr(lro.async_url, "/aop"));
	az_lro_free(&lro);
	assert_int_equal(az_delete(c, "ci-new", &lro, &err), AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	assert_int_equal(az_lro_poll(c, &lro, &st, &err), AZ_OK);
	assert_int_equal(st, AZ_LRO_SUCCEEDED);
	az_lro_free(&lro);
	az_client_free(c);
}

/* Writes go out once; what a lost reply or a redirect means. */
static void test_writes_at_most_once(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_error err;
	struct az_lro lro;

	(void)state;
	/* a stop whose connection drops: not sent again */
	script_reset();
	script_mode(1);
	script(202, "Location: http://127.0.0.1/op\r\n", NULL);
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_ERR_UNREACHABLE);
	assert_true(err.maybe_done);
	assert_int_equal(seen_count(), 1);
	az_lro_free(&lro);

	/* a create likewise: PUT is not repeated after it left */
	script_reset();
	script_mode(1);
	script(201, NULL, "{}");
	{
		struct az_create_params p = { .vm_size = "Standard_DS3_v2",
					      .location = "eastus" };

		assert_int_equal(az_create(c, "ci-new", &p, &lro, &err),
				 AZ_ERR_UNREACHABLE);
	}
	assert_int_equal(seen_count(), 1);
	az_lro_free(&lro);

	/* a 500 to a stop reached Azure: once */
	script_reset();
	script(500, NULL, "{}");
	script(202, NULL, NULL);
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_ERR_SERVER);
	assert_int_equal(seen_count(), 1);
	az_lro_free(&lro);

	/* a delete is safe to repeat; its 404 then means our first did it */
	script_reset();
	script_mode(1);
	script(404, NULL, "{\"error\":{\"code\":\"NotFound\"}}");
	assert_int_equal(az_delete(c, "ci-a", &lro, &err), AZ_OK);
	assert_int_equal(lro.kind, AZ_LRO_NONE);
	assert_int_equal(seen_count(), 2);
	az_lro_free(&lro);
	/* but a plain 404 is still "no such instance" */
	script_reset();
	script(404, NULL, "{\"error\":{\"code\":\"NotFound\"}}");
	assert_int_equal(az_delete(c, "ci-a", &lro, &err), AZ_ERR_NOT_FOUND);
	az_lro_free(&lro);

	/* a redirect is not acceptance */
	script_reset();
	script(307, "Location: http://127.0.0.1/elsewhere\r\n", NULL);
	assert_int_equal(az_stop(c, "ci-a", &lro, &err), AZ_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "not an acceptance"));
	assert_int_equal(seen_count(), 1);
	az_lro_free(&lro);
	az_client_free(c);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_lro_state_of),
		cmocka_unit_test(test_lro_status_body),
		cmocka_unit_test(test_copy_clean),
		cmocka_unit_test(test_lro_resource_body),
		cmocka_unit_test(test_lro_header_choice),
		cmocka_unit_test(test_create_body),
	};
	const struct CMUnitTest wire[] = {
		cmocka_unit_test(test_lro_location_flow),
		cmocka_unit_test(test_lro_async_flow),
		cmocka_unit_test(test_create_and_delete),
		cmocka_unit_test(test_writes_at_most_once),
	};
	int rc;

	rc = cmocka_run_group_tests(pure, NULL, NULL);
	rc |= cmocka_run_group_tests(wire, server_setup, server_teardown);
	return rc;
}
