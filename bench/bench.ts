/**
 * `npm run bench`: gas and speed, side by side with the peers in one run. Prints tables and
 * writes bench/results.json.
 */
import fs from "node:fs";
import path from "node:path";
import os from "node:os";
import { printGasTable, runGasBench } from "./gas";

async function main(): Promise<void> {
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    date: new Date().toISOString(),
  };

  console.log("Gas (Hardhat network, cancun)\n");
  const gas = await runGasBench();
  printGasTable(gas);
  results.gas = gas.map((r) => ({ operation: r.operation, arbor: Number(r.arbor), safe: r.safe === undefined ? null : Number(r.safe) }));

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
