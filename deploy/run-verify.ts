import { ARBOR_SINGLETONS, DeployError, planSingletons, verifyChain, type ArtifactSource, type ChainTarget, type ChainVerification, type SingletonPlan, type SingletonSpec } from "../lib/deploy";
import { formatTable } from "./format-table";
import type { CommandIO } from "./run-deploy";

export interface RunVerifyOptions {
  targets: ChainTarget[];
  manifestDir: string;
  /** When given, also compares each manifest with the addresses the current artifacts predict. */
  source?: ArtifactSource;
  singletons?: readonly SingletonSpec[];
  json?: boolean;
}

/**
 * Checks each chain against its manifest and prints contract × chain → status. Returns 0 when every
 * recorded contract still has its recorded code (and, with artifacts, matches the prediction), else 1.
 *
 * @example
 * const code = await runVerify({ targets: [url], manifestDir: "deployments", source }, io);
 */
export async function runVerify(options: RunVerifyOptions, io: CommandIO): Promise<number> {
  let plan: SingletonPlan[] | undefined;
  if (options.source) {
    try {
      plan = planSingletons(options.singletons ?? ARBOR_SINGLETONS, options.source);
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      io.err(`warning: checking manifests only, cannot predict addresses: ${e.message}`);
    }
  }
  const outcomes: Array<{ label: string; result?: ChainVerification; error?: { name: string; code: string; message: string } }> = [];
  for (const target of options.targets) {
    const label = typeof target === "string" ? target : target.label;
    try {
      outcomes.push({ label, result: await verifyChain({ target, manifestDir: options.manifestDir, plan }) });
    } catch (e) {
      if (!(e instanceof DeployError)) throw e;
      outcomes.push({ label, error: { name: e.name, code: e.code, message: e.message } });
    }
  }
  const ok = outcomes.every((o) => o.result?.ok);
  if (options.json) {
    io.out(JSON.stringify({ ok, chains: outcomes.map((o) => ({ label: o.label, chainId: o.result?.chainId.toString() ?? null, ok: o.result?.ok ?? false, findings: o.result?.findings ?? null, error: o.error ?? null })) }, null, 2));
  } else {
    const names = [...new Set(outcomes.flatMap((o) => o.result?.findings.map((f) => f.name) ?? []))];
    const header = ["contract", ...outcomes.map((o) => (o.result ? `chain ${o.result.chainId}` : o.label))];
    const rows = names.map((name) => [
      name,
      ...outcomes.map((o) => {
        if (!o.result) return `failed (${o.error?.code})`;
        const problems = o.result.findings.filter((f) => f.name === name && f.status !== "ok");
        return problems.length > 0 ? problems.map((p) => p.status).join(", ") : "ok";
      }),
    ]);
    io.out(formatTable(header, rows));
    for (const o of outcomes) {
      if (o.error) io.out(`${o.label}: ${o.error.name} [${o.error.code}]: ${o.error.message}`);
      for (const f of o.result?.findings ?? []) if (f.status !== "ok") io.out(`chain ${o.result!.chainId}: ${f.name} at ${f.address}: ${f.detail}`);
    }
    const bad = outcomes.filter((o) => !o.result?.ok).length;
    io.out(ok ? `all ${outcomes.length} chains match their manifests` : `MISMATCH on ${bad} of ${outcomes.length} chains`);
  }
  return ok ? 0 : 1;
}
