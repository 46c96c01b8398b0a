/**
 * `npm run demo`: Arbor end to end on embedded defaults. Each part prints its steps and throws on
 * anything unexpected, so the demo exits non-zero if any part fails.
 */
import { runCoreDemo } from "./core";
import { runMultichainDemo } from "./multichain";
import { runSessionsDemo } from "./sessions";
import { runIdentityDemo } from "./identity";
import { runAccountAbstractionDemo } from "./account-abstraction";

const log = (line: string) => console.log(`  ${line}`);

async function main(): Promise<void> {
  console.log("Arbor demo\n");
  console.log("[1] Counterfactual 2-of-3 wallet (in-process Hardhat network)");
  await runCoreDemo(log);
  console.log("\n[2] Deterministic multichain deployment (two local `hardhat node` chains)");
  await runMultichainDemo(log);
  console.log("\n[3] Smart sessions: an ERC-20 session with a cap, and an attested session for one app");
  await runSessionsDemo(log);
  console.log("\n[4] Identity service: email login, an attested session key, used on-chain");
  await runIdentityDemo(log);
  console.log("\n[5] Account abstraction: an ERC-6492 signature before deployment, a user operation through EntryPoint v0.8");
  await runAccountAbstractionDemo(log);
  console.log("\nDemo finished.");
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
