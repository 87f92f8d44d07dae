/**
 * @file
 * Dotted-path JSON getters (see json.h): the only place that walks cJSON
 * objects by key. Keys are matched case-sensitively, as JSON requires.
 */
#include "client/json.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The child of object @obj named by @key[0..@len). */
static const cJSON *child_n(const cJSON *obj, const char *key, size_t len)
{
	const cJSON *it;

	if (!cJSON_IsObject(obj))
		return NULL;
	for (it = obj->child; it; it = it->next) {
		if (it->string && strlen(it->string) == len &&
		    memcmp(it->string, key, len) == 0)
			return it;
	}
	return NULL;
}

const cJSON *js_get(const cJSON *root, const char *path)
{
	const cJSON *node = root;
	const char *p = path;

	if (!root || !path)
		return NULL;
	if (*p == '\0')
		return root;
	for (;;) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		node = child_n(node, p, len);
		if (!node)
			return NULL;
		if (!dot)
			return node;
		p = dot + 1;
	}
}

const char *js_str(const cJSON *root, const char *path)
{
	const cJSON *n = js_get(root, path);

	if (!cJSON_IsString(n) || !n->valuestring)
		return NULL;
	return n->valuestring;
}

bool js_long(const cJSON *root, const char *path, long *out)
{
	const cJSON *n = js_get(root, path);
	double d;

	if (!cJSON_IsNumber(n))
		return false;
	d = n->valuedouble;
	/* NaN fails both comparisons; the cast is safe once in range. */
	if (!(d >= (double)LONG_MIN && d < (double)LONG_MAX))
		return false;
	if ((double)(long)d != d)
		return false;
	*out = (long)d;
	return true;
}

bool js_bool(const cJSON *root, const char *path, bool *out)
{
	const cJSON *n = js_get(root, path);

	if (!cJSON_IsBool(n))
		return false;
	*out = cJSON_IsTrue(n);
	return true;
}

bool js_double(const cJSON *root, const char *path, double *out)
{
	const cJSON *n = js_get(root, path);

	if (!cJSON_IsNumber(n))
		return false;
	*out = n->valuedouble;
	return true;
}

const cJSON *js_object(const cJSON *root, const char *path)
{
	const cJSON *n = js_get(root, path);

	return cJSON_IsObject(n) ? n : NULL;
}

const cJSON *js_array(const cJSON *root, const char *path)
{
	const cJSON *n = js_get(root, path);

	return cJSON_IsArray(n) ? n : NULL;
}

char *js_strdup(const cJSON *root, const char *path)
{
	const char *s = js_str(root, path);

	return s ? strdup(s) : NULL;
}
