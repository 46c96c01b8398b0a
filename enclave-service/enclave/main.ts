/**
 * The enclave process: `node -r ts-node/register/transpile-only enclave-service/enclave/main.ts --config <file>`.
 * Prints one JSON line `{"ready":true,...}` with its measurement and attestation root when it listens.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { installNetworkGuard } from "./network-guard";
import { enclaveMeasurement, unmeasuredModules, REPO_ROOT } from "./measurement";
import { createLocalAttestor } from "./attestor";
import { startEnclave } from "./enclave-server";
import type { EnclaveConfig } from "./enclave-config";

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" } } });
  if (!values.config) throw new Error("usage: enclave/main.ts --config <enclave-config.json>");
  const config = JSON.parse(readFileSync(values.config, "utf8")) as EnclaveConfig;
  // Measure before anything else runs, then cut the network: from here on only the socket exists.
  const measurement = enclaveMeasurement(REPO_ROOT, config);
  installNetworkGuard();
  const attestor = await createLocalAttestor(measurement);
  const { close } = await startEnclave(config, attestor);
  // Everything is loaded now: code outside the measured bundle would make PCR0 a lie.
  const unmeasured = unmeasuredModules(Object.keys(require.cache), REPO_ROOT);
  if (unmeasured.length > 0) throw new Error(`loaded code outside the measured bundle: ${unmeasured.join(", ")}`);
  const stop = () => void close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  // Launched with an IPC channel: when the launcher goes away, so do we.
  process.on("disconnect", stop);
  process.stdout.write(JSON.stringify({ ready: true, role: "enclave", socket: config.socketPath, measurement, rootPem: attestor.rootPem }) + "\n");
}

run().catch((err: Error) => {
  process.stderr.write(`enclave: ${err.name}: ${err.message}\n`);
  process.exit(1);
});
