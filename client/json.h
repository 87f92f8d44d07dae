/**
 * @file
 * The one small helper family through which every JSON field is read.
 *
 * A path is a dotted list of object keys ("properties.properties.state").
 * Each getter returns the value when every key exists and the leaf has the
 * right type; otherwise it returns the fallback (or false), so a null, a
 * missing key or a wrong type all read as "absent". Nothing here allocates.
 */
#ifndef COMPUTEFS_CLIENT_JSON_H
#define COMPUTEFS_CLIENT_JSON_H

#include <stdbool.h>
#include <cjson/cJSON.h>

/* The node at @path under @root, or NULL. Never follows into arrays. */
const cJSON *js_get(const cJSON *root, const char *path);

/* A string leaf, or NULL when absent, null or not a string. */
const char *js_str(const cJSON *root, const char *path);

/* A number leaf that is an integer in range; false otherwise. */
bool js_long(const cJSON *root, const char *path, long *out);

/* A boolean leaf; false when absent or not a boolean. */
bool js_bool(const cJSON *root, const char *path, bool *out);

/* A number leaf (integer or not); false otherwise. */
bool js_double(const cJSON *root, const char *path, double *out);

/* An object leaf, or NULL. */
const cJSON *js_object(const cJSON *root, const char *path);

/* An array leaf, or NULL. */
const cJSON *js_array(const cJSON *root, const char *path);

/* strdup of js_str(), or NULL when absent (or out of memory). */
char *js_strdup(const cJSON *root, const char *path);

#endif
