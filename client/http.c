/**
 * @file
 * HTTP for the client (see http.h): libcurl easy handles over one shared
 * connection cache, bounded timeouts, a response size cap, the Azure SDK
 * retry policy (retry.c) and one token renewal on 401.
 *
 * DESIGN
 * Threads: any number of callers (FUSE workers, the cache's tracker)
 * call az_http_send() at once. Each call takes an easy handle from a
 * small pool, performs without any lock of ours held, and gives the handle
 * back. Handles share, through one CURLSH, the connection cache, DNS
 * cache and TLS session cache, so a connection opened by one thread is
 * reused by the next request of any thread. libcurl locks the shared
 * data through share_lock()/share_unlock(), one mutex per curl_lock_data,
 * each held only for the short moments libcurl asks for.
 *
 * Locks:
 *  - h->pool_lock guards h->pool and h->n_pool (idle handles) only; it is
 *    never held across curl_easy_perform().
 *  - h->share_locks[d] guards libcurl's shared data of kind d.
 * Counters are C11 atomics.
 *
 * Secrets: the bearer token and extra headers (MSI secrets) go only into
 * the curl header list, which is freed after the attempt; request bodies
 * (which may hold a client secret) and response bodies (which may hold a
 * token) are never logged. Log lines show URLs without their query.
 */
#include "client/http.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "util/buf.h"
#include "util/call.h"
#include "util/log.h"

#define POOL_MAX 8
#define TOKEN_MAX 16384
#define HEADER_MAX 16384 /* longest Location we keep (ARM: >= 4 KB) */
#define SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
#define CA_FILE_MAX (64UL << 20) /* a CA bundle larger is not one */
#define TIMEOUT_ENV "COMPUTEFS_HTTP_TIMEOUT_MS" /* see env_ms() */

struct az_http {
	struct az_http_opts o;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];     /* protected by pool_lock */
	size_t n_pool;            /* protected by pool_lock */
	char *ca_data;            /* system bundle + ca_file, or NULL */
	size_t ca_len;
	char *ca_path;            /* ca_file alone (no system bundle) */
	atomic_ulong requests, retries, throttled, failures;
};

/* One attempt's reply as it arrives. */
struct xfer {
	struct buf body;
	bool too_big;
	char *location, *async_op, *ra, *ra_ms, *x_ra_ms;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *handle, curl_lock_data data,
		       curl_lock_access access, void *userp)
{
	struct az_http *h = userp;

	(void)handle;
	(void)access;
	if (data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&h->share_locks[data]);
}

static void share_unlock(CURL *handle, curl_lock_data data, void *userp)
{
	struct az_http *h = userp;

	(void)handle;
	if (data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&h->share_locks[data]);
}

/*
 * ca_file adds to the system bundle: when both exist, hand libcurl the
 * two concatenated as a blob; when only ca_file, its path.
 */
static enum az_err setup_ca(struct az_http *h, const char *ca_file,
			    struct az_error *err)
{
	struct buf all = BUF_INIT, extra = BUF_INIT;

	if (buf_read_file(&extra, ca_file, CA_FILE_MAX) < 0) {
		int e = errno;

		buf_free(&extra);
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "cannot read ca_file %s: %s", ca_file,
			       strerror(e));
	}
	if (!extra.data ||
	    !strstr(extra.data, "-----BEGIN CERTIFICATE-----")) {
		buf_free(&extra);
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "ca_file %s holds no PEM certificate", ca_file);
	}
	if (buf_read_file(&all, SYSTEM_CA, CA_FILE_MAX) < 0) {
		buf_free(&all);
		buf_free(&extra);
		h->ca_path = strdup(ca_file);
		if (!h->ca_path)
			return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return AZ_OK;
	}
	buf_puts(&all, "\n");
	buf_add(&all, extra.data, extra.len);
	buf_free(&extra);
	if (all.failed) {
		buf_free(&all);
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	}
	h->ca_data = all.data;
	h->ca_len = all.len;
	return AZ_OK;
}

/*
 * A positive number of milliseconds from environment variable @name, else
 * @dflt. Hidden, for tests that need a short timeout (a server slower
 * than the timeout must not make a test run for minutes).
 */
static long env_ms(const char *name, long dflt)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 3600000L)
		return dflt;
	return v;
}

struct az_http *az_http_new(const struct az_http_opts *o,
			    struct az_error *err)
{
	struct az_http *h;
	int i;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK) {
		az_fail(err, AZ_ERR_NOMEM, 0, "cannot initialize libcurl: %s",
			curl_easy_strerror(global_rc));
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		return NULL;
	}
	h->o = *o;
	h->o.ca_file = NULL; /* not kept: the data or path is */
	if (h->o.connect_timeout_ms <= 0)
		h->o.connect_timeout_ms = 10000;
	if (h->o.total_timeout_ms <= 0)
		h->o.total_timeout_ms = env_ms(TIMEOUT_ENV, 30000);
	if (h->o.max_retries < 0)
		h->o.max_retries = 3;
	if (h->o.max_wait_ms <= 0)
		h->o.max_wait_ms = AZ_HTTP_MAX_WAIT_MS;
	if (h->o.call_timeout_ms <= 0)
		h->o.call_timeout_ms = AZ_HTTP_CALL_TIMEOUT_MS;
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&h->share_locks[i], NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	if (o->ca_file && *o->ca_file && setup_ca(h, o->ca_file, err) != AZ_OK)
		goto fail;
	h->share = curl_share_init();
	if (!h->share) {
		az_fail(err, AZ_ERR_NOMEM, 0, NULL);
		goto fail;
	}
	curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(h->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);
	return h;
fail:
	az_http_free(h);
	return NULL;
}

void az_http_free(struct az_http *h)
{
	size_t i;

	if (!h)
		return;
	/* easy handles first: they hold references into the share */
	for (i = 0; i < h->n_pool; i++)
		curl_easy_cleanup(h->pool[i]);
	if (h->share)
		curl_share_cleanup(h->share);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&h->share_locks[i]);
	pthread_mutex_destroy(&h->pool_lock);
	free(h->ca_data);
	free(h->ca_path);
	free(h);
}

static CURL *handle_get(struct az_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->pool_lock);
	if (h->n_pool)
		c = h->pool[--h->n_pool];
	pthread_mutex_unlock(&h->pool_lock);
	return c ? c : curl_easy_init();
}

static void handle_put(struct az_http *h, CURL *c)
{
	curl_easy_reset(c); /* keeps the caches; drops our options */
	pthread_mutex_lock(&h->pool_lock);
	if (h->n_pool < POOL_MAX) {
		h->pool[h->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (c)
		curl_easy_cleanup(c);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;

	if (x->body.len + n > (size_t)AZ_HTTP_MAX_BODY) {
		x->too_big = true;
		return 0;
	}
	buf_add(&x->body, data, n);
	if (x->body.failed)
		return 0;
	return n;
}

static void xfer_clear_headers(struct xfer *x)
{
	free(x->location);
	free(x->async_op);
	free(x->ra);
	free(x->ra_ms);
	free(x->x_ra_ms);
	x->location = x->async_op = x->ra = x->ra_ms = x->x_ra_ms = NULL;
}

static size_t on_header(char *data, size_t size, size_t nitems, void *userp)
{
	static const struct {
		const char *name;
		size_t off;
	} keep[] = {
		{ "location", offsetof(struct xfer, location) },
		{ "azure-asyncoperation", offsetof(struct xfer, async_op) },
		{ "retry-after", offsetof(struct xfer, ra) },
		{ "retry-after-ms", offsetof(struct xfer, ra_ms) },
		{ "x-ms-retry-after-ms", offsetof(struct xfer, x_ra_ms) },
	};
	struct xfer *x = userp;
	size_t n = size * nitems, i, name_len;
	const char *colon, *v, *end;

	if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		xfer_clear_headers(x); /* a new reply (after 100 Continue) */
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon)
		return n;
	name_len = (size_t)(colon - data);
	v = colon + 1;
	end = data + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end - v > HEADER_MAX)
		return n;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		char **dst = (char **)((char *)x + keep[i].off);

		if (strlen(keep[i].name) != name_len ||
		    strncasecmp(data, keep[i].name, name_len) != 0)
			continue;
		free(*dst);
		*dst = strndup(v, (size_t)(end - v));
		break;
	}
	return n;
}

static void xfer_reset(struct xfer *x)
{
	xfer_clear_headers(x);
	buf_free(&x->body);
	memset(x, 0, sizeof(*x));
}

/* Set every option of one attempt. */
static enum az_err setup_easy(struct az_http *h, CURL *c,
			      const struct az_http_req *r,
			      struct curl_slist *hdrs, struct xfer *x,
			      long left_ms)
{
	long cto = r->connect_timeout_ms > 0 ? r->connect_timeout_ms :
					       h->o.connect_timeout_ms;
	long tto = h->o.total_timeout_ms;
	struct curl_blob blob;

	/* one attempt never outlives the call's deadline */
	if (cto > left_ms)
		cto = left_ms;
	if (tto > left_ms)
		tto = left_ms;

	if (curl_easy_setopt(c, CURLOPT_URL, r->url) != CURLE_OK)
		return AZ_ERR_INVALID;
	curl_easy_setopt(c, CURLOPT_SHARE, h->share);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, cto);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, tto);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	/*
	 * libcurl silently sends a request again when a reused connection
	 * turns out dead before any reply: fine for GET, not for a POST
	 * (start, stop...) that the server may have acted on. Those go on a
	 * connection of their own; az_retry_transport() decides alone.
	 */
	if (strcasecmp(r->method, "POST") == 0 ||
	    strcasecmp(r->method, "PATCH") == 0)
		curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "computefs/" COMPUTEFS_VERSION);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)AZ_HTTP_MAX_BODY);
	if (h->ca_data) {
		blob.data = h->ca_data;
		blob.len = h->ca_len;
		blob.flags = CURL_BLOB_NOCOPY;
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (h->ca_path) {
		curl_easy_setopt(c, CURLOPT_CAINFO, h->ca_path);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (!r->body && strcmp(r->method, "POST") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	} else {
		/* POST always sends a body, if empty (Content-Length: 0) */
		const char *body = r->body ? r->body : "";

		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (strcmp(r->method, "POST") != 0)
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	}
	return AZ_OK;
}

/* The header list of one attempt; NULL on OOM. Holds the token. */
static struct curl_slist *build_headers(const struct az_http_req *r,
					const char *token)
{
	struct curl_slist *l = NULL, *t;
	char ctype[128];
	char *auth = NULL;
	size_t i, n;

#define ADD(s) do { t = curl_slist_append(l, (s)); if (!t) goto oom; \
		    l = t; } while (0)
	ADD("Accept: application/json");
	ADD("Expect:");
	if (r->body || strcmp(r->method, "POST") == 0) {
		snprintf(ctype, sizeof(ctype), "Content-Type: %s",
			 r->content_type ? r->content_type :
					   "application/json");
		ADD(ctype);
	}
	for (i = 0; r->headers && r->headers[i]; i++)
		ADD(r->headers[i]);
	if (token) {
		n = strlen(token) + sizeof("Authorization: Bearer ");
		auth = malloc(n);
		if (!auth)
			goto oom;
		snprintf(auth, n, "Authorization: Bearer %s", token);
		ADD(auth);
		explicit_bzero(auth, n);
		free(auth);
	}
#undef ADD
	return l;
oom:
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	curl_slist_free_all(l);
	return NULL;
}

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
	hdrs = build_headers(r, token);
	if (!hdrs)
		return CURLE_OUT_OF_MEMORY;
	c = handle_get(h);
	if (!c) {
		curl_slist_free_all(hdrs);
		return CURLE_OUT_OF_MEMORY;
	}
	if (setup_easy(h, c, r, hdrs, x, left) != AZ_OK) {
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
	handle_put(h, c);
	/* the list held the token: wipe it before it goes back to malloc */
	for (struct curl_slist *it = hdrs; it; it = it->next)
		explicit_bzero(it->data, strlen(it->data));
	curl_slist_free_all(hdrs);
	return rc;
}

static void resp_take(struct az_http_resp *resp, struct xfer *x, long status,
		      time_t now)
{
	az_http_resp_free(resp);
	resp->status = status;
	resp->body = x->body.data ? x->body.data : strdup("");
	resp->len = x->body.len;
	resp->location = x->location;
	resp->async_op = x->async_op;
	resp->retry_after_ms = az_retry_after_ms(x->ra, x->ra_ms, x->x_ra_ms,
						 now);
	free(x->ra);
	free(x->ra_ms);
	free(x->x_ra_ms);
	memset(x, 0, sizeof(*x));
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
		ever_sent |= sent;
		if (token)
			explicit_bzero(token, TOKEN_MAX);
		if (rc != CURLE_OK) {
			bool big = x.too_big || rc == CURLE_FILESIZE_EXCEEDED;
			bool late = rc == CURLE_OPERATION_TIMEDOUT &&
				    left_ms(deadline) <= 0;

			xfer_reset(&x);
			wait = az_retry_wait_ms(-1, retries + 1,
						budget < left_ms(deadline) ?
						budget : left_ms(deadline));
			if (!big && !late && retries < max &&
			    !call_canceled() &&
			    az_retry_transport(r->method, rc, sent) &&
			    left_ms(deadline) > wait) {
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
		resp_take(resp, &x, status, time(NULL));
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
			if (wait >= left)
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
		az_http_error_from_body(status, resp->body, resp->len, err);
		e = az_http_status_err(status);
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
	call_set_wake(owake, owarg); /* before m goes */
	if (m)
		curl_multi_cleanup(m);
	xfer_reset(&x);
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

void az_http_counters(struct az_http *h, struct az_http_counters *out)
{
	out->requests = atomic_load(&h->requests);
	out->retries = atomic_load(&h->retries);
	out->throttled = atomic_load(&h->throttled);
	out->failures = atomic_load(&h->failures);
}

void az_http_count_failure(struct az_http *h)
{
	atomic_fetch_add(&h->failures, 1);
}
