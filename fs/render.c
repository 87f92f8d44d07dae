/**
 * @file
 * Instance file contents (see render.h).
 */
#include "fs/render.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

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

int cfs_render(int file, const struct az_compute *c, struct buf *out)
{
	if (file >= CFS_APP_FIRST) {
		size_t i = (size_t)(file - CFS_APP_FIRST);

		if (i >= c->n_apps)
			return -1;
		line(out, c->apps[i].url);
		return 0;
	}
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
		if (c->json)
			buf_puts(out, c->json);
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

int cfs_app_lookup(const struct az_compute *c, const char *name)
{
	char fn[256];

	for (size_t i = 0; i < c->n_apps && i < CFS_APP_MAX; i++) {
		cfs_app_filename(&c->apps[i], fn, sizeof(fn));
		if (strcmp(fn, name) == 0)
			return (int)i;
	}
	return -1;
}
