/**
 * @file
 * The scripted loopback HTTP server of test_http and test_http_lro, and a
 * client pointed at it; see http_server.h for the API and its threads.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/client.h"
#include "util/log.h"

#include "http_server.h"

struct server srv;

void script(int status, const char *headers, const char *body)
{
	struct reply *r = &srv.script[srv.n_script++];

	r->status = status;
	snprintf(r->headers, sizeof(r->headers), "%s", headers ? headers : "");
	r->body = body ? strdup(body) : NULL;
	r->mode = 0;
}

void script_mode(int mode)
{
	srv.script[srv.n_script++].mode = mode;
}

void script_reset(void)
{
	int i;

	pthread_mutex_lock(&srv.lock);
	for (i = 0; i < srv.n_script; i++)
		free(srv.script[i].body);
	memset(srv.script, 0, sizeof(srv.script));
	srv.n_script = srv.next = srv.n_seen = srv.connections = 0;
	pthread_mutex_unlock(&srv.lock);
}

/* Read one request; 0 on success, -1 when the peer closed. */
static int read_request(int fd, struct seen *s)
{
	char buf[16384];
	size_t n = 0;
	char *end = NULL, *p;
	long clen = 0;
	ssize_t got;

	memset(s, 0, sizeof(*s));
	while (!end) {
		if (n + 1 >= sizeof(buf))
			return -1;
		got = recv(fd, buf + n, sizeof(buf) - n - 1, 0);
		if (got <= 0)
			return -1;
		n += (size_t)got;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	sscanf(buf, "%15s %2047s", s->method, s->target);
	p = strcasestr(buf, "\r\nAuthorization: ");
	if (p && p < end)
		sscanf(p + 17, "%255[^\r]", s->auth);
	p = strcasestr(buf, "\r\nContent-Length: ");
	if (p && p < end)
		clen = strtol(p + 18, NULL, 10);
	end += 4;
	n -= (size_t)(end - buf);
	memmove(buf, end, n);
	while ((long)n < clen) {
		got = recv(fd, buf + n, sizeof(buf) - n - 1, 0);
		if (got <= 0)
			return -1;
		n += (size_t)got;
	}
	buf[n] = '\0';
	snprintf(s->body, sizeof(s->body), "%.255s", buf);
	return 0;
}

/* One connection, served until the peer closes (keep-alive). */
static void *serve_conn(void *arg)
{
	int c = (int)(intptr_t)arg;

	for (;;) {
		struct seen s;
		struct reply r = { 500, "", NULL, 0 };
		char head[1024];
		size_t blen;

		if (read_request(c, &s) < 0)
			break;
		pthread_mutex_lock(&srv.lock);
		if (srv.n_seen < 64)
			srv.seen[srv.n_seen++] = s;
		if (srv.next < srv.n_script) {
			r = srv.script[srv.next++];
			/* our own copy: script_reset() may free the script's
			 * while this thread is still sending */
			r.body = r.body ? strdup(r.body) : NULL;
		}
		pthread_mutex_unlock(&srv.lock);
		if (r.mode == 1)
			break;
		if (r.mode == 2) {
			sleep(2);
			break;
		}
		blen = r.body ? strlen(r.body) : 0;
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
			 "Content-Type: application/json\r\n%s\r\n",
			 r.status, blen, r.headers);
		if (send(c, head, strlen(head), MSG_NOSIGNAL) < 0 ||
		    (blen && send(c, r.body, blen, MSG_NOSIGNAL) < 0)) {
			free(r.body);
			break;
		}
		free(r.body);
	}
	close(c);
	return NULL;
}

/*
 * Accept loop: a thread per connection, since the client opens a fresh
 * connection for POST while a kept-alive one is still open.
 */
static void *serve(void *arg)
{
	(void)arg;
	/* atomic: server_teardown sets it from the main thread (volatile
	 * alone is a data race; ThreadSanitizer reports it) */
	while (!__atomic_load_n(&srv.stop, __ATOMIC_ACQUIRE)) {
		int c = accept(srv.fd, NULL, NULL);
		pthread_t t;

		if (c < 0)
			continue;
		pthread_mutex_lock(&srv.lock);
		srv.connections++;
		pthread_mutex_unlock(&srv.lock);
		if (pthread_create(&t, NULL, serve_conn, (void *)(intptr_t)c))
			close(c);
		else
			pthread_detach(t);
	}
	return NULL;
}

int server_setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int one = 1;

	(void)state;
	log_setup("test_http", false, LOG_LVL_ERROR);
	pthread_mutex_init(&srv.lock, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(srv.fd, 16) < 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	return pthread_create(&srv.thread, NULL, serve, NULL);
}

int server_teardown(void **state)
{
	(void)state;
	__atomic_store_n(&srv.stop, 1, __ATOMIC_RELEASE);
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(srv.thread, NULL);
	script_reset();
	return 0;
}

struct az_client *new_client(int retries, long total_ms)
{
	struct az_client_config cfg = { 0 };
	struct az_error err;
	char ep[64];
	struct az_client *c;

	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", srv.port);
	cfg.endpoint = ep;
	assert_int_equal(az_workspace_from_parts(SUB, "rg", "ws1", &cfg.ws,
						 NULL, 0), 0);
	cfg.auth = az_auth_static("tok-123");
	cfg.max_retries = retries;
	cfg.total_timeout_ms = total_ms;
	cfg.connect_timeout_ms = 1000;
	c = az_client_new(&cfg, &err);
	assert_non_null(c);
	return c;
}

const char CI_BODY[] =
	"{\"name\":\"ci-a\",\"properties\":{\"computeType\":"
	"\"ComputeInstance\",\"properties\":{\"state\":\"Running\"}}}";

int seen_count(void)
{
	int n;

	pthread_mutex_lock(&srv.lock);
	n = srv.n_seen;
	pthread_mutex_unlock(&srv.lock);
	return n;
}
