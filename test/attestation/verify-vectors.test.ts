import { expect } from "chai";
import { createHash, X509Certificate } from "node:crypto";
import {
  AWS_NITRO_ROOT_PEM,
  AWS_NITRO_ROOT_SHA256,
  createLocalAttestationAuthority,
  verifyAttestationDocument,
} from "../../lib/attestation";
import { expectFailure } from "./expect-failure";
import { nitroVector, nitroVectors, readNitroFile } from "./vectors";

const SECOND = 1000;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("attestation", function () {
  describe("AWS_NITRO_ROOT_PEM", function () {
    it("has the SHA-256 published for the AWS Nitro root when hashed as DER", function () {
      const der = new X509Certificate(AWS_NITRO_ROOT_PEM).raw;
      expect(createHash("sha256").update(der).digest("hex")).to.equal(AWS_NITRO_ROOT_SHA256);
    });

    it("equals the root PEM shipped with the vectors when both are read as DER", function () {
      nitroVectors(this);
      const shipped = new X509Certificate(readNitroFile("aws_nitro_root_g1.evervault.pem")).raw;
      expect(shipped.equals(new X509Certificate(AWS_NITRO_ROOT_PEM).raw)).to.equal(true);
    });
  });

  describe("verifyAttestationDocument (real Nitro documents)", function () {
    it("accepts every vector with the AWS root pinned when verified inside its validity window", function () {
      for (const v of nitroVectors(this)) {
        const result = verifyAttestationDocument(v.bytes, { roots: [AWS_NITRO_ROOT_PEM], at: v.inside });
        expect(result.moduleId, v.name).to.equal(v.decoded.module_id);
        expect(result.rootSha256, v.name).to.equal(AWS_NITRO_ROOT_SHA256);
        expect(result.chain.map((c) => c.sha256), v.name).to.deep.equal(v.decoded.chain.map((c) => c.sha256));
        expect(result.checks.filter((c) => c.result === "passed").map((c) => c.check), v.name).to.deep.equal([
          "decode",
          "algorithm",
          "root",
          "chain",
          "validity",
          "signature",
        ]);
      }
    });

    it("accepts every vector when verified at the first and the last second of its window", function () {
      for (const v of nitroVectors(this)) {
        verifyAttestationDocument(v.bytes, { at: v.notBefore });
        verifyAttestationDocument(v.bytes, { at: v.notAfter });
      }
    });

    it("checks the root, the validity window and the signature again when the same chain was verified before", async function () {
      const v = nitroVector(this, "base_nitro_validator");
      verifyAttestationDocument(v.bytes, { at: v.inside }); // parsed certificates and links are now cached
      expectFailure(v.bytes, { at: new Date(v.notAfter.getTime() + SECOND) }, "certificate-expired");
      const authority = await createLocalAttestationAuthority();
      expectFailure(v.bytes, { roots: [authority.rootPem], at: v.inside }, "root-not-pinned");
      const forged = new Uint8Array(v.bytes);
      forged[forged.length - 1] ^= 1;
      expectFailure(forged, { at: v.inside }, "cose-signature");
      verifyAttestationDocument(v.bytes, { at: v.inside });
    });

    it("pins the AWS root by default when no roots are given", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expect(verifyAttestationDocument(v.bytes, { at: v.inside }).rootSha256).to.equal(AWS_NITRO_ROOT_SHA256);
    });

    it("throws certificate-expired naming the leaf when verified at today's date", function () {
      for (const v of nitroVectors(this)) {
        const error = expectFailure(v.bytes, { roots: [AWS_NITRO_ROOT_PEM] }, "certificate-expired");
        expect(error.details.certificate, v.name).to.equal("certificate");
        expect(error.details.notAfter, v.name).to.equal(v.notAfter.toISOString());
      }
    });

    it("throws certificate-expired when verified one second after the window", function () {
      for (const v of nitroVectors(this)) expectFailure(v.bytes, { at: new Date(v.notAfter.getTime() + SECOND) }, "certificate-expired");
    });

    it("throws certificate-not-yet-valid when verified one second before the window", function () {
      for (const v of nitroVectors(this)) {
        const error = expectFailure(v.bytes, { at: new Date(v.notBefore.getTime() - SECOND) }, "certificate-not-yet-valid");
        expect(error.details.notBefore, v.name).to.equal(v.notBefore.toISOString());
      }
    });

    it("throws certificate-not-yet-valid naming the signing certificate first when verified before the whole chain existed", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const error = expectFailure(v.bytes, { at: new Date("2019-01-01T00:00:00Z") }, "certificate-not-yet-valid");
      expect(error.details.certificate).to.equal("certificate");
    });

    it("throws root-not-pinned when only a local root is pinned", async function () {
      const v = nitroVector(this, "base_nitro_validator");
      const authority = await createLocalAttestationAuthority();
      const error = expectFailure(v.bytes, { roots: [authority.rootPem], at: v.inside }, "root-not-pinned");
      expect(error.details.sha256).to.equal(AWS_NITRO_ROOT_SHA256);
      expect(error.details.pinned).to.deep.equal([authority.rootFingerprint]);
    });

    it("accepts a real document in production mode when its PCR0 is not all zeros", function () {
      for (const prefix of ["base_nitro_validator", "sequence_tee_verifier", "evervault_beta_nondebug", "evervault_beta_attestation"]) {
        const v = nitroVector(this, prefix);
        verifyAttestationDocument(v.bytes, { roots: [AWS_NITRO_ROOT_PEM], at: v.inside, production: true });
      }
    });

    it("throws root-not-allowed-in-production when production is given a root other than AWS's", function () {
      const v = nitroVector(this, "base_nitro_validator");
      // A real certificate that is not the AWS root: the TLS certificate shipped with the evervault vectors.
      const other = new X509Certificate(readNitroFile("evervault_ga_tls_cert.der")).toString();
      expectFailure(v.bytes, { roots: [AWS_NITRO_ROOT_PEM, other], at: v.inside, production: true }, "root-not-allowed-in-production");
    });
  });

  describe("verifyAttestationDocument (PCR policies)", function () {
    it("throws pcr-mismatch for the debug-mode document when debug mode is refused", function () {
      const v = nitroVector(this, "evervault_beta_debug_mode");
      const error = expectFailure(v.bytes, { at: v.inside, rejectDebugMode: true }, "pcr-mismatch");
      expect(error.details).to.include({ pcr: 0, reason: "debug-mode" });
    });

    it("throws pcr-mismatch for the debug-mode document in production mode", function () {
      const v = nitroVector(this, "evervault_beta_debug_mode");
      expectFailure(v.bytes, { at: v.inside, production: true }, "pcr-mismatch");
      expectFailure(nitroVector(this, "evervault_ga").bytes, { at: nitroVector(this, "evervault_ga").inside, production: true }, "pcr-mismatch");
    });

    it("throws pcr-mismatch for the debug-mode document when an explicit PCR0 is expected", function () {
      const v = nitroVector(this, "evervault_beta_debug_mode");
      const pcr0 = nitroVector(this, "evervault_beta_attestation").decoded.pcrs["0"];
      const error = expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 0: pcr0 } }, "pcr-mismatch");
      expect(error.details).to.deep.equal({ pcr: 0, expected: pcr0, actual: "00".repeat(48) });
    });

    it("throws pcr-mismatch for evervault_beta_nondebug when all-zero PCRs are expected", function () {
      const v = nitroVector(this, "evervault_beta_nondebug");
      const zero = "00".repeat(48);
      const error = expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 0: zero, 1: zero, 2: zero, 8: zero } }, "pcr-mismatch");
      expect(error.details.pcr).to.equal(0);
      expect(error.details.actual).to.equal(v.decoded.pcrs["0"]);
    });

    it("accepts each vector when its own PCR0, PCR1, PCR2 and PCR8 are expected", function () {
      for (const v of nitroVectors(this)) {
        const expectedPcrs = { 0: v.decoded.pcrs["0"], 1: v.decoded.pcrs["1"], 2: `0x${v.decoded.pcrs["2"]}`, 8: v.decoded.pcrs["8"] };
        const result = verifyAttestationDocument(v.bytes, { at: v.inside, expectedPcrs });
        expect(result.checks.find((c) => c.check === "pcrs")?.result, v.name).to.equal("passed");
      }
    });

    it("throws pcr-mismatch naming the PCR when an expected PCR is absent from the document", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const error = expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 20: "11".repeat(48) } }, "pcr-mismatch");
      expect(error.details).to.deep.equal({ pcr: 20, expected: "11".repeat(48), actual: null });
    });

    it("throws invalid-argument when an expected PCR is not 48 bytes of hex", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 0: "ec74" } }, "invalid-argument");
      expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 0: "zz".repeat(48) } }, "invalid-argument");
      expectFailure(v.bytes, { at: v.inside, expectedPcrs: { 32: "00".repeat(48) } as never }, "invalid-argument");
    });
  });

  describe("verifyAttestationDocument (nonce and user data)", function () {
    it("accepts evervault_beta when its nonce is expected", function () {
      const v = nitroVector(this, "evervault_beta_attestation");
      const nonce = Buffer.from(v.decoded.nonce as string, "hex");
      expect(verifyAttestationDocument(v.bytes, { at: v.inside, nonce }).checks.find((c) => c.check === "nonce")?.result).to.equal("passed");
    });

    it("throws nonce-mismatch when another nonce is expected", function () {
      const v = nitroVector(this, "evervault_beta_attestation");
      const nonce = Buffer.from(v.decoded.nonce as string, "hex");
      nonce[0] ^= 1;
      const error = expectFailure(v.bytes, { at: v.inside, nonce }, "nonce-mismatch");
      expect(error.details).to.deep.equal({ expected: hex(nonce), actual: v.decoded.nonce });
    });

    it("throws nonce-mismatch when a nonce is expected and the document has none", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const error = expectFailure(v.bytes, { at: v.inside, nonce: Buffer.from("fresh") }, "nonce-mismatch");
      expect(error.details.actual).to.equal(null);
    });

    it("accepts evervault_ga when the expected user data is the SPKI of its TLS certificate", function () {
      const v = nitroVector(this, "evervault_ga");
      const spki = new X509Certificate(readNitroFile("evervault_ga_tls_cert.der")).publicKey.export({ type: "spki", format: "der" });
      verifyAttestationDocument(v.bytes, { at: v.inside, userData: spki });
    });

    it("throws user-data-mismatch when other user data is expected", function () {
      const v = nitroVector(this, "evervault_ga");
      expectFailure(v.bytes, { at: v.inside, userData: Buffer.alloc(64) }, "user-data-mismatch");
      expectFailure(nitroVector(this, "base_nitro_validator").bytes, { at: nitroVector(this, "base_nitro_validator").inside, userData: Buffer.alloc(0) }, "user-data-mismatch");
    });

    it("throws invalid-argument when nonce or userData is not bytes, or at is not a date", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectFailure(v.bytes, { at: v.inside, nonce: "abc" as never }, "invalid-argument");
      expectFailure(v.bytes, { at: v.inside, userData: [1, 2] as never }, "invalid-argument");
      expectFailure(v.bytes, { at: new Date("not a date") }, "invalid-argument");
      expectFailure(v.bytes, { at: v.inside, roots: [] }, "invalid-argument");
      expectFailure(v.bytes, { at: v.inside, roots: ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"] }, "invalid-argument");
    });
  });
});
