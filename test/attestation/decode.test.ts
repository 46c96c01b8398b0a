import { expect } from "chai";
import { createHash, X509Certificate } from "node:crypto";
import { Encoder } from "cbor-x";
import { AttestationError, decodeAttestationDocument, MAX_ATTESTATION_DOCUMENT_BYTES } from "../../lib/attestation";
import { nitroVector, nitroVectors, readNitroFile } from "./vectors";

const hex = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString("hex"));
// The same options lib/attestation uses, to build malformed documents around real parts.
const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false, useTag259ForMaps: false, variableMapSize: true } as never);

function expectMalformed(bytes: Uint8Array, messagePart?: RegExp): AttestationError {
  let caught: unknown;
  try {
    decodeAttestationDocument(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught, "decode should throw").to.be.instanceOf(AttestationError);
  const error = caught as AttestationError;
  expect(error.name).to.equal("AttestationError");
  expect(error.code).to.equal("malformed");
  if (messagePart) expect(error.message).to.match(messagePart);
  return error;
}

/** Rebuilds a document from a real one with its payload map changed by `edit` (signature left as is). */
function withPayload(bytes: Uint8Array, edit: (payload: Map<string, unknown>) => void): Uint8Array {
  const doc = decodeAttestationDocument(bytes);
  const payload = new Map<string, unknown>([
    ["module_id", doc.moduleId],
    ["digest", doc.digest],
    ["timestamp", BigInt(doc.timestamp)],
    ["pcrs", new Map([...doc.pcrs].map(([i, v]) => [i, Buffer.from(v)]))],
    ["certificate", Buffer.from(doc.certificate)],
    ["cabundle", doc.cabundle.map((c) => Buffer.from(c))],
    ["public_key", doc.publicKey && Buffer.from(doc.publicKey)],
    ["user_data", doc.userData && Buffer.from(doc.userData)],
    ["nonce", doc.nonce && Buffer.from(doc.nonce)],
  ]);
  edit(payload);
  return new Uint8Array(encoder.encode([Buffer.from(doc.raw.protectedHeader), new Map(), encoder.encode(payload), Buffer.from(doc.signature)]));
}

function withParts(bytes: Uint8Array, parts: (p: unknown[]) => unknown): Uint8Array {
  const doc = decodeAttestationDocument(bytes);
  return new Uint8Array(encoder.encode(parts([Buffer.from(doc.raw.protectedHeader), new Map(), Buffer.from(doc.raw.payload), Buffer.from(doc.signature)])));
}

describe("attestation", function () {
  describe("decodeAttestationDocument", function () {
    it("returns the fields listed in each vector's decoded.json when given a real Nitro document", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const expected = v.decoded;
        expect(v.bytes.byteLength, v.name).to.equal(expected.cose_bytes);
        expect(createHash("sha256").update(v.bytes).digest("hex"), v.name).to.equal(expected.cose_sha256);
        expect(hex(doc.raw.protectedHeader), v.name).to.equal(expected.protected_hex);
        expect(doc.protectedHeader.get(1), v.name).to.equal(-35);
        expect(doc.signature.byteLength, v.name).to.equal(expected.sig_len);
        expect(doc.moduleId, v.name).to.equal(expected.module_id);
        expect(doc.digest, v.name).to.equal(expected.digest);
        expect(doc.timestamp, v.name).to.equal(expected.timestamp_ms);
        for (const [index, value] of Object.entries(expected.pcrs)) expect(hex(doc.pcrs.get(Number(index)) ?? null), `${v.name} PCR${index}`).to.equal(value);
        expect(hex(doc.userData), v.name).to.equal(expected.user_data);
        expect(hex(doc.nonce), v.name).to.equal(expected.nonce);
        expect(hex(doc.publicKey), v.name).to.equal(expected.public_key);
        // decoded.json lists the chain leaf first: leaf, cabundle[n-1], ..., cabundle[0].
        const chain = [doc.certificate, ...doc.cabundle.slice().reverse()];
        expect(chain.length, v.name).to.equal(expected.chain.length);
        chain.forEach((der, i) => {
          const cert = new X509Certificate(der);
          expect(createHash("sha256").update(der).digest("hex"), `${v.name} ${expected.chain[i].idx}`).to.equal(expected.chain[i].sha256);
          expect(cert.validFrom, `${v.name} ${expected.chain[i].idx}`).to.equal(expected.chain[i].validFrom);
          expect(cert.validTo, `${v.name} ${expected.chain[i].idx}`).to.equal(expected.chain[i].validTo);
        });
        expect(createHash("sha256").update(doc.cabundle[0]).digest("hex"), v.name).to.equal(expected.root_sha256);
      }
    });

    it("re-encodes every real document byte for byte with the cbor-x options lib/attestation uses", function () {
      for (const v of nitroVectors(this)) {
        const top = encoder.decode(Buffer.from(v.bytes)) as unknown[];
        expect(Buffer.from(encoder.encode(top)).equals(Buffer.from(v.bytes)), v.name).to.equal(true);
        const payload = top[2] as Buffer;
        expect(Buffer.from(encoder.encode(encoder.decode(payload))).equals(payload), v.name).to.equal(true);
      }
    });

    it("returns the signature stored in base_nitro_validator_signature.hex when given that document", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const signature = readNitroFile("base_nitro_validator_signature.hex").toString("utf8").trim();
      expect(hex(decodeAttestationDocument(v.bytes).signature)).to.equal(signature);
    });

    it("keeps the protected header and payload bytes exactly as received when decoding a real document", function () {
      for (const v of nitroVectors(this)) {
        const doc = decodeAttestationDocument(v.bytes);
        const whole = Buffer.from(v.bytes);
        expect(whole.indexOf(Buffer.from(doc.raw.payload)), v.name).to.be.greaterThan(0);
        expect(whole.subarray(2, 6).equals(Buffer.from(doc.raw.protectedHeader)), v.name).to.equal(true);
        // Sig_structure = ["Signature1", protected, h'', payload]
        expect(hex(doc.raw.sigStructure.subarray(0, 18))).to.equal("846a5369676e61747572653144a101382240");
      }
    });

    it("returns copies that do not alias the input when the caller later changes its buffer", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const input = new Uint8Array(v.bytes);
      const doc = decodeAttestationDocument(input);
      const before = hex(doc.certificate);
      input.fill(0);
      expect(hex(doc.certificate)).to.equal(before);
    });

    it("throws malformed when the input is empty, garbage or truncated", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectMalformed(new Uint8Array(0), /empty/);
      expectMalformed(new Uint8Array(Buffer.from("hello, this is not CBOR")));
      expectMalformed(new Uint8Array([0xff, 0xff, 0xff]));
      for (const length of [1, 2, 10, 100, v.bytes.byteLength - 1]) expectMalformed(v.bytes.subarray(0, length));
    });

    it("throws malformed when bytes follow the COSE_Sign1 array", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectMalformed(new Uint8Array([...v.bytes, 0x00]), /well-formed/);
    });

    it("throws malformed when the input is not a Uint8Array or exceeds the size limit", function () {
      expectMalformed("8444" as unknown as Uint8Array, /Uint8Array/);
      expectMalformed(new Uint8Array(MAX_ATTESTATION_DOCUMENT_BYTES + 1), /at most/);
    });

    it("throws malformed when the COSE_Sign1 array does not have four items", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectMalformed(withParts(v.bytes, (p) => p.slice(0, 3)), /4 items/);
      expectMalformed(withParts(v.bytes, (p) => [...p, Buffer.alloc(1)]), /4 items/);
      expectMalformed(new Uint8Array(encoder.encode(new Map([[1, 2]]))), /4 items/);
    });

    it("throws malformed when a part has the wrong CBOR type", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectMalformed(withParts(v.bytes, (p) => [new Map([[1, -35]]), p[1], p[2], p[3]]), /protected header/);
      expectMalformed(withParts(v.bytes, (p) => [p[0], new Map([[4, Buffer.from("kid")]]), p[2], p[3]]), /unprotected header must be empty/);
      expectMalformed(withParts(v.bytes, (p) => [p[0], [], p[2], p[3]]), /unprotected header must be a map/);
      expectMalformed(withParts(v.bytes, (p) => [p[0], p[1], "payload", p[3]]), /payload/);
      expectMalformed(withParts(v.bytes, (p) => [p[0], p[1], p[2], Buffer.alloc(0)]), /signature/);
      expectMalformed(withParts(v.bytes, (p) => [p[0], p[1], encoder.encode([1, 2]), p[3]]), /payload must encode a CBOR map/);
    });

    it("throws malformed when CBOR carries a tag other than COSE_Sign1's 18", function () {
      const v = nitroVector(this, "base_nitro_validator");
      expectMalformed(new Uint8Array([0xd8, 0x62, ...v.bytes]), /tag 98/);
    });

    it("accepts the RFC 9052 tag 18 around an otherwise valid document", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(new Uint8Array([0xd2, ...v.bytes]));
      expect(doc.raw.tagged).to.equal(true);
      expect(doc.moduleId).to.equal(v.decoded.module_id);
    });

    it("throws malformed when the payload repeats a key", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const doc = decodeAttestationDocument(v.bytes);
      // {"nonce": h'01', "nonce": h'02', ...the rest}: a decoder keeps one of the two values.
      const rest = Buffer.from(doc.raw.payload.subarray(1));
      const count = doc.raw.payload[0] & 0x1f;
      const dup = Buffer.concat([Buffer.from([0xa0 | (count + 1)]), Buffer.from(encoder.encode("nonce")), Buffer.from([0x41, 0x01]), rest]);
      const forged = withParts(v.bytes, (p) => [p[0], p[1], dup, p[3]]);
      expectMalformed(forged, /deterministic CBOR/);
    });

    it("throws malformed when a payload field is missing, unknown or of the wrong type", function () {
      const v = nitroVector(this, "base_nitro_validator");
      const cases: [string, (p: Map<string, unknown>) => void, RegExp][] = [
        ["module_id missing", (p) => p.delete("module_id"), /module_id/],
        ["module_id empty", (p) => p.set("module_id", ""), /module_id/],
        ["certificate null", (p) => p.set("certificate", null), /certificate/],
        ["cabundle empty", (p) => p.set("cabundle", []), /cabundle/],
        ["cabundle entry text", (p) => p.set("cabundle", ["x"]), /cabundle\[0\]/],
        ["digest number", (p) => p.set("digest", 384), /digest/],
        ["unknown field", (p) => p.set("debug", true), /unknown payload field/],
        ["timestamp negative", (p) => p.set("timestamp", -5), /timestamp/],
        ["timestamp text", (p) => p.set("timestamp", "1732983768387"), /timestamp/],
        ["timestamp float", (p) => p.set("timestamp", 1732983768387.5), /timestamp/],
        ["pcrs empty", (p) => p.set("pcrs", new Map()), /pcrs/],
        ["pcr index 32", (p) => p.set("pcrs", new Map([[32, Buffer.alloc(48)]])), /index/],
        ["pcr index text", (p) => p.set("pcrs", new Map([["0", Buffer.alloc(48)]])), /index/],
        ["pcr 32 bytes under SHA384", (p) => p.set("pcrs", new Map([[0, Buffer.alloc(32)]])), /PCR0/],
        ["nonce text", (p) => p.set("nonce", "abc"), /nonce/],
        ["user_data too long", (p) => p.set("user_data", Buffer.alloc(513)), /user_data/],
        ["public_key empty", (p) => p.set("public_key", Buffer.alloc(0)), /public_key/],
      ];
      for (const [label, edit, message] of cases) {
        const error = expectMalformed(withPayload(v.bytes, edit), message);
        expect(error.message, label).to.match(message);
      }
    });

    it("throws malformed when an integer field is encoded as a float", function () {
      const v = nitroVector(this, "base_nitro_validator");
      // 1732983768387 is an integer value; encoded as a float64 it must still be refused.
      const forged = withPayload(v.bytes, (p) => p.set("timestamp", 1732983768387));
      expect(Buffer.from(forged).indexOf(Buffer.from("fb427937de1c5430", "hex"))).to.be.greaterThan(0);
      expectMalformed(forged, /timestamp/);
    });
  });
});
