// Drive the long-running operations with the SDK's own poller
// (beginXxxAndWait) and report the state the SDK reads afterwards.
//
//   node ops.mjs INSTANCE NEWNAME
//
// stops, starts and restarts INSTANCE, creates NEWNAME, then deletes it;
// prints {"steps": [{"op", "state", "provisioningState"}...], "afterDelete"}.
import { client, run, workspace } from "./common.mjs";

const [instance, newName] = process.argv.slice(2);
const poll = { updateIntervalInMs: 50 };

await run(async () => {
  const ws = workspace();
  const ml = client();
  const ops = ml.computeOperations;
  const steps = [];
  const record = async (op, name) => {
    const c = await ops.get(ws.resourceGroup, ws.name, name);
    steps.push({
      op,
      state: c.properties?.properties?.state ?? null,
      provisioningState: c.properties?.provisioningState ?? null,
    });
  };

  await ops.beginStopAndWait(ws.resourceGroup, ws.name, instance, poll);
  await record("stop", instance);
  await ops.beginStartAndWait(ws.resourceGroup, ws.name, instance, poll);
  await record("start", instance);
  await ops.beginRestartAndWait(ws.resourceGroup, ws.name, instance, poll);
  await record("restart", instance);

  const created = await ops.beginCreateOrUpdateAndWait(ws.resourceGroup,
    ws.name, newName, {
      location: "eastus",
      properties: {
        computeType: "ComputeInstance",
        properties: { vmSize: "STANDARD_DS3_V2" },
      },
    }, poll);
  steps.push({
    op: "create-result",
    state: created.properties?.properties?.state ?? null,
    provisioningState: created.properties?.provisioningState ?? null,
  });
  await record("create", newName);

  await ops.beginDeleteAndWait(ws.resourceGroup, ws.name, newName, "Delete",
    poll);
  let afterDelete = null;
  try {
    await ops.get(ws.resourceGroup, ws.name, newName);
    afterDelete = 200;
  } catch (err) {
    afterDelete = err.statusCode;
  }
  return { steps, afterDelete };
});
