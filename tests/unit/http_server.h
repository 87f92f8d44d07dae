/**
 * @file
 * A scripted HTTP/1.1 server on a loopback port, shared by the unit tests
 * of the client's HTTP layer (test_http.c: plain requests; test_http_lro.c:
 * long-running operations), and a client pointed at it.
 *
 * A test queues replies with script() and script_mode(), calls the client,
 * then checks what the server saw in srv.seen[] and srv.n_seen. Replies are
 * handed out in order, one per request, whatever the connection; once the
 * script runs out every request gets a 500.
 *
 * DESIGN: server_setup() starts an accept thread, which starts a detached
 * thread per connection (the client opens a fresh connection for POST
 * while a kept-alive one is still open). The fields of srv marked so are
 * protected by srv.lock. A connection thread records the request and takes
 * the next reply under the lock, then sends its own copy of the reply's
 * body, so script_reset() may free the script's while it is still sending.
 * script() and script_mode() take no lock: call them between requests. A
 * test reads srv.seen[] and srv.n_seen without it, once its client call
 * has returned and no request is in flight.
 */
#ifndef COMPUTEFS_TESTS_UNIT_HTTP_SERVER_H
#define COMPUTEFS_TESTS_UNIT_HTTP_SERVER_H

#include <pthread.h>

struct az_client;

/* ---- what the server replies and what it saw ---- */

#define MAX_SCRIPT 16

struct reply {
	int status;
	char headers[512];   /* extra header lines, each "\r\n"-ended */
	char *body;          /* malloc'd or NULL */
	int mode;            /* 0 normal, 1 close without reply, 2 hang */
};

struct seen {
	char method[16];
	char target[2048];
	char auth[256];
	char body[256];
};

struct server {
	int fd, port;
	pthread_t thread;
	pthread_mutex_t lock;
	struct reply script[MAX_SCRIPT]; /* protected by lock */
	int n_script, next;              /* protected by lock */
	struct seen seen[64];            /* protected by lock */
	int n_seen;                      /* protected by lock */
	int connections;                 /* protected by lock */
	volatile int stop;
};

/* The one server of a test program, started by server_setup(). */
extern struct server srv;

/* ---- setup and teardown, as a cmocka group's ---- */

/* Listen on 127.0.0.1, an ephemeral port (srv.port); start serving. */
int server_setup(void **state);
/* Stop serving, close the socket, free the script. */
int server_teardown(void **state);

/* ---- the script ---- */

/* Queue a reply: status, extra header lines (or NULL), body (or NULL). */
void script(int status, const char *headers, const char *body);
/* Queue a misbehaviour: 1 closes without a reply, 2 hangs 2 s, then closes. */
void script_mode(int mode);
/* Free the script; forget what was seen and the connection count. */
void script_reset(void);
/* srv.n_seen read under srv.lock: while a request may be in flight. */
int seen_count(void);

/* ---- the workspace and a client for it ---- */

#define SUB "00000000-0000-0000-0000-000000000001"
#define WS_PATH "/subscriptions/" SUB "/resourceGroups/rg/providers/" \
	"Microsoft.MachineLearningServices/workspaces/ws1"

/* A running compute instance "ci-a", as Azure returns it. */
extern const char CI_BODY[];

/*
 * A client for workspace ws1 at the server, token "tok-123", with these
 * retries and per-attempt timeout. Asserts it was made; the caller frees it
 * with az_client_free().
 */
struct az_client *new_client(int retries, long total_ms);

#endif /* COMPUTEFS_TESTS_UNIT_HTTP_SERVER_H */
