/**
 * @file
 * computefs-emulator: a local stand-in for the Azure Resource Manager
 * endpoints computefs uses (Azure ML computes) and for the token
 * endpoints. This file reads the command line, starts the server and
 * waits for SIGTERM or SIGINT.
 *
 * DESIGN: SIGINT and SIGTERM are blocked before any thread starts, so
 * every server thread inherits the mask and the main thread alone takes
 * them with sigwait(); it then stops the server and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "emulator/settings.h"
#include "emulator/emu.h"
#include "emulator/server.h"
#include "emulator/text.h"
#include "emulator/token.h"
#include "util/buf.h"
#include "util/log.h"

#define TEN_YEARS (10L * 365 * 24 * 3600) /* --user-token's lifetime */
#define DEFAULT_WORKSPACE                                              \
	"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/" \
	"demo-rg/providers/Microsoft.MachineLearningServices/workspaces/demo-ws"

static void usage(FILE *out)
{
	fprintf(out,
"usage: computefs-emulator [options]\n"
"\n"
"A local stand-in for Azure Resource Manager (Azure ML computes) and the\n"
"Azure token endpoints. Prints its base URL on the first line of stdout.\n"
"\n"
"  --listen HOST:PORT     loopback address (default 127.0.0.1:0, 0: any port)\n"
"  --tls-cert PEM         serve https with this certificate ...\n"
"  --tls-key PEM          ... and this key\n"
"  --token TOKEN          static bearer token that never expires (default:\n"
"                         $COMPUTEFS_EMULATOR_TOKEN)\n"
"  --user-token USER      print a token of USER@contoso.com (the creator of\n"
"                         the instances USER's name picks), good for ten\n"
"                         years, on the second line of stdout\n"
"  --workspace ARM_ID     workspace id (default %s)\n"
"  --instances N          compute instances (default 4)\n"
"  --clusters N           other computes mixed in (default 2)\n"
"  --page-size N          computes per list page (default 20)\n"
"  --op-seconds S         how long an operation takes (default 2)\n"
"  --seed N               picks the instances' states (default 1)\n"
"  --token-seconds S      lifetime of issued tokens (default 3600)\n"
"  --shape azure|examples Azure-like instances, or Microsoft's REST examples\n"
"  --location L           Azure region (default eastus)\n"
"  --client-id ID         service principal (default emu-client)\n"
"  --client-secret S      its secret (default emu-secret)\n"
"  --msi-secret S         MSI_SECRET of /msi/token (default emu-msi-secret)\n"
"  --identity-header S    IDENTITY_HEADER of /identity/token\n"
"                         (default emu-identity-header)\n"
"  --fail-ops VERB,...    these operations end Failed (create, start, stop,\n"
"                         restart, resize, delete)\n"
"  --retry-after S        Retry-After of operation replies (default 1)\n"
"  --max-body BYTES       larger request bodies get 413 (default 1048576)\n"
"  -v, --verbose          log one line per request to stderr\n"
"  -h, --help             this text\n"
"      --version          the version\n", DEFAULT_WORKSPACE);
}

enum {
	OPT_LISTEN = 256, OPT_CERT, OPT_KEY, OPT_TOKEN, OPT_WORKSPACE,
	OPT_INSTANCES, OPT_CLUSTERS, OPT_PAGE, OPT_OPSEC, OPT_SEED,
	OPT_TOKSEC, OPT_SHAPE, OPT_LOCATION, OPT_CLIENT_ID, OPT_CLIENT_SECRET,
	OPT_MSI_SECRET, OPT_IDENTITY_HEADER, OPT_FAIL_OPS, OPT_RETRY_AFTER,
	OPT_MAX_BODY, OPT_VERSION, OPT_USER_TOKEN,
};

static const struct option long_opts[] = {
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "tls-cert", required_argument, NULL, OPT_CERT },
	{ "tls-key", required_argument, NULL, OPT_KEY },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "workspace", required_argument, NULL, OPT_WORKSPACE },
	{ "instances", required_argument, NULL, OPT_INSTANCES },
	{ "clusters", required_argument, NULL, OPT_CLUSTERS },
	{ "page-size", required_argument, NULL, OPT_PAGE },
	{ "op-seconds", required_argument, NULL, OPT_OPSEC },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "token-seconds", required_argument, NULL, OPT_TOKSEC },
	{ "shape", required_argument, NULL, OPT_SHAPE },
	{ "location", required_argument, NULL, OPT_LOCATION },
	{ "client-id", required_argument, NULL, OPT_CLIENT_ID },
	{ "client-secret", required_argument, NULL, OPT_CLIENT_SECRET },
	{ "msi-secret", required_argument, NULL, OPT_MSI_SECRET },
	{ "identity-header", required_argument, NULL, OPT_IDENTITY_HEADER },
	{ "fail-ops", required_argument, NULL, OPT_FAIL_OPS },
	{ "retry-after", required_argument, NULL, OPT_RETRY_AFTER },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "user-token", required_argument, NULL, OPT_USER_TOKEN },
	{ NULL, 0, NULL, 0 },
};

static int bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "computefs-emulator: invalid %s '%s': %s\n", opt, val,
		want);
	return -1;
}

/* HOST:PORT, [V6]:PORT, or HOST alone (port 0). */
static int parse_listen(const char *s, struct emu_config *c)
{
	const char *colon;
	char host[64];
	long port = 0;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end || (end[1] && end[1] != ':'))
			return bad("--listen", s, "expected HOST:PORT");
		snprintf(host, sizeof(host), "%.*s", (int)(end - s - 1), s + 1);
		colon = end[1] ? end + 1 : NULL;
	} else {
		colon = strrchr(s, ':');
		snprintf(host, sizeof(host), "%.*s",
			 colon ? (int)(colon - s) : (int)strlen(s), s);
	}
	if (colon && !text_parse_long(colon + 1, 0, 65535, &port))
		return bad("--listen", s, "the port must be 0 to 65535");
	if (!server_loopback(host, c->host, sizeof(c->host)))
		return bad("--listen", s,
			   "only loopback addresses (127.0.0.1, ::1, "
			   "localhost) may be used");
	c->port = (int)port;
	return 0;
}

static int parse_fail_ops(const char *s, struct emu_config *c)
{
	const char *p = s;

	c->fail_ops = 0;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char word[32];
		int v;

		snprintf(word, sizeof(word), "%.*s", (int)n, p);
		v = store_verb_parse(word);
		if (v < 0)
			return bad("--fail-ops", s,
				   "use create, start, stop, restart, resize, "
				   "delete");
		c->fail_ops |= 1u << v;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int parse_int(const char *opt, const char *val, long min, long max,
		     long *out)
{
	if (!text_parse_long(val, min, max, out)) {
		char want[64];

		snprintf(want, sizeof(want), "expected %ld to %ld", min, max);
		return bad(opt, val, want);
	}
	return 0;
}

/* Returns 0 to run, 1 to exit 0 (help/version), -1 to exit 2. */
static int parse_args(int argc, char **argv, struct emu_config *c)
{
	long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_LISTEN:
			if (parse_listen(optarg, c) < 0)
				return -1;
			break;
		case OPT_CERT:
			c->tls_cert = optarg;
			break;
		case OPT_KEY:
			c->tls_key = optarg;
			break;
		case OPT_TOKEN:
			c->token = optarg;
			break;
		case OPT_USER_TOKEN:
			if (!*optarg || strlen(optarg) > 64) {
				fprintf(stderr, "computefs-emulator: "
					"--user-token: a user name of 1 to 64 "
					"characters\n");
				return -1;
			}
			c->user_token = optarg;
			break;
		case OPT_WORKSPACE:
			c->workspace = optarg;
			break;
		case OPT_INSTANCES:
			if (parse_int("--instances", optarg, 0, 100000, &v))
				return -1;
			c->instances = (int)v;
			break;
		case OPT_CLUSTERS:
			if (parse_int("--clusters", optarg, 0, 100000, &v))
				return -1;
			c->clusters = (int)v;
			break;
		case OPT_PAGE:
			if (parse_int("--page-size", optarg, 1, 10000, &v))
				return -1;
			c->page_size = (int)v;
			break;
		case OPT_OPSEC:
			if (!text_parse_double(optarg, 0, 86400, &c->op_seconds))
				return bad("--op-seconds", optarg,
					   "expected seconds, 0 to 86400");
			break;
		case OPT_SEED:
			if (parse_int("--seed", optarg, 0, 0x7fffffffL, &v))
				return -1;
			c->seed = (unsigned long)v;
			break;
		case OPT_TOKSEC:
			if (parse_int("--token-seconds", optarg, 1, 31536000,
				      &c->token_seconds))
				return -1;
			break;
		case OPT_SHAPE:
			if (strcmp(optarg, "azure") == 0)
				c->shape = EMU_SHAPE_AZURE;
			else if (strcmp(optarg, "examples") == 0)
				c->shape = EMU_SHAPE_EXAMPLES;
			else
				return bad("--shape", optarg,
					   "use azure or examples");
			break;
		case OPT_LOCATION:
			c->location = optarg;
			break;
		case OPT_CLIENT_ID:
			c->client_id = optarg;
			break;
		case OPT_CLIENT_SECRET:
			c->client_secret = optarg;
			break;
		case OPT_MSI_SECRET:
			c->msi_secret = optarg;
			break;
		case OPT_IDENTITY_HEADER:
			c->identity_header = optarg;
			break;
		case OPT_FAIL_OPS:
			if (parse_fail_ops(optarg, c) < 0)
				return -1;
			break;
		case OPT_RETRY_AFTER:
			if (parse_int("--retry-after", optarg, 0, 3600, &v))
				return -1;
			c->retry_after = (int)v;
			break;
		case OPT_MAX_BODY:
			if (parse_int("--max-body", optarg, 1024, 1L << 30,
				      &c->max_body))
				return -1;
			break;
		case 'v':
			c->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case OPT_VERSION:
			printf("computefs-emulator %s\n", COMPUTEFS_VERSION);
			return 1;
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "computefs-emulator: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (!c->tls_cert != !c->tls_key) {
		fprintf(stderr, "computefs-emulator: --tls-cert and --tls-key "
				"go together\n");
		return -1;
	}
	return 0;
}

/* A PEM file's text, or NULL with a message on stderr. */
static char *read_pem(const char *path)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path, 1UL << 20) < 0 || !b.data) {
		fprintf(stderr, "computefs-emulator: cannot read %s: %s\n",
			path, b.data ? strerror(errno) : "empty file");
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

int main(int argc, char **argv)
{
	struct emu_config cfg = {
		.host = "127.0.0.1",
		.workspace = DEFAULT_WORKSPACE,
		.instances = 4,
		.clusters = 2,
		.page_size = 20,
		.op_seconds = 2,
		.seed = 1,
		.token_seconds = 3600,
		.location = "eastus",
		.client_id = "emu-client",
		.client_secret = "emu-secret",
		.msi_secret = "emu-msi-secret",
		.identity_header = "emu-identity-header",
		.retry_after = 1,
		.max_body = 1L << 20,
	};
	char err[512], *cert = NULL, *key = NULL;
	struct server *srv;
	struct emu e;
	sigset_t set;
	int rc, fd, port, sig;

	rc = parse_args(argc, argv, &cfg);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!cfg.token) {
		const char *env = getenv("COMPUTEFS_EMULATOR_TOKEN");

		cfg.token = env && *env ? env : NULL;
	}
	log_setup("computefs-emulator", false,
		  cfg.verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN);
	if (cfg.tls_cert) {
		cert = read_pem(cfg.tls_cert);
		key = cert ? read_pem(cfg.tls_key) : NULL;
		if (!key) {
			free(cert);
			return 1;
		}
	}
	if (emu_init(&e, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "computefs-emulator: %s\n", err);
		return 2;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	fd = server_listen(cfg.host, cfg.port, &port, err, sizeof(err));
	srv = fd < 0 ? NULL : server_start(&e, fd, cert, key, err,
					   sizeof(err));
	if (!srv) {
		fprintf(stderr, "computefs-emulator: %s\n", err);
		if (fd >= 0)
			close(fd);
		emu_fini(&e);
		return 1;
	}
	printf("%s://%s%s%s:%d\n", cert ? "https" : "http",
	       strchr(cfg.host, ':') ? "[" : "", cfg.host,
	       strchr(cfg.host, ':') ? "]" : "", port);
	if (cfg.user_token) {
		time_t exp;
		char *tok = tokens_issue_user(e.tokens, cfg.user_token,
					      TEN_YEARS, &exp, NULL, NULL);

		printf("%s\n", tok ? tok : "");
		free(tok);
	}
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		;
	log_debug("signal %d: stopping", sig);
	server_stop(srv);
	close(fd);
	emu_fini(&e);
	free(cert);
	free(key);
	return 0;
}
