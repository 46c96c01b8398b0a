/**
 * Speed of the deployment machinery, measured on local `hardhat node` chains:
 * `npx hardhat run deploy/bench.ts` (compiles first), or `benchDeployment()` from bench/bench.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { ARBOR_SINGLETONS, deployToChain, hardhatArtifacts, planSingletons, verifyChain } from "../lib/deploy";
import { startLocalNode, type LocalNode } from "./local-node";

const ROOT = path.join(__dirname, "..");

export interface DeployBenchResult {
  /** Reading the build info and predicting every address, first time (parses the build info). */
  predictColdMs: number;
  /** The same with the build info already parsed: the median of `runs` plans. */
  predictWarmMedianMs: number;
  runs: number;
  /** `hardhat node` until its RPC answers, per node. */
  nodeStartMs: number[];
  /** First deployment per chain: proxy bootstrap and every singleton. */
  firstDeployMs: number[];
  /** Gas used by all transactions of the first deployment on the first chain. */
  firstDeployGas: bigint;
  /** A run that finds everything in place, per chain. */
  noOpMs: number[];
  /** verifyChain against the manifest, per chain. */
  verifyMs: number[];
}

/**
 * Runs the measurements on two fresh local chains and returns them; the nodes are always stopped.
 *
 * @example
 * const r = await benchDeployment(console.log); console.log(r.firstDeployMs);
 */
export async function benchDeployment(log: (line: string) => void = () => {}, runs = 20): Promise<DeployBenchResult> {
  const artifactsDir = path.join(ROOT, "artifacts");
  let t = performance.now();
  const source = hardhatArtifacts(artifactsDir, { projectRoot: ROOT });
  const plan = planSingletons(ARBOR_SINGLETONS, source);
  const predictColdMs = performance.now() - t;
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    t = performance.now();
    planSingletons(ARBOR_SINGLETONS, source);
    warm.push(performance.now() - t);
  }
  warm.sort((a, b) => a - b);

  const manifestDir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-bench-"));
  const nodes: LocalNode[] = [];
  const result: DeployBenchResult = {
    predictColdMs,
    predictWarmMedianMs: warm[Math.floor(runs / 2)],
    runs,
    nodeStartMs: [],
    firstDeployMs: [],
    firstDeployGas: 0n,
    noOpMs: [],
    verifyMs: [],
  };
  try {
    for (const chainId of [31337, 31338]) {
      t = performance.now();
      nodes.push(await startLocalNode({ chainId }));
      result.nodeStartMs.push(performance.now() - t);
    }
    const env = { ...process.env, ARBOR_DEPLOYER_KEY: "" };
    for (const [i, node] of nodes.entries()) {
      t = performance.now();
      const deployed = await deployToChain({ target: node.url, plan, manifestDir, env });
      result.firstDeployMs.push(performance.now() - t);
      if (i === 0) result.firstDeployGas = await gasOfBlocks(node.url, deployed.transactionsSent);
      t = performance.now();
      await deployToChain({ target: node.url, plan, manifestDir, env });
      result.noOpMs.push(performance.now() - t);
      t = performance.now();
      await verifyChain({ target: node.url, manifestDir, plan });
      result.verifyMs.push(performance.now() - t);
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    fs.rmSync(manifestDir, { recursive: true, force: true });
  }
  const ms = (xs: number[]) => xs.map((x) => `${x.toFixed(0)} ms`).join(", ");
  log(`predict every address (cold, parses build info): ${predictColdMs.toFixed(1)} ms`);
  log(`predict every address (warm, median of ${runs}):    ${result.predictWarmMedianMs.toFixed(2)} ms`);
  log(`hardhat node start, per node:                    ${ms(result.nodeStartMs)}`);
  log(`first deployment (proxy + ${plan.length} singletons), per chain: ${ms(result.firstDeployMs)}; gas ${result.firstDeployGas}`);
  log(`second run (nothing to deploy), per chain:       ${ms(result.noOpMs)}`);
  log(`verify against the manifest, per chain:          ${ms(result.verifyMs)}`);
  return result;
}

/** Gas used by the last `count` blocks (automine: one transaction per block). */
async function gasOfBlocks(url: string, count: number): Promise<bigint> {
  const call = async (method: string, params: unknown[]) => {
    const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
    return ((await response.json()) as { result: unknown }).result;
  };
  const head = BigInt((await call("eth_blockNumber", [])) as string);
  let gas = 0n;
  for (let n = head; n > head - BigInt(count) && n > 0n; n--) {
    gas += BigInt(((await call("eth_getBlockByNumber", [`0x${n.toString(16)}`, false])) as { gasUsed: string }).gasUsed);
  }
  return gas;
}

if (require.main === module) {
  benchDeployment((line) => console.log(line)).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
