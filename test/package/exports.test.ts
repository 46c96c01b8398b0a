/**
 * package.json's exports map against the entry points that exist: an entry point added under lib/
 * (lib/userop, lib/erc6492, lib/guard, lib/relayer when they land) must be exported, and every
 * exported file must be in dist/ after `npm run build` (npm test builds first).
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";

const REPO = path.resolve(__dirname, "..", "..");
const manifest = JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as {
  exports: Record<string, string | { import: { types: string; default: string }; require: { types: string; default: string } }>;
  files: string[];
};

describe("package.json", () => {
  describe("exports", () => {
    it("exports every lib/<capability>/index.ts as ./<capability> when the folder has an index", () => {
      const capabilities = fs
        .readdirSync(path.join(REPO, "lib"), { withFileTypes: true })
        .filter((e) => e.isDirectory() && fs.existsSync(path.join(REPO, "lib", e.name, "index.ts")) && e.name !== "abi")
        .map((e) => `./${e.name}`);
      expect(capabilities.filter((c) => !(c in manifest.exports))).to.deep.equal([]);
    });

    it("points every condition at a file that the build wrote", () => {
      const missing: string[] = [];
      for (const [subpath, target] of Object.entries(manifest.exports)) {
        if (typeof target === "string") continue;
        for (const file of [target.import.types, target.import.default, target.require.types, target.require.default]) {
          if (!fs.existsSync(path.join(REPO, file))) missing.push(`${subpath}: ${file}`);
        }
      }
      expect(missing).to.deep.equal([]);
    });
  });
});
