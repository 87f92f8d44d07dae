// Shared set-up for the SDK scripts: Microsoft's own Azure ML management
// client (@azure/arm-machinelearning) pointed at computefs-emulator.
//
// Environment:
//   COMPUTEFS_EMULATOR_URL  https base URL of the emulator
//   COMPUTEFS_WORKSPACE     workspace ARM id
//   COMPUTEFS_TOKEN         bearer token (kept out of argv)
//   NODE_EXTRA_CA_CERTS     the emulator's test certificate
import "./webcrypto.mjs";
import pkg from "@azure/arm-machinelearning";

const { AzureMachineLearningWorkspaces } = pkg;

export function workspace() {
  const id = process.env.COMPUTEFS_WORKSPACE || "";
  const m = id.match(
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.MachineLearningServices\/workspaces\/([^/]+)$/i);
  if (!m) {
    throw new Error(`COMPUTEFS_WORKSPACE is not a workspace id: '${id}'`);
  }
  return { subscription: m[1], resourceGroup: m[2], name: m[3] };
}

export function client() {
  const endpoint = process.env.COMPUTEFS_EMULATOR_URL;
  const token = process.env.COMPUTEFS_TOKEN;
  if (!endpoint || !token) {
    throw new Error("set COMPUTEFS_EMULATOR_URL and COMPUTEFS_TOKEN");
  }
  // A static TokenCredential: the emulator checks the bearer token.
  const credential = {
    getToken: async () => ({
      token,
      expiresOnTimestamp: Date.now() + 3600 * 1000,
    }),
  };
  return new AzureMachineLearningWorkspaces(credential,
    workspace().subscription, { endpoint });
}

// Print one JSON document on stdout; errors go to stderr with exit 1.
export async function run(main) {
  try {
    const out = await main();
    process.stdout.write(JSON.stringify(out) + "\n");
  } catch (err) {
    process.stderr.write(`sdk error: ${err.code || ""} ${err.statusCode || ""} ${err.message}\n`);
    process.exit(1);
  }
}
