import fs from "node:fs";
import { defineConfig } from "tsup";

/**
 * The package build. tsup (esbuild + rollup-plugin-dts) rather than `tsc` twice: the sources use
 * extensionless relative imports ("./errors"), which Node's ESM loader refuses, so a tsc ESM
 * build would need every import in lib/ rewritten; tsup bundles each entry point, emits ESM
 * (.js) and CommonJS (.cjs) with shared chunks (one `ArborError` class across all subpaths of a
 * format), and .d.ts/.d.cts declarations in one pass, in seconds.
 *
 * Dependencies and peer dependencies stay external (tsup's default): the consumer's `ethers` is
 * the one the library uses.
 */
const LIBRARY_ENTRIES: Record<string, string> = {
  index: "lib/index.ts",
  sessions: "lib/sessions/index.ts",
  attestation: "lib/attestation/index.ts",
  identity: "lib/identity/index.ts",
  deploy: "lib/deploy/index.ts",
  viem: "lib/adapters/viem.ts",
  ethers: "lib/adapters/ethers.ts",
  abi: "lib/abi/index.ts",
};
// Subpaths other branches add (lib/userop, lib/erc6492, lib/guard, lib/relayer): built when present.
for (const name of ["userop", "erc6492", "guard", "relayer"]) {
  if (fs.existsSync(`lib/${name}/index.ts`)) LIBRARY_ENTRIES[name] = `lib/${name}/index.ts`;
}

export default defineConfig([
  {
    entry: LIBRARY_ENTRIES,
    format: ["esm", "cjs"],
    outDir: "dist",
    target: "node20",
    platform: "node",
    dts: { compilerOptions: { composite: false } },
    tsconfig: "tsconfig.build.json",
    splitting: true,
    sourcemap: false,
    clean: false, // scripts/build.mjs empties dist/ before both builds run, in parallel
    shims: true,
    // The ESM files get a real `require` (Node's createRequire over the file's own URL): the
    // library loads JSON artifacts of its dependencies (EntryPoint v0.8's bytecode) with
    // `require`, which esbuild's ESM output would otherwise refuse at run time.
    banner: ({ format }) =>
      format === "esm"
        ? { js: 'import { createRequire as __arborCreateRequire } from "node:module"; const require = __arborCreateRequire(import.meta.url);' }
        : {},
    // Explicit extensions whatever package.json's "type": .mjs for ESM, .cjs for CommonJS.
    outExtension: ({ format }) => ({ js: format === "cjs" ? ".cjs" : ".mjs" }),
  },
  {
    // The `arbor` command: CommonJS only, loaded by bin/arbor.js; each command's code is required
    // only when that command runs, so `arbor --version` loads no library code.
    entry: { cli: "lib/cli/run-arbor.ts" },
    format: ["cjs"],
    outDir: "dist",
    target: "node20",
    platform: "node",
    tsconfig: "tsconfig.build.json",
    splitting: false,
    outExtension: () => ({ js: ".cjs" }),
    // ts-node runs only for `arbor enclave` inside a checkout (a devDependency): never bundled.
    external: ["ts-node"],
    sourcemap: false,
    clean: false,
  },
]);
