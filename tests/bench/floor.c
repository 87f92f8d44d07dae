/**
 * @file
 * computefs-floor: the floor a FUSE filesystem cannot go below.
 *
 * A static, read-only, low-level libfuse3 server that answers every
 * request from memory: it serves a snapshot of a computefs mount (the
 * same names, modes, sizes, bytes, times and symlinks) with the kernel
 * settings computefs uses, so that timing the same command on both
 * measures only what computefs adds to the kernel's round trips:
 *
 *  - entry and attribute timeouts: the TIMEOUT argument (computefs uses
 *    min(cache_ttl, 1) s, fs/main.c), negative entries too;
 *  - value files opened with direct_io, no keep_cache; directories not
 *    cached (cache_readdir 0);
 *  - readdir and readdirplus both implemented, no init() (libfuse's
 *    default capabilities: readdirplus "auto", as computefs);
 *  - the same loop: fuse_session_loop_mt() unless -s, the same clone_fd;
 *  - the same mount options (no default_permissions: open and access
 *    check the mode here, as computefs does).
 *
 * Usage: computefs-floor SNAPSHOT TIMEOUT MOUNTPOINT [-f] [-s] [-d] [-o ...]
 *
 * SNAPSHOT (written by tests/bench/scale.py) is a list of records, parents
 * before children, children in their directory's order:
 *
 *   D MODE NLINK SEC NSEC 0 PATH\n
 *   F MODE NLINK SEC NSEC SIZE PATH\n  then SIZE bytes, then \n
 *   L MODE NLINK SEC NSEC SIZE PATH\n  then the SIZE-byte target, then \n
 *
 * MODE in octal, PATH relative to the root ("." is the root).
 */
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct node {
	char *name;
	fuse_ino_t parent;
	mode_t mode;
	nlink_t nlink;
	struct timespec mtime;
	size_t size;
	char *data;      /* file bytes or symlink target */
	fuse_ino_t *kids; /* directories: children in order */
	size_t nkids, capkids;
};

static struct node *nodes; /* nodes[ino - 1]; the root is ino 1 */
static size_t nnodes, capnodes;
static double timeout;
static uid_t uid;
static gid_t gid;

/* (parent, name) -> ino, open addressing */
static fuse_ino_t *table;
static size_t tabsize;

static uint64_t hash(fuse_ino_t parent, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ parent;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 1099511628211ULL;
	return h;
}

static fuse_ino_t find(fuse_ino_t parent, const char *name)
{
	size_t i = hash(parent, name) & (tabsize - 1);

	for (; table[i]; i = (i + 1) & (tabsize - 1)) {
		struct node *n = &nodes[table[i] - 1];

		if (n->parent == parent && strcmp(n->name, name) == 0)
			return table[i];
	}
	return 0;
}

static void insert(fuse_ino_t ino)
{
	struct node *n = &nodes[ino - 1];
	size_t i = hash(n->parent, n->name) & (tabsize - 1);

	while (table[i])
		i = (i + 1) & (tabsize - 1);
	table[i] = ino;
}

static void die(const char *what)
{
	fprintf(stderr, "computefs-floor: %s\n", what);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

/* The directory node of relative path @path (its components exist). */
static fuse_ino_t resolve(char *path)
{
	fuse_ino_t ino = FUSE_ROOT_ID;

	if (strcmp(path, ".") == 0)
		return ino;
	for (char *save = NULL, *c = strtok_r(path, "/", &save); c;
	     c = strtok_r(NULL, "/", &save)) {
		ino = find(ino, c);
		if (!ino)
			die("snapshot: a parent comes after its child");
	}
	return ino;
}

static void load(const char *file)
{
	FILE *f = fopen(file, "rb");
	char line[8192];
	size_t lines = 0;

	if (!f)
		die("cannot open the snapshot");
	/* count records for the table: an upper bound is the line count */
	while (fgets(line, sizeof(line), f))
		lines++;
	rewind(f);
	for (tabsize = 1024; tabsize < lines * 2; tabsize *= 2)
		;
	table = calloc(tabsize, sizeof(*table));
	if (!table)
		die("out of memory");
	while (fgets(line, sizeof(line), f)) {
		char kind, path[4096];
		unsigned mode;
		unsigned long nlink;
		long long sec, nsec;
		size_t size;
		struct node *n;
		char *slash, *dirpath;
		fuse_ino_t parent = 0;

		if (sscanf(line, "%c %o %lu %lld %lld %zu %4095[^\n]", &kind,
			   &mode, &nlink, &sec, &nsec, &size, path) != 7)
			die("snapshot: a bad record");
		if (nnodes == capnodes) {
			capnodes = capnodes ? capnodes * 2 : 1024;
			nodes = xrealloc(nodes, capnodes * sizeof(*nodes));
		}
		n = &nodes[nnodes];
		memset(n, 0, sizeof(*n));
		n->mode = (mode_t)mode;
		n->nlink = (nlink_t)nlink;
		n->mtime.tv_sec = (time_t)sec;
		n->mtime.tv_nsec = (long)nsec;
		n->size = size;
		if (kind == 'F' || kind == 'L') {
			n->data = malloc(size + 1);
			if (!n->data || fread(n->data, 1, size, f) != size ||
			    fgetc(f) != '\n')
				die("snapshot: a short file");
			n->data[size] = '\0';
		}
		if (nnodes == 0) {
			if (strcmp(path, ".") != 0 || kind != 'D')
				die("snapshot: the root must come first");
			n->name = strdup(".");
			nnodes++;
			continue;
		}
		slash = strrchr(path, '/');
		if (slash) {
			*slash = '\0';
			n->name = strdup(slash + 1);
			dirpath = path;
		} else {
			n->name = strdup(path);
			dirpath = ".";
		}
		parent = resolve(dirpath);
		n->parent = parent;
		nnodes++;
		insert((fuse_ino_t)nnodes);
		{
			struct node *p = &nodes[parent - 1];

			if (p->nkids == p->capkids) {
				p->capkids = p->capkids ? p->capkids * 2 : 16;
				p->kids = xrealloc(p->kids, p->capkids *
							    sizeof(*p->kids));
			}
			p->kids[p->nkids++] = (fuse_ino_t)nnodes;
		}
	}
	fclose(f);
	if (nnodes == 0)
		die("snapshot: empty");
}

static struct node *node_of(fuse_ino_t ino)
{
	return ino >= 1 && ino <= nnodes ? &nodes[ino - 1] : NULL;
}

/* What computefs's fill_common/fill_dir/fill_file set. */
static void fill(fuse_ino_t ino, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = uid;
	st->st_gid = gid;
	st->st_blksize = 4096;
	st->st_atim = st->st_mtim = st->st_ctim = n->mtime;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_size = (off_t)n->size;
	if (S_ISREG(n->mode))
		st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
}

static void f_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	struct node *p = node_of(parent);
	fuse_ino_t ino;

	memset(&e, 0, sizeof(e));
	e.attr_timeout = timeout;
	e.entry_timeout = timeout;
	if (!p) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!S_ISDIR(p->mode)) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	ino = find(parent, name);
	if (ino) { /* else a negative entry, as computefs answers */
		e.ino = ino;
		fill(ino, &nodes[ino - 1], &e.attr);
	}
	fuse_reply_entry(req, &e);
}

static void f_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void f_getattr(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	struct stat st;

	(void)fi;
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill(ino, n, &st);
	fuse_reply_attr(req, &st, timeout);
}

static void f_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct node *n = node_of(ino);

	if (!n || !S_ISLNK(n->mode))
		fuse_reply_err(req, EINVAL);
	else
		fuse_reply_readlink(req, n->data);
}

static void f_opendir(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	if (!n || !S_ISDIR(n->mode)) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	fi->fh = ino;
	fi->cache_readdir = 0;
	fuse_reply_open(req, fi);
}

/* Offsets as computefs: ".", "..", then the children; i + 1 is next. */
static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size,
		       off_t off, int plus)
{
	struct node *d = node_of(ino);
	char *buf = malloc(size);
	size_t used = 0;

	if (!buf || !d) {
		free(buf);
		fuse_reply_err(req, d ? ENOMEM : ENOENT);
		return;
	}
	for (size_t i = off < 0 ? 0 : (size_t)off; i < d->nkids + 2; i++) {
		fuse_ino_t k = i == 0 ? ino : i == 1 ? (d->parent ? d->parent : ino)
						    : d->kids[i - 2];
		const char *name = i == 0 ? "." : i == 1 ? ".." : nodes[k - 1].name;
		struct fuse_entry_param e;
		size_t need;

		memset(&e, 0, sizeof(e));
		e.ino = k;
		fill(k, &nodes[k - 1], &e.attr);
		if (plus) {
			e.attr_timeout = timeout;
			e.entry_timeout = timeout;
			need = fuse_add_direntry_plus(req, buf + used,
						      size - used, name, &e,
						      (off_t)(i + 1));
		} else {
			need = fuse_add_direntry(req, buf + used, size - used,
						 name, &e.attr, (off_t)(i + 1));
		}
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void f_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		      struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 0);
}

static void f_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size,
			  off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	do_readdir(req, ino, size, off, 1);
}

static void f_releasedir(fuse_req_t req, fuse_ino_t ino,
			 struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void f_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);
	int acc = fi->flags & O_ACCMODE;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (S_ISDIR(n->mode)) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	if ((acc != O_WRONLY && !(n->mode & S_IRUSR)) || acc != O_RDONLY) {
		fuse_reply_err(req, EACCES); /* read-only: no writes here */
		return;
	}
	fi->fh = ino;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void f_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	struct node *n = node_of(ino);

	(void)fi;
	if (!n || off < 0 || (size_t)off >= n->size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > n->size - (size_t)off)
		size = n->size - (size_t)off;
	fuse_reply_buf(req, n->data + off, size);
}

static void f_release(fuse_req_t req, fuse_ino_t ino,
		      struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void f_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs st;

	(void)ino;
	memset(&st, 0, sizeof(st));
	st.f_bsize = 4096;
	st.f_frsize = 4096;
	st.f_namemax = 255;
	fuse_reply_statfs(req, &st);
}

static void f_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct node *n = node_of(ino);
	int rc = n ? 0 : ENOENT;

	if (n && (((mask & R_OK) && !(n->mode & S_IRUSR)) ||
		  ((mask & W_OK) && !(n->mode & S_IWUSR)) ||
		  ((mask & X_OK) && !(n->mode & S_IXUSR))))
		rc = EACCES;
	fuse_reply_err(req, rc);
}

static void f_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name,
		       size_t size)
{
	(void)ino;
	(void)name;
	(void)size;
	fuse_reply_err(req, ENOSYS); /* as computefs: none, remembered */
}

static void f_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (size == 0)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = f_lookup,
	.forget = f_forget,
	.getattr = f_getattr,
	.readlink = f_readlink,
	.opendir = f_opendir,
	.readdir = f_readdir,
	.readdirplus = f_readdirplus,
	.releasedir = f_releasedir,
	.open = f_open,
	.read = f_read,
	.release = f_release,
	.statfs = f_statfs,
	.access = f_access,
	.getxattr = f_getxattr,
	.listxattr = f_listxattr,
};

int main(int argc, char *argv[])
{
	struct fuse_args args;
	struct fuse_cmdline_opts o;
	struct fuse_session *se;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: computefs-floor SNAPSHOT TIMEOUT "
				"MOUNTPOINT [-f] [-s] [-d] [-o OPT]\n");
		return 2;
	}
	load(argv[1]);
	timeout = strtod(argv[2], NULL);
	uid = getuid();
	gid = getgid();
	argv[2] = argv[0];
	args = (struct fuse_args)FUSE_ARGS_INIT(argc - 2, argv + 2);
	if (fuse_parse_cmdline(&args, &o) != 0 || !o.mountpoint)
		return 2;
	if (fuse_opt_add_arg(&args, "-ofsname=computefs-floor,"
				    "subtype=computefs-floor") != 0)
		return 1;
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_set_signal_handlers(se) != 0 ||
	    fuse_session_mount(se, o.mountpoint) != 0)
		return 1;
	fuse_daemonize(o.foreground);
	if (o.singlethread)
		rc = fuse_session_loop(se);
	else
		rc = fuse_session_loop_mt(se, o.clone_fd);
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	free(o.mountpoint);
	fuse_opt_free_args(&args);
	return rc ? 1 : 0;
}
