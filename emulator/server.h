/**
 * @file
 * The HTTP side: a loopback listening socket, libmicrohttpd (http or
 * https, a thread per connection, HTTP/1.1 keep-alive, bodies bounded),
 * and the dispatch every request goes through: route, fault rules,
 * handler, counters.
 */
#ifndef EMULATOR_SERVER_H
#define EMULATOR_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "emulator/emu.h"
#include "emulator/reply.h"

/*
 * Is host a loopback address (127.0.0.0/8, ::1, localhost)? On success
 * the address to bind is written to addr ("127.0.0.1", "::1").
 */
bool server_loopback(const char *host, char *addr, size_t n);

/* Bind and listen on addr:port; returns the fd and the bound port. */
int server_listen(const char *addr, int port, int *bound, char *err,
		  size_t errn);

struct server;

/* Serve e on fd; cert/key are PEM text for https, or NULL. */
struct server *server_start(struct emu *e, int fd, const char *cert,
			    const char *key, char *err, size_t errn);
void server_stop(struct server *s);

/* What the server does with one request (exposed for tests). */
void server_handle(struct emu *e, const struct emu_request *rq,
		   struct emu_reply *r);

#endif
