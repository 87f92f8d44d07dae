/**
 * @file
 * Workspace ARM ids: parse and build
 * /subscriptions/S/resourceGroups/R/providers/
 *     Microsoft.MachineLearningServices/workspaces/W
 */
#ifndef COMPUTEFS_CLIENT_WORKSPACE_H
#define COMPUTEFS_CLIENT_WORKSPACE_H

#include <stddef.h>

struct az_workspace {
	char subscription[64];
	char resource_group[91];
	char name[64];
};

/*
 * Parse an ARM id (case-insensitive keywords, one optional trailing "/").
 * Checks each part against ARM's rules (docs/azure-api.md section 2).
 * Returns 0, or -1 with a reason in @why (size @len).
 */
int az_workspace_parse(const char *id, struct az_workspace *ws, char *why,
		       size_t len);

/* Fill @ws from the three parts, checked as above. */
int az_workspace_from_parts(const char *sub, const char *rg, const char *name,
			    struct az_workspace *ws, char *why, size_t len);

/*
 * The workspace an Azure ML config.json names (@text, @len bytes): keys
 * subscription_id, resource_group and workspace_name, or "Scope" holding
 * the ARM id; other keys are ignored. Returns 0, or -1 with a reason in
 * @why (which does not name the file: the caller knows it).
 */
int az_workspace_from_config(const char *text, size_t len,
			     struct az_workspace *ws, char *why, size_t whylen);

/* Write the canonical ARM id into @buf. */
void az_workspace_id(const struct az_workspace *ws, char *buf, size_t len);

#endif
