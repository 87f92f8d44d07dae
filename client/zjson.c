/**
 * @file
 * An instance's JSON kept small: the compact bytes deflated with zlib
 * against a preset dictionary of what every ComputeResource holds (key
 * names and common values), so that ten thousand instances cost a few
 * megabytes, not the 27 MB of their compact JSON. Deflate (raw-free zlib
 * format, level 6) and inflate are deterministic, so equal JSON gives
 * equal bytes and the cache can compare blobs. See compute.h.
 */
#include "client/compute.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/*
 * The dictionary: a ComputeResource of Azure ML as the REST API returns
 * it (the shape of the 2025-06-01 GET example: key names and order,
 * common values), with the values that name one instance emptied: zlib
 * finds most of each instance in it. Changing it changes no behaviour,
 * only sizes; it must be the same when inflating as when deflating,
 * which a constant is.
 */
static const char dict[] =
	"{\"id\":\"/subscriptions//resourceGroups//providers/Microsoft."
	"MachineLearningServices/workspaces//computes/\",\"name\":\"\","
	"\"type\":\"Microsoft.MachineLearningServices/workspaces/comput"
	"es\",\"location\":\"eastus\",\"tags\":{},\"systemData\":{\"cre"
	"atedBy\":\"\",\"createdByType\":\"User\",\"createdAt\":\"2024-"
	"05-31T09:00:00.0000000Z\",\"lastModifiedBy\":\"\",\"lastModifi"
	"edByType\":\"User\",\"lastModifiedAt\":\"2024-05-31T09:00:00.0"
	"000000Z\"},\"properties\":{\"computeType\":\"ComputeInstance\""
	",\"computeLocation\":\"eastus\",\"provisioningState\":\"Succee"
	"ded\",\"description\":null,\"createdOn\":\"2024-05-31T09:00:00"
	".0000000+00:00\",\"modifiedOn\":\"2024-05-31T09:00:00.0000000+"
	"00:00\",\"resourceId\":null,\"provisioningErrors\":null,\"isAt"
	"tachedCompute\":false,\"disableLocalAuth\":true,\"properties\""
	":{\"vmSize\":\"Standard_NC6s_v3\",\"subnet\":null,\"applicatio"
	"nSharingPolicy\":\"Personal\",\"autologgerSettings\":{\"mlflow"
	"Autologger\":\"Disabled\"},\"sshSettings\":{\"sshPublicAccess\""
	":\"Disabled\",\"adminUserName\":\"azureuser\",\"sshPort\":4000"
	"},\"customServices\":null,\"osImageMetadata\":{\"currentImageV"
	"ersion\":\"24.04.15\",\"latestImageVersion\":\"24.05.06\",\"is"
	"LatestOsImageVersion\":false,\"osPatchingStatus\":{\"patchStat"
	"us\":\"Succeeded\",\"latestPatchTime\":\"2024-05-31T09:00:00.0"
	"000000+00:00\",\"rebootPending\":false,\"scheduledRebootTime\""
	":null,\"osPatchingErrors\":null}},\"connectivityEndpoints\":{\""
	"publicIpAddress\":\"\",\"privateIpAddress\":\"\"},\"applicatio"
	"ns\":[{\"displayName\":\"Jupyter\",\"endpointUri\":\"https://."
	"eastus.instances.azureml.ms/tree/\"},{\"displayName\":\"Jupyte"
	"r Lab\",\"endpointUri\":\"https://.eastus.instances.azureml.ms"
	"/lab\"},{\"displayName\":\"RStudio\",\"endpointUri\":\"https:/"
	"/.eastus.instances.azureml.ms/rstudio/\"},{\"displayName\":\"V"
	"S Code\",\"endpointUri\":\"https://.eastus.instances.azureml.m"
	"s/vscode/\"}],\"createdBy\":{\"userName\":\"\",\"userOrgId\":\""
	"\",\"userId\":\"\"},\"errors\":null,\"state\":\"JobRunning\",\""
	"computeInstanceAuthorizationType\":\"personal\",\"enableOSPatc"
	"hing\":false,\"enableRootAccess\":true,\"enableSSO\":true,\"re"
	"leaseQuotaOnStop\":false,\"personalComputeInstanceSettings\":n"
	"ull,\"setupScripts\":null,\"lastOperation\":{\"operationName\""
	":\"Start\",\"operationTime\":\"2024-05-31T09:00:00.0000000+00:"
	"00\",\"operationStatus\":\"Succeeded\",\"operationTrigger\":\""
	"User\"},\"schedules\":{\"computeStartStop\":[{\"id\":\"\",\"pr"
	"ovisioningStatus\":\"Completed\",\"status\":\"Enabled\",\"acti"
	"on\":\"Start\",\"triggerType\":\"Recurrence\",\"recurrence\":{"
	"\"frequency\":\"Week\",\"interval\":1,\"startTime\":\"2024-05-"
	"01T00:00:00\",\"timeZone\":\"W. Europe Standard Time\",\"sched"
	"ule\":{\"hours\":[8],\"minutes\":[0],\"weekDays\":[\"Monday\","
	"\"Tuesday\",\"Wednesday\",\"Thursday\",\"Friday\"]}},\"cron\":"
	"null},{\"id\":\"\",\"provisioningStatus\":\"Completed\",\"stat"
	"us\":\"Enabled\",\"action\":\"Stop\",\"triggerType\":\"Recurre"
	"nce\",\"recurrence\":{\"frequency\":\"Week\",\"interval\":1,\""
	"startTime\":\"2024-05-01T00:00:00\",\"timeZone\":\"W. Europe S"
	"tandard Time\",\"schedule\":{\"hours\":[18],\"minutes\":[0],\""
	"weekDays\":[\"Monday\",\"Tuesday\",\"Wednesday\",\"Thursday\","
	"\"Friday\"]}},\"cron\":null}]},\"idleTimeBeforeShutdown\":\"PT"
	"120M\",\"enableNodePublicIp\":true,\"containers\":null,\"dataD"
	"isks\":null,\"dataMounts\":null,\"versions\":{\"runtime\":\"0."
	"1.0\"}}}}";

/*
 * One deflate and one inflate state per thread (the refresher deflates,
 * request threads inflate info.json), each made on first use and kept
 * between calls: deflateInit() allocates and clears about 256 KB, which
 * costs more than compressing an instance. Both are freed when the
 * thread ends (the key's destructor). A z_stream must not move once
 * made: these live in one calloc'd block per thread.
 */
struct zstates {
	z_stream def, inf;
	bool has_def, has_inf;
};

static pthread_key_t z_key;
static pthread_once_t z_once = PTHREAD_ONCE_INIT;

static void zstates_free(void *p)
{
	struct zstates *s = p;

	if (s->has_def)
		deflateEnd(&s->def);
	if (s->has_inf)
		inflateEnd(&s->inf);
	free(s);
}

static void z_key_make(void)
{
	pthread_key_create(&z_key, zstates_free);
}

/* This thread's states; NULL on OOM. */
static struct zstates *zstates(void)
{
	struct zstates *s;

	pthread_once(&z_once, z_key_make);
	s = pthread_getspecific(z_key);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (s && pthread_setspecific(z_key, s) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* This thread's deflate state, reset; NULL on OOM. */
static z_stream *def_get(void)
{
	struct zstates *s = zstates();

	if (!s)
		return NULL;
	if (s->has_def)
		return deflateReset(&s->def) == Z_OK ? &s->def : NULL;
	if (deflateInit(&s->def, 6) != Z_OK)
		return NULL;
	s->has_def = true;
	return &s->def;
}

/* This thread's inflate state, reset; NULL on OOM. */
static z_stream *inf_get(void)
{
	struct zstates *s = zstates();

	if (!s)
		return NULL;
	if (s->has_inf)
		return inflateReset(&s->inf) == Z_OK ? &s->inf : NULL;
	if (inflateInit(&s->inf) != Z_OK)
		return NULL;
	s->has_inf = true;
	return &s->inf;
}

unsigned char *az_zjson_deflate(const char *json, size_t len, size_t *out_len)
{
	z_stream *z = def_get();
	unsigned char *out, *more;
	uLong cap = compressBound((uLong)len) + 64;
	int rc;

	*out_len = 0;
	if (!z)
		return NULL;
	out = malloc(cap);
	if (!out)
		return NULL;
	deflateSetDictionary(z, (const Bytef *)dict, sizeof(dict) - 1);
	z->next_in = (Bytef *)json;
	z->avail_in = (uInt)len;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	rc = deflate(z, Z_FINISH);
	*out_len = z->total_out;
	if (rc != Z_STREAM_END) {
		free(out);
		*out_len = 0;
		return NULL;
	}
	/* keep just what it took */
	more = realloc(out, *out_len ? *out_len : 1);
	return more ? more : out;
}

char *az_zjson_inflate(const unsigned char *z_data, size_t z_len,
		       size_t *out_len)
{
	z_stream *z = inf_get();
	size_t cap = z_len * 8 + 256, n;
	char *out, *more;
	int rc = Z_DATA_ERROR;

	if (!z)
		return NULL;
	out = malloc(cap);
	if (!out)
		return NULL;
	z->next_in = (Bytef *)z_data;
	z->avail_in = (uInt)z_len;
	for (;;) {
		z->next_out = (Bytef *)out + z->total_out;
		z->avail_out = (uInt)(cap - 1 - z->total_out);
		rc = inflate(z, Z_NO_FLUSH);
		if (rc == Z_NEED_DICT) {
			if (inflateSetDictionary(z, (const Bytef *)dict,
						 sizeof(dict) - 1) != Z_OK)
				break;
			continue;
		}
		if (rc == Z_STREAM_END)
			break;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
		if (z->avail_out == 0) {
			more = realloc(out, cap * 2);
			if (!more)
				break;
			out = more;
			cap *= 2;
		} else if (rc == Z_BUF_ERROR) {
			break; /* truncated input */
		}
	}
	n = z->total_out;
	if (rc != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	if (out_len)
		*out_len = n;
	return out;
}
