import { keccak256 } from "ethers";
import { connectChain, type ChainTarget } from "./connect-chain";
import { ManifestError } from "./errors";
import { manifestPath, readManifest } from "./manifest";
import type { SingletonPlan } from "./plan-singletons";

/** The verdict on one recorded contract. */
export interface VerifyFinding {
  name: string;
  address: string;
  status: "ok" | "no-code" | "code-differs" | "not-in-manifest" | "differs-from-prediction";
  detail: string;
}

export interface ChainVerification {
  chainId: bigint;
  label: string;
  ok: boolean;
  findings: VerifyFinding[];
}

/**
 * Checks a chain against its manifest: the proxy and every recorded contract must still have exactly
 * the recorded code (hash of the full runtime code). With a plan, also checks that every planned
 * singleton is recorded at its predicted address with its predicted init code, which catches
 * artifacts that changed since the deployment. Read-only. Throws ManifestError when the chain has no
 * manifest in `manifestDir`.
 *
 * @example
 * const v = await verifyChain({ target: url, manifestDir: "deployments", plan });
 * if (!v.ok) console.error(v.findings.filter((f) => f.status !== "ok"));
 */
export async function verifyChain(options: { target: ChainTarget; manifestDir: string; plan?: readonly SingletonPlan[]; timeoutMs?: number }): Promise<ChainVerification> {
  const chain = await connectChain(options.target, { timeoutMs: options.timeoutMs });
  try {
    const manifest = readManifest(options.manifestDir, chain.chainId);
    if (!manifest) throw new ManifestError(manifestPath(options.manifestDir, chain.chainId), `no manifest for chain ${chain.chainId}; deploy first`);
    const findings: VerifyFinding[] = [];
    const recorded = [{ name: "DeterministicDeploymentProxy", address: manifest.proxy.address, codeHash: manifest.proxy.codeHash }, ...manifest.contracts];
    for (const entry of recorded) {
      const code = await chain.provider.getCode(entry.address);
      if (code === "0x") {
        findings.push({ name: entry.name, address: entry.address, status: "no-code", detail: "no code at the recorded address" });
      } else if (keccak256(code) !== entry.codeHash) {
        findings.push({ name: entry.name, address: entry.address, status: "code-differs", detail: `code hash ${keccak256(code)}, manifest says ${entry.codeHash}` });
      } else {
        findings.push({ name: entry.name, address: entry.address, status: "ok", detail: "code matches the manifest" });
      }
    }
    for (const item of options.plan ?? []) {
      const entry = manifest.contracts.find((c) => c.name === item.name);
      if (!entry) {
        findings.push({ name: item.name, address: item.address, status: "not-in-manifest", detail: "planned but not recorded; run deploy" });
      } else if (entry.address !== item.address || entry.initCodeHash !== item.initCodeHash || entry.salt !== item.salt) {
        findings.push({
          name: item.name,
          address: item.address,
          status: "differs-from-prediction",
          detail: `recorded at ${entry.address} (init code ${entry.initCodeHash}), current artifacts predict ${item.address} (init code ${item.initCodeHash})`,
        });
      }
    }
    return { chainId: chain.chainId, label: chain.label, ok: findings.every((f) => f.status === "ok"), findings };
  } finally {
    chain.close();
  }
}
