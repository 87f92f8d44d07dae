/**
 * @file
 * --shape examples: a workspace made of resources shaped exactly like the
 * bodies in Azure/azure-rest-api-specs, stable/2025-06-01/examples/Compute
 * (get/ComputeInstance.json, list.json,
 * createOrUpdate/BasicAKSCompute.json whose id lacks the leading '/',
 * the ComputeInstance createOrUpdate
 * response with only computeType and provisioningState, get/AmlCompute.json,
 * get/KubernetesCompute.json), plus a ComputeInstance whose every nullable
 * field is null. Only the ids change, to point into this workspace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator/seed.h"
#include "emulator/shape.h"

/* get/ComputeInstance.json */
static const char ex_ci[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute123\",\"location\":\"eastus2\",\"properties\":{"
"\"description\":\"some compute\","
"\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"computeType\":\"ComputeInstance\",\"provisioningState\":\"Succeeded\","
"\"properties\":{\"vmSize\":\"STANDARD_NC6\","
"\"subnet\":{\"id\":\"test-subnet-resource-id\"},"
"\"applicationSharingPolicy\":\"Shared\","
"\"sshSettings\":{\"sshPublicAccess\":\"Enabled\","
"\"adminUserName\":\"azureuser\",\"sshPort\":22},"
"\"osImageMetadata\":{\"currentImageVersion\":\"22.06.14\","
"\"latestImageVersion\":\"22.07.22\",\"isLatestOsImageVersion\":false},"
"\"enableOSPatching\":true,\"releaseQuotaOnStop\":true,\"enableSSO\":true,"
"\"enableRootAccess\":true,\"customServices\":[{\"name\":"
"\"rstudio-workbench\",\"image\":{\"type\":\"docker\",\"reference\":"
"\"ghcr.io/azure/rstudio-workbench:latest\"},\"environmentVariables\":{"
"\"RSP_LICENSE\":{\"type\":\"local\",\"value\":"
"\"XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX\"}},\"docker\":{\"privileged\":true},"
"\"endpoints\":[{\"protocol\":\"http\",\"name\":\"connect\",\"target\":8787,"
"\"published\":4444,\"hostIp\":null}],\"volumes\":[{\"type\":\"bind\","
"\"source\":\"/mnt/azureuser/\",\"target\":\"/home/testuser/\","
"\"readOnly\":true,\"consistency\":\"test\",\"bind\":{\"propagation\":"
"\"test\",\"createHostPath\":true,\"selinux\":\"test\"},\"volume\":{"
"\"nocopy\":true},\"tmpfs\":{\"size\":10}}]}],"
"\"computeInstanceAuthorizationType\":\"personal\","
"\"personalComputeInstanceSettings\":{\"assignedUser\":{"
"\"objectId\":\"00000000-0000-0000-0000-000000000000\","
"\"tenantId\":\"00000000-0000-0000-0000-000000000000\"}},"
"\"createdBy\":{\"userName\":\"foobar@microsoft.com\","
"\"userOrgId\":\"00000000-0000-0000-0000-000000000000\","
"\"userId\":\"00000000-0000-0000-0000-000000000000\"},"
"\"connectivityEndpoints\":{\"publicIpAddress\":\"10.0.0.1\","
"\"privateIpAddress\":\"10.0.0.1\"},\"applications\":[{\"displayName\":"
"\"Jupyter\",\"endpointUri\":"
"\"https://compute123.eastus2.azureml.net/jupyter\"}],"
"\"errors\":null,\"state\":\"Running\"}}}";

/* list.json, second entry */
static const char ex_aks_list[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute1234\",\"location\":\"eastus\",\"properties\":{"
"\"description\":\"some compute\","
"\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"resourceId\":"
"\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/"
"testrg123/providers/Microsoft.ContainerService/managedClusters/"
"compute1234-56826-c9b00420020b2\","
"\"computeType\":\"AKS\",\"provisioningState\":\"Succeeded\"}}";

/* createOrUpdate/BasicAKSCompute.json, 200 body: id without leading '/' */
static const char ex_aks_basic[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute12345\",\"location\":\"eastus\",\"properties\":{"
"\"computeType\":\"AKS\",\"provisioningState\":\"Creating\"}}";

/* createOrUpdate/ComputeInstance.json, 200 body */
static const char ex_ci_minimal[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute-minimal\",\"location\":\"eastus\",\"properties\":{"
"\"computeType\":\"ComputeInstance\",\"provisioningState\":\"Creating\"}}";

/* A ComputeInstance with every x-nullable field null. */
static const char ex_ci_nulls[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute-nulls\",\"location\":\"eastus\",\"tags\":null,"
"\"sku\":null,\"properties\":{\"computeType\":\"ComputeInstance\","
"\"computeLocation\":null,\"provisioningState\":\"Succeeded\","
"\"description\":null,\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"resourceId\":null,"
"\"provisioningErrors\":null,\"isAttachedCompute\":false,"
"\"disableLocalAuth\":null,\"properties\":{\"vmSize\":\"STANDARD_NC6\","
"\"subnet\":null,\"applicationSharingPolicy\":\"Shared\","
"\"autologgerSettings\":null,\"sshSettings\":null,\"customServices\":null,"
"\"osImageMetadata\":null,\"connectivityEndpoints\":{"
"\"publicIpAddress\":null,\"privateIpAddress\":null},"
"\"applications\":null,\"createdBy\":{\"userName\":null,"
"\"userOrgId\":null,\"userId\":null},\"errors\":null,\"state\":\"Stopped\","
"\"computeInstanceAuthorizationType\":null,\"enableOSPatching\":null,"
"\"enableRootAccess\":null,\"enableSSO\":null,\"releaseQuotaOnStop\":null,"
"\"personalComputeInstanceSettings\":null,\"setupScripts\":null,"
"\"lastOperation\":null,\"schedules\":null,\"idleTimeBeforeShutdown\":null,"
"\"enableNodePublicIp\":null,\"containers\":null,\"dataDisks\":null,"
"\"dataMounts\":null,\"versions\":null}}}";

/* get/AmlCompute.json */
static const char ex_aml[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute-aml\",\"location\":\"eastus2\",\"properties\":{"
"\"description\":\"some compute\","
"\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"computeType\":\"AmlCompute\",\"provisioningState\":\"Succeeded\","
"\"properties\":{\"vmSize\":\"STANDARD_NC6\",\"vmPriority\":\"Dedicated\","
"\"osType\":\"Windows\",\"virtualMachineImage\":null,"
"\"isolatedNetwork\":false,\"subnet\":{\"id\":\"test-subnet-resource-id\"},"
"\"scaleSettings\":{\"maxNodeCount\":1,\"minNodeCount\":0,"
"\"nodeIdleTimeBeforeScaleDown\":\"PT5M\"},"
"\"remoteLoginPortPublicAccess\":\"Enabled\",\"allocationState\":"
"\"Resizing\",\"allocationStateTransitionTime\":"
"\"2017-09-27T22:28:08.998Z\",\"errors\":null,\"currentNodeCount\":0,"
"\"targetNodeCount\":1,\"nodeStateCounts\":{\"preparingNodeCount\":0,"
"\"runningNodeCount\":0,\"idleNodeCount\":0,\"unusableNodeCount\":0,"
"\"leavingNodeCount\":0,\"preemptedNodeCount\":0},"
"\"enableNodePublicIp\":true}}}";

/* get/KubernetesCompute.json */
static const char ex_k8s[] =
"{\"id\":\"\",\"type\":"
"\"Microsoft.MachineLearningServices/workspaces/computes\","
"\"name\":\"compute-k8s\",\"location\":\"eastus\",\"properties\":{"
"\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\","
"\"description\":\"some compute\",\"resourceId\":"
"\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/"
"testrg123/providers/Microsoft.ContainerService/managedClusters/"
"compute123-56826-c9b00420020b2\",\"computeType\":\"Kubernetes\","
"\"provisioningState\":\"Succeeded\",\"isAttachedCompute\":true,"
"\"properties\":{\"relayConnectionString\":null,"
"\"serviceBusConnectionString\":null,\"extensionPrincipalId\":null,"
"\"extensionInstanceReleaseTrain\":\"stable\",\"vcName\":null,"
"\"namespace\":\"default\",\"defaultInstanceType\":\"defaultInstanceType\","
"\"instanceTypes\":{\"defaultInstanceType\":{\"nodeSelector\":null,"
"\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"4Gi\","
"\"nvidia.com/gpu\":null},\"limits\":{\"cpu\":\"1\",\"memory\":\"4Gi\","
"\"nvidia.com/gpu\":null}}}}}}}";

static int add(struct store *s, const char *ws_id, const char *text,
	       bool no_slash)
{
	cJSON *res = cJSON_Parse(text);
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "name");
	char *id;

	if (!res || !cJSON_IsString(name)) {
		cJSON_Delete(res);
		return -1;
	}
	id = shape_compute_id(ws_id, name->valuestring);
	if (!id) {
		cJSON_Delete(res);
		return -1;
	}
	shape_set_str(res, "id", no_slash && id[0] == '/' ? id + 1 : id);
	free(id);
	return store_insert(s, res);
}

int seed_examples(struct store *s, const struct seed_opts *o)
{
	if (add(s, o->ws_id, ex_ci, false) < 0 ||
	    add(s, o->ws_id, ex_aks_list, false) < 0 ||
	    add(s, o->ws_id, ex_ci_minimal, false) < 0 ||
	    add(s, o->ws_id, ex_aml, false) < 0 ||
	    add(s, o->ws_id, ex_ci_nulls, false) < 0 ||
	    add(s, o->ws_id, ex_aks_basic, true) < 0 ||
	    add(s, o->ws_id, ex_k8s, false) < 0)
		return -1;
	return 0;
}
