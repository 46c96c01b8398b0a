/**
 * The `arbor` command as a user runs it: `node bin/arbor.js …`, the compiled CLI from dist/
 * (`npm test` builds first). Each case runs in an empty folder with HOME pointed at another empty
 * folder, so that anything the command writes is seen.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";

const REPO = path.resolve(__dirname, "..", "..");
const BIN = path.join(REPO, "bin", "arbor.js");
const CLI = path.join(REPO, "dist", "cli.cjs");
const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, "package.json"), "utf8")) as { version: string }).version;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** What the command left in its working folder and in HOME. */
  written: string[];
}

function arbor(args: string[]): Run {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-cli-cwd-"));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-cli-home-"));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.ARBOR_DATA_DIR;
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, env, encoding: "utf8", timeout: 120_000 });
  const written = [...fs.readdirSync(cwd).map((f) => `cwd/${f}`), ...fs.readdirSync(home).map((f) => `home/${f}`)];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, written };
}

describe("arbor CLI", function () {
  this.timeout(300_000);

  before(() => {
    if (!fs.existsSync(CLI)) throw new Error("dist/cli.cjs is missing: run `npm run build` (npm test does) before these tests");
  });

  describe("--version", () => {
    it("prints the package version when given --version", () => {
      const run = arbor(["--version"]);
      expect(run.status).to.equal(0);
      expect(run.stdout.trim()).to.equal(VERSION);
      expect(run.written).to.deep.equal([]);
    });

    it("loads no library code and no dependency when printing the version or the help", () => {
      // Start-up cost without a timed assertion: what is loaded is what costs.
      const probe = `
        const cli = require(${JSON.stringify(CLI)});
        const io = { out() {}, err() {} };
        Promise.all([cli.runArbor(["--version"], io), cli.runArbor(["help", "deploy"], io), cli.runArbor(["enclave"], io)]).then(() => {
          const loaded = Object.keys(require.cache).filter((f) => f !== ${JSON.stringify(CLI)});
          console.log(JSON.stringify(loaded));
        });`;
      const result = spawnSync(process.execPath, ["-e", probe], { encoding: "utf8" });
      expect(result.status, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.deep.equal([]);
    });
  });

  describe("unknown commands", () => {
    it("names an unknown command and suggests the closest one when it is a typo", () => {
      const run = arbor(["depoly"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("unknown command depoly; did you mean deploy?");
    });

    it("names an unknown command without a suggestion when no command is close", () => {
      const run = arbor(["frobnicate"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("unknown command frobnicate\n");
      expect(run.stderr).not.to.include("did you mean");
    });

    it("suggests the closest enclave subcommand when the subcommand is a typo", () => {
      const run = arbor(["enclave", "strat"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("unknown subcommand strat; did you mean start?");
      expect(run.written).to.deep.equal([]);
    });

    it("prints the usage and exits 2 when given no command", () => {
      const run = arbor([]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("usage: arbor <command>");
    });
  });

  describe("help", () => {
    for (const command of ["deploy", "verify", "predict", "attestation", "enclave"]) {
      it(`prints the help of ${command} when given \`help ${command}\` or \`${command} --help\``, () => {
        for (const args of [["help", command], [command, "--help"]]) {
          const run = arbor(args);
          expect(run.status, args.join(" ")).to.equal(0);
          expect(run.stdout, args.join(" ")).to.include(`usage: arbor ${command}`);
          expect(run.written).to.deep.equal([]);
        }
      });
    }

    it("names an unknown help topic", () => {
      const run = arbor(["help", "deplyo"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("unknown command deplyo; did you mean deploy?");
    });
  });

  describe("enclave", () => {
    it("prints the help, says start is long-running and starts nothing when given no subcommand", () => {
      const run = arbor(["enclave"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("usage: arbor enclave <start|rotate|status>");
      expect(run.stderr).to.include("LONG-RUNNING SERVICE");
      expect(run.written).to.deep.equal([]);
    });
  });

  describe("attestation verify", () => {
    it("reports a missing file as missing when the path does not exist", () => {
      const run = arbor(["attestation", "verify", "/nonexistent"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("/nonexistent: file not found");
      expect(run.stderr).not.to.include("malformed");
    });

    it("reports a missing relative file with an extension as missing", () => {
      const run = arbor(["attestation", "verify", "document.b64"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("document.b64: file not found");
    });
  });

  describe("deploy", () => {
    it("refuses to run and writes nothing when --out is not given", () => {
      const run = arbor(["deploy", "--rpc", "http://127.0.0.1:9"]);
      expect(run.status).to.equal(2);
      expect(run.stderr).to.include("--out <dir> is required");
      expect(run.written).to.deep.equal([]);
    });
  });
});
