/**
 * @file
 * computefs: mount an Azure Machine Learning workspace.
 *
 * main() parses the command line, forks (fs/daemon.c) so the mount
 * command can report failure, and in the child builds the layers bottom
 * up: credential -> client -> workspace check -> cache -> first listing
 * -> FUSE session -> mount. Only then does the command return 0.
 *
 * DESIGN (threads): all threads are started after the fork. libfuse's
 * loop runs the request handlers (several threads unless -s). SIGHUP is
 * blocked in every thread and taken by one thread of ours with
 * sigwait(), which drops the cache. SIGINT/SIGTERM end the loop through
 * libfuse's handlers, which ours wraps: it also writes a byte to a pipe
 * that the stopper thread reads, and that thread cancels every request
 * and background call waiting on Azure (fs/calls.c, cache_shutdown), so
 * the loop's workers finish at once instead of when Azure answers. When
 * the loop ends for any reason (a signal, fusermount3 -u), main() does
 * the same before it unmounts and cleans up: the daemon is gone within
 * 2 s whatever the network does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <fuse_lowlevel.h>

#include "config.h"
#include "fs/daemon.h"
#include "fs/demo.h"
#include "fs/fs.h"
#include "fs/opts.h"
#include "util/log.h"

static void *sighup_thread(void *arg)
{
	struct cfs *fs = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		log_info("SIGHUP: dropping the cache");
		cache_drop(fs->cache);
	}
	return NULL;
}

/* For on_stop_signal() only: a signal handler has no other way in. */
static int stop_fd = -1;
static struct sigaction fuse_handler[NSIG];

static void on_stop_signal(int sig)
{
	int saved = errno;
	char b = (char)sig;

	if (stop_fd >= 0 && write(stop_fd, &b, 1) < 0) {
		/* the pipe is full: a stop is already on its way */
	}
	if (sig > 0 && sig < NSIG && fuse_handler[sig].sa_handler != SIG_DFL &&
	    fuse_handler[sig].sa_handler != SIG_IGN)
		fuse_handler[sig].sa_handler(sig); /* libfuse's: exit loop */
	errno = saved;
}

/*
 * Wrap libfuse's handler of @sig with on_stop_signal(). A signal ignored
 * when computefs started (SIGINT of a background job in a non-interactive
 * shell) stays ignored, as libfuse leaves it: catching it here would stop
 * the operations but never the loop, a mount that half works.
 */
static int wrap_stop_signal(int sig)
{
	struct sigaction sa;

	if (sigaction(sig, NULL, &fuse_handler[sig]) != 0)
		return -1;
	if (fuse_handler[sig].sa_handler == SIG_IGN)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, &fuse_handler[sig]);
}

/* After the loop: @sig's default back, unless it was ignored at start. */
static void unwrap_stop_signal(int sig)
{
	if (fuse_handler[sig].sa_handler != SIG_IGN)
		signal(sig, SIG_DFL);
}

static void stop_everything(struct cfs *fs)
{
	cfs_calls_cancel_all(fs);
	cfs_wait_cancel_all(fs);
	cache_shutdown(fs->cache);
}

/* Reads the stop pipe: each byte is a stop signal; EOF ends it. */
static void *stopper_thread(void *arg)
{
	struct cfs *fs = arg;
	int fd = fs->stop_pipe[0];
	char b;
	ssize_t n;

	for (;;) {
		n = read(fd, &b, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return NULL;
		log_info("signal %d: stopping", (int)b);
		stop_everything(fs);
	}
}

static void describe(char *out, size_t len, const char *what,
		     const struct az_error *err)
{
	int n = snprintf(out, len, "%s: %s", what, az_strerror(err->code));

	if (n < 0 || (size_t)n >= len)
		return;
	if (err->arm_code[0])
		n += snprintf(out + n, len - (size_t)n, " [%s]", err->arm_code);
	if (n >= 0 && (size_t)n < len && err->message[0])
		snprintf(out + n, len - (size_t)n, ": %s", err->message);
}

/* What to do about an error, for the one-line message. */
static const char *advice(enum az_err e)
{
	switch (e) {
	case AZ_ERR_UNAUTHORIZED:
		return "; check the token or credential";
	case AZ_ERR_FORBIDDEN:
		return "; the identity needs a role on the workspace";
	case AZ_ERR_NOT_FOUND:
		return "; check the workspace id";
	case AZ_ERR_UNREACHABLE:
	case AZ_ERR_TIMEOUT:
		return "; check the endpoint and the network";
	case AZ_ERR_TLS:
		return "; check the certificate (ca_file=)";
	default:
		return "";
	}
}

/*
 * The credential: the demo's token, a token file, one source by name, or
 * the chain (auth=auto; computefs(1), CREDENTIALS). Exits with one
 * line on failure.
 */
static struct az_auth *make_auth(const struct cfs_opts *o,
				 const struct cfs_demo *demo,
				 struct cfs_daemon *d)
{
	struct az_auth_opts ao = { .authority = o->authority,
				   .ca_file = o->ca_file };
	const char *mode = o->auth ? o->auth
				   : (o->token_file ? "token-file" : "auto");
	struct az_error err;
	struct az_auth *a;

	memset(&err, 0, sizeof(err));
	if (o->demo)
		return az_auth_static(demo->token);
	if (strcmp(mode, "token-file") == 0 ||
	    (strcmp(mode, "auto") == 0 && o->token_file)) {
		if (!o->token_file)
			cfs_daemon_fail(d, "auth=token-file needs "
					   "-o token_file=PATH");
		a = az_auth_token_file(o->token_file, &err);
	} else if (strcmp(mode, "auto") == 0) {
		a = az_auth_chain(&ao, &err);
	} else if (strcmp(mode, "env") == 0) {
		a = az_auth_env(&ao, &err);
	} else if (strcmp(mode, "managed-identity") == 0) {
		a = az_auth_managed_identity(&ao, &err);
	} else if (strcmp(mode, "cli") == 0) {
		a = az_auth_cli(&ao, &err);
	} else {
		cfs_daemon_fail(d, "unknown auth=%s: use auto, env, "
				   "managed-identity, cli or token-file", mode);
	}
	if (!a)
		cfs_daemon_fail(d, "%s", err.message[0] ? err.message
							: "no credential");
	return a;
}

/* Build client and cache and take the first listing; exits on failure. */
static void connect_workspace(struct cfs *fs, const struct cfs_opts *o,
			      const struct cfs_demo *demo,
			      struct cfs_daemon *d)
{
	struct az_client_config cc;
	struct cache_config kc = { .ttl = o->cache_ttl,
				   .stale_max = o->stale_max };
	struct cache_backend be;
	struct cache_listing *l;
	struct az_error err;
	enum az_err e;
	char line[1024], what[512];

	memset(&cc, 0, sizeof(cc));
	cc.endpoint = o->demo ? demo->url
			      : (o->endpoint ? o->endpoint
					     : AZ_DEFAULT_ENDPOINT);
	cc.ws = fs->ws;
	cc.ca_file = o->ca_file;
	cc.auth = make_auth(o, demo, d);
	cc.max_retries = -1;
	cc.call_timeout_ms = (long)(o->timeout * 1000);
	fs->client = az_client_new(&cc, &err);
	if (!fs->client)
		cfs_daemon_fail(d, "%s", err.message);
	e = az_get_workspace(fs->client, &fs->info, &err);
	if (e != AZ_OK) {
		snprintf(what, sizeof(what), "cannot open workspace %s at %s",
			 fs->ws.name, cc.endpoint);
		describe(line, sizeof(line), what, &err);
		cfs_daemon_fail(d, "%s%s", line, advice(e));
	}
	be = cache_backend_client(fs->client);
	fs->cache = cache_new(&be, &kc);
	if (!fs->cache)
		cfs_daemon_fail(d, "out of memory");
	e = cache_list(fs->cache, &l, &err);
	if (e != AZ_OK) {
		snprintf(what, sizeof(what), "cannot list computes in %s "
			 "at %s", fs->ws.name, cc.endpoint);
		describe(line, sizeof(line), what, &err);
		cfs_daemon_fail(d, "%s%s", line, advice(e));
	}
	log_info("workspace %s: %zu compute instances", fs->ws.name,
		 cache_listing_count(l));
	cache_listing_put(l);
}

/* @s as one shell word in @out (@len bytes): quoted when it needs to be. */
static void shell_quote(const char *s, char *out, size_t len)
{
	size_t n = 0;

	if (!s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789/._-+:@=%,")]) {
		snprintf(out, len, "%s", s);
		return;
	}
	for (out[n++] = '\''; *s && n + 5 < len; s++) {
		if (*s == '\'') { /* ' ends the quote: '\'' */
			memcpy(out + n, "'\\''", 4);
			n += 4;
		} else
			out[n++] = *s;
	}
	out[n++] = '\'';
	out[n] = '\0';
}

static int run(struct fuse_args *args, struct cfs_opts *o,
	       struct fuse_cmdline_opts *fo)
{
	struct cfs fs;
	struct cfs_daemon d;
	struct cfs_demo demo = { .pid = -1 };
	char cwd[PATH_MAX], why[512];
	struct stat st;
	int mounted;
	sigset_t hup;
	pthread_t hup_thread, stop_thread;
	bool hup_started, stop_started = false;
	int rc;

	memset(&fs, 0, sizeof(fs));
	pthread_mutex_init(&fs.calls_lock, NULL);
	pthread_mutex_init(&fs.handles_lock, NULL);
	pthread_mutex_init(&fs.wait_lock, NULL);
	call_cond_init(&fs.wait_cond);
	fs.stop_pipe[0] = fs.stop_pipe[1] = -1;
	fs.opts = o;
	fs.uid = getuid();
	fs.gid = getgid();
	fs.mount_time = time(NULL);
	fs.entry_timeout = o->cache_ttl < 1 ? o->cache_ttl : 1.0;
	if (!getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (o->demo) {
		free(o->workspace);
		o->workspace = strdup(CFS_DEMO_WORKSPACE);
	}
	if (cfs_opts_workspace(o, cwd[0] ? cwd : NULL, &fs.ws, why,
			       sizeof(why)) < 0) {
		fprintf(stderr, "computefs: %s\n", why);
		return 1;
	}
	az_workspace_id(&fs.ws, fs.ws_id, sizeof(fs.ws_id));
	mounted = cfs_mounted(fo->mountpoint);
	if (!o->stack && mounted) {
		char q[2 * PATH_MAX];

		shell_quote(fo->mountpoint, q, sizeof(q));
		fprintf(stderr, "computefs: %s is already mounted; unmount it "
			"first (fusermount3 -u %s), or mount over it with "
			"-o stack\n", fo->mountpoint, q);
		return 1;
	}
	if (!mounted && stat(fo->mountpoint, &st) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		/* FUSE would mount on a file: a tree cannot live there */
		fprintf(stderr, "computefs: %s: not a directory\n",
			fo->mountpoint);
		return 1;
	}
	/*
	 * No core dump, no ptrace nor /proc/PID/mem for the same user: the
	 * process will hold bearer tokens and secrets. Before the fork (the
	 * child inherits it), before any credential is read; so no
	 * MADV_DONTDUMP is needed on their buffers. Always, -d too (see
	 * CREDENTIALS in computefs(1)).
	 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		log_warn("cannot disable core dumps: %s", strerror(errno));
	if (cfs_daemon_start(&d, fo->foreground) < 0) {
		fprintf(stderr, "computefs: cannot fork: %s\n",
			strerror(errno));
		return 1;
	}
	/* in the background, failures reach the user through the parent */
	log_setup("computefs", !fo->foreground,
		  fo->debug ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &hup, NULL); /* before any thread */

	if (o->demo && cfs_demo_start(&demo, why, sizeof(why)) < 0)
		cfs_daemon_fail(&d, "%s", why);
	fs.names = cfs_names_new();
	if (!fs.names)
		cfs_daemon_fail(&d, "out of memory");
	connect_workspace(&fs, o, &demo, &d);

	fs.se = fuse_session_new(args, &cfs_ops, sizeof(cfs_ops), &fs);
	if (!fs.se)
		cfs_daemon_fail(&d, "cannot start the FUSE session (bad "
				    "option?)");
	cache_set_notify(fs.cache, cfs_notify, &fs);
	if (fuse_set_signal_handlers(fs.se) != 0 ||
	    pipe2(fs.stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		cfs_daemon_fail(&d, "cannot set signal handlers");
	stop_fd = fs.stop_pipe[1];
	if (wrap_stop_signal(SIGTERM) != 0 || wrap_stop_signal(SIGINT) != 0)
		cfs_daemon_fail(&d, "cannot set signal handlers");
	if (fuse_session_mount(fs.se, fo->mountpoint) != 0)
		cfs_daemon_fail(&d, "cannot mount on %s", fo->mountpoint);
	if (o->demo)
		printf("computefs: demo workspace at %s (emulator %s)\n",
		       fo->mountpoint, demo.url);
	fflush(stdout);
	cfs_daemon_ready(&d);
	hup_started = pthread_create(&hup_thread, NULL, sighup_thread,
				     &fs) == 0;
	/* blocking reads from here on: the handler's writes never block */
	fcntl(fs.stop_pipe[0], F_SETFL, 0);
	stop_started = pthread_create(&stop_thread, NULL, stopper_thread,
				      &fs) == 0;
	log_info("mounted %s on %s", fs.ws_id, fo->mountpoint);

	if (fo->singlethread)
		rc = fuse_session_loop(fs.se);
	else /* the FUSE_USE_VERSION 31 form of the multi-threaded loop */
		rc = fuse_session_loop_mt(fs.se, fo->clone_fd);
	log_info("unmounting %s", fo->mountpoint);
	stop_everything(&fs); /* whatever ended the loop */
	cfs_wait_stop(&fs);   /* parked reads answered, before unmount */
	fuse_session_unmount(fs.se);
	fuse_remove_signal_handlers(fs.se);
	unwrap_stop_signal(SIGTERM); /* a second one ends cleanup: safe */
	unwrap_stop_signal(SIGINT);
	stop_fd = -1;
	close(fs.stop_pipe[1]); /* EOF: the stopper thread ends */
	if (stop_started)
		pthread_join(stop_thread, NULL);
	close(fs.stop_pipe[0]);
	if (hup_started) { /* before the cache it drops goes away */
		pthread_cancel(hup_thread); /* sigwait() is a cancel point */
		pthread_join(hup_thread, NULL);
	}
	cache_free(fs.cache); /* joins the tracker, which notifies fs.se */
	fuse_session_destroy(fs.se);
	cfs_handles_free_all(&fs); /* opened, never released */
	az_client_free(fs.client);
	cfs_names_free(fs.names);
	cfs_demo_stop(&demo);
	pthread_mutex_destroy(&fs.calls_lock);
	pthread_mutex_destroy(&fs.handles_lock);
	pthread_cond_destroy(&fs.wait_cond);
	pthread_mutex_destroy(&fs.wait_lock);
	/* libfuse reports the signal that ended the loop; those are clean */
	return (rc == 0 || rc == SIGTERM || rc == SIGINT) ? 0 : 1;
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts fo;
	struct cfs_opts o;
	char why[512];
	int rc = 1;

	/*
	 * One malloc arena for all threads but the first: FUSE workers come
	 * and go, and an arena each keeps what they freed (renders, replies)
	 * as resident memory. The daemon's work is small and brief; one
	 * shared arena costs it nothing measurable and keeps its size
	 * following what it shows (see the scale benchmark).
	 */
	mallopt(M_ARENA_MAX, 1);
	/*
	 * And a fixed mmap threshold: glibc's moves up to the largest block
	 * freed, so libfuse's 1 MiB request buffers, once one was freed,
	 * would come from the heap, and stay there.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	if (cfs_opts_parse(&args, &o) < 0)
		goto out;
	if (o.show_help) {
		cfs_opts_usage(argv[0]);
		printf("FUSE options:\n");
		fuse_cmdline_help();
		fuse_lowlevel_help();
		rc = 0;
		goto out;
	}
	if (o.show_version) {
		printf("computefs %s\n", COMPUTEFS_VERSION);
		printf("libfuse %s\n", fuse_pkgversion());
		fflush(stdout); /* fusermount3 writes to the same stdout */
		fuse_lowlevel_version();
		rc = 0;
		goto out;
	}
	if (cfs_opts_check(&o, why, sizeof(why)) < 0) {
		fprintf(stderr, "computefs: %s\n", why);
		goto out;
	}
	if (fuse_parse_cmdline(&args, &fo) != 0)
		goto out;
	if (!fo.mountpoint) {
		fprintf(stderr, "computefs: no mount point given\n");
		goto out;
	}
	rc = run(&args, &o, &fo);
	free(fo.mountpoint);
out:
	cfs_opts_free(&o);
	fuse_opt_free_args(&args);
	return rc;
}
