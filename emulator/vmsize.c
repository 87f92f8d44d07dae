/**
 * @file
 * VM sizes and subnet ids a compute instance body may name (see vmsize.h).
 *
 * The size table is the compute instance column of Azure Machine
 * Learning's "Supported VM series and sizes" (Microsoft Learn, "What are
 * compute targets in Azure Machine Learning?"), written out size by size
 * from the Azure VM size pages of each series (Microsoft Learn,
 * "Sizes for virtual machines in Azure": Dv2/DSv2, Dv3/Dsv3, Ev3/Esv3,
 * Fsv2, NC, NCv3, NCasT4_v3, NC A100 v4, NDv2, ND A100 v4, NVv3). It is
 * a realistic set, not every size of every region: a real workspace's
 * list depends on region and quota. Names are spelled as Azure spells
 * them; lookups ignore case.
 */
#include "emulator/vmsize.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const char *const sizes[] = {
	/* Dv2 and DSv2, general purpose and memory optimised */
	"Standard_D1_v2", "Standard_D2_v2", "Standard_D3_v2",
	"Standard_D4_v2", "Standard_D5_v2", "Standard_D11_v2",
	"Standard_D12_v2", "Standard_D13_v2", "Standard_D14_v2",
	"Standard_DS1_v2", "Standard_DS2_v2", "Standard_DS3_v2",
	"Standard_DS4_v2", "Standard_DS5_v2", "Standard_DS11_v2",
	"Standard_DS12_v2", "Standard_DS13_v2", "Standard_DS14_v2",
	"Standard_DS15_v2",
	/* Dv3 and Dsv3 */
	"Standard_D2_v3", "Standard_D4_v3", "Standard_D8_v3",
	"Standard_D16_v3", "Standard_D32_v3", "Standard_D48_v3",
	"Standard_D64_v3",
	"Standard_D2s_v3", "Standard_D4s_v3", "Standard_D8s_v3",
	"Standard_D16s_v3", "Standard_D32s_v3", "Standard_D48s_v3",
	"Standard_D64s_v3",
	/* Ev3 and Esv3, memory optimised */
	"Standard_E2_v3", "Standard_E4_v3", "Standard_E8_v3",
	"Standard_E16_v3", "Standard_E20_v3", "Standard_E32_v3",
	"Standard_E48_v3", "Standard_E64_v3",
	"Standard_E2s_v3", "Standard_E4s_v3", "Standard_E8s_v3",
	"Standard_E16s_v3", "Standard_E20s_v3", "Standard_E32s_v3",
	"Standard_E48s_v3", "Standard_E64s_v3",
	/* Fsv2, compute optimised */
	"Standard_F2s_v2", "Standard_F4s_v2", "Standard_F8s_v2",
	"Standard_F16s_v2", "Standard_F32s_v2", "Standard_F48s_v2",
	"Standard_F64s_v2", "Standard_F72s_v2",
	/*
	 * NC (K80): retired by Azure in September 2023, kept because the
	 * REST API examples (2025-06-01, ComputeInstanceMinimal.json and
	 * others) still create STANDARD_NC6.
	 */
	"Standard_NC6", "Standard_NC12", "Standard_NC24",
	/* NCv3 (V100), NCasT4_v3 (T4), NC A100 v4 */
	"Standard_NC6s_v3", "Standard_NC12s_v3", "Standard_NC24s_v3",
	"Standard_NC24rs_v3",
	"Standard_NC4as_T4_v3", "Standard_NC8as_T4_v3",
	"Standard_NC16as_T4_v3", "Standard_NC64as_T4_v3",
	"Standard_NC24ads_A100_v4", "Standard_NC48ads_A100_v4",
	"Standard_NC96ads_A100_v4",
	/* NDv2 (8 x V100), ND A100 v4, NDm A100 v4 */
	"Standard_ND40rs_v2", "Standard_ND96asr_v4",
	"Standard_ND96amsr_A100_v4",
	/* NVv3 (M60), visualisation */
	"Standard_NV12s_v3", "Standard_NV24s_v3", "Standard_NV48s_v3",
};

bool vmsize_known(const char *s)
{
	if (!s)
		return false;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(*sizes); i++)
		if (strcasecmp(s, sizes[i]) == 0)
			return true;
	return false;
}

/*
 * Subnet ids. Name rules from Microsoft Learn, "Naming rules and
 * restrictions for Azure resources": a resource group is 1-90 letters,
 * digits, '_', '-', '.', '(' or ')' and does not end in '.'; a virtual
 * network 2-64 and a subnet 1-80 letters, digits, '_', '-' or '.',
 * starting with a letter or digit and ending with one or '_'. Only ASCII
 * letters here (Azure also takes other Unicode letters in group names).
 */

/* Take the segment at *p up to the next '/' or the end; its length. */
static size_t segment(const char **p, const char **seg)
{
	size_t n = strcspn(*p, "/");

	*seg = *p;
	*p += n;
	if (**p == '/')
		(*p)++;
	return n;
}

/* Is the next segment the fixed word w (case-insensitive)? */
static bool word(const char **p, const char *w)
{
	const char *s;
	size_t n = segment(p, &s);

	return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

static bool is_guid(const char *s, size_t n)
{
	if (n != 36)
		return false;
	for (size_t i = 0; i < n; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

static bool is_group(const char *s, size_t n)
{
	if (n < 1 || n > 90 || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-.()", s[i]))
			return false;
	return true;
}

/* A virtual network's or subnet's name, min..max characters. */
static bool is_net_name(const char *s, size_t n, size_t min, size_t max)
{
	if (n < min || n > max || !isalnum((unsigned char)s[0]) ||
	    !(isalnum((unsigned char)s[n - 1]) || s[n - 1] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_-.", s[i]))
			return false;
	return true;
}

bool vmsize_subnet_id_valid(const char *id)
{
	const char *p = id, *s;
	size_t n;

	if (!id || *p++ != '/' || !word(&p, "subscriptions"))
		return false;
	n = segment(&p, &s);
	if (!is_guid(s, n) || !word(&p, "resourceGroups"))
		return false;
	n = segment(&p, &s);
	if (!is_group(s, n) || !word(&p, "providers") ||
	    !word(&p, "Microsoft.Network") || !word(&p, "virtualNetworks"))
		return false;
	n = segment(&p, &s);
	if (!is_net_name(s, n, 2, 64) || !word(&p, "subnets"))
		return false;
	n = segment(&p, &s);
	/* the subnet is the last segment: no trailing '/' */
	return is_net_name(s, n, 1, 80) && *p == '\0' && s[n] == '\0';
}
