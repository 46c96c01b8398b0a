import { expect } from "chai";
import fc from "fast-check";
import { generateKeyPairSync, sign, X509Certificate } from "node:crypto";
import { Encoder } from "cbor-x";
import {
  AttestationError,
  createAttestationDocument,
  createLocalAttestationAuthority,
  decodeAttestationDocument,
  verifyAttestationDocument,
} from "../../lib/attestation";
import { expectFailure } from "./expect-failure";
import { flipBit, nitroVector, nitroVectors, offsetOf } from "./vectors";

const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false, useTag259ForMaps: false, variableMapSize: true } as never);
/** More cases in CI (ARBOR_PROPERTY_RUNS=1000), a quick pass by default. */
const RUNS = Number(process.env.ARBOR_PROPERTY_RUNS ?? 60);

describe("attestation", function () {
  describe("verifyAttestationDocument (tampered documents)", function () {
    it("throws cose-signature when a bit of the module id in the payload is flipped", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const at = offsetOf(v.bytes, Buffer.from(v.decoded.module_id));
      expectFailure(flipBit(v.bytes, at + 5, 7), { at: v.inside }, "cose-signature");
    });

    it("throws cose-signature when a bit of PCR0 in the payload is flipped", function () {
      for (const v of nitroVectors(this)) {
        const at = offsetOf(v.bytes, Buffer.from(v.decoded.pcrs["0"], "hex"));
        expectFailure(flipBit(v.bytes, at + 10), { at: v.inside }, "cose-signature");
      }
    });

    it("throws cose-signature when a bit of the nonce or user data is flipped", function () {
      const withNonce = nitroVector(this, "evervault_beta_attestation");
      expectFailure(flipBit(withNonce.bytes, offsetOf(withNonce.bytes, Buffer.from(withNonce.decoded.nonce!, "hex"))), { at: withNonce.inside }, "cose-signature");
      const withUserData = nitroVector(this, "evervault_ga");
      expectFailure(flipBit(withUserData.bytes, offsetOf(withUserData.bytes, Buffer.from(withUserData.decoded.user_data!, "hex")) + 3), { at: withUserData.inside }, "cose-signature");
    });

    it("throws cose-signature when a bit of r or of s in the signature is flipped", function () {
      for (const v of nitroVectors(this)) {
        const signatureStart = v.bytes.byteLength - 96;
        expectFailure(flipBit(v.bytes, signatureStart + 7, 3), { at: v.inside }, "cose-signature");
        expectFailure(flipBit(v.bytes, signatureStart + 48 + 20, 6), { at: v.inside }, "cose-signature");
      }
    });

    it("throws cose-signature when the signature has a length other than 96 bytes", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      const short = encoder.encode([Buffer.from(doc.raw.protectedHeader), new Map(), Buffer.from(doc.raw.payload), Buffer.from(doc.signature.subarray(0, 95))]);
      expectFailure(new Uint8Array(short), { at: v.inside }, "cose-signature");
    });

    it("throws unsupported-algorithm when the protected header names ES512 instead of ES384", function () {
      const v = nitroVector(this, "base_nitro_validator");
      // a1 01 38 22 = {1: -35}; flipping the last bit of 0x22 gives 0x23 = -36 (ES512).
      const error = expectFailure(flipBit(v.bytes, 5, 7), { at: v.inside }, "unsupported-algorithm");
      expect(error.details.alg).to.equal(-36);
    });

    it("throws unsupported-algorithm when the protected header gains a second parameter", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      const header = encoder.encode(new Map<number, unknown>([[1, -35], [4, Buffer.from("kid")]]));
      const forged = encoder.encode([header, new Map(), Buffer.from(doc.raw.payload), Buffer.from(doc.signature)]);
      expectFailure(new Uint8Array(forged), { at: v.inside }, "unsupported-algorithm");
    });

    it("throws certificate-chain when a bit of the leaf certificate's signature is flipped", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const end = offsetOf(v.bytes, doc.certificate) + doc.certificate.byteLength;
        const error = expectFailure(flipBit(v.bytes, end - 1, 7), { at: v.inside }, "certificate-chain");
        expect(error.details.certificate, v.name).to.equal("certificate");
      }
    });

    it("throws certificate-chain when a bit of an intermediate in cabundle is flipped", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const intermediate = doc.cabundle[1];
        const end = offsetOf(v.bytes, intermediate) + intermediate.byteLength;
        const error = expectFailure(flipBit(v.bytes, end - 1, 7), { at: v.inside }, "certificate-chain");
        expect(error.details.certificate, v.name).to.equal("cabundle[1]");
      }
    });

    it("throws root-not-pinned when a bit of the root in cabundle is flipped", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const end = offsetOf(v.bytes, doc.cabundle[0]) + doc.cabundle[0].byteLength;
        expectFailure(flipBit(v.bytes, end - 1, 7), { at: v.inside }, "root-not-pinned");
      }
    });

    it("throws malformed when a bit flip breaks a certificate's DER", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      // Byte 0 of a DER certificate is the SEQUENCE tag 0x30; 0xb0 is no valid certificate.
      expectFailure(flipBit(v.bytes, offsetOf(v.bytes, doc.certificate), 0), { at: v.inside }, "malformed");
    });

    it("throws malformed when a bit of the leaf's public key point is flipped (the point leaves the curve)", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const spki = new X509Certificate(Buffer.from(doc.certificate)).publicKey.export({ type: "spki", format: "der" });
        const point = spki.subarray(spki.length - 97); // 04 ‖ x ‖ y of a P-384 key
        const error = expectFailure(flipBit(v.bytes, offsetOf(v.bytes, point) + 10, 7), { at: v.inside }, "malformed");
        expect(error.details.certificate, v.name).to.equal("certificate");
      }
    });

    it("throws certificate-chain when the cabundle is reordered", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      const payload = encoder.decode(Buffer.from(doc.raw.payload)) as Map<string, unknown>;
      const bundle = payload.get("cabundle") as Buffer[];
      payload.set("cabundle", [bundle[0], bundle[2], bundle[1], bundle[3]]);
      // The payload changed, so the signature no longer matches either; the chain is checked first.
      const forged = encoder.encode([Buffer.from(doc.raw.protectedHeader), new Map(), encoder.encode(payload), Buffer.from(doc.signature)]);
      expectFailure(new Uint8Array(forged), { at: v.inside }, "certificate-chain");
    });

    it("throws cose-signature when a real chain carries a payload signed by another P-384 key", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      const attacker = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const signature = sign("sha384", Buffer.from(doc.raw.sigStructure), { key: attacker.privateKey, dsaEncoding: "ieee-p1363" });
      const forged = encoder.encode([Buffer.from(doc.raw.protectedHeader), new Map(), Buffer.from(doc.raw.payload), signature]);
      expectFailure(new Uint8Array(forged), { at: v.inside }, "cose-signature");
    });

    it("throws root-not-pinned when an attacker's own local authority signs a document claiming a real PCR0", async function () {
      const v = nitroVector(this, "base_nitro_validator");
      const attacker = await createLocalAttestationAuthority({ commonName: "aws.nitro-enclaves" });
      const key = generateKeyPairSync("ec", { namedCurve: "P-384" });
      const issued = await attacker.issue({ publicKey: key.publicKey });
      const forged = createAttestationDocument({
        moduleId: v.decoded.module_id,
        pcrs: { 0: v.decoded.pcrs["0"] },
        certificate: issued.certificate,
        cabundle: issued.cabundle,
        signingKey: key.privateKey,
      });
      expectFailure(forged, { expectedPcrs: { 0: v.decoded.pcrs["0"] } }, "root-not-pinned");
    });

    it("never verifies a real document with any single bit flipped (law: every bit is covered)", function () {
      const vectors = nitroVectors(this);
      fc.assert(
        fc.property(fc.nat(vectors.length - 1), fc.nat(), fc.nat(7), (which, position, bit) => {
          const v = vectors[which];
          const offset = position % v.bytes.byteLength;
          let error: unknown;
          try {
            verifyAttestationDocument(flipBit(v.bytes, offset, bit), { at: v.inside });
          } catch (err) {
            error = err;
          }
          return error instanceof AttestationError;
        }),
        { numRuns: RUNS },
      );
    });
  });
});
