/**
 * Demo step: two local chains, one deployment command, identical addresses side by side.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalNode, type LocalNode } from "../deploy/local-node";
import { runDeploy } from "../deploy/run-deploy";
import { hardhatArtifacts } from "../lib/deploy";

const ROOT = path.join(__dirname, "..");

/**
 * Starts two `hardhat node` processes posing as chains 31337 and 31338, deploys every Arbor
 * singleton to both with one `runDeploy` call (what `npx arbor deploy --rpc a,b` runs), prints the
 * chain × contract table, runs it again to show that nothing is redeployed, and always stops the
 * nodes. Throws if the chains disagree.
 *
 * @example
 * await runMultichainDemo((line) => console.log(`  ${line}`));
 */
export async function runMultichainDemo(log: (line: string) => void): Promise<void> {
  const artifactsDir = path.join(ROOT, "artifacts");
  const source = hardhatArtifacts(artifactsDir, { projectRoot: ROOT });
  const manifestDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-demo-deployments-"));
  const nodes: LocalNode[] = [];
  try {
    log("starting two local chains (hardhat node, chain ids 31337 and 31338)");
    const started = await Promise.allSettled([startLocalNode({ chainId: 31337 }), startLocalNode({ chainId: 31338 })]);
    for (const s of started) if (s.status === "fulfilled") nodes.push(s.value);
    const failed = started.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
    if (failed) throw failed.reason;
    const targets = nodes.map((n) => n.url);
    // The demo has no key of its own: the nodes' first funded account pays, as on any local node.
    const io = {
      out: (text: string) => text.split("\n").forEach((line) => log(line)),
      err: (line: string) => log(`  ${line.trim()}`),
      env: { ...process.env, ARBOR_DEPLOYER_KEY: "" },
    };

    log(`$ arbor deploy --rpc ${targets.join(",")}`);
    if ((await runDeploy({ targets, manifestDir, source }, io)) !== 0) throw new Error("the chains disagree; see the table above");

    log("");
    log("$ arbor deploy (again): nothing to do");
    const quiet = { ...io, err: () => {} };
    if ((await runDeploy({ targets, manifestDir, source }, quiet)) !== 0) throw new Error("the second run failed");
    log(`manifests written (temporary, deleted after the demo): ${fs.readdirSync(manifestDir).join(", ")}`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(manifestDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  runMultichainDemo((line) => console.log(`  ${line}`)).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
