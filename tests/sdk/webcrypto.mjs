// Node 18 (Debian 12's nodejs) has Web Crypto only as require("crypto")
// .webcrypto; Azure's core libraries call the global `crypto` (Node >= 19).
// Imported first, so it runs before the SDK is loaded.
import { webcrypto } from "node:crypto";

if (!globalThis.crypto) {
  globalThis.crypto = webcrypto;
}
