// Set an instance's idle shutdown through Microsoft's client and read the
// instance back with the SDK's own get.
//
//   node idle.mjs INSTANCE DURATION [BAD_DURATION]
//
// prints {"readBack": "<idleTimeBeforeShutdown after the POST>",
//         "refused": {"statusCode", "code"} | null}.
//
// @azure/arm-machinelearning 2.1.1, the newest release on npm, predates
// Compute_UpdateIdleShutdownSetting: its ComputeOperations has no
// updateIdleShutdownSetting. So the call goes through the SDK client's
// own pipeline (ServiceClient.sendOperationRequest: its bearer token
// policy, URL templating, api-version and serializer) with the operation
// as the Azure REST API specs (machinelearningservices 2025-06-01) and
// later SDKs' generated computeOperations.updateIdleShutdownSetting define
// it: POST .../computes/{computeName}/updateIdleShutdownSetting, body
// IdleShutdownSetting, 200 with no body, default ErrorResponse.
import { createSerializer } from "@azure/core-client";
import { client, run, workspace } from "./common.mjs";

const [instance, duration, badDuration] = process.argv.slice(2);

const IdleShutdownSetting = {
  type: {
    name: "Composite",
    className: "IdleShutdownSetting",
    modelProperties: {
      idleTimeBeforeShutdown: {
        serializedName: "idleTimeBeforeShutdown",
        type: { name: "String" },
      },
    },
  },
};

const ErrorResponse = {
  type: {
    name: "Composite",
    className: "ErrorResponse",
    modelProperties: {
      error: { serializedName: "error", type: { name: "any" } },
    },
  },
};

const url = (name) => ({
  parameterPath: name,
  mapper: { serializedName: name, required: true, type: { name: "String" } },
});

const updateIdleShutdownSettingSpec = {
  path: "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}" +
    "/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}" +
    "/computes/{computeName}/updateIdleShutdownSetting",
  httpMethod: "POST",
  responses: { 200: {}, default: { bodyMapper: ErrorResponse } },
  requestBody: { parameterPath: "parameters", mapper: IdleShutdownSetting },
  queryParameters: [{
    parameterPath: "apiVersion",
    mapper: {
      serializedName: "api-version", required: true,
      type: { name: "String" },
    },
  }],
  urlParameters: [
    { parameterPath: "$host", mapper: { serializedName: "$host",
      required: true, type: { name: "String" } }, skipEncoding: true },
    url("subscriptionId"), url("resourceGroupName"), url("workspaceName"),
    url("computeName"),
  ],
  headerParameters: [{
    parameterPath: "contentType",
    mapper: { defaultValue: "application/json", isConstant: true,
      serializedName: "Content-Type", type: { name: "String" } },
  }],
  mediaType: "json",
  serializer: createSerializer({ IdleShutdownSetting,
    ErrorResponse }, false),
};

await run(async () => {
  const ws = workspace();
  const ml = client();
  const updateIdleShutdownSetting = (name, parameters) =>
    ml.sendOperationRequest({
      resourceGroupName: ws.resourceGroup,
      workspaceName: ws.name,
      computeName: name,
      parameters,
    }, updateIdleShutdownSettingSpec);

  await updateIdleShutdownSetting(instance,
    { idleTimeBeforeShutdown: duration });
  const c = await ml.computeOperations.get(ws.resourceGroup, ws.name,
    instance);
  const readBack = c.properties?.properties?.idleTimeBeforeShutdown ?? null;

  let refused = null;
  if (badDuration) {
    try {
      await updateIdleShutdownSetting(instance,
        { idleTimeBeforeShutdown: badDuration });
    } catch (err) {
      refused = { statusCode: err.statusCode, code: err.code };
    }
  }
  return { readBack, refused };
});
