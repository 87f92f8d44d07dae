/**
 * @file
 * The HTTP handle (see http.h, http_impl.h): libcurl's global setup, one
 * CURLSH sharing the connection, DNS and TLS session caches between all
 * requests, the CA bundle, a small pool of idle easy handles, counters.
 *
 * DESIGN
 * Locks: h->pool_lock guards h->pool and h->n_pool (idle handles) only;
 * it is never held across a transfer. h->share_locks[d] guards libcurl's
 * shared data of kind d, each held only for the short moments libcurl
 * asks for (share_lock()/share_unlock()). Counters are C11 atomics.
 */
#include "client/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"
#define CA_FILE_MAX (64UL << 20) /* a CA bundle larger is not one */
#define TIMEOUT_ENV "COMPUTEFS_HTTP_TIMEOUT_MS" /* see env_ms() */

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

CURL *az_http_handle_get(struct az_http *h)
{
	CURL *c = NULL;

	pthread_mutex_lock(&h->pool_lock);
	if (h->n_pool)
		c = h->pool[--h->n_pool];
	pthread_mutex_unlock(&h->pool_lock);
	return c ? c : curl_easy_init();
}

void az_http_handle_put(struct az_http *h, CURL *c)
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
