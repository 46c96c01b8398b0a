import { expect } from "chai";
import { AttestationError, parseAttestationInput } from "../../lib/attestation";
import { nitroVectors } from "./vectors";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

function expectMalformed(input: string | Uint8Array): void {
  let caught: unknown;
  try {
    parseAttestationInput(input);
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(AttestationError);
  expect((caught as AttestationError).code).to.equal("malformed");
}

describe("attestation", function () {
  describe("parseAttestationInput", function () {
    it("returns the same CBOR bytes when given raw bytes, hex, 0x-hex, base64, URL-safe base64 or wrapped base64", function () {
      for (const v of nitroVectors(this)) {
        const raw = v.bytes;
        const b64 = Buffer.from(raw).toString("base64");
        const forms: (string | Uint8Array)[] = [
          raw,
          hex(raw),
          `0x${hex(raw).toUpperCase()}`,
          b64,
          Buffer.from(raw).toString("base64url"),
          `${b64.match(/.{1,76}/g)!.join("\n")}\n`,
          new Uint8Array(Buffer.from(`${b64}\n`)),
        ];
        for (const form of forms) expect(hex(parseAttestationInput(form)), v.name).to.equal(hex(raw));
      }
    });

    it("reads each stored vector file whatever its encoding", function () {
      for (const v of nitroVectors(this)) expect(parseAttestationInput(v.stored).byteLength, v.name).to.equal(v.decoded.cose_bytes);
    });

    it("throws malformed when the text is empty, garbage, odd-length hex or base64 of something else", function () {
      expectMalformed("");
      expectMalformed("   \n");
      expectMalformed("not an attestation document!");
      expectMalformed("844");
      expectMalformed("a1013822");
      expectMalformed(Buffer.from("hello world").toString("base64"));
      expectMalformed("hEShATgi$$$");
      expectMalformed(new Uint8Array([0x00, 0x01, 0x02]));
      expectMalformed(42 as never);
    });
  });
});
