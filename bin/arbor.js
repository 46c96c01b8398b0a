#!/usr/bin/env node
// `npx arbor <command> ...`: each command lives beside the capability it drives.
"use strict";
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });

const commands = {
  deploy: ["../deploy/cli", "deploy every Arbor singleton to one or more chains"],
  verify: ["../deploy/cli", "check chains against their deployment manifests"],
  predict: ["../deploy/cli", "print every singleton's address, computed off-chain"],
  enclave: ["../enclave-service/cli", "start the identity service (enclave, host, key holders)"],
  attestation: ["../lib/attestation/cli", "verify an attestation document"],
};

async function main(argv) {
  const [name, ...rest] = argv;
  const entry = commands[name];
  if (!entry) {
    const width = Math.max(...Object.keys(commands).map((c) => c.length));
    console.error("usage: arbor <command> [options]\n\ncommands:");
    for (const [c, [, about]] of Object.entries(commands)) console.error(`  ${c.padEnd(width)}  ${about}`);
    return name === undefined || name === "--help" || name === "help" ? 0 : 2;
  }
  const mod = require(path.join(__dirname, entry[0]));
  return mod.main([name, ...rest]);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code ?? 0),
  (err) => {
    console.error(err && err.message ? `arbor: ${err.message}` : err);
    process.exit(1);
  },
);
