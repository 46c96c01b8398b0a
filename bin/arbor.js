#!/usr/bin/env node
// `npx arbor <command> ...`: compiled JavaScript only (dist/cli.cjs, built by `npm run build`).
"use strict";
const path = require("node:path");
const fs = require("node:fs");

const cli = path.join(__dirname, "..", "dist", "cli.cjs");
if (!fs.existsSync(cli)) {
  console.error("arbor: dist/cli.cjs is missing; in a checkout of the repository run `npm run build` first");
  process.exit(1);
}
require(cli).main();
