/**
 * @file
 * Instance file contents (see render.h).
 */
#include "fs/render.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "fs/nodes.h"

static void line(struct buf *out, const char *value)
{
	if (value && *value) {
		buf_puts(out, value);
		buf_puts(out, "\n");
	}
}

static const char *address(const struct az_compute *c)
{
	if (c->public_ip && *c->public_ip)
		return c->public_ip;
	if (c->private_ip && *c->private_ip)
		return c->private_ip;
	return NULL;
}

/*
 * true when @s is one ssh_config word made only of letters, digits and
 * the characters in @extra, not starting with '-': what an address or a
 * user name is. A reply's "x ProxyCommand ..." or "*" is not.
 */
static bool ssh_word(const char *s, const char *extra)
{
	if (!*s || *s == '-')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80 ||
		    (!isalnum((unsigned char)*s) && !strchr(extra, *s)))
			return false;
	return true;
}

static void render_ssh(const struct az_compute *c, struct buf *out)
{
	const char *ip = address(c);
	const char *user = c->ssh_user && *c->ssh_user ? c->ssh_user
						       : "azureuser";

	if (!c->ssh_enabled) {
		buf_printf(out, "# %s: SSH access is disabled\n", c->name);
		return;
	}
	if (!ip) {
		buf_printf(out, "# %s: no address while %s\n", c->name,
			   c->state ? c->state : "Unknown");
		return;
	}
	if (!ssh_word(ip, ".:-") || !ssh_word(user, "._-")) {
		buf_printf(out, "# %s: Azure's reply has no usable SSH "
				"address or user\n", c->name);
		return;
	}
	buf_printf(out, "Host %s\n    HostName %s\n", c->name, ip);
	if (c->ssh_port > 0 && c->ssh_port <= 65535)
		buf_printf(out, "    Port %ld\n", c->ssh_port);
	buf_printf(out, "    User %s\n", user);
}

static void render_operation(const struct az_compute *c, struct buf *out)
{
	const char *parts[] = { c->op_name, c->op_status, c->op_time };
	int n = 0;

	for (size_t i = 0; i < 3; i++) {
		if (!parts[i] || !*parts[i])
			continue;
		buf_printf(out, "%s%s", n++ ? " " : "", parts[i]);
	}
	if (n)
		buf_puts(out, "\n");
}

/* ---- apps/ ---- */

static const char *const app_suffix[CFS_APP_KINDS] = {
	[CFS_APP_URL] = "",
	[CFS_APP_HTML] = ".html",
};

bool cfs_app_url_ok(const char *url)
{
	const char *host;

	if (!url)
		return false;
	if (strncasecmp(url, "https://", 8) == 0)
		host = url + 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		host = url + 7;
	else
		return false;
	if (!*host || strchr("/?#", *host))
		return false;
	for (const char *s = url; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* The HTML character reference of @ch, or NULL when it needs none. */
static const char *html_ref(char ch)
{
	switch (ch) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/* @s with &<>"' as character references and no control characters:
 * inert in HTML text and in an attribute value in quotes. */
static void html_escaped(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (html_ref(*s))
			buf_puts(out, html_ref(*s));
		else if (!iscntrl((unsigned char)*s))
			buf_add(out, s, 1);
	}
}

/*
 * A page that sends the browser on to the URL at once, with a link for
 * a browser that doesn't follow refreshes. The URL starts with http(s),
 * so the refresh's "url=" takes the whole rest of the content.
 */
static void render_html(const struct az_app *a, const char *name,
			struct buf *out)
{
	buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
		      "<meta http-equiv=\"refresh\" content=\"0; url=");
	html_escaped(out, a->url);
	buf_puts(out, "\">\n<title>");
	html_escaped(out, name);
	buf_puts(out, "</title></head>\n<body><p><a href=\"");
	html_escaped(out, a->url);
	buf_puts(out, "\">");
	html_escaped(out, name);
	buf_puts(out, "</a></p></body></html>\n");
}

/* The contents of apps/ slot @k of @c (see cfs_app_entry). */
static int render_app(int k, const struct az_compute *c, struct buf *out)
{
	const struct az_app *a;
	const char *name;
	char fn[256];

	if (!cfs_app_entry(c, k, fn, sizeof(fn)))
		return -1;
	a = &c->apps[k / CFS_APP_KINDS];
	cfs_app_filename(a, fn, sizeof(fn));
	name = a->name && *a->name ? a->name : fn;
	switch ((enum cfs_app_kind)(k % CFS_APP_KINDS)) {
	case CFS_APP_URL:
		line(out, a->url);
		return 0;
	case CFS_APP_HTML:
		render_html(a, name, out);
		return 0;
	case CFS_APP_KINDS:
		break;
	}
	return -1;
}

int cfs_render(int file, const struct az_compute *c, struct buf *out)
{
	if (file >= CFS_APP_FIRST)
		return render_app(file - CFS_APP_FIRST, c, out);
	switch ((enum cfs_file)file) {
	case CFS_STATE:
		line(out, c->state ? c->state : "Unknown");
		return 0;
	case CFS_SIZE:
		line(out, c->vm_size);
		return 0;
	case CFS_SSH:
		render_ssh(c, out);
		return 0;
	case CFS_CONTROL:
		return 0; /* write-only: no bytes */
	case CFS_OPERATION:
		render_operation(c, out);
		return 0;
	case CFS_IP:
		line(out, address(c));
		return 0;
	case CFS_LOCATION:
		line(out, c->location);
		return 0;
	case CFS_CREATED_BY:
		line(out, c->created_by);
		return 0;
	case CFS_ERRORS:
		if (c->errors)
			buf_puts(out, c->errors);
		return 0;
	case CFS_INFO_JSON:
		if (az_compute_json_pretty(c, out) < 0)
			return -1;
		return 0;
	case CFS_IDLE:
		if (c->idle_minutes > 0)
			buf_printf(out, "%ld\n", c->idle_minutes);
		else
			buf_puts(out, "off\n");
		return 0;
	case CFS_SCHEDULES:
		if (c->schedules)
			buf_puts(out, c->schedules);
		return 0;
	case CFS_WAIT:
		/* what a finished wait says (fs/wait.c); ls -l shows it */
		line(out, c->state ? c->state : "Unknown");
		return 0;
	case CFS_DIR:
	case CFS_APPS:
	case CFS_FILE_END:
		return -1;
	}
	return -1;
}

void cfs_app_filename(const struct az_app *a, char *buf, size_t len)
{
	size_t n = 0;

	for (const char *s = a->name ? a->name : ""; *s && n + 1 < len; s++) {
		if (*s == ' ' || iscntrl((unsigned char)*s))
			continue;
		buf[n] = (*s == '/' || (*s == '.' && n == 0)) ? '_' : *s;
		n++;
	}
	buf[n] = '\0';
	if (n == 0)
		snprintf(buf, len, "app");
}

/* The name of slot @k, whether or not an earlier slot has it too. */
static bool app_name(const struct az_compute *c, int k, char *buf,
		     size_t len)
{
	size_t i = (size_t)k / CFS_APP_KINDS;
	int kind = k % CFS_APP_KINDS;
	char base[256];

	if (k < 0 || k >= CFS_APP_MAX || i >= c->n_apps)
		return false;
	if (kind != CFS_APP_URL && !cfs_app_url_ok(c->apps[i].url))
		return false;
	cfs_app_filename(&c->apps[i], base, sizeof(base));
	/* NAME_MAX is 255; a longer name would be cut, and could clash */
	if (strlen(base) + strlen(app_suffix[kind]) > 255 ||
	    strlen(base) + strlen(app_suffix[kind]) >= len)
		return false;
	snprintf(buf, len, "%s%s", base, app_suffix[kind]);
	return true;
}

bool cfs_app_entry(const struct az_compute *c, int k, char *buf,
		   size_t len)
{
	return app_name(c, k, buf, len) && cfs_app_lookup(c, buf) == k;
}

int cfs_app_lookup(const struct az_compute *c, const char *name)
{
	char fn[256];

	for (int k = 0; k < CFS_APP_MAX; k++)
		if (app_name(c, k, fn, sizeof(fn)) && strcmp(fn, name) == 0)
			return k;
	return -1;
}
