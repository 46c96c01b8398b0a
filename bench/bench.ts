/**
 * `npm run bench`: gas and speed, side by side with the peers in one run. Prints tables and
 * writes bench/results.json. Figures depend on this machine and its load: results.json records
 * both.
 */
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { printGasTable, runGasBench } from "./gas";
import { evaluateTargets, printGasRows, runGasRows } from "./gas-rows";
import { printLibraryTable, runLibraryBench } from "./library";
import { runBlocklistSchemesBench, runSessionsGasBench } from "./sessions";
import { benchDeployment } from "../deploy/bench";
import { benchmarkAttestation } from "../lib/attestation/bench";
import { printIdentityBenchTable, runIdentityBench } from "../enclave-service/bench";

const json = (value: unknown) => JSON.parse(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? Number(v) : v)));

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadAverage: os.loadavg() },
    date: new Date().toISOString(),
  };

  console.log("== Gas: Arbor vs Safe 1.5 (Hardhat network, cancun) ==\n");
  const gas = await runGasBench();
  printGasTable(gas);
  results.gas = json(gas);

  console.log("\n== Gas rows: Arbor, Safe 1.5, Sequence v2, SimpleAccount 0.8 (direct and UserOp), one run ==\n");
  const gasRows = await runGasRows();
  const targets = evaluateTargets(gasRows);
  printGasRows(gasRows, targets);
  results.gasRows = gasRows;
  results.gasTargets = targets;

  console.log("\n== Gas: smart sessions (whole transactions) ==\n");
  const sessions = await runSessionsGasBench();
  for (const r of sessions) console.log(`${r.name.padEnd(64)} ${String(r.arbor).padStart(8)}`);
  const blocklist = await runBlocklistSchemesBench();
  console.log("\nblocklist lookup schemes (gas):");
  for (const r of blocklist) console.log(`${r.name.padEnd(64)} ${String(r.arbor).padStart(8)}`);
  results.sessions = json({ sessions, blocklist });

  console.log("\n== Library: configuration trees vs merkletreejs and @openzeppelin/merkle-tree ==\n");
  const library = await runLibraryBench();
  printLibraryTable(library);
  results.library = json(library);

  console.log("\n== Attestation documents (lib/attestation) ==\n");
  const attestation = await benchmarkAttestation();
  for (const r of attestation) console.log(`${r.name.padEnd(60)} ${r.meanMs.toFixed(3).padStart(9)} ms  ${r.opsPerSecond.toFixed(0).padStart(7)}/s`);
  results.attestation = json(attestation);

  console.log("\n== Identity service: session attestations signed over HTTP, concurrent clients ==\n");
  const identity = await runIdentityBench();
  printIdentityBenchTable(identity);
  results.identity = json(identity);

  console.log("\n== Deterministic deployment (two local hardhat nodes) ==\n");
  const deploy = await benchDeployment();
  console.log(`predict every address: ${deploy.predictColdMs.toFixed(0)} ms cold, ${deploy.predictWarmMedianMs.toFixed(1)} ms warm (median of ${deploy.runs})`);
  console.log(`first deployment per chain: ${deploy.firstDeployMs.map((m) => `${m.toFixed(0)} ms`).join(", ")} (${deploy.firstDeployGas} gas)`);
  console.log(`second run (no-op) per chain: ${deploy.noOpMs.map((m) => `${m.toFixed(0)} ms`).join(", ")}; verify: ${deploy.verifyMs.map((m) => `${m.toFixed(0)} ms`).join(", ")}`);
  results.deploy = json(deploy);

  const out = path.join(__dirname, "results.json");
  fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
