import {
  ARBOR_SINGLETONS,
  DEPLOYMENT_PROXY,
  DeployError,
  deployToChain,
  planSingletons,
  type ArtifactSource,
  type ChainDeployment,
  type ChainTarget,
  type SingletonSpec,
} from "../lib/deploy";
import { formatTable } from "./format-table";

/** Where a command writes: results to `out` (stdout), progress and problems to `err` (stderr). */
export interface CommandIO {
  out(line: string): void;
  err(line: string): void;
  env: NodeJS.ProcessEnv;
}

export interface RunDeployOptions {
  targets: ChainTarget[];
  manifestDir: string;
  source: ArtifactSource;
  /** Default: ARBOR_SINGLETONS. */
  singletons?: readonly SingletonSpec[];
  json?: boolean;
}

interface ChainOutcome {
  label: string;
  result?: ChainDeployment;
  error?: { name: string; code: string; message: string };
}

/**
 * Deploys every singleton to each chain in turn (a failing chain does not stop the others), then
 * prints one table, contract × chain → address, with an "agree" column. Returns the exit code:
 * 0 when every chain holds every singleton at its predicted address, 1 otherwise.
 *
 * @example
 * const code = await runDeploy({ targets: [urlA, urlB], manifestDir: "deployments", source }, io);
 */
export async function runDeploy(options: RunDeployOptions, io: CommandIO): Promise<number> {
  const plan = planSingletons(options.singletons ?? ARBOR_SINGLETONS, options.source);
  const outcomes: ChainOutcome[] = [];
  for (const [index, target] of options.targets.entries()) {
    const label = typeof target === "string" ? target : target.label;
    io.err(`[${index + 1}/${options.targets.length}] ${label}`);
    try {
      const result = await deployToChain({ target, plan, manifestDir: options.manifestDir, env: io.env, log: (l) => io.err(`  ${l}`) });
      outcomes.push({ label, result });
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      io.err(`  ${e.name} [${e.code}]: ${e.message}`);
      outcomes.push({ label, error: { name: e.name, code: e.code, message: e.message } });
    }
  }

  const expected = [{ name: "DeterministicDeploymentProxy", address: DEPLOYMENT_PROXY.address }, ...plan.map((p) => ({ name: p.name, address: p.address }))];
  const addressOn = (o: ChainOutcome, name: string): string | undefined => {
    if (!o.result) return undefined;
    if (name === "DeterministicDeploymentProxy") return DEPLOYMENT_PROXY.address;
    return o.result.contracts.find((c) => c.name === name)?.address;
  };
  const agree = outcomes.every((o) => o.result) && expected.every((e) => outcomes.every((o) => addressOn(o, e.name) === e.address));

  if (options.json) {
    io.out(
      JSON.stringify(
        {
          agree,
          predicted: Object.fromEntries(expected.map((e) => [e.name, e.address])),
          chains: outcomes.map((o) => ({
            label: o.label,
            chainId: o.result?.chainId.toString() ?? null,
            ok: o.result !== undefined,
            transactionsSent: o.result?.transactionsSent ?? null,
            manifest: o.result?.manifestPath ?? null,
            proxy: o.result?.proxy ?? null,
            contracts: o.result?.contracts ?? null,
            error: o.error ?? null,
          })),
        },
        null,
        2,
      ),
    );
  } else {
    const header = ["contract", ...outcomes.map((o) => (o.result ? `chain ${o.result.chainId}` : o.label)), "agree"];
    const rows = expected.map((e) => [
      e.name,
      ...outcomes.map((o) => addressOn(o, e.name) ?? `failed (${o.error?.code})`),
      outcomes.every((o) => addressOn(o, e.name) === e.address) ? "yes" : "NO",
    ]);
    io.out(formatTable(header, rows));
    const sent = outcomes.reduce((n, o) => n + (o.result?.transactionsSent ?? 0), 0);
    const failed = outcomes.filter((o) => o.error);
    for (const f of failed) io.out(`${f.label}: ${f.error!.name} [${f.error!.code}]: ${f.error!.message}`);
    if (sent === 0 && failed.length === 0) io.out(`nothing to deploy: every singleton is already in place on all ${outcomes.length} chains`);
    else io.out(`${sent} transactions sent; ${outcomes.length - failed.length} of ${outcomes.length} chains complete`);
  }
  return agree ? 0 : 1;
}
