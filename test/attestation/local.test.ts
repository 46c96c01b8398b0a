import { expect } from "chai";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createHash, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import {
  AttestationError,
  AWS_NITRO_ROOT_PEM,
  createAttestationDocument,
  createLocalAttestationAuthority,
  decodeAttestationDocument,
  isLocalAttestationRoot,
  responseBinding,
  verifyAttestationDocument,
  type IssuedEnclaveCertificate,
  type LocalAttestationAuthority,
} from "../../lib/attestation";
import { expectFailure } from "./expect-failure";
import { Encoder } from "cbor-x";

const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false, useTag259ForMaps: false, variableMapSize: true } as never);

const RUNS = Number(process.env.ARBOR_PROPERTY_RUNS ?? 40);
const HOUR = 60 * 60 * 1000;
const hex = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString("hex"));

function expectInvalid(fn: () => unknown, field: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(AttestationError);
  expect((caught as AttestationError).code).to.equal("invalid-argument");
  expect((caught as AttestationError).message).to.match(field);
}

async function expectInvalidAsync(fn: () => Promise<unknown>, field: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(AttestationError);
  expect((caught as AttestationError).code).to.equal("invalid-argument");
  expect((caught as AttestationError).message).to.match(field);
}

describe("attestation", function () {
  let authority: LocalAttestationAuthority;
  let key: { publicKey: KeyObject; privateKey: KeyObject };
  let issued: IssuedEnclaveCertificate;
  const pcr0 = createHash("sha384").update("enclave code").digest();

  before(async function () {
    authority = await createLocalAttestationAuthority();
    key = generateKeyPairSync("ec", { namedCurve: "P-384" });
    issued = await authority.issue({ publicKey: key.publicKey });
  });

  function localDocument(extra: Partial<Parameters<typeof createAttestationDocument>[0]> = {}): Uint8Array {
    return createAttestationDocument({
      moduleId: "arbor-identity-local",
      pcrs: { 0: pcr0, 1: Buffer.alloc(48, 1), 2: Buffer.alloc(48, 2) },
      certificate: issued.certificate,
      cabundle: issued.cabundle,
      signingKey: key.privateKey,
      ...extra,
    });
  }

  describe("createLocalAttestationAuthority", function () {
    it("marks the root unmistakably as LOCAL and not AWS", function () {
      const root = new X509Certificate(authority.rootPem);
      expect(root.subject).to.include("CN=Arbor LOCAL attestation root (not AWS)");
      expect(root.subject).to.include("O=Arbor LOCAL attestation (not AWS)");
      expect(root.ca).to.equal(true);
      expect(isLocalAttestationRoot(authority.rootPem)).to.equal(true);
      expect(isLocalAttestationRoot(AWS_NITRO_ROOT_PEM)).to.equal(false);
    });

    it("reports the SHA-256 of the root's DER as its fingerprint", function () {
      expect(authority.rootFingerprint).to.equal(createHash("sha256").update(authority.rootDer).digest("hex"));
      expect(Buffer.from(new X509Certificate(authority.rootPem).raw).equals(Buffer.from(authority.rootDer))).to.equal(true);
    });

    it("issues a three-hour P-384 leaf below an intermediate when given an enclave public key", function () {
      const leaf = new X509Certificate(issued.certificate);
      expect(leaf.ca).to.equal(false);
      expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).to.equal("secp384r1");
      expect(leaf.checkPrivateKey(key.privateKey)).to.equal(true);
      expect(issued.notAfter.getTime() - issued.notBefore.getTime()).to.equal(3 * HOUR);
      expect(issued.cabundle.map(hex)).to.deep.equal([hex(authority.rootDer), hex(authority.intermediateDer)]);
    });

    it("produces a chain OpenSSL's own verifier accepts under strict X.509 rules", function () {
      let openssl = "";
      try {
        openssl = execFileSync("openssl", ["version"], { encoding: "utf8" });
      } catch {
        if (this.test) this.test.title += " (skipped: no openssl binary on this machine)";
        this.skip();
      }
      expect(openssl).to.match(/OpenSSL/);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-attestation-"));
      try {
        fs.writeFileSync(path.join(dir, "root.pem"), authority.rootPem);
        fs.writeFileSync(path.join(dir, "intermediate.pem"), authority.intermediatePem);
        fs.writeFileSync(path.join(dir, "leaf.pem"), issued.certificatePem);
        const out = execFileSync("openssl", ["verify", "-x509_strict", "-CAfile", path.join(dir, "root.pem"), "-untrusted", path.join(dir, "intermediate.pem"), path.join(dir, "leaf.pem")], { encoding: "utf8" });
        expect(out.trim()).to.match(/leaf\.pem: OK$/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("throws invalid-argument when the key is not P-384, the window is inverted or outside the authority's", async function () {
      const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
      await expectInvalidAsync(() => authority.issue({ publicKey: p256.publicKey }), /P-384/);
      await expectInvalidAsync(() => authority.issue({ publicKey: "key" as never }), /KeyObject/);
      const now = Date.now();
      await expectInvalidAsync(() => authority.issue({ publicKey: key.publicKey, notBefore: new Date(now), notAfter: new Date(now - 1) }), /notAfter/);
      await expectInvalidAsync(() => authority.issue({ publicKey: key.publicKey, notAfter: new Date(now + 400 * 24 * HOUR) }), /inside the authority/);
      await expectInvalidAsync(() => authority.issue({ publicKey: key.publicKey, notBefore: new Date("garbage") }), /notBefore/);
      await expectInvalidAsync(() => createLocalAttestationAuthority({ commonName: "" }), /commonName/);
      await expectInvalidAsync(() => createLocalAttestationAuthority({ validity: { notBefore: new Date(now), notAfter: new Date(now - 1000) } }), /validity/);
    });
  });

  describe("createAttestationDocument", function () {
    it("writes the Nitro layout: untagged 4-array, protected {1: -35}, empty unprotected, 96-byte signature", function () {
      const bytes = localDocument();
      expect(bytes[0]).to.equal(0x84);
      expect(hex(bytes.subarray(1, 6))).to.equal("44a1013822");
      expect(bytes[6]).to.equal(0xa0);
      const doc = decodeAttestationDocument(bytes);
      expect(doc.signature.byteLength).to.equal(96);
      expect(doc.digest).to.equal("SHA384");
      expect([...doc.pcrs.keys()]).to.deep.equal([0, 1, 2]);
      expect(doc.publicKey).to.equal(null);
      expect(doc.userData).to.equal(null);
      expect(doc.nonce).to.equal(null);
    });

    it("returns what was put in when decoded (law: decode(create(x)) = x)", function () {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: 0, maxLength: 64 }),
          fc.uint8Array({ minLength: 64, maxLength: 64 }),
          fc.uint8Array({ minLength: 1, maxLength: 120 }),
          fc.dictionary(fc.integer({ min: 0, max: 31 }).map(String), fc.uint8Array({ minLength: 48, maxLength: 48 }), { minKeys: 1, maxKeys: 16 }),
          fc.integer({ min: 1, max: 2 ** 52 }),
          fc.string({ minLength: 1, maxLength: 60 }),
          (nonce, userData, publicKey, pcrs, timestamp, moduleId) => {
            const bytes = createAttestationDocument({ moduleId, pcrs, certificate: issued.certificate, cabundle: issued.cabundle, signingKey: key.privateKey, nonce, userData, publicKey, timestamp });
            const doc = decodeAttestationDocument(bytes);
            expect(doc.moduleId).to.equal(moduleId);
            expect(doc.timestamp).to.equal(timestamp);
            expect(hex(doc.nonce)).to.equal(hex(nonce));
            expect(hex(doc.userData)).to.equal(hex(userData));
            expect(hex(doc.publicKey)).to.equal(hex(publicKey));
            expect(Object.fromEntries([...doc.pcrs].map(([i, v]) => [String(i), hex(v)]))).to.deep.equal(Object.fromEntries(Object.entries(pcrs).map(([i, v]) => [i, hex(v)])));
          },
        ),
        { numRuns: RUNS },
      );
    });

    it("throws invalid-argument naming the field when an input is unusable", function () {
      const other = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" });
      expectInvalid(() => localDocument({ signingKey: other.privateKey }), /signingKey: does not match/);
      expectInvalid(() => localDocument({ signingKey: p256.privateKey }), /signingKey: must be an ECDSA P-384/);
      expectInvalid(() => localDocument({ signingKey: key.publicKey }), /signingKey/);
      expectInvalid(() => localDocument({ moduleId: "" }), /moduleId/);
      expectInvalid(() => localDocument({ pcrs: {} }), /pcrs/);
      expectInvalid(() => localDocument({ pcrs: { 0: Buffer.alloc(32) } }), /pcrs\.0/);
      expectInvalid(() => localDocument({ pcrs: { 40: pcr0 } }), /pcrs\.40/);
      expectInvalid(() => localDocument({ certificate: Buffer.from("not a certificate") }), /certificate/);
      expectInvalid(() => localDocument({ cabundle: [] }), /cabundle/);
      expectInvalid(() => localDocument({ nonce: Buffer.alloc(513) }), /nonce/);
      expectInvalid(() => localDocument({ userData: "text" as never }), /userData/);
      expectInvalid(() => localDocument({ publicKey: Buffer.alloc(0) }), /publicKey/);
      expectInvalid(() => localDocument({ timestamp: 1.5 }), /timestamp/);
    });
  });

  describe("verifyAttestationDocument (local documents)", function () {
    it("accepts a local document when the local root, its nonce, its user data and its PCR0 are expected", function () {
      const nonce = Buffer.from("client nonce 42");
      const userData = responseBinding({ method: "POST", path: "/v1/auth", requestBody: "{}", status: 200, responseBody: '{"ok":true}' });
      const bytes = localDocument({ nonce, userData });
      const result = verifyAttestationDocument(bytes, { roots: [authority.rootPem], nonce, userData, expectedPcrs: { 0: pcr0 } });
      expect(result.checks.map((c) => `${c.check}:${c.result}`)).to.deep.equal([
        "decode:passed",
        "algorithm:passed",
        "root:passed",
        "chain:passed",
        "validity:passed",
        "signature:passed",
        "pcrs:passed",
        "nonce:passed",
        "user-data:passed",
      ]);
      expect(result.rootSha256).to.equal(authority.rootFingerprint);
      expect(result.chain.map((c) => c.position)).to.deep.equal(["certificate", "cabundle[1]", "cabundle[0]"]);
    });

    it("accepts the Nitro maximum sizes: 512-byte nonce and user data, 1024-byte public key", function () {
      const nonce = Buffer.alloc(512, 1);
      const userData = Buffer.alloc(512, 2);
      const bytes = localDocument({ nonce, userData, publicKey: Buffer.alloc(1024, 3) });
      verifyAttestationDocument(bytes, { roots: [authority.rootPem], nonce, userData });
    });

    it("accepts the root given as DER bytes as well as PEM", function () {
      verifyAttestationDocument(localDocument(), { roots: [authority.rootDer] });
    });

    it("throws root-not-pinned when the AWS root is pinned", function () {
      expectFailure(localDocument(), { roots: [AWS_NITRO_ROOT_PEM] }, "root-not-pinned");
      expectFailure(localDocument(), {}, "root-not-pinned");
    });

    it("throws root-not-pinned when another local authority's root is pinned", async function () {
      const other = await createLocalAttestationAuthority();
      expectFailure(localDocument(), { roots: [other.rootPem] }, "root-not-pinned");
    });

    it("throws local-root-in-production in production mode whichever roots are given", function () {
      expectFailure(localDocument(), { roots: [authority.rootPem], production: true }, "local-root-in-production");
      expectFailure(localDocument(), { roots: [AWS_NITRO_ROOT_PEM, authority.rootPem], production: true }, "local-root-in-production");
      expectFailure(localDocument(), { roots: [AWS_NITRO_ROOT_PEM], production: true }, "local-root-in-production");
      expectFailure(localDocument(), { production: true }, "local-root-in-production");
    });

    it("throws nonce-mismatch, user-data-mismatch or pcr-mismatch when the expectation differs", function () {
      const bytes = localDocument({ nonce: Buffer.from("a"), userData: Buffer.alloc(64, 7) });
      const roots = [authority.rootPem];
      expectFailure(bytes, { roots, nonce: Buffer.from("b") }, "nonce-mismatch");
      expectFailure(bytes, { roots, userData: Buffer.alloc(64, 8) }, "user-data-mismatch");
      expectFailure(bytes, { roots, expectedPcrs: { 0: Buffer.alloc(48, 9) } }, "pcr-mismatch");
      // The first failing check is named even when later ones would fail too.
      expectFailure(bytes, { roots, expectedPcrs: { 0: Buffer.alloc(48, 9) }, nonce: Buffer.from("b") }, "pcr-mismatch");
    });

    it("throws certificate-expired after the leaf's three hours and certificate-not-yet-valid before them", function () {
      const bytes = localDocument();
      const roots = [authority.rootPem];
      verifyAttestationDocument(bytes, { roots, at: new Date(issued.notAfter.getTime() - 1000) });
      const expired = expectFailure(bytes, { roots, at: new Date(issued.notAfter.getTime() + 1000) }, "certificate-expired");
      expect(expired.details.certificate).to.equal("certificate");
      expectFailure(bytes, { roots, at: new Date(issued.notBefore.getTime() - 1000) }, "certificate-not-yet-valid");
    });

    it("throws cose-signature when the certificate is swapped for another valid leaf of the same authority", async function () {
      const otherKey = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const otherIssued = await authority.issue({ publicKey: otherKey.publicKey });
      const doc = decodeAttestationDocument(localDocument());
      // Same root, a valid chain, but the signature was made by the first key.
      const payload = encoder.decode(Buffer.from(doc.raw.payload)) as Map<string, unknown>;
      payload.set("certificate", Buffer.from(otherIssued.certificate));
      const swapped = encoder.encode([Buffer.from(doc.raw.protectedHeader), new Map(), encoder.encode(payload), Buffer.from(doc.signature)]);
      expectFailure(new Uint8Array(swapped), { roots: [authority.rootPem] }, "cose-signature");
    });

    it("never verifies a local document with any single bit flipped (law: every bit is covered)", function () {
      const bytes = localDocument({ nonce: Buffer.from("n"), userData: Buffer.alloc(64, 1) });
      fc.assert(
        fc.property(fc.nat(bytes.byteLength - 1), fc.nat(7), (offset, bit) => {
          const copy = new Uint8Array(bytes);
          copy[offset] ^= 1 << bit;
          try {
            verifyAttestationDocument(copy, { roots: [authority.rootPem] });
            return false;
          } catch (err) {
            return err instanceof AttestationError;
          }
        }),
        { numRuns: RUNS },
      );
    });
  });
});
