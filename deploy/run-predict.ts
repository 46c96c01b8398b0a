import { ARBOR_SINGLETONS, DEPLOYMENT_PROXY, planSingletons, type ArtifactSource, type SingletonSpec } from "../lib/deploy";
import { formatTable } from "./format-table";
import type { CommandIO } from "./run-deploy";

/**
 * Prints every singleton's address, computed from the artifacts alone (no chain). These are the
 * addresses `deploy` will produce on every chain.
 *
 * @example
 * await runPredict({ source: hardhatArtifacts("artifacts") }, io);
 */
export async function runPredict(options: { source: ArtifactSource; singletons?: readonly SingletonSpec[]; json?: boolean }, io: CommandIO): Promise<number> {
  const plan = planSingletons(options.singletons ?? ARBOR_SINGLETONS, options.source);
  if (options.json) {
    io.out(JSON.stringify({ proxy: DEPLOYMENT_PROXY.address, singletons: plan.map(({ name, address, salt, initCodeHash }) => ({ name, address, salt, initCodeHash })) }, null, 2));
  } else {
    io.out(formatTable(["contract", "address", "salt", "init code hash"], plan.map((p) => [p.name, p.address, p.salt, p.initCodeHash])));
    io.out(`CREATE2 deployer: deterministic deployment proxy ${DEPLOYMENT_PROXY.address}`);
  }
  return 0;
}
