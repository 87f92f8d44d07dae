/**
 * @file
 * libmicrohttpd plumbing and request dispatch (see server.h).
 *
 * DESIGN: MHD runs a listening thread and one thread per connection, so a
 * slow request (a fault's delay) never holds up the others, and keeps
 * HTTP/1.1 connections alive between requests. Each request's body is
 * gathered into a struct pending (owned by that connection's thread and
 * freed in on_completed) and then handed to server_handle(), which only
 * touches the modules of struct emu; they lock themselves.
 *
 * Stopping must not wait on a request: a fault's delay waits on the emu's
 * stop gate (emu_wait), which server_stop() opens before MHD joins the
 * connection threads; nothing else in a handler sleeps or blocks (the
 * operations' state machine reads the clock, it has no timers). MHD's
 * inter-thread channel (MHD_USE_ITC) lets it quiesce and wake the threads.
 */
#include "emulator/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "emulator/admin.h"
#include "emulator/arm.h"
#include "emulator/route.h"
#include "emulator/text.h"
#include "util/buf.h"
#include "util/log.h"

struct server {
	struct MHD_Daemon *d;
	struct emu *e;
	bool tls;
	char listen[80];	/* host:port, when a request has no Host */
};

/* One request in flight; owned by its connection's thread. */
struct pending {
	struct buf body;
	bool too_big;
};

bool server_loopback(const char *host, char *addr, size_t n)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0) {
		snprintf(addr, n, "127.0.0.1");
		return true;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if ((ntohl(a4.s_addr) >> 24) != 127)
			return false;
		snprintf(addr, n, "%s", host);
		return true;
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		if (!IN6_IS_ADDR_LOOPBACK(&a6))
			return false;
		snprintf(addr, n, "%s", host);
		return true;
	}
	return false;
}

int server_listen(const char *addr, int port, int *bound, char *err,
		  size_t errn)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;
	bool v6 = strchr(addr, ':') != NULL;

	memset(&ss, 0, sizeof(ss));
	if (v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errn, "cannot create a socket: %s",
			 strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, 128) < 0) {
		snprintf(err, errn, "cannot listen on %s:%d: %s", addr, port,
			 strerror(errno));
		close(fd);
		return -1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	*bound = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			  : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/*
 * Edit an answer as a fault rule says: remove its drop_headers, then set
 * its headers (each replaces a same-named one or is added).
 */
static void fault_headers(const struct fault_action *fa, struct emu_reply *r)
{
	const cJSON *h;

	cJSON_ArrayForEach(h, fa->drop_headers)
		reply_remove_header(r, h->valuestring);
	cJSON_ArrayForEach(h, fa->headers) {
		if (cJSON_IsString(h))
			reply_header(r, h->string, "%s", h->valuestring);
		else
			reply_header(r, h->string, "%g", h->valuedouble);
	}
}

/* The answer of a fault rule with a status (its body, or a default one). */
static void fault_reply(const struct fault_action *fa, struct emu_reply *r)
{
	if (fa->body) {
		reply_raw(r, fa->status, "application/json; charset=utf-8",
			  fa->body, strlen(fa->body));
	} else if (fa->status == 429) {
		reply_arm_error(r, 429, "TooManyRequests",
				"The request is being throttled as the limit "
				"has been reached for operation type - Read.");
	} else if (fa->status >= 500) {
		reply_arm_error(r, fa->status,
				fa->status == 503 ? "ServiceUnavailable"
						  : "InternalServerError",
				"The server encountered an internal error "
				"(injected fault).");
	} else if (fa->status >= 400) {
		reply_arm_error(r, fa->status, "InjectedFault",
				"This error was injected by a fault rule.");
	} else {
		reply_raw(r, fa->status, NULL, NULL, 0);
	}
}

/* Cut a body in half so that it is no longer valid JSON. */
static void malform(struct emu_reply *r)
{
	static const char junk[] = "{\"value\": [{\"id\": \"/subscr";

	if (r->body_len >= 8) {
		r->body_len /= 2;
		r->body[r->body_len] = '\0';
	} else {
		reply_raw(r, r->status ? r->status : 200,
			  "application/json; charset=utf-8", junk,
			  sizeof(junk) - 1);
	}
}

/* Serve a request; endless: the endless fault's list page (faults.h). */
static void serve(struct emu *e, const struct route *rt,
		  const struct emu_request *rq, bool endless,
		  struct emu_reply *r)
{
	switch (rt->kind) {
	case ROUTE_TOKEN_AAD:
	case ROUTE_TOKEN_MSI:
	case ROUTE_TOKEN_APPSERVICE:
	case ROUTE_TOKEN_IMDS:
		tokens_serve(e->tokens, rt, rq, r);
		return;
	case ROUTE_ADMIN:
		admin_serve(e, rt, rq, r);
		return;
	case ROUTE_UNKNOWN:
		reply_arm_error(r, 404, "NotFound",
				"The requested path '%s' was not found.",
				rq->path);
		return;
	case ROUTE_ARM_OTHER:
	case ROUTE_WORKSPACE:
	case ROUTE_COMPUTES:
	case ROUTE_COMPUTE:
	case ROUTE_ACTION:
	case ROUTE_OP_STATUS:
	case ROUTE_OP_RESULT:
		arm_serve(e, rt, rq, endless, r);
		return;
	}
}

void server_handle(struct emu *e, const struct emu_request *rq,
		   struct emu_reply *r)
{
	struct fault_action fa;
	const char *name;
	struct route rt;
	bool faulted = false;

	route_parse(rq->path, &rt);
	name = route_counter_name(&rt, rq->method);
	if (rt.kind == ROUTE_ADMIN) {
		serve(e, &rt, rq, false, r);
		return;
	}
	if (faults_match(e->faults, rq->method, rq->path, name, &fa)) {
		faulted = true;
		/* A delay cut short by a stop drops the request. */
		if (fa.delay_ms > 0 && !emu_wait(e, fa.delay_ms))
			r->drop = true;
		else if (fa.drop)
			r->drop = true;
		else if (fa.status)
			fault_reply(&fa, r);
		else
			serve(e, &rt, rq, fa.endless, r);
		if (!r->drop)
			fault_headers(&fa, r);
		if (fa.malformed && !r->drop)
			malform(r);
		/* Carried out above; now the reply is lost on the way. */
		if (fa.lost_reply)
			r->drop = true;
		fault_action_free(&fa);
	} else {
		serve(e, &rt, rq, false, r);
	}
	counters_add(e->counters, name, rq->method, rq->path, rq->body,
		     rq->body_len, r->drop ? 0 : r->status);
	log_debug("%s %s -> %d (%s%s)", rq->method, rq->path,
		  r->drop ? 0 : r->status, name, faulted ? ", fault" : "");
}

/* ---- libmicrohttpd callbacks ----------------------------------------- */

static const char *mhd_header(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

static const char *mhd_arg(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_GET_ARGUMENT_KIND, name);
}

static enum MHD_Result send_reply(struct MHD_Connection *c,
				  const struct emu_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(r->body_len,
					       r->body ? r->body : (void *)"",
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name,
					r->headers[i].value);
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result too_large(struct server *s, struct MHD_Connection *c)
{
	struct emu_reply r;
	enum MHD_Result ret;

	reply_init(&r);
	reply_arm_error(&r, 413, "RequestEntityTooLarge",
			"The request body is larger than %ld bytes.",
			s->e->cfg->max_body);
	ret = send_reply(c, &r);
	reply_free(&r);
	return ret;
}

static bool expects_continue(struct MHD_Connection *c)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Expect");

	return v && strcasecmp(v, "100-continue") == 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct server *s = cls;
	struct pending *p = *con_cls;
	struct emu_request rq;
	struct emu_reply r;
	enum MHD_Result ret;
	const char *cl, *host;
	long len;

	(void)version;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		*con_cls = p;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						 "Content-Length");
		if (cl && text_parse_long(cl, 0, 0x7fffffffL, &len) &&
		    len > s->e->cfg->max_body) {
			p->too_big = true;
			/*
			 * A client waiting for "100 Continue" gets the 413
			 * before it sends the body.  Any other client is
			 * already sending: the body is read and dropped so
			 * the reply is not lost to a reset connection.
			 */
			if (expects_continue(c))
				return too_large(s, c);
		}
		return MHD_YES;
	}
	if (*upload_size) {
		if (p->body.len + *upload_size > (size_t)s->e->cfg->max_body)
			p->too_big = true; /* read on, keep nothing: see above */
		if (!p->too_big) {
			buf_add(&p->body, upload, *upload_size);
			if (p->body.failed)
				return MHD_NO;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (p->too_big)
		return too_large(s, c);
	host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
	rq = (struct emu_request){
		.method = method,
		.path = url,
		.scheme = s->tls ? "https" : "http",
		.host = host && *host && !strpbrk(host, " /\\\"")
				? host : s->listen,
		.body = p->body.data ? p->body.data : "",
		.body_len = p->body.len,
		.header = mhd_header,
		.arg = mhd_arg,
		.ctx = c,
	};
	reply_init(&r);
	server_handle(s->e, &rq, &r);
	ret = r.drop ? MHD_NO : send_reply(c, &r);
	reply_free(&r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct pending *p = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (p) {
		buf_free(&p->body);
		free(p);
	}
	*con_cls = NULL;
}

struct server *server_start(struct emu *e, int fd, const char *cert,
			    const char *key, char *err, size_t errn)
{
	struct server *s = calloc(1, sizeof(*s));
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
			 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_USE_ITC;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[64];
	int port = 0;

	if (!s) {
		snprintf(err, errn, "out of memory");
		return NULL;
	}
	s->e = e;
	s->tls = cert && key;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
			port = ntohs(s6->sin6_port);
			snprintf(s->listen, sizeof(s->listen), "[%s]:%d", addr,
				 port);
			flags |= MHD_USE_IPv6;
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
			port = ntohs(s4->sin_port);
			snprintf(s->listen, sizeof(s->listen), "%s:%d", addr,
				 port);
		}
	}
	if (e->cfg->verbose)
		flags |= MHD_USE_ERROR_LOG;
	if (s->tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errn,
				 "this libmicrohttpd was built without TLS");
			free(s);
			return NULL;
		}
		s->d = MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL,
					on_request, s,
					MHD_OPTION_LISTEN_SOCKET, fd,
					MHD_OPTION_HTTPS_MEM_CERT, cert,
					MHD_OPTION_HTTPS_MEM_KEY, key,
					MHD_OPTION_NOTIFY_COMPLETED,
					on_completed, s,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)120, MHD_OPTION_END);
	} else {
		s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
					MHD_OPTION_LISTEN_SOCKET, fd,
					MHD_OPTION_NOTIFY_COMPLETED,
					on_completed, s,
					MHD_OPTION_CONNECTION_TIMEOUT,
					(unsigned)120, MHD_OPTION_END);
	}
	if (!s->d) {
		snprintf(err, errn, "cannot start the HTTP%s server%s",
			 s->tls ? "S" : "",
			 s->tls ? " (is the certificate or key valid PEM?)"
				: "");
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	if (!s)
		return;
	/*
	 * No new connection; then wake every fault delay (those requests are
	 * dropped); then MHD shuts the connections' sockets down and joins
	 * their threads, none of which is left waiting on anything but its
	 * socket. The listening socket stays the caller's to close.
	 */
	MHD_quiesce_daemon(s->d);
	emu_stop(s->e);
	MHD_stop_daemon(s->d);
	free(s);
}
