/**
 * @file
 * Unit tests of one client call's time (http.c, util/call.c) against the
 * scripted loopback server: a call ends by its deadline however the
 * server stalls, a canceled call ends at once with its transfer aborted,
 * a Retry-After past the deadline is not slept, and a listing of empty
 * pages that never ends stops at its bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client.h"
#include "client/client_impl.h"
#include "client/http.h"
#include "util/call.h"

#include "http_server.h"

/* A thread that cancels @k after @ms milliseconds. */
struct canceler {
	pthread_t tid;
	struct call *k;
	long ms;
};

static void *cancel_main(void *arg)
{
	struct canceler *x = arg;

	usleep((useconds_t)x->ms * 1000);
	call_cancel(x->k);
	return NULL;
}

static void test_deadline_cuts_a_hanging_attempt(void **state)
{
	struct az_client *c = new_client(3, 30000);
	struct az_compute comp;
	struct az_error err;
	struct call k;
	double t0;

	(void)state;
	script_reset();
	script_mode(2); /* hangs 2 s */
	script_mode(2);
	call_enter(&k, 0.4);
	t0 = call_now();
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_TIMEOUT);
	assert_true(call_now() - t0 < 1.0);
	assert_true(err.maybe_done); /* the GET had left */
	call_leave(&k);
	/* one attempt: no time was left for another */
	assert_int_equal(seen_count(), 1);
	az_client_free(c);
}

static void test_cancel_aborts_the_transfer(void **state)
{
	struct az_client *c = new_client(3, 30000);
	struct canceler x = { .ms = 200 };
	struct az_compute comp;
	struct az_error err;
	struct call k;
	double t0;

	(void)state;
	script_reset();
	script_mode(2);
	call_enter(&k, 0);
	x.k = &k;
	pthread_create(&x.tid, NULL, cancel_main, &x);
	t0 = call_now();
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_CANCELED);
	assert_true(call_now() - t0 < 0.6);
	pthread_join(x.tid, NULL);
	assert_true(call_canceled());
	call_leave(&k);
	assert_false(call_canceled());
	assert_int_equal(seen_count(), 1);
	az_client_free(c);
}

static void test_cancel_ends_a_backoff_sleep(void **state)
{
	struct az_client *c = new_client(3, 30000);
	struct canceler x = { .ms = 200 };
	struct az_compute comp;
	struct az_error err;
	struct call k;
	double t0;

	(void)state;
	script_reset();
	script(503, "Retry-After: 20\r\n", NULL);
	call_enter(&k, 0);
	x.k = &k;
	pthread_create(&x.tid, NULL, cancel_main, &x);
	t0 = call_now();
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_CANCELED);
	assert_true(call_now() - t0 < 0.6);
	assert_false(err.maybe_done); /* Azure had answered */
	pthread_join(x.tid, NULL);
	call_leave(&k);
	assert_int_equal(seen_count(), 1);
	az_client_free(c);
}

static void test_retry_after_past_the_deadline_gives_up(void **state)
{
	struct az_client *c = new_client(3, 30000);
	struct az_compute comp;
	struct az_error err;
	struct call k;
	double t0;

	(void)state;
	script_reset();
	script(429, "Retry-After: 3\r\n", NULL);
	call_enter(&k, 2);
	t0 = call_now();
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err),
			 AZ_ERR_THROTTLED);
	assert_true(call_now() - t0 < 0.5);
	call_leave(&k);
	assert_int_equal(seen_count(), 1);

	/* one that fits is waited and retried */
	script_reset();
	script(429, "Retry-After: 0.2\r\n", NULL);
	script(200, NULL, CI_BODY);
	call_enter(&k, 2);
	assert_int_equal(az_get_compute(c, "ci-a", &comp, &err), AZ_OK);
	call_leave(&k);
	az_compute_free(&comp);
	assert_int_equal(seen_count(), 2);
	az_client_free(c);
}

static void test_nested_call_keeps_the_sooner_deadline(void **state)
{
	struct call outer, inner;

	(void)state;
	assert_true(call_remaining() == -1);
	call_enter(&outer, 1);
	call_enter(&inner, 60);
	assert_true(call_remaining() <= 1);
	call_cancel(&outer);
	assert_true(call_canceled()); /* the inner call is canceled too */
	call_leave(&inner);
	call_leave(&outer);
	assert_null(call_current());
}

static void test_endless_empty_pages_stop(void **state)
{
	struct az_client *c = new_client(0, 5000);
	struct az_client_stats st;
	struct az_compute *v;
	struct az_error err;
	char body[256];
	size_t n;
	int i;

	(void)state;
	script_reset();
	for (i = 0; i < 6; i++) {
		snprintf(body, sizeof(body), "{\"value\":[],\"nextLink\":"
			 "\"http://127.0.0.1:%d" WS_PATH "/computes?p=%d\"}",
			 srv.port, i);
		script(200, NULL, body);
	}
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_ERR_PROTOCOL);
	assert_non_null(strstr(err.message, "empty pages"));
	assert_int_equal(seen_count(), AZ_LIST_MAX_EMPTY_RUN);
	az_client_stats(c, &st);
	assert_int_equal(st.lists_cut, 1);

	/* empty pages amid full ones are fine */
	script_reset();
	snprintf(body, sizeof(body), "{\"value\":[],\"nextLink\":"
		 "\"http://127.0.0.1:%d" WS_PATH "/computes?p=a\"}", srv.port);
	script(200, NULL, body);
	script(200, NULL, "{\"value\":[],\"nextLink\":\"computes?p=b\"}");
	snprintf(body, sizeof(body), "{\"value\":[%s]}", CI_BODY);
	script(200, NULL, body);
	assert_int_equal(az_list_computes(c, &v, &n, &err), AZ_OK);
	assert_int_equal(n, 1);
	az_compute_free_array(v, n);
	az_client_stats(c, &st);
	assert_int_equal(st.list_pages, 3);
	az_client_free(c);
}

int main(void)
{
	const struct CMUnitTest wire[] = {
		cmocka_unit_test(test_deadline_cuts_a_hanging_attempt),
		cmocka_unit_test(test_cancel_aborts_the_transfer),
		cmocka_unit_test(test_cancel_ends_a_backoff_sleep),
		cmocka_unit_test(test_retry_after_past_the_deadline_gives_up),
		cmocka_unit_test(test_nested_call_keeps_the_sooner_deadline),
		cmocka_unit_test(test_endless_empty_pages_stop),
	};

	return cmocka_run_group_tests(wire, server_setup, server_teardown);
}
