/**
 * @file
 * Unit tests for the client's HTTP layer: the pure retry policy and
 * failure mapping (retry.c), URL checks (url.c), and, against the scripted
 * loopback server of http_server.c, the whole request path of
 * client.c/http.c for plain requests: retries and Retry-After, 401
 * renewal, ARM error bodies, nextLink paging and its guards, connection
 * reuse, timeouts. Long-running operations are in test_http_lro.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "client/client.h"
#include "client/client_impl.h"
#include "client/http.h"

#include "http_server.h"

/* ---- pure functions ---- */

static void test_retry_after_parse(void **state)
{
	time_t now = 1700000000;

	(void)state;
	assert_int_equal(az_retry_after_ms(NULL, NULL, NULL, now), -1);
	assert_int_equal(az_retry_after_ms("", "", "", now), -1);
	assert_int_equal(az_retry_after_ms("5", NULL, NULL, now), 5000);
	assert_int_equal(az_retry_after_ms(" 0 ", NULL, NULL, now), 0);
	assert_int_equal(az_retry_after_ms("1.5", NULL, NULL, now), 1500);
	assert_int_equal(az_retry_after_ms("120", "10", NULL, now), 120000);
	/* HTTP-date: 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT */
	assert_int_equal(az_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT",
					   NULL, NULL, now), 10000);
	assert_int_equal(az_retry_after_ms("Tue, 14 Nov 2023 22:13:00 GMT",
					   NULL, NULL, now), 0);
	/* the ms headers, in order, when Retry-After is absent or garbage */
	assert_int_equal(az_retry_after_ms(NULL, "250", "900", now), 250);
	assert_int_equal(az_retry_after_ms(NULL, NULL, "900", now), 900);
	assert_int_equal(az_retry_after_ms("soon", NULL, "900", now), 900);
	assert_int_equal(az_retry_after_ms(NULL, "x", "7", now), 7);
	/* garbage and negatives */
	assert_int_equal(az_retry_after_ms("-5", NULL, NULL, now), -1);
	assert_int_equal(az_retry_after_ms("5s", NULL, NULL, now), -1);
	assert_int_equal(az_retry_after_ms("abc", "def", "ghi", now), -1);
	assert_int_equal(az_retry_after_ms(".", NULL, NULL, now), -1);
	/* huge values saturate instead of overflowing */
	assert_true(az_retry_after_ms("99999999999999999999999", NULL, NULL,
				      now) > 0);
}

static void test_retry_status(void **state)
{
	static const long retried[] = { 408, 429, 500, 502, 503, 504 };
	static const long not_retried[] = { 200, 202, 204, 301, 307, 400,
					    401, 403, 404, 409, 412, 501,
					    505 };
	static const char *const writes[] = { "POST", "PUT", "PATCH" };
	size_t i, j;

	(void)state;
	/* reads and DELETE (idempotent): 408, 429 and 5xx */
	for (i = 0; i < sizeof(retried) / sizeof(retried[0]); i++) {
		assert_true(az_retry_status("GET", retried[i], false));
		assert_true(az_retry_status("DELETE", retried[i], false));
	}
	for (i = 0; i < sizeof(not_retried) / sizeof(not_retried[0]); i++)
		assert_false(az_retry_status("GET", not_retried[i], false));
	/* writes: only what Azure did not process (408, 429) */
	for (j = 0; j < sizeof(writes) / sizeof(writes[0]); j++) {
		assert_true(az_retry_status(writes[j], 408, false));
		assert_true(az_retry_status(writes[j], 429, false));
		assert_false(az_retry_status(writes[j], 500, false));
		assert_false(az_retry_status(writes[j], 502, false));
		assert_false(az_retry_status(writes[j], 503, false));
		assert_false(az_retry_status(writes[j], 504, true));
	}
	/* a refusal stays one, Retry-After or not */
	assert_false(az_retry_status("GET", 409, true));
	assert_false(az_retry_status("POST", 409, true));
	assert_false(az_retry_status("POST", 400, true));
	assert_false(az_retry_status("GET", 202, true));
	assert_false(az_retry_status("GET", 200, true));
}

static void test_retry_transport(void **state)
{
	(void)state;
	assert_true(az_retry_transport("POST", CURLE_COULDNT_CONNECT, false));
	assert_true(az_retry_transport("GET", CURLE_COULDNT_RESOLVE_HOST,
				       false));
	assert_true(az_retry_transport("GET", CURLE_RECV_ERROR, true));
	assert_true(az_retry_transport("GET", CURLE_GOT_NOTHING, true));
	assert_true(az_retry_transport("DELETE", CURLE_OPERATION_TIMEDOUT,
				       true));
	assert_false(az_retry_transport("POST", CURLE_GOT_NOTHING, true));
	assert_false(az_retry_transport("PATCH", CURLE_RECV_ERROR, true));
	assert_false(az_retry_transport("PUT", CURLE_GOT_NOTHING, true));
	assert_true(az_retry_transport("PUT", CURLE_COULDNT_CONNECT, false));
	assert_true(az_retry_transport("POST", CURLE_OPERATION_TIMEDOUT,
				       false));
	assert_false(az_retry_transport("GET", CURLE_PEER_FAILED_VERIFICATION,
					false));
	assert_false(az_retry_transport("GET", CURLE_WRITE_ERROR, true));
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(az_retry_backoff_ms(1), 0);
	assert_int_equal(az_retry_backoff_ms(2), 1600);
	assert_int_equal(az_retry_backoff_ms(3), 3200);
	assert_int_equal(az_retry_backoff_ms(4), 6400);
	assert_int_equal(az_retry_backoff_ms(30), 120000);
	assert_int_equal(az_retry_wait_ms(-1, 2, 60000), 1600);
	assert_int_equal(az_retry_wait_ms(5000, 2, 60000), 5000);
	assert_int_equal(az_retry_wait_ms(0, 3, 60000), 0);
	/* a Retry-After past the budget left: give up, don't wait */
	assert_int_equal(az_retry_wait_ms(3600000, 1, 60000), -1);
	assert_int_equal(az_retry_wait_ms(60001, 1, 60000), -1);
	assert_int_equal(az_retry_wait_ms(60000, 1, 60000), 60000);
	assert_int_equal(az_retry_wait_ms(1000, 2, -5), -1);
	/* backoff is cut to what is left */
	assert_int_equal(az_retry_wait_ms(-1, 30, 60000), 60000);
	assert_int_equal(az_retry_wait_ms(-1, 3, 1000), 1000);
	assert_int_equal(az_retry_wait_ms(-1, 1, 0), 0);
}

static void test_error_mapping(void **state)
{
	(void)state;
	assert_int_equal(az_http_status_err(404), AZ_ERR_NOT_FOUND);
	assert_int_equal(az_http_status_err(409), AZ_ERR_CONFLICT);
	assert_int_equal(az_http_status_err(401), AZ_ERR_UNAUTHORIZED);
	assert_int_equal(az_http_status_err(403), AZ_ERR_FORBIDDEN);
	assert_int_equal(az_http_status_err(429), AZ_ERR_THROTTLED);
	assert_int_equal(az_http_status_err(500), AZ_ERR_SERVER);
	assert_int_equal(az_http_status_err(503), AZ_ERR_SERVER);
	assert_int_equal(az_http_status_err(400), AZ_ERR_BAD_REQUEST);
	assert_int_equal(az_http_status_err(412), AZ_ERR_BAD_REQUEST);
	assert_int_equal(az_curl_err(CURLE_OPERATION_TIMEDOUT),
			 AZ_ERR_TIMEOUT);
	assert_int_equal(az_curl_err(CURLE_PEER_FAILED_VERIFICATION),
			 AZ_ERR_TLS);
	assert_int_equal(az_curl_err(CURLE_SSL_CONNECT_ERROR), AZ_ERR_TLS);
	assert_int_equal(az_curl_err(CURLE_SSL_CACERT_BADFILE), AZ_ERR_TLS);
	assert_int_equal(az_curl_err(CURLE_COULDNT_CONNECT),
			 AZ_ERR_UNREACHABLE);
	assert_int_equal(az_curl_err(CURLE_COULDNT_RESOLVE_HOST),
			 AZ_ERR_UNREACHABLE);
	assert_int_equal(az_curl_err(CURLE_GOT_NOTHING), AZ_ERR_UNREACHABLE);
	assert_int_equal(az_curl_err(CURLE_RECV_ERROR), AZ_ERR_UNREACHABLE);
	assert_int_equal(az_curl_err(CURLE_SEND_ERROR), AZ_ERR_UNREACHABLE);
	assert_string_equal(az_strerror(AZ_ERR_NOT_FOUND), "not found");
	assert_string_equal(az_strerror(AZ_ERR_THROTTLED), "throttled");
}

static void test_error_body(void **state)
{
	static const char *const hostile[] = {
		"", "null", "[]", "{", "<html>502 Bad Gateway</html>",
		"{\"error\":null}", "{\"error\":5}", "{\"error\":[1]}",
		"{\"error\":{\"code\":5,\"message\":[]}}",
		"\xff\xfe\x00garbage",
	};
	struct az_error e;
	const char *b;
	size_t i;
	char big[4096];

	(void)state;
	b = "{\"error\":{\"code\":\"StartComputeInstanceOnlyAllowedInStoppedState"
	    "\",\"message\":\"Start Azure ML Compute Instance is only allowed "
	    "when the instance g455110851a is in 'stopped' state\"}}";
	az_http_error_from_body(409, b, strlen(b), &e);
	assert_int_equal(e.code, AZ_ERR_CONFLICT);
	assert_int_equal(e.http_status, 409);
	assert_string_equal(e.arm_code,
			    "StartComputeInstanceOnlyAllowedInStoppedState");
	assert_non_null(strstr(e.message, "'stopped' state"));

	b = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215:"
	    " Invalid client secret provided.\\r\\nTrace ID: 1\"}";
	az_http_error_from_body(401, b, strlen(b), &e);
	assert_int_equal(e.code, AZ_ERR_UNAUTHORIZED);
	assert_string_equal(e.arm_code, "invalid_client");
	assert_null(strchr(e.message, '\n'));
	assert_null(strchr(e.message, '\r'));

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		az_http_error_from_body(502, hostile[i], strlen(hostile[i]),
					&e);
		assert_int_equal(e.code, AZ_ERR_SERVER);
		assert_string_equal(e.arm_code, "");
		assert_non_null(strstr(e.message, "502"));
	}
	/* a huge message is truncated, not overflowed */
	memset(big, 'A', sizeof(big));
	memcpy(big, "{\"error\":{\"code\":\"", 18);
	snprintf(big + 2000, sizeof(big) - 2000,
		 "\",\"message\":\"%01000d\"}}", 7);
	az_http_error_from_body(400, big, strlen(big), &e);
	assert_int_equal(strlen(e.arm_code), sizeof(e.arm_code) - 1);
	assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	az_http_error_from_body(404, NULL, 0, NULL);

	/* a 400 refusing a valid verb for the present condition: CONFLICT */
	b = "{\"error\":{\"code\":\"UserError\",\"message\":\"StopCompute "
	    "is not allowed when ComputeInstance disk is full\"}}";
	assert_int_equal(az_http_error_from_body(400, b, strlen(b), &e),
			 AZ_ERR_CONFLICT);
	assert_int_equal(e.code, AZ_ERR_CONFLICT);
	assert_int_equal(e.http_status, 400);
	b = "{\"error\":{\"code\":\"StartComputeInstanceOnlyAllowedInStopped"
	    "State\",\"message\":\"x\"}}";
	assert_int_equal(az_http_error_from_body(400, b, strlen(b), NULL),
			 AZ_ERR_CONFLICT);
	/* a malformed request stays one */
	b = "{\"error\":{\"code\":\"InvalidRequestContent\",\"message\":"
	    "\"The request content was invalid\"}}";
	assert_int_equal(az_http_error_from_body(400, b, strlen(b), &e),
			 AZ_ERR_BAD_REQUEST);
}

static void test_urls(void **state)
{
	char buf[64];
	char *s;

	(void)state;
	assert_true(az_url_token_safe("https://management.azure.com/x"));
	assert_true(az_url_token_safe("http://127.0.0.1:8080/x"));
	assert_true(az_url_token_safe("http://127.8.9.10/"));
	assert_true(az_url_token_safe("http://localhost:1/"));
	assert_true(az_url_token_safe("http://[::1]:9/"));
	assert_false(az_url_token_safe("http://management.azure.com/"));
	assert_false(az_url_token_safe("http://10.0.0.1/"));
	assert_false(az_url_token_safe("http://128.0.0.1/"));
	assert_false(az_url_token_safe("http://localhost.evil.com/"));
	assert_false(az_url_token_safe("http://[::2]/"));
	assert_false(az_url_token_safe("ftp://127.0.0.1/"));
	assert_false(az_url_token_safe("not a url"));
	assert_false(az_url_token_safe(NULL));

	assert_true(az_url_same_origin("https://a.com/x?y",
				       "https://A.COM:443/z"));
	assert_true(az_url_same_origin("http://127.0.0.1:5/a",
				       "http://127.0.0.1:5/b?c=d"));
	assert_false(az_url_same_origin("https://a.com/", "http://a.com/"));
	assert_false(az_url_same_origin("https://a.com/", "https://b.com/"));
	assert_false(az_url_same_origin("https://a.com/",
					"https://a.com:444/"));
	assert_false(az_url_same_origin("http://127.0.0.1:5/",
					"http://127.0.0.2:5/"));
	assert_false(az_url_same_origin("https://a.com/", "nextLink"));

	az_url_for_log("https://h/p/x?sig=secret&t=1", buf, sizeof(buf));
	assert_string_equal(buf, "https://h/p/x");
	/* a hostile link cannot break a log line or a mount's message */
	az_url_for_log("https://h/p\nx\x1b[2J\r?q=\n", buf, sizeof(buf));
	assert_string_equal(buf, "https://h/p x [2J ");
	s = az_url_escape("ci-alice_1.~ /?&%");
	assert_string_equal(s, "ci-alice_1.~%20%2F%3F%26%25");
	free(s);
	s = az_url_resolve("https://h:1/a/b?x=1", "c?$skip=2");
	assert_string_equal(s, "https://h:1/a/c?$skip=2");
	free(s);
	s = az_url_resolve("https://h:1/a/b", "/z");
	assert_string_equal(s, "https://h:1/z");
	free(s);
}

/* ---- against the scripted server ---- */

static void test_client_new_checks(void **state)
{
	struct az_client_config cfg = { 0 };
	struct az_error err;
	struct az_client *c;

	(void)state;
	az_workspace_from_parts(SUB, "rg", "ws1", &cfg.ws, NULL, 0);
	cfg.endpoint = "http://management.azure.com";
	cfg.auth = az_auth_static("t");
	assert_null(az_client_new(&cfg, &err));
	assert_int_equal(err.code, AZ_ERR_INVALID);
	assert_non_null(strstr(err.message, "https"));
	cfg.endpoint = "ftp://127.0.0.1";
	cfg.auth = az_auth_static("t");
	assert_null(az_client_new(&cfg, &err));
	assert_int_equal(err.code, AZ_ERR_INVALID);
	cfg.endpoint = "http://[::1]:1/";
	cfg.auth = az_auth_static("t");
	c = az_client_new(&cfg, &err);
	assert_non_null(c);
	assert_string_equal(az_client_endpoint(c), "http://[::1]:1");
	assert_string_equal(az_client_auth_name(c), "static");
	az_client_free(c);
	cfg.endpoint = NULL;
	cfg.auth = az_auth_static("t");
	c = az_client_new(&cfg, &err);
	assert_string_equal(az_client_endpoint(c), AZ_DEFAULT_ENDPOINT);
	az_client_free(c);
	cfg.endpoint = "https://127.0.0.1:1";
	cfg.ca_file = "/nonexistent/ca.pem";
	cfg.auth = az_auth_static("t");
	assert_null(az_client_new(&cfg, &err));
	assert_non_null(strstr(err.message, "/nonexistent/ca.pem"));
}

static void test_get_and_reuse(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_client_stats st;
	struct az_compute comp;
	struct az_error err;

	(void)state;
	script_reset();
	script(200, NULL, CI_BODY);
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	assert_string_equal(comp.state, "Running");
	az_compute_free(&comp);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	az_compute_free(&comp);
	assert_int_equal(srv.n_seen, 2);
	assert_int_equal(srv.connections, 1); /* reused */
	assert_string_equal(srv.seen[0].method, "GET");
	assert_string_equal(srv.seen[0].target, WS_PATH
			    "/computes/ci-a?api-version=2025-06-01");
	assert_string_equal(srv.seen[0].auth, "Bearer tok-123");
	az_client_stats(c, &st);
	assert_int_equal(st.requests, 2);
	assert_int_equal(st.retries, 0);
	assert_int_equal(st.failures, 0);
	az_client_free(c);
}

static void test_not_found_and_errors(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_compute comp;
	struct az_error err;

	(void)state;
	script_reset();
	script(404, NULL, "{\"error\":{\"code\":\"ResourceNotFound\","
	       "\"message\":\"The Resource was not found.\"}}");
	script(403, NULL, "{\"error\":{\"code\":\"AuthorizationFailed\","
	       "\"message\":\"no access\"}}");
	script(200, NULL, "{\"value\":[]}"); /* a list, not a compute */
	script(200, NULL, "not json");
	assert_int_equal(az_get_compute(c, "gone", &comp, &err),
			 AZ_ERR_NOT_FOUND);
	assert_int_equal(err.http_status, 404);
	assert_string_equal(err.arm_code, "ResourceNotFound");
	assert_string_equal(err.message, "The Resource was not found.");
	assert_int_equal(az_get_compute(c, "x1", &comp, &err),
			 AZ_ERR_FORBIDDEN);
	assert_string_equal(err.arm_code, "AuthorizationFailed");
	assert_int_equal(az_get_compute(c, "x2", &comp, &err),
			 AZ_ERR_PROTOCOL);
	assert_int_equal(az_get_compute(c, "x3", &comp, &err),
			 AZ_ERR_PROTOCOL);
	assert_int_equal(srv.n_seen, 4);
	assert_null(comp.name);
	az_client_free(c);
}

static void test_retries(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_client_stats st;
	struct az_compute comp;
	struct az_error err;

	(void)state;
	script_reset();
	script(429, "Retry-After: 0\r\n", "{}");
	script(503, "Retry-After: 0\r\n", "{}");
	script(500, "retry-after-ms: 10\r\n", "{}");
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	az_compute_free(&comp);
	assert_int_equal(srv.n_seen, 4);
	az_client_stats(c, &st);
	assert_int_equal(st.requests, 4);
	assert_int_equal(st.retries, 3);
	assert_int_equal(st.throttled, 1);

	/* still throttled after 3 retries: THROTTLED, 4 requests in all */
	script_reset();
	script(429, "Retry-After: 0\r\n", "{\"error\":{\"code\":"
	       "\"TooManyRequests\",\"message\":\"slow down\"}}");
	script(429, "Retry-After: 0\r\n", "{}");
	script(429, "Retry-After: 0\r\n", "{}");
	script(429, "Retry-After: 0\r\n", "{\"error\":{\"code\":"
	       "\"TooManyRequests\",\"message\":\"slow down\"}}");
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_THROTTLED);
	assert_int_equal(srv.n_seen, 4);
	assert_string_equal(err.message, "slow down");

	/* a 400 is not retried; nor a 409, even with Retry-After */
	script_reset();
	script(400, NULL, "{}");
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_BAD_REQUEST);
	assert_int_equal(srv.n_seen, 1);
	script_reset();
	script(409, "Retry-After: 0\r\n", "{}");
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_CONFLICT);
	assert_int_equal(srv.n_seen, 1);

	/* a dropped connection is retried for GET */
	script_reset();
	script_mode(1);
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	az_compute_free(&comp);
	assert_int_equal(srv.n_seen, 2);
	az_client_free(c);
}

static void test_401_renews_once(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_compute comp;
	struct az_error err;

	(void)state;
	script_reset();
	script(401, "WWW-Authenticate: Bearer\r\n", "{\"error\":{\"code\":"
	       "\"ExpiredAuthenticationToken\",\"message\":\"expired\"}}");
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	az_compute_free(&comp);
	assert_int_equal(srv.n_seen, 2);

	script_reset();
	script(401, NULL, "{\"error\":{\"code\":\"InvalidAuthenticationToken\","
	       "\"message\":\"bad\"}}");
	script(401, NULL, "{\"error\":{\"code\":\"InvalidAuthenticationToken\","
	       "\"message\":\"bad\"}}");
	script(200, NULL, CI_BODY);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_UNAUTHORIZED);
	assert_string_equal(err.arm_code, "InvalidAuthenticationToken");
	assert_int_equal(srv.n_seen, 2);
	az_client_free(c);
}

static void test_list_paging(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_compute *v;
	struct az_error err;
	char body[1024];
	size_t n;

	(void)state;
	script_reset();
	snprintf(body, sizeof(body),
		 "{\"value\":[%s,{\"name\":\"cluster\",\"properties\":{"
		 "\"computeType\":\"AmlCompute\"}}],\"nextLink\":"
		 "\"http://127.0.0.1:%d" WS_PATH "/computes?api-version="
		 "2025-06-01&$skip=opaque%%3D%%3D\"}", CI_BODY, srv.port);
	script(200, NULL, body);
	script(200, NULL, "{\"value\":[{\"name\":\"ci-b\"},{\"noname\":1}],"
	       "\"nextLink\":null}");
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_OK);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].name, "ci-a");
	assert_string_equal(v[1].name, "cluster");
	assert_string_equal(v[2].name, "ci-b");
	az_compute_free_array(v, n);
	assert_string_equal(srv.seen[0].target,
			    WS_PATH "/computes?api-version=2025-06-01");
	/* followed verbatim */
	assert_string_equal(srv.seen[1].target, WS_PATH "/computes?"
			    "api-version=2025-06-01&$skip=opaque%3D%3D");
	assert_string_equal(srv.seen[1].auth, "Bearer tok-123");

	/* empty nextLink ends; no value array is an error */
	script_reset();
	script(200, NULL, "{\"value\":[],\"nextLink\":\"\"}");
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_OK);
	assert_int_equal(n, 0);
	az_compute_free_array(v, n);
	script_reset();
	script(200, NULL, "{\"values\":[]}");
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_ERR_PROTOCOL);
	assert_null(v);
	assert_int_equal(n, 0);
	az_client_free(c);
}

static void test_list_guards(void **state)
{
	struct az_client *c = new_client(3, 5000);
	struct az_compute *v;
	struct az_error err;
	char body[1024];
	size_t n;

	(void)state;
	/* a nextLink to another host: refused, no request (no token) sent */
	script_reset();
	snprintf(body, sizeof(body), "{\"value\":[%s],\"nextLink\":"
		 "\"http://127.0.0.2:%d/steal\"}", CI_BODY, srv.port);
	script(200, NULL, body);
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_ERR_PROTOCOL);
	assert_int_equal(srv.n_seen, 1);
	snprintf(body, sizeof(body), "{\"value\":[],\"nextLink\":"
		 "\"https://127.0.0.1:%d/x\"}", srv.port);
	script_reset();
	script(200, NULL, body);
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_ERR_PROTOCOL);
	assert_int_equal(srv.n_seen, 1);

	/* a nextLink loop: page 2 points back to page 2 */
	script_reset();
	snprintf(body, sizeof(body), "{\"value\":[],\"nextLink\":"
		 "\"http://127.0.0.1:%d/p2\"}", srv.port);
	script(200, NULL, body);
	script(200, NULL, body);
	script(200, NULL, body);
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "loop"));
	assert_int_equal(srv.n_seen, 2);

	/* a relative nextLink resolves against the page */
	script_reset();
	script(200, NULL, "{\"value\":[],\"nextLink\":\"computes?$skip=2\"}");
	script(200, NULL, "{\"value\":[]}");
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_OK);
	az_compute_free_array(v, n);
	assert_string_equal(srv.seen[1].target, WS_PATH "/computes?$skip=2");
	az_client_free(c);
}

static void test_timeout_and_unreachable(void **state)
{
	struct az_client_config cfg = { 0 };
	struct az_client *c = new_client(0, 300);
	struct az_compute comp;
	struct az_error err;
	time_t t0;

	(void)state;
	script_reset();
	script_mode(2);
	t0 = time(NULL);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_TIMEOUT);
	assert_true(time(NULL) - t0 <= 2);
	assert_int_equal(err.http_status, 0);
	az_client_free(c);

	/* nothing listens on port 1 */
	az_workspace_from_parts(SUB, "rg", "ws1", &cfg.ws, NULL, 0);
	cfg.endpoint = "http://127.0.0.1:1";
	cfg.auth = az_auth_static("t");
	cfg.max_retries = 1;
	c = az_client_new(&cfg, &err);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_UNREACHABLE);
	assert_non_null(strstr(err.message, "cannot reach"));
	assert_null(strstr(err.message, "api-version")); /* no query logged */
	az_client_free(c);
}

static void test_workspace_identity(void **state)
{
	struct az_client_config cfg = { 0 };
	struct az_workspace_info wi;
	struct az_client *c;
	struct az_error err;
	char ep[64];

	(void)state;
	script_reset();
	script(200, NULL, "{\"name\":\"ws1\",\"location\":\"westeurope\"}");
	snprintf(ep, sizeof(ep), "http://localhost:%d/", srv.port);
	az_workspace_from_parts(SUB, "rg", "ws1", &cfg.ws, NULL, 0);
	cfg.endpoint = ep;
	/* payload {"oid":"o-1","upn":"alice@contoso.com"} */
	cfg.auth = az_auth_static("eyJhbGciOiJub25lIn0."
				  "eyJvaWQiOiJvLTEiLCJ1cG4iOiJhbGljZUBjb250b3NvLmNvbSJ9"
				  ".sig");
	c = az_client_new(&cfg, &err);
	assert_int_equal(az_get_workspace(c, &wi, &err), AZ_OK);
	assert_string_equal(wi.location, "westeurope");
	assert_string_equal(wi.identity, "alice@contoso.com");
	assert_string_equal(srv.seen[0].target,
			    WS_PATH "?api-version=2025-06-01");
	az_client_free(c);

	script_reset();
	script(200, NULL, "{\"location\":\"eastus\"}");
	cfg.auth = az_auth_static("opaque-token");
	c = az_client_new(&cfg, &err);
	assert_int_equal(az_get_workspace(c, &wi, &err), AZ_OK);
	assert_string_equal(wi.identity, "");
	az_client_free(c);
}

static void test_post_sent_once(void **state)
{
	struct az_http_opts o = { .max_retries = 3 };
	struct az_http_req r = { .method = "POST", .max_retries = -1 };
	struct az_http_resp resp;
	struct az_error err;
	struct az_http *h = az_http_new(&o, &err);
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/x/start", srv.port);
	r.url = url;
	script_reset();
	script(502, NULL, "{}");
	script(202, "Location: http://127.0.0.1/op\r\n", NULL);
	assert_int_equal(az_http_send(h, &r, &resp, &err), AZ_ERR_SERVER);
	az_http_resp_free(&resp);
	assert_int_equal(srv.n_seen, 1);

	/* a 503 reached Azure too: sent once */
	script_reset();
	script(503, NULL, "{}");
	assert_int_equal(az_http_send(h, &r, &resp, &err), AZ_ERR_SERVER);
	az_http_resp_free(&resp);
	assert_int_equal(srv.n_seen, 1);

	/* a 429 was not processed: sent again */
	script_reset();
	script(429, "Retry-After: 0\r\n", "{}");
	script(202, "Location: http://127.0.0.1/op\r\n"
		    "Azure-AsyncOperation: http://127.0.0.1/aop?sig=1\r\n"
		    "Retry-After: 7\r\n", NULL);
	assert_int_equal(az_http_send(h, &r, &resp, &err), AZ_OK);
	assert_int_equal(resp.status, 202);
	assert_string_equal(resp.location, "http://127.0.0.1/op");
	assert_string_equal(resp.async_op, "http://127.0.0.1/aop?sig=1");
	assert_int_equal(resp.retry_after_ms, 7000);
	assert_string_equal(resp.body, "");
	assert_string_equal(srv.seen[1].method, "POST");
	assert_string_equal(srv.seen[1].auth, ""); /* no auth given */
	az_http_resp_free(&resp);

	/* no token over http to a non-loopback host, ever */
	r.url = "http://192.0.2.1/x";
	r.auth = az_auth_static("t");
	assert_int_equal(az_http_send(h, &r, &resp, &err), AZ_ERR_INVALID);
	az_http_resp_free(&resp);
	az_auth_free(r.auth);
	az_http_free(h);
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_retry_after_parse),
		cmocka_unit_test(test_retry_status),
		cmocka_unit_test(test_retry_transport),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_error_mapping),
		cmocka_unit_test(test_error_body),
		cmocka_unit_test(test_urls),
	};
	const struct CMUnitTest wire[] = {
		cmocka_unit_test(test_client_new_checks),
		cmocka_unit_test(test_get_and_reuse),
		cmocka_unit_test(test_not_found_and_errors),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_401_renews_once),
		cmocka_unit_test(test_list_paging),
		cmocka_unit_test(test_list_guards),
		cmocka_unit_test(test_timeout_and_unreachable),
		cmocka_unit_test(test_workspace_identity),
		cmocka_unit_test(test_post_sent_once),
	};
	int rc;

	rc = cmocka_run_group_tests(pure, NULL, NULL);
	rc |= cmocka_run_group_tests(wire, server_setup, server_teardown);
	return rc;
}
