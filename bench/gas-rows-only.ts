/**
 * `hardhat run bench/gas-rows-only.ts`: only the gasRows section of the bench, for quick runs.
 * With `ARBOR_BENCH_WRITE=1` it also replaces `gasRows` and `gasTargets` in bench/results.json
 * (the other sections keep the figures of the last full `npm run bench`, whose time they record).
 */
import fs from "node:fs";
import path from "node:path";
import { evaluateTargets, printGasRows, runGasRows } from "./gas-rows";

runGasRows().then(
  (rows) => {
    const targets = evaluateTargets(rows);
    printGasRows(rows, targets);
    if (process.env.ARBOR_BENCH_WRITE === "1") {
      const out = path.join(__dirname, "results.json");
      const results = JSON.parse(fs.readFileSync(out, "utf8"));
      results.gasRows = rows;
      results.gasTargets = targets;
      results.gasRowsMeasuredAt = new Date().toISOString();
      fs.writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
      console.log(`wrote gasRows and gasTargets to ${out}`);
    }
    process.exit(0);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
