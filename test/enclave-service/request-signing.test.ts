import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { Wallet } from "ethers";
import { canonicalRequest, parseAuthKeyId, verifyRequestSignature, secp256k1AuthKey, p256AuthKey, otpAnswer, IdentityClientError } from "../../lib/identity";
import { P256_N } from "../../lib/identity/request-signing";

const fields = { service: "arbor-identity-local", method: "POST", path: "/v1/attestations?x=1", body: '{"a":1}', nonce: 7n, timestamp: 1_700_000_000_000 };

describe("identity/request-signing", () => {
  describe("canonicalRequest", () => {
    it("is the documented seven-line encoding when given a request", () => {
      const bodyHash = createHash("sha256").update('{"a":1}').digest("hex");
      expect(canonicalRequest(fields)).to.equal(`arbor.request.v2\narbor-identity-local\nPOST\n/v1/attestations?x=1\n${bodyHash}\n7\n1700000000000`);
    });

    it("throws invalid-argument when the service name is empty or spans lines", () => {
      for (const service of ["", "a\nb", "a\rb"]) expect(() => canonicalRequest({ ...fields, service })).to.throw(IdentityClientError).with.property("code", "invalid-argument");
    });
  });

  describe("verifyRequestSignature", () => {
    for (const [kind, make] of [["secp256k1", () => Promise.resolve(secp256k1AuthKey())], ["P-256", () => p256AuthKey()]] as const) {
      it(`accepts the key's own signature and rejects it over any other field when signed by a ${kind} key (law: signature binds every field)`, async () => {
        const key = await make();
        const canonical = canonicalRequest(fields);
        const signature = await key.sign(canonical);
        expect(verifyRequestSignature(key.id, canonical, signature)).to.equal(true);
        await fc.assert(
          fc.asyncProperty(fc.constantFrom("service", "method", "path", "body", "nonce", "timestamp"), async (field) => {
            const changed = { ...fields, [field]: field === "nonce" ? 8n : field === "timestamp" ? fields.timestamp + 1 : field === "method" ? "GET" : `${(fields as Record<string, unknown>)[field]}x` };
            expect(verifyRequestSignature(key.id, canonicalRequest(changed), signature)).to.equal(false);
          }),
          { numRuns: 10 },
        );
        const other = await make();
        expect(verifyRequestSignature(other.id, canonical, signature)).to.equal(false);
      });
    }

    it("rejects a secp256k1 signature when its s is high or its bytes are malformed", async () => {
      const wallet = Wallet.createRandom();
      const key = secp256k1AuthKey(wallet.privateKey);
      const canonical = canonicalRequest(fields);
      const sig = await key.sign(canonical);
      const N = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const s = BigInt("0x" + sig.slice(66, 130));
      const v = parseInt(sig.slice(130, 132), 16);
      const high = sig.slice(0, 66) + (N - s).toString(16).padStart(64, "0") + (v === 27 ? "1c" : "1b");
      expect(verifyRequestSignature(key.id, canonical, high)).to.equal(false);
      expect(verifyRequestSignature(key.id, canonical, sig.slice(0, 100))).to.equal(false);
      expect(verifyRequestSignature(key.id, canonical, "zz")).to.equal(false);
    });

    it("rejects a P-256 signature when it is the high-s twin of a valid one, and the key only ever signs low s", async () => {
      const key = await p256AuthKey();
      for (let i = 0; i < 8; i++) {
        const canonical = canonicalRequest({ ...fields, nonce: BigInt(i + 1) });
        const sig = await key.sign(canonical);
        const s = BigInt("0x" + sig.slice(66, 130));
        expect(s <= P256_N >> 1n, "the key normalises to low s").to.equal(true);
        expect(verifyRequestSignature(key.id, canonical, sig)).to.equal(true);
        const twin = sig.slice(0, 66) + (P256_N - s).toString(16).padStart(64, "0");
        expect(verifyRequestSignature(key.id, canonical, twin)).to.equal(false);
      }
    });

    it("throws invalid-auth-key when the key id is malformed", () => {
      for (const id of ["", "secp256k1:0x12", "secp256k1:0x5b38da6a701c568545dcfcb03fcb875f56beddc4", "p256:0x04" + "00".repeat(64), "rsa:abc"]) {
        expect(parseAuthKeyId(id), id).to.equal(undefined);
        expect(() => verifyRequestSignature(id, "x", "0x")).to.throw(IdentityClientError).with.property("code", "invalid-auth-key");
      }
    });
  });

  describe("otpAnswer", () => {
    it("is hex sha256 of the tagged challenge and code when given both", () => {
      expect(otpAnswer("c", "123456")).to.equal(createHash("sha256").update("arbor.otp.v1\nc\n123456").digest("hex"));
      expect(otpAnswer("c", "123456")).to.not.equal(otpAnswer("d", "123456"));
    });
  });
});
