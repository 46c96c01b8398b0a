/** `hardhat run bench/gas-rows-only.ts`: only the gasRows section of the bench, for quick runs. */
import { evaluateTargets, printGasRows, runGasRows } from "./gas-rows";

runGasRows().then(
  (rows) => {
    printGasRows(rows, evaluateTargets(rows));
    process.exit(0);
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
