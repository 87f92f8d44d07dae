/**
 * @file
 * Unit tests for client/compute.c: ComputeResource JSON to struct
 * az_compute against Microsoft's published example bodies (embedded
 * below, from Azure/azure-rest-api-specs, machinelearningservices
 * stable/2025-06-01/examples/Compute/), plus nulls, missing and unknown
 * fields, wrong types, errors, copy/free and the compute-name rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "client/compute.h"
#include "client/json.h"
#include "util/buf.h"

/* ci.json */
static const char EX_GET_CI[] =
	"{\"id\":\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resour"
	"ceGroups/testrg123/providers/Microsoft.MachineLearningServices/works"
	"paces/workspaces123/computes/compute123\",\"type\":\"Microsoft.Machi"
	"neLearningServices/workspaces/computes\",\"name\":\"compute123\",\"l"
	"ocation\":\"eastus2\",\"properties\":{\"description\":\"some compute"
	"\",\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"modifiedOn\""
	":\"2021-04-01T22:00:00.0000000+00:00\",\"computeType\":\"ComputeInst"
	"ance\",\"provisioningState\":\"Succeeded\",\"properties\":{\"vmSize\""
	":\"STANDARD_NC6\",\"subnet\":{\"id\":\"test-subnet-resource-id\"},\""
	"applicationSharingPolicy\":\"Shared\",\"sshSettings\":{\"sshPublicAc"
	"cess\":\"Enabled\",\"adminUserName\":\"azureuser\",\"sshPort\":22},\""
	"osImageMetadata\":{\"currentImageVersion\":\"22.06.14\",\"latestImag"
	"eVersion\":\"22.07.22\",\"isLatestOsImageVersion\":false},\"enableOS"
	"Patching\":true,\"releaseQuotaOnStop\":true,\"enableSSO\":true,\"ena"
	"bleRootAccess\":true,\"customServices\":[{\"name\":\"rstudio-workben"
	"ch\",\"image\":{\"type\":\"docker\",\"reference\":\"ghcr.io/azure/rs"
	"tudio-workbench:latest\"},\"environmentVariables\":{\"RSP_LICENSE\":"
	"{\"type\":\"local\",\"value\":\"XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX\""
	"}},\"docker\":{\"privileged\":true},\"endpoints\":[{\"protocol\":\"h"
	"ttp\",\"name\":\"connect\",\"target\":8787,\"published\":4444,\"host"
	"Ip\":null}],\"volumes\":[{\"type\":\"bind\",\"source\":\"/mnt/azureu"
	"ser/\",\"target\":\"/home/testuser/\",\"readOnly\":true,\"consistenc"
	"y\":\"test\",\"bind\":{\"propagation\":\"test\",\"createHostPath\":t"
	"rue,\"selinux\":\"test\"},\"volume\":{\"nocopy\":true},\"tmpfs\":{\""
	"size\":10}}]}],\"computeInstanceAuthorizationType\":\"personal\",\"p"
	"ersonalComputeInstanceSettings\":{\"assignedUser\":{\"objectId\":\"0"
	"0000000-0000-0000-0000-000000000000\",\"tenantId\":\"00000000-0000-0"
	"000-0000-000000000000\"}},\"createdBy\":{\"userName\":\"foobar@micro"
	"soft.com\",\"userOrgId\":\"00000000-0000-0000-0000-000000000000\",\""
	"userId\":\"00000000-0000-0000-0000-000000000000\"},\"connectivityEnd"
	"points\":{\"publicIpAddress\":\"10.0.0.1\",\"privateIpAddress\":\"10"
	".0.0.1\"},\"applications\":[{\"displayName\":\"Jupyter\",\"endpointU"
	"ri\":\"https://compute123.eastus2.azureml.net/jupyter\"}],\"errors\""
	":null,\"state\":\"Running\"}}}";

/* list.json */
static const char EX_LIST[] =
	"{\"value\":[{\"id\":\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69"
	"ab345/resourceGroups/testrg123/providers/Microsoft.MachineLearningSe"
	"rvices/workspaces/workspaces123/computes/compute123\",\"type\":\"Mic"
	"rosoft.MachineLearningServices/workspaces/computes\",\"name\":\"comp"
	"ute123\",\"location\":\"eastus\",\"properties\":{\"description\":\"s"
	"ome compute\",\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\",\""
	"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"resourceId\":\""
	"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/t"
	"estrg123/providers/Microsoft.ContainerService/managedClusters/comput"
	"e123-56826-c9b00420020b2\",\"computeType\":\"AKS\",\"provisioningSta"
	"te\":\"Succeeded\"}},{\"id\":\"/subscriptions/34adfa4f-cedf-4dc0-ba2"
	"9-b6d1a69ab345/resourceGroups/testrg123/providers/Microsoft.MachineL"
	"earningServices/workspaces/workspaces123/computes/compute1234\",\"ty"
	"pe\":\"Microsoft.MachineLearningServices/workspaces/computes\",\"nam"
	"e\":\"compute1234\",\"location\":\"eastus\",\"properties\":{\"descri"
	"ption\":\"some compute\",\"createdOn\":\"2021-04-01T22:00:00.0000000"
	"+00:00\",\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"reso"
	"urceId\":\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resou"
	"rcegroups/testrg123/providers/Microsoft.ContainerService/managedClus"
	"ters/compute1234-56826-c9b00420020b2\",\"computeType\":\"AKS\",\"pro"
	"visioningState\":\"Succeeded\"}}],\"nextLink\":\"nextLink\"}";

/* aml.json */
static const char EX_GET_AML[] =
	"{\"id\":\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resour"
	"ceGroups/testrg123/providers/Microsoft.MachineLearningServices/works"
	"paces/workspaces123/computes/compute123\",\"type\":\"Microsoft.Machi"
	"neLearningServices/workspaces/computes\",\"name\":\"compute123\",\"l"
	"ocation\":\"eastus2\",\"properties\":{\"description\":\"some compute"
	"\",\"createdOn\":\"2021-04-01T22:00:00.0000000+00:00\",\"modifiedOn\""
	":\"2021-04-01T22:00:00.0000000+00:00\",\"computeType\":\"AmlCompute\""
	",\"provisioningState\":\"Succeeded\",\"properties\":{\"vmSize\":\"ST"
	"ANDARD_NC6\",\"vmPriority\":\"Dedicated\",\"osType\":\"Windows\",\"v"
	"irtualMachineImage\":null,\"isolatedNetwork\":false,\"subnet\":{\"id"
	"\":\"test-subnet-resource-id\"},\"scaleSettings\":{\"maxNodeCount\":"
	"1,\"minNodeCount\":0,\"nodeIdleTimeBeforeScaleDown\":\"PT5M\"},\"rem"
	"oteLoginPortPublicAccess\":\"Enabled\",\"allocationState\":\"Resizin"
	"g\",\"allocationStateTransitionTime\":\"2017-09-27T22:28:08.998Z\",\""
	"errors\":null,\"currentNodeCount\":0,\"targetNodeCount\":1,\"nodeSta"
	"teCounts\":{\"preparingNodeCount\":0,\"runningNodeCount\":0,\"idleNo"
	"deCount\":0,\"unusableNodeCount\":0,\"leavingNodeCount\":0,\"preempt"
	"edNodeCount\":0},\"enableNodePublicIp\":true}}}";

/* k8s.json */
static const char EX_GET_K8S[] =
	"{\"id\":\"/subscriptions/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resour"
	"ceGroups/testrg123/providers/Microsoft.MachineLearningServices/works"
	"paces/workspaces123/computes/compute123\",\"type\":\"Microsoft.Machi"
	"neLearningServices/workspaces/computes\",\"name\":\"compute123\",\"l"
	"ocation\":\"eastus\",\"properties\":{\"createdOn\":\"2021-04-01T22:0"
	"0:00.0000000+00:00\",\"modifiedOn\":\"2021-04-01T22:00:00.0000000+00"
	":00\",\"description\":\"some compute\",\"resourceId\":\"/subscriptio"
	"ns/34adfa4f-cedf-4dc0-ba29-b6d1a69ab345/resourcegroups/testrg123/pro"
	"viders/Microsoft.ContainerService/managedClusters/compute123-56826-c"
	"9b00420020b2\",\"computeType\":\"Kubernetes\",\"provisioningState\":"
	"\"Succeeded\",\"isAttachedCompute\":true,\"properties\":{\"relayConn"
	"ectionString\":null,\"serviceBusConnectionString\":null,\"extensionP"
	"rincipalId\":null,\"extensionInstanceReleaseTrain\":\"stable\",\"vcN"
	"ame\":null,\"namespace\":\"default\",\"defaultInstanceType\":\"defau"
	"ltInstanceType\",\"instanceTypes\":{\"defaultInstanceType\":{\"nodeS"
	"elector\":null,\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\""
	":\"4Gi\",\"nvidia.com/gpu\":null},\"limits\":{\"cpu\":\"1\",\"memory"
	"\":\"4Gi\",\"nvidia.com/gpu\":null}}}}}}}";
static void map(const char *text, struct az_compute *c)
{
	cJSON *doc = cJSON_Parse(text);

	assert_non_null(doc);
	assert_int_equal(az_compute_from_json(doc, c), AZ_OK);
	cJSON_Delete(doc);
}

static void test_get_compute_instance(void **state)
{
	struct az_compute c;

	(void)state;
	map(EX_GET_CI, &c);
	assert_string_equal(c.name, "compute123");
	assert_string_equal(c.id, "/subscriptions/34adfa4f-cedf-4dc0-ba29-"
			    "b6d1a69ab345/resourceGroups/testrg123/providers/"
			    "Microsoft.MachineLearningServices/workspaces/"
			    "workspaces123/computes/compute123");
	assert_string_equal(c.location, "eastus2");
	assert_string_equal(c.compute_type, "ComputeInstance");
	assert_true(az_compute_is_instance(&c));
	assert_string_equal(c.provisioning_state, "Succeeded");
	assert_string_equal(c.created_on, "2021-04-01T22:00:00.0000000+00:00");
	assert_string_equal(c.state, "Running");
	assert_string_equal(c.vm_size, "STANDARD_NC6");
	assert_string_equal(c.public_ip, "10.0.0.1");
	assert_string_equal(c.private_ip, "10.0.0.1");
	assert_string_equal(c.created_by, "foobar@microsoft.com");
	assert_string_equal(c.created_by_oid,
			    "00000000-0000-0000-0000-000000000000");
	assert_string_equal(c.assigned_oid,
			    "00000000-0000-0000-0000-000000000000");
	assert_string_equal(c.assigned_tid,
			    "00000000-0000-0000-0000-000000000000");
	assert_true(c.ssh_enabled);
	assert_string_equal(c.ssh_user, "azureuser");
	assert_int_equal(c.ssh_port, 22);
	assert_null(c.op_name);
	assert_null(c.op_status);
	assert_null(c.op_time);
	assert_null(c.errors); /* "errors": null */
	assert_int_equal(c.n_apps, 1);
	assert_string_equal(c.apps[0].name, "Jupyter");
	assert_string_equal(c.apps[0].url,
			    "https://compute123.eastus2.azureml.net/jupyter");
	assert_non_null(c.zjson);
	{
		char *j = az_compute_json(&c);

		/* kept compact, and deflated: smaller than the JSON */
		assert_non_null(j);
		assert_null(strchr(j, '\n'));
		assert_non_null(strstr(j, "\"rstudio-workbench\""));
		assert_true(c.zjson_len < strlen(j));
		free(j);
	}
	{
		/* info.json: pretty, "\n"-ended, json_len bytes */
		struct buf b = BUF_INIT;

		assert_int_equal(az_compute_json_pretty(&c, &b), 0);
		assert_int_equal(b.len, c.json_len);
		assert_int_equal(b.data[b.len - 1], '\n');
		assert_non_null(strstr(b.data, "\n\t"));
		buf_free(&b);
	}
	az_compute_free(&c);
	assert_null(c.name);
	assert_int_equal(c.n_apps, 0);
}

/* info.json round-trips: the printed JSON parses back to the same. */
static void test_json_roundtrip(void **state)
{
	struct az_compute c;
	cJSON *a, *b;

	(void)state;
	map(EX_GET_CI, &c);
	a = cJSON_Parse(EX_GET_CI);
	{
		char *j = az_compute_json(&c);

		b = cJSON_Parse(j);
		free(j);
	}
	assert_non_null(b);
	assert_true(cJSON_Compare(a, b, 1));
	cJSON_Delete(a);
	cJSON_Delete(b);
	az_compute_free(&c);
}

static void test_list_example_only_aks(void **state)
{
	cJSON *doc = cJSON_Parse(EX_LIST), *it;
	size_t n = 0;

	(void)state;
	assert_non_null(js_array(doc, "value"));
	assert_string_equal(js_str(doc, "nextLink"), "nextLink");
	cJSON_ArrayForEach(it, js_array(doc, "value")) {
		struct az_compute c;

		assert_int_equal(az_compute_from_json(it, &c), AZ_OK);
		assert_string_equal(c.compute_type, "AKS");
		assert_false(az_compute_is_instance(&c));
		assert_null(c.state);
		assert_null(c.vm_size);
		assert_false(c.ssh_enabled);
		assert_int_equal(c.ssh_port, 0);
		assert_int_equal(c.n_apps, 0);
		assert_null(c.errors);
		az_compute_free(&c);
		n++;
	}
	assert_int_equal(n, 2);
	cJSON_Delete(doc);
}

static void test_other_types_not_instances(void **state)
{
	struct az_compute c;

	(void)state;
	map(EX_GET_AML, &c);
	assert_string_equal(c.compute_type, "AmlCompute");
	assert_false(az_compute_is_instance(&c));
	az_compute_free(&c);
	map(EX_GET_K8S, &c);
	assert_string_equal(c.compute_type, "Kubernetes");
	assert_false(az_compute_is_instance(&c));
	az_compute_free(&c);
	/* case matters: Azure spells it "ComputeInstance" */
	map("{\"name\":\"x\",\"properties\":{\"computeType\":"
	    "\"computeinstance\"}}", &c);
	assert_false(az_compute_is_instance(&c));
	az_compute_free(&c);
	assert_false(az_compute_is_instance(NULL));
}

/* The PUT reply: only computeType and provisioningState. */
static void test_minimal_and_missing(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"ci-new\",\"properties\":{\"computeType\":"
	    "\"ComputeInstance\",\"provisioningState\":\"Creating\"}}", &c);
	assert_true(az_compute_is_instance(&c));
	assert_string_equal(c.provisioning_state, "Creating");
	assert_null(c.state);
	assert_null(c.id);
	assert_null(c.location);
	assert_null(c.vm_size);
	assert_null(c.public_ip);
	assert_null(c.created_by);
	assert_null(c.errors);
	assert_int_equal(c.n_apps, 0);
	az_compute_free(&c);

	map("{\"name\":\"bare\"}", &c);
	assert_string_equal(c.name, "bare");
	assert_null(c.compute_type);
	assert_false(az_compute_is_instance(&c));
	{
		char *j = az_compute_json(&c);

		assert_string_equal(j, "{\"name\":\"bare\"}");
		free(j);
	}
	assert_int_equal(c.json_len, strlen("{\n\t\"name\":\t\"bare\"\n}\n"));
	az_compute_free(&c);
}

static void test_nulls(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"n\",\"id\":null,\"location\":null,\"properties\":{"
	    "\"computeType\":\"ComputeInstance\",\"provisioningState\":null,"
	    "\"properties\":{\"state\":null,\"vmSize\":null,"
	    "\"sshSettings\":null,\"connectivityEndpoints\":{"
	    "\"publicIpAddress\":null,\"privateIpAddress\":\"10.1.2.3\"},"
	    "\"createdBy\":{\"userName\":null,\"userId\":null},"
	    "\"personalComputeInstanceSettings\":null,"
	    "\"applications\":null,\"errors\":null,\"lastOperation\":null}}}",
	    &c);
	assert_true(az_compute_is_instance(&c));
	assert_null(c.id);
	assert_null(c.location);
	assert_null(c.provisioning_state);
	assert_null(c.state);
	assert_null(c.vm_size);
	assert_false(c.ssh_enabled);
	assert_null(c.ssh_user);
	assert_null(c.public_ip);
	assert_string_equal(c.private_ip, "10.1.2.3");
	assert_null(c.created_by);
	assert_null(c.assigned_oid);
	assert_null(c.op_name);
	assert_int_equal(c.n_apps, 0);
	az_compute_free(&c);
}

static void test_wrong_types(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"w\",\"id\":5,\"location\":[],\"properties\":{"
	    "\"computeType\":\"ComputeInstance\",\"createdOn\":true,"
	    "\"properties\":{\"state\":3,\"vmSize\":{\"a\":1},"
	    "\"sshSettings\":{\"sshPublicAccess\":true,\"sshPort\":\"22\","
	    "\"adminUserName\":7},"
	    "\"connectivityEndpoints\":\"10.0.0.1\","
	    "\"createdBy\":[\"bob\"],"
	    "\"applications\":{\"displayName\":\"Jupyter\"},"
	    "\"errors\":\"boom\",\"lastOperation\":[1,2]}}}", &c);
	assert_true(az_compute_is_instance(&c));
	assert_null(c.id);
	assert_null(c.location);
	assert_null(c.created_on);
	assert_null(c.state);
	assert_null(c.vm_size);
	assert_false(c.ssh_enabled);
	assert_int_equal(c.ssh_port, 0);
	assert_null(c.ssh_user);
	assert_null(c.public_ip);
	assert_null(c.created_by);
	assert_int_equal(c.n_apps, 0);
	assert_null(c.errors);
	assert_null(c.op_name);
	az_compute_free(&c);

	/* properties itself of the wrong type */
	map("{\"name\":\"w2\",\"properties\":\"ComputeInstance\"}", &c);
	assert_null(c.compute_type);
	az_compute_free(&c);
	map("{\"name\":\"w3\",\"properties\":{\"computeType\":"
	    "\"ComputeInstance\",\"properties\":[]}}", &c);
	assert_true(az_compute_is_instance(&c));
	assert_null(c.state);
	az_compute_free(&c);

	/* a port out of range or fractional reads as absent */
	map("{\"name\":\"p\",\"properties\":{\"properties\":{\"sshSettings\":"
	    "{\"sshPort\":70000}}}}", &c);
	assert_int_equal(c.ssh_port, 0);
	az_compute_free(&c);
	map("{\"name\":\"p\",\"properties\":{\"properties\":{\"sshSettings\":"
	    "{\"sshPort\":22.5}}}}", &c);
	assert_int_equal(c.ssh_port, 0);
	az_compute_free(&c);
}

static void test_unknown_fields_and_values(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"u\",\"futureField\":{\"x\":[1,2,3]},\"properties\":{"
	    "\"computeType\":\"ComputeInstance\",\"newThing\":null,"
	    "\"properties\":{\"state\":\"Hibernating\",\"vmSize\":"
	    "\"Standard_DS11_v2\",\"sshSettings\":{\"sshPublicAccess\":"
	    "\"Disabled\",\"adminUserName\":\"azureuser\",\"sshPort\":50001},"
	    "\"lastOperation\":{\"operationName\":\"Stop\","
	    "\"operationTime\":\"2024-01-02T03:04:05Z\","
	    "\"operationStatus\":\"Succeeded\",\"operationTrigger\":"
	    "\"IdleShutdown\"}}}}", &c);
	assert_string_equal(c.state, "Hibernating");
	assert_string_equal(c.vm_size, "Standard_DS11_v2");
	assert_false(c.ssh_enabled);
	assert_string_equal(c.ssh_user, "azureuser");
	assert_int_equal(c.ssh_port, 50001);
	assert_string_equal(c.op_name, "Stop");
	assert_string_equal(c.op_status, "Succeeded");
	assert_string_equal(c.op_time, "2024-01-02T03:04:05Z");
	{
		char *j = az_compute_json(&c);

		assert_non_null(strstr(j, "futureField"));
		free(j);
	}
	az_compute_free(&c);
}

static void test_errors_lines(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"e\",\"properties\":{\"computeType\":"
	    "\"ComputeInstance\",\"provisioningErrors\":[{\"error\":{"
	    "\"code\":\"QuotaExceeded\",\"message\":\"not enough\\ncores\"}}],"
	    "\"properties\":{\"state\":\"CreateFailed\",\"errors\":["
	    "{\"error\":{\"code\":\"DiskFull\",\"message\":\"disk full\"}},"
	    "{\"error\":{\"code\":\"OnlyCode\"}},"
	    "{\"error\":{\"message\":\"only message\"}},"
	    "{\"error\":null}, 5, null, {},"
	    "{\"code\":\"Bare\",\"message\":\"no envelope\"}]}}}", &c);
	assert_string_equal(c.errors,
			    "QuotaExceeded: not enough cores\n"
			    "DiskFull: disk full\n"
			    "OnlyCode\n"
			    "only message\n"
			    "Bare: no envelope\n");
	az_compute_free(&c);

	map("{\"name\":\"e\",\"properties\":{\"properties\":{\"errors\":[]}}}",
	    &c);
	assert_null(c.errors);
	az_compute_free(&c);

	/* one error in both arrays shows once; a line that merely
	   contains another, or a longer one, is not a repeat */
	map("{\"name\":\"e\",\"properties\":{\"provisioningErrors\":["
	    "{\"error\":{\"code\":\"Quota\",\"message\":\"no cores\"}},"
	    "{\"error\":{\"code\":\"A\",\"message\":\"b\"}}],"
	    "\"properties\":{\"errors\":["
	    "{\"error\":{\"code\":\"Quota\",\"message\":\"no cores\"}},"
	    "{\"error\":{\"code\":\"XA\",\"message\":\"b\"}},"
	    "{\"error\":{\"code\":\"A\",\"message\":\"bc\"}},"
	    "{\"error\":{\"code\":\"A\",\"message\":\"b\"}}]}}}", &c);
	assert_string_equal(c.errors, "Quota: no cores\nA: b\nXA: b\nA: bc\n");
	az_compute_free(&c);
}

static void test_apps_need_both_fields(void **state)
{
	struct az_compute c;

	(void)state;
	map("{\"name\":\"a\",\"properties\":{\"properties\":{\"applications\":"
	    "[{\"displayName\":\"Jupyter\",\"endpointUri\":\"https://j\"},"
	    "{\"displayName\":\"NoUrl\"},{\"endpointUri\":\"https://nourl\"},"
	    "{\"displayName\":\"\",\"endpointUri\":\"https://empty\"},"
	    "{\"displayName\":1,\"endpointUri\":\"https://num\"},"
	    "null, \"JupyterLab\","
	    "{\"displayName\":\"RStudio\",\"endpointUri\":\"https://r\"}]}}}",
	    &c);
	assert_int_equal(c.n_apps, 2);
	assert_string_equal(c.apps[0].name, "Jupyter");
	assert_string_equal(c.apps[0].url, "https://j");
	assert_string_equal(c.apps[1].name, "RStudio");
	assert_string_equal(c.apps[1].url, "https://r");
	az_compute_free(&c);
}

static void test_rejects(void **state)
{
	static const char *const bad[] = {
		"[]", "null", "\"name\"", "{}", "{\"name\":null}",
		"{\"name\":5}", "{\"name\":\"\"}", "{\"id\":\"x\"}",
		/* names a hostile reply could use against a file tree, an
		 * ssh_config or a shell */
		"{\"name\":\"..\"}", "{\"name\":\"../etc\"}",
		"{\"name\":\"a/b\"}", "{\"name\":\".hidden\"}",
		"{\"name\":\"*\"}", "{\"name\":\"a b\"}",
		"{\"name\":\"-oProxyCommand=x\"}",
		"{\"name\":\"ci\\nProxyCommand x\"}",
		"{\"name\":\"ci\\u00e9\"}",
	};
	struct az_compute c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cJSON *doc = cJSON_Parse(bad[i]);

		memset(&c, 0x5a, sizeof(c));
		assert_int_equal(az_compute_from_json(doc, &c),
				 AZ_ERR_PROTOCOL);
		assert_null(c.name);
		assert_null(c.zjson);
		cJSON_Delete(doc);
	}
	assert_int_equal(az_compute_from_json(NULL, &c), AZ_ERR_PROTOCOL);
}

static void test_safe_names_and_one_line_values(void **state)
{
	char longest[257];
	struct az_compute c;

	(void)state;
	assert_true(az_compute_name_safe("ci-alice"));
	assert_true(az_compute_name_safe("1st_box.v2"));
	assert_true(az_compute_name_safe("x"));
	memset(longest, 'a', 255);
	longest[255] = '\0';
	assert_true(az_compute_name_safe(longest));
	longest[255] = 'a';
	longest[256] = '\0';
	assert_false(az_compute_name_safe(longest));
	assert_false(az_compute_name_safe(NULL));
	assert_false(az_compute_name_safe(""));
	assert_false(az_compute_name_safe("_x"));
	/* a newline in a value would make two lines of a one-line file */
	map("{\"name\":\"ci-x\",\"location\":\"east\\nus\","
	    "\"properties\":{\"properties\":{\"state\":\"Running\\r\\n"
	    "Stopped\",\"sshSettings\":{\"adminUserName\":\"u\\n"
	    "    ProxyCommand x\"}}}}", &c);
	assert_string_equal(c.location, "east us");
	assert_string_equal(c.state, "Running  Stopped");
	assert_string_equal(c.ssh_user, "u     ProxyCommand x");
	az_compute_free(&c);
}

/* info.json's bytes are cJSON_Print()'s, to the byte, and json_len. */
static void test_pretty_matches_cjson(void **state)
{
	static const char *const docs[] = {
		"{\"name\":\"a\",\"e\":{},\"l\":[],\"n\":null,\"t\":true,"
		"\"x\":[1,2.5,-3e+20,\"s\"],\"o\":{\"k\":[{\"a\":{}},"
		"{\"b\":[[],[{}]]}]},\"s\":\"q\\\"{}[],:\\\\\\u00e9\\n\"}",
		EX_GET_CI,
	};
	struct az_compute c;
	struct buf b;
	cJSON *doc;
	char *want;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		doc = cJSON_Parse(docs[i]);
		assert_non_null(doc);
		want = cJSON_Print(doc);
		cJSON_Delete(doc);
		map(docs[i], &c);
		b = (struct buf)BUF_INIT;
		assert_int_equal(az_compute_json_pretty(&c, &b), 0);
		assert_int_equal(b.len, strlen(want) + 1);
		assert_memory_equal(b.data, want, strlen(want));
		assert_int_equal(b.data[b.len - 1], '\n');
		assert_int_equal(c.json_len, b.len);
		buf_free(&b);
		cJSON_free(want);
		az_compute_free(&c);
	}
}

static void test_copy(void **state)
{
	struct az_compute a, b;

	(void)state;
	map(EX_GET_CI, &a);
	assert_int_equal(az_compute_copy(&b, &a), 0);
	assert_non_null(b.zjson);
	assert_int_equal(b.zjson_len, a.zjson_len);
	assert_int_equal(b.json_len, a.json_len);
	assert_memory_equal(b.zjson, a.zjson, a.zjson_len);
	az_compute_free(&a);
	assert_string_equal(b.name, "compute123");
	assert_string_equal(b.state, "Running");
	assert_true(b.ssh_enabled);
	assert_int_equal(b.ssh_port, 22);
	assert_int_equal(b.n_apps, 1);
	assert_string_equal(b.apps[0].url,
			    "https://compute123.eastus2.azureml.net/jupyter");
	assert_null(b.errors);
	az_compute_free(&b);
	az_compute_free(NULL);
}

static void test_free_array(void **state)
{
	struct az_compute *v = calloc(2, sizeof(*v));

	(void)state;
	map(EX_GET_AML, &v[0]);
	map(EX_GET_CI, &v[1]);
	az_compute_free_array(v, 2);
	az_compute_free_array(NULL, 0);
}

static void test_name_rule(void **state)
{
	static const char *const good[] = {
		"ci-alice", "abc", "ci-01a", "A23456789012345678901234",
		"ci1", "a-b-c", "x-1-y", "CI-Bob", "ab9",
	};
	static const char *const bad[] = {
		"", "ab", "A234567890123456789012345", "1abc", "-abc",
		"ci-01", "ci-1", "a-b-1", "abc-", "ci_alice", "ci.alice",
		"ci alice", ".ci", "ci/x", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9",
	};
	char why[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		why[0] = '\0';
		if (!az_compute_name_valid(good[i], why, sizeof(why)))
			fail_msg("'%s' refused: %s", good[i], why);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		if (az_compute_name_valid(bad[i], why, sizeof(why)))
			fail_msg("'%s' accepted", bad[i]);
		assert_true(strlen(why) > 0);
	}
	assert_false(az_compute_name_valid(NULL, NULL, 0));
	assert_false(az_compute_name_valid("ci-01", NULL, 0));
	az_compute_name_valid("ci-01", why, sizeof(why));
	assert_non_null(strstr(why, "digits"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_compute_instance),
		cmocka_unit_test(test_json_roundtrip),
		cmocka_unit_test(test_list_example_only_aks),
		cmocka_unit_test(test_other_types_not_instances),
		cmocka_unit_test(test_minimal_and_missing),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_unknown_fields_and_values),
		cmocka_unit_test(test_errors_lines),
		cmocka_unit_test(test_apps_need_both_fields),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_safe_names_and_one_line_values),
		cmocka_unit_test(test_pretty_matches_cjson),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_free_array),
		cmocka_unit_test(test_name_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
