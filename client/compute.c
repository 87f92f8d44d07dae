/**
 * @file
 * ComputeResource JSON to struct az_compute (see compute.h), deep copy and
 * free, and Azure's compute-name rule.
 *
 * Mapping is lenient by design: Azure's enums are modelAsString, newer
 * api-versions drop fields, and the published examples carry nulls, so any
 * field other than "name" may be missing, null or of the wrong type and
 * then simply reads as absent.
 */
#include "client/compute.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/json.h"
#include "util/buf.h"

#define CI "properties.properties."

/*
 * Every mapped value is one line of a file: control characters in
 * [s, s + n), a hostile "\n" among them, become spaces.
 */
static void flatten(char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (iscntrl((unsigned char)s[i]))
			s[i] = ' ';
}

/* Append @s to @b, flattened. */
static void add_line(struct buf *b, const char *s)
{
	size_t at = b->len;

	buf_puts(b, s);
	if (!b->failed)
		flatten(b->data + at, b->len - at);
}

/* true when @b's text has @line ("...\n") as one of its lines. */
static bool has_line(const struct buf *b, const char *line, size_t n)
{
	const char *p = b->data, *end = b->data ? b->data + b->len : NULL;

	for (; p && p + n <= end; p = memchr(p, '\n', (size_t)(end - p))) {
		if (*p == '\n')
			p++;
		if (p + n <= end && !memcmp(p, line, n))
			return true;
	}
	return false;
}

/*
 * One "CODE: message\n" line per entry of @arr, a line @b has already
 * left out (Azure may report one error in both of its arrays). An entry
 * is an ErrorResponse ({"error": {code, message}}) or, leniently, a bare
 * {code, message}.
 */
static void add_errors(struct buf *b, const cJSON *arr)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr) {
		const cJSON *e = js_get(it, "error");
		const char *code, *msg;
		size_t at = b->len;

		if (!cJSON_IsObject(e))
			e = it;
		code = js_str(e, "code");
		msg = js_str(e, "message");
		if (code && !*code)
			code = NULL;
		if (msg && !*msg)
			msg = NULL;
		if (!code && !msg)
			continue;
		if (code)
			add_line(b, code);
		if (code && msg)
			buf_puts(b, ": ");
		if (msg)
			add_line(b, msg);
		buf_puts(b, "\n");
		if (!b->failed) {
			struct buf before = { b->data, at, b->cap, false,
					      false };

			if (has_line(&before, b->data + at, b->len - at)) {
				b->len = at; /* a repeat */
				b->data[at] = '\0';
			}
		}
	}
}

/* Both error arrays as text in *@out (NULL when none); -1 out of memory. */
static int errors_text(const cJSON *obj, char **out)
{
	struct buf b = BUF_INIT;

	add_errors(&b, js_array(obj, "properties.provisioningErrors"));
	add_errors(&b, js_array(obj, CI "errors"));
	if (b.failed) {
		buf_free(&b);
		return -1;
	}
	*out = b.data;
	return 0;
}

/* strdup, flattened. */
static char *dup_line(const char *s)
{
	char *d = strdup(s);

	if (d)
		flatten(d, strlen(d));
	return d;
}

static int map_apps(const cJSON *obj, struct az_compute *out)
{
	const cJSON *arr = js_array(obj, CI "applications");
	const cJSON *it;
	size_t n = 0;

	if (!arr)
		return 0;
	out->apps = calloc((size_t)cJSON_GetArraySize(arr) + 1,
			   sizeof(*out->apps));
	if (!out->apps)
		return -1;
	cJSON_ArrayForEach(it, arr) {
		const char *name = js_str(it, "displayName");
		const char *url = js_str(it, "endpointUri");

		if (!name || !url || !*name || !*url)
			continue;
		out->apps[n].name = strdup(name); /* see cfs_app_filename() */
		out->apps[n].url = dup_line(url);
		n++;
		out->n_apps = n;
		if (!out->apps[n - 1].name || !out->apps[n - 1].url)
			return -1;
	}
	return 0;
}

/*
 * What cJSON_Print() adds to cJSON_PrintUnformatted()'s bytes for @it at
 * nesting @depth, counted without printing (cJSON 1.7's format: an
 * object is "{\n", then per member depth tabs, "key", ":\t", value, ","
 * unless last, "\n", then depth - 1 tabs and "}"; an array puts ", "
 * between its elements; strings and numbers print the same).
 */
static size_t pretty_extra(const cJSON *it, size_t depth)
{
	const cJSON *c;
	size_t n = 0, extra = 0;

	if (cJSON_IsObject(it)) {
		cJSON_ArrayForEach(c, it) {
			n++;
			extra += pretty_extra(c, depth + 1);
		}
		return extra + 1 + n * (depth + 1 + 2) + depth;
	}
	if (cJSON_IsArray(it)) {
		cJSON_ArrayForEach(c, it) {
			n++;
			extra += pretty_extra(c, depth + 1);
		}
		return extra + (n ? n - 1 : 0);
	}
	return 0;
}

/*
 * Keep @obj as its compact JSON deflated (about a tenth of the pretty
 * form) and the length of its pretty form ("\n"-ended), which is what
 * info.json shows and stat reports. -1 on OOM.
 */
static int keep_json(const cJSON *obj, struct az_compute *out)
{
	char *s = cJSON_PrintUnformatted(obj);

	if (!s)
		return -1;
	/* info.json's length, "\n" included, without printing it */
	out->json_len = strlen(s) + pretty_extra(obj, 0) + 1;
	out->zjson = az_zjson_deflate(s, strlen(s), &out->zjson_len);
	cJSON_free(s);
	return out->zjson ? 0 : -1;
}

char *az_compute_json(const struct az_compute *c)
{
	if (!c->zjson)
		return strdup("");
	return az_zjson_inflate(c->zjson, c->zjson_len, NULL);
}

static void tabs(struct buf *out, size_t n)
{
	while (n--)
		buf_puts(out, "\t");
}

/*
 * cJSON_Print()'s bytes from cJSON_PrintUnformatted()'s, without
 * building a tree (the format of pretty_extra()): white space goes after
 * "{", ",", ":" and before "}" by the container each is in; strings are
 * copied as they are, escapes and all. -1 when nesting passes the
 * stack (the caller then prints through cJSON).
 */
static int reformat(const char *j, struct buf *out)
{
	char stack[256]; /* '{' or '[' of each open container */
	size_t depth = 0;
	bool in_str = false;
	const char *p;

	for (p = j; *p; p++) {
		char ch = *p;

		if (in_str) {
			buf_add(out, p, 1);
			if (ch == '\\' && p[1])
				buf_add(out, ++p, 1);
			else if (ch == '"')
				in_str = false;
			continue;
		}
		switch (ch) {
		case '"':
			in_str = true;
			buf_add(out, p, 1);
			break;
		case '{':
		case '[':
			if (depth == sizeof(stack))
				return -1;
			stack[depth++] = ch;
			buf_add(out, p, 1);
			if (ch == '{') {
				buf_puts(out, "\n");
				if (p[1] != '}')
					tabs(out, depth);
			}
			break;
		case '}':
			depth--;
			if (p[-1] != '{')
				buf_puts(out, "\n");
			tabs(out, depth);
			buf_puts(out, "}");
			break;
		case ']':
			depth--;
			buf_puts(out, "]");
			break;
		case ',':
			if (depth && stack[depth - 1] == '{') {
				buf_puts(out, ",\n");
				tabs(out, depth);
			} else {
				buf_puts(out, ", ");
			}
			break;
		case ':':
			buf_puts(out, ":\t");
			break;
		default:
			buf_add(out, p, 1);
		}
	}
	return in_str || depth ? -1 : 0;
}

int az_compute_json_pretty(const struct az_compute *c, struct buf *out)
{
	cJSON *doc;
	char *s, *json;
	size_t start = out->len;

	if (!c->zjson)
		return 0;
	json = az_compute_json(c);
	if (!json)
		return -1;
	if (reformat(json, out) == 0) {
		free(json);
		buf_puts(out, "\n");
		return out->failed ? -1 : 0;
	}
	/* too deep for the stack: through cJSON, as it was printed */
	out->len = start;
	doc = cJSON_Parse(json);
	free(json);
	s = doc ? cJSON_Print(doc) : NULL;
	cJSON_Delete(doc);
	if (!s)
		return -1;
	buf_puts(out, s);
	buf_puts(out, "\n");
	cJSON_free(s);
	return out->failed ? -1 : 0;
}

/* strdup that tells a failed copy from an absent field (see dup_line). */
static bool dup_field(char **dst, const cJSON *obj, const char *path)
{
	const char *s = js_str(obj, path);

	*dst = s ? dup_line(s) : NULL;
	return !s || *dst;
}

enum az_err az_compute_from_json(const cJSON *obj, struct az_compute *out)
{
	static const struct {
		size_t off;
		const char *path;
	} fields[] = {
		{ offsetof(struct az_compute, id), "id" },
		{ offsetof(struct az_compute, location), "location" },
		{ offsetof(struct az_compute, compute_type),
		  "properties.computeType" },
		{ offsetof(struct az_compute, provisioning_state),
		  "properties.provisioningState" },
		{ offsetof(struct az_compute, created_on),
		  "properties.createdOn" },
		{ offsetof(struct az_compute, state), CI "state" },
		{ offsetof(struct az_compute, vm_size), CI "vmSize" },
		{ offsetof(struct az_compute, public_ip),
		  CI "connectivityEndpoints.publicIpAddress" },
		{ offsetof(struct az_compute, private_ip),
		  CI "connectivityEndpoints.privateIpAddress" },
		{ offsetof(struct az_compute, created_by),
		  CI "createdBy.userName" },
		{ offsetof(struct az_compute, created_by_oid),
		  CI "createdBy.userId" },
		{ offsetof(struct az_compute, assigned_oid),
		  CI "personalComputeInstanceSettings.assignedUser.objectId" },
		{ offsetof(struct az_compute, assigned_tid),
		  CI "personalComputeInstanceSettings.assignedUser.tenantId" },
		{ offsetof(struct az_compute, ssh_user),
		  CI "sshSettings.adminUserName" },
		{ offsetof(struct az_compute, op_name),
		  CI "lastOperation.operationName" },
		{ offsetof(struct az_compute, op_status),
		  CI "lastOperation.operationStatus" },
		{ offsetof(struct az_compute, op_time),
		  CI "lastOperation.operationTime" },
	};
	const char *name, *access;
	size_t i;
	long port;

	memset(out, 0, sizeof(*out));
	name = js_str(obj, "name");
	if (!cJSON_IsObject(obj) || !az_compute_name_safe(name))
		return AZ_ERR_PROTOCOL;
	out->name = strdup(name);
	if (!out->name)
		goto oom;
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char **dst = (char **)((char *)out + fields[i].off);

		if (!dup_field(dst, obj, fields[i].path))
			goto oom;
	}
	access = js_str(obj, CI "sshSettings.sshPublicAccess");
	out->ssh_enabled = access && strcasecmp(access, "Enabled") == 0;
	if (js_long(obj, CI "sshSettings.sshPort", &port) && port > 0 &&
	    port < 65536)
		out->ssh_port = port;
	if (errors_text(obj, &out->errors) < 0)
		goto oom;
	out->idle_minutes = az_duration_minutes(js_str(obj, CI
						      "idleTimeBeforeShutdown"));
	if (out->idle_minutes < 0)
		out->idle_minutes = 0;
	if (az_schedules_text(obj, &out->schedules) < 0)
		goto oom;
	if (map_apps(obj, out) < 0)
		goto oom;
	if (keep_json(obj, out) < 0)
		goto oom;
	return AZ_OK;
oom:
	az_compute_free(out);
	return AZ_ERR_NOMEM;
}

bool az_compute_is_instance(const struct az_compute *c)
{
	return c && c->compute_type &&
	       strcmp(c->compute_type, "ComputeInstance") == 0;
}

static bool copy_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

int az_compute_copy(struct az_compute *dst, const struct az_compute *src)
{
	char *const *s[] = {
		&src->name, &src->id, &src->location, &src->compute_type,
		&src->provisioning_state, &src->created_on, &src->state,
		&src->vm_size, &src->public_ip, &src->private_ip,
		&src->created_by, &src->created_by_oid, &src->assigned_oid,
		&src->assigned_tid, &src->ssh_user, &src->op_name,
		&src->op_status, &src->op_time, &src->errors,
		&src->schedules,
	};
	char **d[] = {
		&dst->name, &dst->id, &dst->location, &dst->compute_type,
		&dst->provisioning_state, &dst->created_on, &dst->state,
		&dst->vm_size, &dst->public_ip, &dst->private_ip,
		&dst->created_by, &dst->created_by_oid, &dst->assigned_oid,
		&dst->assigned_tid, &dst->ssh_user, &dst->op_name,
		&dst->op_status, &dst->op_time, &dst->errors,
		&dst->schedules,
	};
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->ssh_enabled = src->ssh_enabled;
	dst->ssh_port = src->ssh_port;
	dst->idle_minutes = src->idle_minutes;
	dst->json_len = src->json_len;
	dst->raw_hash = src->raw_hash;
	if (src->zjson) {
		dst->zjson = malloc(src->zjson_len ? src->zjson_len : 1);
		if (!dst->zjson)
			goto oom;
		memcpy(dst->zjson, src->zjson, src->zjson_len);
		dst->zjson_len = src->zjson_len;
	}
	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		if (!copy_str(d[i], *s[i]))
			goto oom;
	}
	if (src->n_apps) {
		dst->apps = calloc(src->n_apps, sizeof(*dst->apps));
		if (!dst->apps)
			goto oom;
		for (i = 0; i < src->n_apps; i++) {
			dst->n_apps = i + 1;
			if (!copy_str(&dst->apps[i].name, src->apps[i].name) ||
			    !copy_str(&dst->apps[i].url, src->apps[i].url))
				goto oom;
		}
	}
	return 0;
oom:
	az_compute_free(dst);
	return -1;
}

void az_compute_free(struct az_compute *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_apps; i++) {
		free(c->apps[i].name);
		free(c->apps[i].url);
	}
	free(c->apps);
	free(c->name);
	free(c->id);
	free(c->location);
	free(c->compute_type);
	free(c->provisioning_state);
	free(c->created_on);
	free(c->state);
	free(c->vm_size);
	free(c->public_ip);
	free(c->private_ip);
	free(c->created_by);
	free(c->created_by_oid);
	free(c->assigned_oid);
	free(c->assigned_tid);
	free(c->ssh_user);
	free(c->op_name);
	free(c->op_status);
	free(c->op_time);
	free(c->errors);
	free(c->schedules);
	free(c->zjson);
	memset(c, 0, sizeof(*c));
}

void az_compute_free_array(struct az_compute *v, size_t n)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		az_compute_free(&v[i]);
	free(v);
}

bool az_compute_name_safe(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 255 || !isalnum((unsigned char)name[0]) ||
	    (unsigned char)name[0] >= 0x80)
		return false;
	for (size_t i = 1; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch >= 0x80 ||
		    (!isalnum(ch) && ch != '-' && ch != '_' && ch != '.'))
			return false;
	}
	return true;
}

bool az_compute_name_valid(const char *name, char *why, size_t len)
{
	const char *dash;
	size_t n, i;

#define WHY(...) do { if (why && len) snprintf(why, len, __VA_ARGS__); \
		      return false; } while (0)
	if (!name)
		WHY("no name");
	n = strlen(name);
	if (n < 3 || n > 24)
		WHY("'%.64s': a compute name has 3 to 24 characters", name);
	if (!isalpha((unsigned char)name[0]) || (unsigned char)name[0] >= 0x80)
		WHY("'%s': a compute name starts with a letter", name);
	for (i = 1; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch >= 0x80 || (!isalnum(ch) && ch != '-'))
			WHY("'%s': a compute name has only letters, digits "
			    "and '-'", name);
	}
	dash = strrchr(name, '-');
	if (dash) {
		const char *p = dash + 1;

		if (*p == '\0')
			WHY("'%s': a compute name does not end in '-'", name);
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '\0')
			WHY("'%s': a compute name does not end in '-' followed "
			    "only by digits", name);
	}
#undef WHY
	return true;
}
