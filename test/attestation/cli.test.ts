import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AWS_NITRO_ROOT_PEM, createAttestationDocument, createLocalAttestationAuthority } from "../../lib/attestation";
import { main } from "../../lib/attestation/cli";
import { nitroDir, nitroVector, repoRoot } from "./vectors";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/arbor.js attestation ...` as a user would. */
function arbor(...args: string[]): Run {
  const result = spawnSync(process.execPath, [path.join(repoRoot, "bin", "arbor.js"), "attestation", ...args], { cwd: repoRoot, encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("attestation", function () {
  describe("cli main (npx arbor attestation verify)", function () {
    it("prints every check and exits 0 when a vector file is verified inside its window", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const run = arbor("verify", path.join(nitroDir, v.name), "--at", v.inside.toISOString(), "--pcr0", v.decoded.pcrs["0"]);
      expect(run.status, run.stderr).to.equal(0);
      for (const check of ["decode", "algorithm", "root", "chain", "validity", "signature", "pcrs"]) expect(run.stdout).to.match(new RegExp(`pass  ${check}`));
      expect(run.stdout).to.include(`PCR0       ${v.decoded.pcrs["0"]}`);
      expect(run.stdout.trim().endsWith("verified")).to.equal(true);
    });

    it("exits 1 naming certificate-expired when --at is after the window", function () {
      const v = nitroVector(this, "sequence_tee_verifier");
      const run = arbor("verify", path.join(nitroDir, v.name), "--at", new Date(v.notAfter.getTime() + 1000).toISOString());
      expect(run.status).to.equal(1);
      expect(run.stdout).to.match(/pass  chain/);
      expect(run.stdout).to.match(/FAIL  validity\s+certificate-expired/);
      expect(run.stderr).to.match(/certificate-expired/);
    });

    it("exits 1 naming certificate-not-yet-valid when --at is unix seconds before the window", function () {
      const v = nitroVector(this, "evervault_beta_attestation");
      const run = arbor("verify", path.join(nitroDir, v.name), "--at", String(v.notBefore.getTime() / 1000 - 1));
      expect(run.status).to.equal(1);
      expect(run.stdout).to.match(/FAIL  validity\s+certificate-not-yet-valid/);
    });

    it("prints one JSON object naming pcr-mismatch and the checks passed when --json and a wrong --pcr0 are given", function () {
      const v = nitroVector(this, "evervault_ga");
      const document = fs.readFileSync(path.join(nitroDir, v.name), "utf8").trim();
      // The document itself on the command line, as base64.
      const run = arbor("verify", document, "--at", v.inside.toISOString(), "--pcr0", "ab".repeat(48), "--json");
      expect(run.status).to.equal(1);
      const out = JSON.parse(run.stdout);
      expect(out).to.include({ ok: false, code: "pcr-mismatch", check: "pcrs", source: "command line" });
      expect(out.checksPassed).to.deep.equal(["decode", "algorithm", "root", "chain", "validity", "signature"]);
      expect(out.details).to.deep.equal({ pcr: 0, expected: "ab".repeat(48), actual: "00".repeat(48) });
    });

    it("verifies a local document with --root, --nonce and --user-data, and refuses it with --production", async function () {
      const authority = await createLocalAttestationAuthority();
      const key = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const issued = await authority.issue({ publicKey: key.publicKey });
      const userData = Buffer.alloc(64, 0xab);
      const bytes = createAttestationDocument({ moduleId: "local", pcrs: { 0: Buffer.alloc(48, 1) }, certificate: issued.certificate, cabundle: issued.cabundle, signingKey: key.privateKey, nonce: Buffer.from("hello"), userData });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-cli-"));
      try {
        fs.writeFileSync(path.join(dir, "doc.cbor"), bytes);
        // A roots file with two certificates: the AWS root first, the local root second.
        fs.writeFileSync(path.join(dir, "root.pem"), `${AWS_NITRO_ROOT_PEM}${authority.rootPem}`);
        fs.writeFileSync(path.join(dir, "empty.pem"), "no certificate here\n");
        const ok = arbor("verify", path.join(dir, "doc.cbor"), "--root", path.join(dir, "root.pem"), "--nonce", "hello", "--user-data", userData.toString("hex"), "--pcr0", "01".repeat(48), "--json");
        expect(ok.status, ok.stderr).to.equal(0);
        const out = JSON.parse(ok.stdout);
        expect(out.ok).to.equal(true);
        expect(out.document.rootSha256).to.equal(authority.rootFingerprint);
        expect(out.checks.map((c: { result: string }) => c.result)).to.deep.equal(Array(9).fill("passed"));
        const refused = arbor("verify", path.join(dir, "doc.cbor"), "--root", path.join(dir, "root.pem"), "--production");
        expect(refused.status).to.equal(1);
        expect(refused.stdout).to.match(/FAIL  root\s+local-root-in-production/);
        expect(arbor("verify", path.join(dir, "doc.cbor"), "--root", path.join(dir, "empty.pem")).status).to.equal(2);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("exits 1 naming malformed when the input is not an attestation document", function () {
      const run = arbor("verify", "definitely-not-a-document");
      expect(run.status).to.equal(1);
      expect(run.stderr).to.match(/malformed/);
    });

    it("exits 2 with the usage text when the command line is wrong", async function () {
      const run = arbor("verify", "x", "--at", "yesterday");
      expect(run.status).to.equal(2);
      expect(run.stderr).to.match(/--at/);
      expect(run.stderr).to.match(/usage: arbor attestation verify/);
      // The rest in-process: same main(), no process start per case.
      const silenced = captureOutput();
      try {
        expect(await main(["attestation"])).to.equal(2);
        expect(await main(["attestation", "sign"])).to.equal(2);
        expect(await main(["attestation", "verify"])).to.equal(2);
        expect(await main(["attestation", "verify", "a", "b"])).to.equal(2);
        expect(await main(["attestation", "verify", "x", "--bogus"])).to.equal(2);
        expect(await main(["attestation", "verify", "x", "--pcr0", "12"])).to.equal(2);
        expect(await main(["attestation", "verify", "x", "--pcr", "40=00"])).to.equal(2);
        expect(await main(["attestation", "verify", "x", "--user-data", "xyz"])).to.equal(2);
        expect(await main(["attestation", "verify", "x", "--root", "/nonexistent/root.pem"])).to.equal(2);
        expect(await main(["attestation", "--help"])).to.equal(0);
      } finally {
        silenced.restore();
      }
      expect(silenced.stderr()).to.match(/unknown subcommand "sign"/);
      expect(silenced.stderr()).to.match(/--pcr0: must be 48 bytes/);
    });
  });
});

/** Swallows what main() writes, so the usage text does not flood the test report. */
function captureOutput(): { restore: () => void; stderr: () => string } {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let errText = "";
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    errText += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  return {
    restore: () => {
      process.stdout.write = out;
      process.stderr.write = err;
    },
    stderr: () => errText,
  };
}
