/**
 * @file
 * HTTP calls for the client (see http.h): one call is attempts on easy
 * handles from the handle's pool (http_handle.c, http_xfer.c), run on a
 * multi handle of its own so that a cancellation wakes it at once, within
 * one deadline, with the Azure SDK retry policy (retry.c) and one token
 * renewal on 401.
 *
 * DESIGN
 * Threads: any number of callers (FUSE workers, the cache's tracker)
 * call az_http_send() at once. Each call takes an easy handle from a
 * small pool, performs without any lock of ours held, and gives the handle
 * back; the multi handle runs it (perform()). Handles share, through one CURLSH, the connection cache, DNS
 * cache and TLS session cache, so a connection opened by one thread is
 * reused by the next request of any thread. libcurl locks the shared
 * data through share_lock()/share_unlock(), one mutex per curl_lock_data,
 * each held only for the short moments libcurl asks for.
 *
 * Time and cancellation: a call's deadline (http.h) cuts every attempt's
 * libcurl timeouts and every wait; the call registers its multi handle's
 * curl_multi_wakeup() as the waker of the current call (util/call.h), so
 * call_cancel() from another thread (an interrupt, a shutdown) ends a
 * transfer or a retry's sleep at once; the previous waker is restored
 * when the call ends (token renewals nest a call inside a call).
 *
 * Secrets: the bearer token and extra headers (MSI secrets) go only into
 * the curl header list, which is freed after the attempt; request bodies
 * (which may hold a client secret) and response bodies (which may hold a
 * token) are never logged. Log lines show URLs without their query.
 */
#include "client/http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/call.h"
#include "util/log.h"

/* ms: a retry is made only when at least this is left for it after its
 * wait (an attempt with less could not get an answer anyway) */
#define MIN_ATTEMPT_MS 100

/* The waker of a call (util/call.h): end the call's curl_multi_poll(). */
static void wake_multi(void *arg)
{
	curl_multi_wakeup(arg);
}

/* Milliseconds left before @deadline (call_now() seconds), at least 0. */
static long left_ms(double deadline)
{
	double left = deadline - call_now();

	return left > 0 ? (long)(left * 1000) : 0;
}

/*
 * Sleep @ms on @m's poll, which call_cancel() wakes. false when the call
 * was canceled meanwhile.
 */
static bool nap(CURLM *m, long ms)
{
	double until = call_now() + (double)ms / 1000;
	long left;

	while (!call_canceled() && (left = left_ms(until)) > 0)
		curl_multi_poll(m, NULL, 0, (int)(left < 1000 ? left : 1000),
				NULL);
	return !call_canceled();
}

/*
 * Run @e to its end on @m, looking at the call's cancellation whenever
 * libcurl's poll returns (at once on call_cancel(), else within 1 s).
 * libcurl's own timeouts (set from the deadline) end a slow transfer.
 */
static CURLcode perform(CURL *e, CURLM *m)
{
	CURLcode rc = CURLE_OK;
	CURLMsg *msg;
	int running = 1, queued;

	if (curl_multi_add_handle(m, e) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	for (;;) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = CURLE_OUT_OF_MEMORY;
			break;
		}
		if (!running)
			break;
		if (call_canceled()) {
			rc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	while (!running && (msg = curl_multi_info_read(m, &queued)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
			rc = msg->data.result;
	curl_multi_remove_handle(m, e);
	return rc;
}

/*
 * One attempt: take a handle, perform on @m, give it back. No lock of
 * ours is held while libcurl works. *@sent says whether the request may
 * have reached the server.
 */
static CURLcode attempt(struct az_http *h, const struct az_http_req *r,
			const char *token, struct xfer *x, CURLM *m,
			double deadline, long *status, bool *sent,
			char errbuf[CURL_ERROR_SIZE])
{
	struct curl_slist *hdrs;
	curl_off_t pre = 0;
	long left = left_ms(deadline);
	CURLcode rc;
	CURL *c;

	*status = 0;
	*sent = false;
	errbuf[0] = '\0';
	if (left <= 0)
		return CURLE_OPERATION_TIMEDOUT;
	hdrs = az_http_build_headers(r, token);
	if (!hdrs)
		return CURLE_OUT_OF_MEMORY;
	c = az_http_handle_get(h);
	if (!c) {
		curl_slist_free_all(hdrs);
		return CURLE_OUT_OF_MEMORY;
	}
	if (az_http_setup_easy(h, c, r, hdrs, x, left) != AZ_OK) {
		rc = CURLE_URL_MALFORMAT;
	} else {
		/* libcurl's own words: "SSL certificate problem: ..." */
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
		atomic_fetch_add(&h->requests, 1);
		rc = perform(c, m);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pre);
		*sent = pre > 0 || *status > 0;
	}
	az_http_handle_put(h, c);
	/* the list held the token: wipe it before it goes back to malloc */
	for (struct curl_slist *it = hdrs; it; it = it->next)
		explicit_bzero(it->data, strlen(it->data));
	curl_slist_free_all(hdrs);
	return rc;
}

static enum az_err get_token(const struct az_http_req *r, char *buf,
			     const char *url_log, struct az_error *err)
{
	if (!r->auth)
		return AZ_OK;
	if (!az_url_token_safe(r->url))
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "refusing to send a bearer token to %s: not "
			       "https and not a loopback address", url_log);
	return az_auth_token(r->auth, buf, TOKEN_MAX, err);
}

/* The call's deadline: its own bound, or the current call's if sooner. */
static double call_deadline(const struct az_http *h)
{
	double d = call_now() + (double)h->o.call_timeout_ms / 1000;
	double left = call_remaining();

	if (left >= 0 && call_now() + left < d)
		d = call_now() + left;
	return d;
}

/* A failed attempt's error: interrupted, out of time, or libcurl's. */
static enum az_err transport_err(const struct az_http_req *r, CURLcode rc,
				 bool big, long status, bool timed_out,
				 const char *url_log, const char *errbuf,
				 struct az_error *err)
{
	char why[CURL_ERROR_SIZE];

	if (call_canceled() || rc == CURLE_ABORTED_BY_CALLBACK)
		return az_fail(err, AZ_ERR_CANCELED, 0,
			       "%s %s: interrupted", r->method, url_log);
	if (big)
		return az_fail(err, AZ_ERR_PROTOCOL, status,
			       "reply from %s larger than %ld bytes", url_log,
			       AZ_HTTP_MAX_BODY);
	if (timed_out)
		return az_fail(err, AZ_ERR_TIMEOUT, 0,
			       "no answer from %s in time", url_log);
	az_copy_clean(why, sizeof(why), errbuf[0] ? errbuf :
		      curl_easy_strerror(rc));
	if (az_curl_err(rc) == AZ_ERR_TLS)
		return az_fail(err, AZ_ERR_TLS, 0,
			       "no trusted TLS connection to %s: %s", url_log,
			       why);
	if (rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_PARTIAL_FILE) /* it was reached: the reply was lost */
		return az_fail(err, az_curl_err(rc), 0,
			       "no whole reply from %s: %s", url_log, why);
	return az_fail(err, az_curl_err(rc), 0, "cannot reach %s: %s",
		       url_log, why);
}

enum az_err az_http_send(struct az_http *h, const struct az_http_req *r,
			 struct az_http_resp *resp, struct az_error *err)
{
	int max = r->max_retries >= 0 ? r->max_retries : h->o.max_retries;
	double deadline = call_deadline(h);
	struct xfer x = { 0 };
	char errbuf[CURL_ERROR_SIZE];
	bool renewed = false, sent = false, ever_sent = false;
	char url_log[400];
	char *token = NULL;
	enum az_err e = AZ_OK;
	int retries = 0;
	long status, wait, budget = h->o.max_wait_ms;
	void (*owake)(void *);
	void *owarg;
	CURLcode rc;
	CURLM *m;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_ms = -1;
	az_url_for_log(r->url, url_log, sizeof(url_log));
	call_get_wake(&owake, &owarg);
	m = curl_multi_init();
	if (m)
		call_set_wake(wake_multi, m);
	if (r->auth)
		token = malloc(TOKEN_MAX);
	if (!m || (r->auth && !token)) {
		e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		goto out;
	}
	for (;;) {
		if (call_canceled()) {
			e = az_fail(err, AZ_ERR_CANCELED, 0, "%s %s: "
				    "interrupted", r->method, url_log);
			goto out;
		}
		e = get_token(r, token, url_log, err);
		if (e != AZ_OK)
			goto out;
		rc = attempt(h, r, token, &x, m, deadline, &status, &sent,
			     errbuf);
		/* left, and no answer came back: Azure may have acted */
		ever_sent |= sent && status == 0;
		if (token)
			explicit_bzero(token, TOKEN_MAX);
		if (rc != CURLE_OK) {
			bool big = x.too_big || rc == CURLE_FILESIZE_EXCEEDED;
			bool late = rc == CURLE_OPERATION_TIMEDOUT &&
				    left_ms(deadline) < MIN_ATTEMPT_MS;

			az_http_xfer_reset(&x);
			wait = az_retry_wait_ms(-1, retries + 1,
						budget < left_ms(deadline) ?
						budget : left_ms(deadline));
			if (!big && !late && retries < max &&
			    !call_canceled() &&
			    az_retry_transport(r->method, rc, sent) &&
			    left_ms(deadline) > wait + MIN_ATTEMPT_MS) {
				retries++;
				atomic_fetch_add(&h->retries, 1);
				budget -= wait;
				log_debug("%s %s: %s; retry %d in %ld ms",
					  r->method, url_log,
					  curl_easy_strerror(rc), retries,
					  wait);
				if (nap(m, wait))
					continue;
			}
			e = transport_err(r, rc, big, status, late, url_log,
					  errbuf, err);
			goto out;
		}
		az_http_resp_take(resp, &x, status, time(NULL));
		if (!resp->body) {
			e = az_fail(err, AZ_ERR_NOMEM, 0, NULL);
			goto out;
		}
		if (status == 401 && r->auth && !renewed) {
			renewed = true;
			atomic_fetch_add(&h->retries, 1);
			log_info("%s %s: 401, renewing the token", r->method,
				 url_log);
			az_auth_invalidate(r->auth);
			continue;
		}
		if (status == 429)
			atomic_fetch_add(&h->throttled, 1);
		if (status < 400) {
			e = AZ_OK;
			goto out;
		}
		wait = -1;
		if (retries < max &&
		    az_retry_status(r->method, status,
				    resp->retry_after_ms >= 0)) {
			long left = left_ms(deadline);

			wait = az_retry_wait_ms(resp->retry_after_ms,
						retries + 1, budget < left ?
						budget : left);
			if (wait + MIN_ATTEMPT_MS > left)
				wait = -1; /* no time left for the retry */
			if (wait < 0)
				log_info("%s %s: HTTP %ld; no time left to "
					 "wait %ld ms and retry, giving up",
					 r->method, url_log, status,
					 resp->retry_after_ms >= 0 ?
					 resp->retry_after_ms :
					 az_retry_backoff_ms(retries + 1));
		}
		if (wait >= 0) {
			retries++;
			budget -= wait;
			atomic_fetch_add(&h->retries, 1);
			log_info("%s %s: HTTP %ld; retry %d in %ld ms",
				 r->method, url_log, status, retries, wait);
			if (nap(m, wait))
				continue;
			e = az_fail(err, AZ_ERR_CANCELED, 0, "%s %s: "
				    "interrupted", r->method, url_log);
			goto out;
		}
		e = az_http_error_from_body(status, resp->body, resp->len,
					    err);
		if (r->quiet || status == 404)
			log_debug("%s %s: HTTP %ld %s: %s", r->method, url_log,
				  status, err ? err->arm_code : "",
				  err ? err->message : "");
		else
			log_warn("%s %s: HTTP %ld %s: %s", r->method, url_log,
				 status, err ? err->arm_code : "",
				 err ? err->message : "");
		goto out;
	}
out:
	resp->lost_reply = ever_sent && resp->status != 0;
	call_set_wake(owake, owarg); /* before m goes */
	if (m)
		curl_multi_cleanup(m);
	az_http_xfer_reset(&x);
	free(token);
	if (e != AZ_OK) {
		atomic_fetch_add(&h->failures, 1);
		if (err)
			err->maybe_done = ever_sent &&
				(e == AZ_ERR_CANCELED || e == AZ_ERR_TIMEOUT ||
				 e == AZ_ERR_UNREACHABLE);
	}
	return e;
}

void az_http_resp_free(struct az_http_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->location);
	free(resp->async_op);
	memset(resp, 0, sizeof(*resp));
	resp->retry_after_ms = -1;
}
