/**
 * @file
 * Building replies (see reply.h).
 */
#include "emulator/reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void reply_init(struct emu_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 500;
}

void reply_free(struct emu_reply *r)
{
	if (!r)
		return;
	free(r->body);
	for (int i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	r->body = NULL;
	r->nheaders = 0;
}

void reply_header(struct emu_reply *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *value;
	int i;

	va_start(ap, fmt);
	if (vasprintf(&value, fmt, ap) < 0)
		value = NULL;
	va_end(ap);
	if (!value)
		return;
	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0) {
			free(r->headers[i].value);
			r->headers[i].value = value;
			return;
		}
	}
	if (r->nheaders == REPLY_MAX_HEADERS) {
		free(value);
		return;
	}
	r->headers[i].name = strdup(name);
	r->headers[i].value = value;
	if (!r->headers[i].name) {
		free(value);
		return;
	}
	r->nheaders++;
}

void reply_remove_header(struct emu_reply *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) != 0)
			continue;
		free(r->headers[i].name);
		free(r->headers[i].value);
		r->nheaders--;
		memmove(&r->headers[i], &r->headers[i + 1],
			(size_t)(r->nheaders - i) * sizeof(r->headers[0]));
		return;
	}
}

const char *reply_get_header(const struct emu_reply *r, const char *name)
{
	for (int i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

void reply_raw(struct emu_reply *r, int status, const char *ctype,
	       const char *body, size_t len)
{
	r->status = status;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
	if (body && len) {
		r->body = malloc(len + 1);
		if (r->body) {
			memcpy(r->body, body, len);
			r->body[len] = '\0';
			r->body_len = len;
		}
	}
	if (ctype)
		reply_header(r, "Content-Type", "%s", ctype);
}

void reply_json(struct emu_reply *r, int status, cJSON *body)
{
	char *text = body ? cJSON_PrintUnformatted(body) : NULL;

	r->status = status;
	free(r->body);
	r->body = text;
	r->body_len = text ? strlen(text) : 0;
	if (text)
		reply_header(r, "Content-Type",
			     "application/json; charset=utf-8");
	cJSON_Delete(body);
}

void reply_arm_error(struct emu_reply *r, int status, const char *code,
		     const char *fmt, ...)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(root, "error");
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", msg);
	reply_json(r, status, root);
}
