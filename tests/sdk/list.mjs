// List every compute of the workspace with the SDK's async iterator
// (computeOperations.list), which follows nextLink across pages, and
// print {"computes": [{"name", "computeType", "state"}...], "pages": N}.
import { client, run, workspace } from "./common.mjs";

await run(async () => {
  const ws = workspace();
  const ml = client();
  const computes = [];
  let pages = 0;
  for await (const page of ml.computeOperations
    .list(ws.resourceGroup, ws.name).byPage()) {
    pages++;
    for (const c of page) {
      computes.push({
        name: c.name,
        computeType: c.properties?.computeType,
        state: c.properties?.properties?.state ?? null,
      });
    }
  }
  return { computes, pages };
});
