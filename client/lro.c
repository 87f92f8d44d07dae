/**
 * @file
 * The client's write side (see client.h): start, stop, restart, resize,
 * create and delete, each returning once Azure accepted the request, and
 * az_lro_poll(), one step of following the operation, in the order the
 * Azure SDK's ARM poller uses (docs/azure-api.md section 7.2):
 * Azure-AsyncOperation, then Location, then the resource's
 * provisioningState for PUT.
 *
 * No state of its own: a struct az_lro belongs to its caller, so one
 * caller polls it at a time; the client underneath is thread-safe.
 */
#include "client/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client/client_impl.h"
#include "client/json.h"
#include "util/log.h"

static void lro_init(struct az_lro *lro)
{
	memset(lro, 0, sizeof(*lro));
	lro->retry_after = -1;
}

void az_lro_free(struct az_lro *lro)
{
	if (!lro)
		return;
	free(lro->async_url);
	free(lro->location_url);
	free(lro->resource_url);
	memset(lro, 0, sizeof(*lro));
	lro->retry_after = -1;
}

const char *az_lro_state_name(enum az_lro_state s)
{
	switch (s) {
	case AZ_LRO_RUNNING:
		return "running";
	case AZ_LRO_SUCCEEDED:
		return "succeeded";
	case AZ_LRO_FAILED:
		return "failed";
	case AZ_LRO_CANCELED:
		return "canceled";
	}
	return "unknown";
}

enum az_lro_state az_lro_state_of(const char *status)
{
	if (!status)
		return AZ_LRO_RUNNING;
	if (strcasecmp(status, "Succeeded") == 0)
		return AZ_LRO_SUCCEEDED;
	if (strcasecmp(status, "Failed") == 0)
		return AZ_LRO_FAILED;
	if (strcasecmp(status, "Canceled") == 0)
		return AZ_LRO_CANCELED;
	return AZ_LRO_RUNNING; /* InProgress, Accepted, Creating, ... */
}

/* @url verbatim when absolute, else resolved against @base. */
static char *absolute(const char *base, const char *url)
{
	if (strncasecmp(url, "https://", 8) == 0 ||
	    strncasecmp(url, "http://", 7) == 0)
		return strdup(url);
	return az_url_resolve(base, url);
}

/*
 * Forget *@url when it is not on @resource_url's scheme, host and port:
 * the token would not be sent there, so polling it could never tell
 * anything (the instance itself is watched instead).
 */
static void drop_foreign(char **url, const char *header, const char *op,
			 const char *resource_url)
{
	char log_url[400];

	if (!*url || az_url_same_origin(*url, resource_url))
		return;
	az_url_for_log(*url, log_url, sizeof(log_url));
	log_warn("%s: ignoring the %s %s, not on the endpoint's host; "
		 "watching the instance instead", op, header, log_url);
	free(*url);
	*url = NULL;
}

static long seconds_of(long ms)
{
	return ms < 0 ? -1 : (ms + 999) / 1000;
}

enum az_err az_lro_setup(struct az_lro *lro, const char *op,
			 const char *method, const struct az_http_resp *resp,
			 const char *resource_url, struct az_error *err)
{
	lro_init(lro);
	snprintf(lro->op, sizeof(lro->op), "%s", op);
	lro->http_status = resp->status;
	lro->retry_after = seconds_of(resp->retry_after_ms);
	lro->resource_url = strdup(resource_url);
	if (resp->async_op && *resp->async_op)
		lro->async_url = absolute(resource_url, resp->async_op);
	if (resp->location && *resp->location)
		lro->location_url = absolute(resource_url, resp->location);
	if (!lro->resource_url ||
	    (resp->async_op && *resp->async_op && !lro->async_url) ||
	    (resp->location && *resp->location && !lro->location_url)) {
		az_lro_free(lro);
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	}
	/* a status URL on another host gets no token: unusable, not kept */
	drop_foreign(&lro->async_url, "Azure-AsyncOperation", op,
		     resource_url);
	drop_foreign(&lro->location_url, "Location", op, resource_url);
	if (lro->async_url) {
		lro->kind = AZ_LRO_ASYNC_OP;
	} else if (lro->location_url) {
		lro->kind = AZ_LRO_LOCATION;
	} else if (strcmp(method, "PUT") == 0 && resp->status != 204) {
		enum az_lro_state st = AZ_LRO_RUNNING;

		/* 201/202: running; 200: its provisioningState says */
		if (resp->status == 200)
			az_lro_parse_resource(resp->body, resp->len, &st,
					      NULL);
		lro->kind = st == AZ_LRO_RUNNING ? AZ_LRO_RESOURCE :
						   AZ_LRO_NONE;
	} else {
		lro->kind = AZ_LRO_NONE;
	}
	return AZ_OK;
}

/* Fill @err from an ARM "error" object under @root at @path. */
static void op_error(const cJSON *root, const char *path,
		     enum az_lro_state st, struct az_error *err)
{
	const cJSON *e = js_object(root, path);
	const char *code = js_str(e, "code"), *msg = js_str(e, "message");

	az_fail(err, AZ_ERR_CONFLICT, 0, "operation %s",
		az_lro_state_name(st));
	/* Azure's text, one line: it ends up in NAME/errors and the log */
	if (err && code)
		az_copy_clean(err->arm_code, sizeof(err->arm_code), code);
	if (err && msg)
		az_copy_clean(err->message, sizeof(err->message), msg);
}

enum az_err az_lro_parse_status(const char *body, size_t len,
				enum az_lro_state *st, struct az_error *err)
{
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
	const char *status = js_str(doc, "status");

	if (!status) {
		cJSON_Delete(doc);
		return az_fail(err, AZ_ERR_PROTOCOL, 200,
			       "operation status without a \"status\"");
	}
	*st = az_lro_state_of(status);
	if (*st == AZ_LRO_FAILED || *st == AZ_LRO_CANCELED)
		op_error(doc, "error", *st, err);
	cJSON_Delete(doc);
	return AZ_OK;
}

enum az_err az_lro_parse_resource(const char *body, size_t len,
				  enum az_lro_state *st, struct az_error *err)
{
	cJSON *doc = cJSON_ParseWithLength(body ? body : "", len);
	const char *ps = js_str(doc, "properties.provisioningState");
	const cJSON *errs, *first;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return az_fail(err, AZ_ERR_PROTOCOL, 200,
			       "malformed resource while polling");
	}
	*st = ps ? az_lro_state_of(ps) : AZ_LRO_SUCCEEDED;
	if (*st == AZ_LRO_FAILED || *st == AZ_LRO_CANCELED) {
		errs = js_array(doc, "properties.provisioningErrors");
		first = errs ? cJSON_GetArrayItem(errs, 0) : NULL;
		op_error(first, "error", *st, err);
	}
	cJSON_Delete(doc);
	return AZ_OK;
}

/* Replace lro->location_url with a newer Location, if one came. */
static void pick_up_location(struct az_lro *lro,
			     const struct az_http_resp *resp)
{
	char *n;

	if (!resp->location || !*resp->location ||
	    (lro->location_url && !strcmp(lro->location_url, resp->location)))
		return;
	n = absolute(lro->resource_url, resp->location);
	if (!n)
		return;
	if (!az_url_same_origin(n, lro->resource_url)) {
		free(n); /* another host: keep polling the one we have */
		return;
	}
	free(lro->location_url);
	lro->location_url = n;
}

enum az_err az_lro_poll(struct az_client *c, struct az_lro *lro,
			enum az_lro_state *state, struct az_error *err)
{
	struct az_http_resp resp;
	const char *url;
	enum az_err e;

	*state = AZ_LRO_RUNNING;
	switch (lro->kind) {
	case AZ_LRO_NONE:
		*state = AZ_LRO_SUCCEEDED;
		return AZ_OK;
	case AZ_LRO_ASYNC_OP:
		url = lro->async_url;
		break;
	case AZ_LRO_LOCATION:
		url = lro->location_url;
		break;
	case AZ_LRO_RESOURCE:
		url = lro->resource_url;
		break;
	default:
		return az_fail(err, AZ_ERR_INVALID, 0, "bad operation kind");
	}
	e = az_client_send(c, "GET", url, NULL, &resp, err);
	lro->retry_after = seconds_of(resp.retry_after_ms);
	if (e != AZ_OK) {
		/* a Location poll's error reply is the operation's failure */
		if (lro->kind == AZ_LRO_LOCATION && resp.status >= 400 &&
		    resp.status < 500 && e != AZ_ERR_NOT_FOUND &&
		    e != AZ_ERR_UNAUTHORIZED && e != AZ_ERR_FORBIDDEN &&
		    e != AZ_ERR_THROTTLED && resp.status != 408) {
			*state = AZ_LRO_FAILED;
			if (err)
				err->code = AZ_ERR_CONFLICT;
			e = AZ_OK;
		}
		goto out;
	}
	switch (lro->kind) {
	case AZ_LRO_ASYNC_OP:
		if (resp.status == 202 && resp.len == 0)
			break; /* still running, nothing to read */
		e = az_lro_parse_status(resp.body, resp.len, state, err);
		break;
	case AZ_LRO_LOCATION:
		pick_up_location(lro, &resp);
		if (resp.status == 202)
			*state = AZ_LRO_RUNNING;
		else if (resp.status >= 200 && resp.status <= 299)
			*state = AZ_LRO_SUCCEEDED;
		else /* a redirect says nothing of the operation */
			e = az_fail(err, AZ_ERR_INVALID, resp.status,
				    "the operation's Location answered HTTP "
				    "%ld", resp.status);
		break;
	case AZ_LRO_RESOURCE:
		if (resp.status == 202)
			break;
		e = az_lro_parse_resource(resp.body, resp.len, state, err);
		break;
	case AZ_LRO_NONE:
		break;
	}
out:
	if (e == AZ_OK && (*state == AZ_LRO_FAILED ||
			   *state == AZ_LRO_CANCELED))
		log_warn("%s %s: %s%s%s", lro->op, az_lro_state_name(*state),
			 err ? err->arm_code : "",
			 err && err->arm_code[0] ? ": " : "",
			 err ? err->message : "");
	az_http_resp_free(&resp);
	return e;
}

/* Send @method to the compute's @suffix and set up *@lro from the reply. */
static enum az_err operate(struct az_client *c, const char *op,
			   const char *method, const char *name,
			   const char *suffix, const char *query,
			   const char *body, struct az_lro *lro,
			   struct az_error *err)
{
	struct az_http_resp resp;
	char *url, *res_url;
	enum az_err e;

	lro_init(lro);
	if (!name || !*name)
		return az_fail(err, AZ_ERR_INVALID, 0, "no compute name");
	url = az_client_compute_url(c, name, suffix, query);
	res_url = az_client_compute_url(c, name, NULL, NULL);
	if (!url || !res_url) {
		free(url);
		free(res_url);
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	}
	e = az_client_send(c, method, url, body, &resp, err);
	if (e == AZ_OK && (resp.status < 200 || resp.status > 299)) {
		/* a redirect is not acceptance: nothing was done */
		e = az_fail(err, AZ_ERR_PROTOCOL, resp.status, "Azure answered "
			    "%s %s with HTTP %ld, not an acceptance: nothing "
			    "was done", op, name, resp.status);
		log_warn("%s", err ? err->message : "not accepted");
	} else if (e == AZ_ERR_NOT_FOUND && resp.lost_reply &&
		   strcmp(method, "DELETE") == 0) {
		/* our first DELETE did it; its reply was lost on the way */
		lro_init(lro);
		snprintf(lro->op, sizeof(lro->op), "%s", op);
		e = AZ_OK;
		log_info("%s %s: gone (the reply to an earlier attempt was "
			 "lost)", op, name);
	} else if (e == AZ_OK) {
		e = az_lro_setup(lro, op, method, &resp, res_url, err);
		log_info("%s %s: accepted (HTTP %ld)", op, name, resp.status);
	} else if (e == AZ_ERR_CANCELED) {
		log_info("%s %s: interrupted%s", op, name, err &&
			 err->maybe_done ? " after the request left: Azure "
			 "may still carry it out" : "");
	} else {
		log_warn("%s %s: %s%s%s", op, name,
			 err ? err->arm_code : az_strerror(e),
			 err && err->arm_code[0] ? ": " : "",
			 err ? err->message : "");
	}
	az_http_resp_free(&resp);
	free(url);
	free(res_url);
	return e;
}

enum az_err az_start(struct az_client *c, const char *name,
		     struct az_lro *lro, struct az_error *err)
{
	return operate(c, "start", "POST", name, "/start", NULL, NULL, lro,
		       err);
}

enum az_err az_stop(struct az_client *c, const char *name,
		    struct az_lro *lro, struct az_error *err)
{
	return operate(c, "stop", "POST", name, "/stop", NULL, NULL, lro,
		       err);
}

enum az_err az_restart(struct az_client *c, const char *name,
		       struct az_lro *lro, struct az_error *err)
{
	return operate(c, "restart", "POST", name, "/restart", NULL, NULL, lro,
		       err);
}

enum az_err az_resize(struct az_client *c, const char *name,
		      const char *size, struct az_lro *lro,
		      struct az_error *err)
{
	cJSON *o;
	char *body;
	enum az_err e;

	lro_init(lro);
	if (!size || !*size)
		return az_fail(err, AZ_ERR_INVALID, 0, "no VM size");
	o = cJSON_CreateObject();
	if (!o || !cJSON_AddStringToObject(o, "targetVMSize", size)) {
		cJSON_Delete(o);
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	}
	body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!body)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	e = operate(c, "resize", "POST", name, "/resize", NULL, body, lro,
		    err);
	cJSON_free(body);
	return e;
}

enum az_err az_create(struct az_client *c, const char *name,
		      const struct az_create_params *p, struct az_lro *lro,
		      struct az_error *err)
{
	struct az_workspace_info wi;
	const char *loc;
	char why[160];
	char *body;
	enum az_err e;

	lro_init(lro);
	if (!az_compute_name_valid(name, why, sizeof(why)))
		return az_fail(err, AZ_ERR_INVALID, 0, "%s", why);
	if (!p || !p->vm_size || !*p->vm_size)
		return az_fail(err, AZ_ERR_INVALID, 0, "no VM size");
	if (p->assigned_oid && *p->assigned_oid &&
	    (!p->assigned_tid || !*p->assigned_tid))
		return az_fail(err, AZ_ERR_INVALID, 0,
			       "assigning an instance needs a tenant id too");
	loc = p->location;
	if (!loc || !*loc) {
		e = az_get_workspace(c, &wi, err);
		if (e != AZ_OK)
			return e;
		if (!wi.location[0])
			return az_fail(err, AZ_ERR_PROTOCOL, 200,
				       "the workspace has no location");
		loc = wi.location;
	}
	body = az_create_body(loc, p);
	if (!body)
		return az_fail(err, AZ_ERR_NOMEM, 0, NULL);
	e = operate(c, "create", "PUT", name, NULL, NULL, body, lro, err);
	cJSON_free(body);
	return e;
}

enum az_err az_delete(struct az_client *c, const char *name,
		      struct az_lro *lro, struct az_error *err)
{
	return operate(c, "delete", "DELETE", name, NULL,
		       "&underlyingResourceAction=Delete", NULL, lro, err);
}
