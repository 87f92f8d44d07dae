/**
 * @file
 * What a compute instance create (PUT) or resize body may name: the table
 * of Azure VM sizes the emulator accepts for vmSize and targetVMSize, and
 * the shape of an ARM subnet id for subnet.id. Anything else is refused
 * with 400, as Azure refuses it.
 */
#ifndef EMULATOR_VMSIZE_H
#define EMULATOR_VMSIZE_H

#include <stdbool.h>

/*
 * The 400 for a size not in the table (create's vmSize, resize's
 * targetVMSize). Azure ML does not document its own wording; this is the
 * code and wording of Azure's compute resource provider for a VM size it
 * does not know ("InvalidParameter: The value X provided for the VM size
 * is not valid. The valid sizes in the current region are: ..."), as
 * users report it in public issue trackers (ansible-collections/azure
 * issue 1243, ContainerSolutions/terraform-examples pull request 62).
 * The list of every
 * size is left out (the message fits ARM's error body in one screen);
 * three common ones are named instead.
 */
#define VMSIZE_REFUSED_CODE "InvalidParameter"
#define VMSIZE_REFUSED_FMT                                                 \
	"The value '%s' provided for the VM size is not valid. Compute "   \
	"instances take sizes such as Standard_DS3_v2, Standard_E4s_v3 or " \
	"Standard_NC6s_v3."

/*
 * The 400 for a resize to the size the instance already has (compared
 * case-insensitively). The REST API specs (machinelearningservices
 * 2025-06-01) document no answer for this case; the emulator refuses it
 * rather than run a resize that changes nothing, so a client learns at
 * once that nothing will happen and no Resizing state is shown. Same
 * code as an unknown size: targetVMSize is the parameter at fault.
 */
#define VMSIZE_SAME_CODE "InvalidParameter"
#define VMSIZE_SAME_FMT                                                    \
	"Compute instance %s already has VM size %s; resize needs a "      \
	"different targetVMSize."

/*
 * The 400 for a subnet.id that is not an ARM subnet id: ARM's own check
 * of linked resource ids ("LinkedInvalidPropertyId: Property id 'X' at
 * path 'properties.subnet.id' is invalid. Expect fully qualified
 * resource Id that start with '/subscriptions/{subscriptionId}' ..."),
 * worded for the subnet form this property needs.
 */
#define SUBNET_REFUSED_CODE "LinkedInvalidPropertyId"
#define SUBNET_REFUSED_FMT                                                 \
	"Property id '%s' at path 'properties.properties.subnet.id' is "   \
	"invalid. Expect fully qualified resource Id of a subnet: "        \
	"/subscriptions/{subscriptionId}/resourceGroups/"                 \
	"{resourceGroupName}/providers/Microsoft.Network/virtualNetworks/" \
	"{virtualNetworkName}/subnets/{subnetName}."

/*
 * Is s one of the VM sizes in the table? Compared case-insensitively:
 * Azure takes "STANDARD_DS3_V2" for "Standard_DS3_v2".
 */
bool vmsize_known(const char *s);

/*
 * Is id an ARM subnet id,
 * /subscriptions/{guid}/resourceGroups/{rg}/providers/Microsoft.Network/
 * virtualNetworks/{vnet}/subnets/{subnet}, with names inside Azure's
 * naming rules? Fixed segments compare case-insensitively, as ARM does.
 */
bool vmsize_subnet_id_valid(const char *id);

#endif
