import { expect } from "chai";
import fc from "fast-check";
import { SigningKey, Wallet, concat, getBytes, hexlify, keccak256, toBeHex, zeroPadBytes, zeroPadValue } from "ethers";
import {
  ATTESTATION_TAG,
  AttestationEncodingError,
  IDENTITY_TYPE,
  type Attestation,
  encodeAttestation,
  hashAttestation,
  hashAudience,
  hashIssuer,
  recoverAttestationSigner,
  signAttestation,
} from "../../lib/sessions";
import frozen from "./attestation-vectors.json";

const N = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

function fromVector(v: (typeof frozen.vectors)[number]["attestation"]): Attestation {
  return { ...v, issuedAt: BigInt(v.issuedAt), expiresAt: BigInt(v.expiresAt) };
}

const sample: Attestation = {
  approvedSigner: "0x1111111111111111111111111111111111111111",
  identityType: IDENTITY_TYPE.email,
  issuerHash: hashIssuer("email"),
  audienceHash: hashAudience("https://app.example"),
  applicationData: "0x",
  issuedAt: 1_700_000_000n,
  expiresAt: 1_700_003_600n,
};
const KEY = "0x" + "42".repeat(32);

const arbAttestation: fc.Arbitrary<Attestation> = fc.record({
  approvedSigner: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => hexlify(b)),
  identityType: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => hexlify(b)),
  issuerHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
  audienceHash: fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b)),
  applicationData: fc.uint8Array({ maxLength: 200 }).map((b) => hexlify(b)),
  issuedAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  expiresAt: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
});
const arbKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => {
  const n = BigInt(hexlify(k));
  return n > 0n && n < N;
});

/** An independent reading of ATTESTATION.md: abi.encode of static types is 32-byte words, in order. */
function manualEncoding(a: Attestation): string {
  return concat([
    ATTESTATION_TAG,
    zeroPadValue(a.approvedSigner, 32),
    zeroPadBytes(a.identityType, 32), // bytesN are left-aligned
    a.issuerHash,
    a.audienceHash,
    keccak256(a.applicationData),
    toBeHex(BigInt(a.issuedAt), 32),
    toBeHex(BigInt(a.expiresAt), 32),
  ]);
}

function expectEncodingError(fn: () => unknown, code: string, field?: string): void {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(AttestationEncodingError);
    const err = e as AttestationEncodingError;
    expect(err.name).to.equal("AttestationEncodingError");
    expect(err.code).to.equal(code);
    if (field !== undefined) expect(err.field).to.equal(field);
    return;
  }
  expect.fail("expected an AttestationEncodingError");
}

describe("sessions/attestation", () => {
  describe("ATTESTATION_TAG", () => {
    it('is keccak256("arbor.attestation.v1") when recomputed from the string', () => {
      expect(ATTESTATION_TAG).to.equal(keccak256(Buffer.from("arbor.attestation.v1", "utf8")));
    });
  });

  describe("frozen vectors", () => {
    it("reproduces every encoding, hash and signature when recomputed from the fixed inputs", () => {
      expect(frozen.vectors.length).to.be.greaterThan(3);
      expect(new Wallet(frozen.privateKey).address).to.equal(frozen.vectors[0].signer);
      for (const v of frozen.vectors) {
        const a = fromVector(v.attestation);
        expect(a.issuerHash, v.name).to.equal(hashIssuer(v.issuer));
        expect(a.audienceHash, v.name).to.equal(hashAudience(v.audience));
        expect(encodeAttestation(a), v.name).to.equal(v.encoded);
        expect(hashAttestation(a), v.name).to.equal(v.hash);
        expect(signAttestation(a, frozen.privateKey), v.name).to.equal(v.signature);
        expect(recoverAttestationSigner(a, v.signature), v.name).to.equal(v.signer);
      }
    });
  });

  describe("encodeAttestation", () => {
    it("equals the word-by-word reading of the spec when given random attestations (law: encoding = spec layout)", () => {
      fc.assert(
        fc.property(arbAttestation, (a) => {
          const encoded = encodeAttestation(a);
          expect(getBytes(encoded).length).to.equal(256);
          expect(encoded).to.equal(manualEncoding(a));
        }),
        { numRuns: 200 },
      );
    });

    it("rejects a field when it has the wrong length", () => {
      expectEncodingError(() => encodeAttestation({ ...sample, identityType: "0x01" }), "invalid-attestation-field", "identityType");
      expectEncodingError(() => encodeAttestation({ ...sample, issuerHash: "0x1234" }), "invalid-attestation-field", "issuerHash");
      expectEncodingError(() => encodeAttestation({ ...sample, audienceHash: "email" }), "invalid-attestation-field", "audienceHash");
      expectEncodingError(() => encodeAttestation({ ...sample, approvedSigner: "0x1234" }), "invalid-attestation-field", "approvedSigner");
    });

    it("rejects an address when its mixed-case checksum is wrong", () => {
      expectEncodingError(
        () => encodeAttestation({ ...sample, approvedSigner: "0x5b38Da6a701c568545dCfcB03FcB875f56beddC4" }),
        "invalid-attestation-field",
        "approvedSigner",
      );
    });

    it("rejects times when they do not fit uint64 or are not integers", () => {
      expectEncodingError(() => encodeAttestation({ ...sample, issuedAt: -1n }), "invalid-attestation-field", "issuedAt");
      expectEncodingError(() => encodeAttestation({ ...sample, expiresAt: 1n << 64n }), "invalid-attestation-field", "expiresAt");
      expectEncodingError(() => encodeAttestation({ ...sample, expiresAt: 1.5 }), "invalid-attestation-field", "expiresAt");
    });

    it("rejects application data when it is not hex", () => {
      expectEncodingError(() => encodeAttestation({ ...sample, applicationData: "hello" }), "invalid-attestation-field", "applicationData");
      expectEncodingError(() => encodeAttestation({ ...sample, applicationData: "0xabc" }), "invalid-attestation-field", "applicationData");
    });
  });

  describe("hashAttestation", () => {
    it("changes when any single field changes (law: every field is bound)", () => {
      fc.assert(
        fc.property(arbAttestation, fc.integer({ min: 0, max: 6 }), (a, which) => {
          const b = { ...a };
          const flip = (hex: string) => hexlify(getBytes(hex).map((x, i) => (i === 0 ? x ^ 1 : x)));
          switch (which) {
            case 0: b.approvedSigner = flip(a.approvedSigner); break;
            case 1: b.identityType = flip(a.identityType); break;
            case 2: b.issuerHash = flip(a.issuerHash); break;
            case 3: b.audienceHash = flip(a.audienceHash); break;
            case 4: b.applicationData = a.applicationData + "00"; break;
            case 5: b.issuedAt = BigInt(a.issuedAt) ^ 1n; break;
            case 6: b.expiresAt = BigInt(a.expiresAt) ^ 1n; break;
          }
          expect(hashAttestation(b)).to.not.equal(hashAttestation(a));
        }),
        { numRuns: 200 },
      );
    });
  });

  describe("signAttestation", () => {
    it("recovers to the signing key's address when signed with random keys (law: recover . sign = address)", () => {
      fc.assert(
        fc.property(arbAttestation, arbKey, (a, key) => {
          const signature = signAttestation(a, key);
          const bytes = getBytes(signature);
          expect(bytes.length).to.equal(65);
          expect([27, 28]).to.include(bytes[64]);
          expect(BigInt(hexlify(bytes.subarray(32, 64))) <= N / 2n).to.equal(true);
          const address = new Wallet(hexlify(key)).address;
          expect(recoverAttestationSigner(a, signature)).to.equal(address);
          // ethers is an independent ecrecover: the same bytes must recover the same address.
          expect(SigningKey.recoverPublicKey(hashAttestation(a), signature)).to.equal(new SigningKey(hexlify(key)).publicKey);
        }),
        { numRuns: 50 },
      );
    });

    it("rejects the private key when it is zero, too short or the curve order", () => {
      expectEncodingError(() => signAttestation(sample, "0x" + "00".repeat(32)), "invalid-private-key");
      expectEncodingError(() => signAttestation(sample, "0x1234"), "invalid-private-key");
      expectEncodingError(() => signAttestation(sample, toBeHex(N, 32)), "invalid-private-key");
      expectEncodingError(() => signAttestation(sample, "not hex"), "invalid-private-key");
    });
  });

  describe("recoverAttestationSigner", () => {
    const signature = signAttestation(sample, KEY);
    const signer = new Wallet(KEY).address;

    it("never recovers the signer when any bit of the signature is flipped (law: corruption is detected)", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 65 * 8 - 1 }), (bit) => {
          const bytes = getBytes(signature);
          bytes[bit >> 3] ^= 1 << (bit & 7);
          let recovered: string | undefined;
          try {
            recovered = recoverAttestationSigner(sample, bytes);
          } catch (e) {
            expect(e).to.be.instanceOf(AttestationEncodingError);
          }
          expect(recovered).to.not.equal(signer);
        }),
        { numRuns: 300 },
      );
    });

    it("recovers another address when the attestation differs from the signed one", () => {
      expect(recoverAttestationSigner({ ...sample, expiresAt: 1_700_003_601n }, signature)).to.not.equal(signer);
    });

    it("rejects the signature when s is high (the malleable twin)", () => {
      const bytes = getBytes(signature);
      const s = BigInt(hexlify(bytes.subarray(32, 64)));
      bytes.set(getBytes(toBeHex(N - s, 32)), 32);
      bytes[64] = bytes[64] === 27 ? 28 : 27;
      expectEncodingError(() => recoverAttestationSigner(sample, bytes), "invalid-attestation-signature", "signature");
    });

    it("rejects the signature when v is 0 or 1, or the length is not 65", () => {
      const bytes = getBytes(signature);
      bytes[64] -= 27;
      expectEncodingError(() => recoverAttestationSigner(sample, bytes), "invalid-attestation-signature");
      expectEncodingError(() => recoverAttestationSigner(sample, signature.slice(0, 130)), "invalid-attestation-signature");
      expectEncodingError(() => recoverAttestationSigner(sample, signature + "00"), "invalid-attestation-signature");
      expectEncodingError(() => recoverAttestationSigner(sample, "0xzz"), "invalid-attestation-signature");
    });
  });
});
