/**
 * @file
 * The emulator's settings, from the command line (main.c). Filled before
 * the server starts and read-only afterwards.
 */
#ifndef EMULATOR_SETTINGS_H
#define EMULATOR_SETTINGS_H

#include <stdbool.h>

enum emu_shape {
	EMU_SHAPE_AZURE,
	EMU_SHAPE_EXAMPLES,
};

struct emu_config {
	char host[64];		/* loopback address to listen on */
	int port;		/* 0: any free port */
	const char *tls_cert;	/* PEM files; both or neither */
	const char *tls_key;
	const char *token;	/* static bearer token, may be NULL */
	const char *user_token;	/* print a token of this user, may be NULL */
	const char *workspace;	/* ARM id */
	int instances;
	int clusters;
	int page_size;
	double op_seconds;
	unsigned long seed;
	long token_seconds;
	enum emu_shape shape;
	const char *location;
	const char *client_id;
	const char *client_secret;
	const char *msi_secret;
	const char *identity_header;
	unsigned fail_ops;	/* bit (1 << enum store_verb) */
	int retry_after;	/* seconds in Retry-After */
	long max_body;		/* bytes; larger bodies get 413 */
	bool verbose;
};

#endif
