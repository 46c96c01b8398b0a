import { expect } from "chai";
import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { CustodyError } from "../../enclave-service/custody/custody-error";
import { openRecord, sealRecord, type RecordContext } from "../../enclave-service/custody/record-cipher";
import { combinePoolKey, poolKeyCheck, shareAad, splitPoolKey, WRAP_INFO, RELEASE_INFO } from "../../enclave-service/custody/pool-key-shares";
import { generateX25519KeyPair, openWithPrivateKey, sealToPublicKey, rawX25519PrivateKey, x25519PrivateKeyFromRaw } from "../../enclave-service/custody/x25519-box";
import { holderSealKey, openHeldShare, sealHeldShare } from "../../enclave-service/custody/held-share";

const context: RecordContext = { table: "identity_signers", rowKey: "0xabc", scope: "demo", cipherKeyId: "g1k0-00" };

function expectCustodyError(fn: () => unknown, code: CustodyError["code"]): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(CustodyError);
    expect((err as CustodyError).name).to.equal("CustodyError");
    expect((err as CustodyError).code).to.equal(code);
    return;
  }
  expect.fail(`expected CustodyError ${code}`);
}

describe("custody/record-cipher", () => {
  const key = new Uint8Array(randomBytes(32));

  describe("sealRecord", () => {
    it("opens to the same bytes when given the same key and context (law: open . seal = id)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), fc.string(), (plaintext, rowKey, scope) => {
          const ctx = { ...context, rowKey, scope };
          expect(Buffer.from(openRecord(key, sealRecord(key, plaintext, ctx), ctx)).equals(Buffer.from(plaintext))).to.equal(true);
        }),
        { numRuns: 100 },
      );
    });

    it("produces a different ciphertext each time when sealing the same plaintext", () => {
      const p = new Uint8Array(32);
      expect(Buffer.from(sealRecord(key, p, context)).equals(Buffer.from(sealRecord(key, p, context)))).to.equal(false);
    });
  });

  describe("openRecord", () => {
    const sealed = sealRecord(key, new Uint8Array(randomBytes(32)), context);

    it("fails with record-tampered when the ciphertext is moved to another row, table, scope or key id", () => {
      expectCustodyError(() => openRecord(key, sealed, { ...context, rowKey: "0xabd" }), "record-tampered");
      expectCustodyError(() => openRecord(key, sealed, { ...context, table: "auth_commitments" }), "record-tampered");
      expectCustodyError(() => openRecord(key, sealed, { ...context, scope: "other" }), "record-tampered");
      expectCustodyError(() => openRecord(key, sealed, { ...context, cipherKeyId: "g1k1-00" }), "record-tampered");
    });

    it("fails with record-tampered when any bit of the ciphertext is flipped (law: corruption is detected)", () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: sealed.length * 8 - 1 }), (bit) => {
          const bad = new Uint8Array(sealed);
          bad[bit >> 3] ^= 1 << (bit & 7);
          expectCustodyError(() => openRecord(key, bad, context), "record-tampered");
        }),
        { numRuns: 200 },
      );
    });

    it("fails with record-tampered when the key is another pool key or the bytes are truncated", () => {
      expectCustodyError(() => openRecord(new Uint8Array(randomBytes(32)), sealed, context), "record-tampered");
      expectCustodyError(() => openRecord(key, sealed.subarray(0, 20), context), "record-tampered");
    });

    it("does not confuse contexts whose concatenated fields are equal", () => {
      // Length prefixes: ("ab", "c") and ("a", "bc") are different contexts.
      const a = { ...context, rowKey: "ab", scope: "c" };
      const b = { ...context, rowKey: "a", scope: "bc" };
      expectCustodyError(() => openRecord(key, sealRecord(key, new Uint8Array(8), a), b), "record-tampered");
    });
  });
});

describe("custody/pool-key-shares", () => {
  describe("combinePoolKey", () => {
    it("rebuilds the key from any two of the three shares (law: 2-of-3)", async () => {
      const key = new Uint8Array(randomBytes(32));
      const shares = await splitPoolKey(key);
      const check = poolKeyCheck(key, "k", 1);
      for (const pair of [[0, 1], [0, 2], [1, 2], [2, 0]]) {
        const rebuilt = await combinePoolKey(pair.map((i) => shares[i]), "k", 1, check);
        expect(Buffer.from(rebuilt).equals(Buffer.from(key))).to.equal(true);
      }
    });

    it("fails with pool-key-check-failed when a share is altered or belongs to another key", async () => {
      const key = new Uint8Array(randomBytes(32));
      const shares = await splitPoolKey(key);
      const other = await splitPoolKey(new Uint8Array(randomBytes(32)));
      const altered = new Uint8Array(shares[1]);
      altered[3] ^= 0x40;
      for (const pair of [[shares[0], altered], [shares[0], other[1]]]) {
        try {
          await combinePoolKey(pair, "k", 1, poolKeyCheck(key, "k", 1));
          expect.fail("should not rebuild");
        } catch (err) {
          expect(err).to.be.instanceOf(CustodyError);
          expect((err as CustodyError).code).to.equal("pool-key-check-failed");
        }
      }
    });

    it("fails with pool-key-check-failed when the shares are combined under another generation", async () => {
      const key = new Uint8Array(randomBytes(32));
      const shares = await splitPoolKey(key);
      try {
        await combinePoolKey(shares.slice(0, 2), "k", 2, poolKeyCheck(key, "k", 1));
        expect.fail("the generation is part of the commitment");
      } catch (err) {
        expect((err as CustodyError).code).to.equal("pool-key-check-failed");
      }
    });

    it("fails with custody-unavailable when only one share is given", async () => {
      const key = new Uint8Array(randomBytes(32));
      const shares = await splitPoolKey(key);
      try {
        await combinePoolKey([shares[0]], "k", 1, poolKeyCheck(key, "k", 1));
        expect.fail("one share must not be enough");
      } catch (err) {
        expect((err as CustodyError).code).to.equal("custody-unavailable");
      }
    });
  });
});

describe("custody/held-share", () => {
  const sealKey = holderSealKey(generateX25519KeyPair().privateKey);
  const share = new Uint8Array(randomBytes(33));
  const context = { keyId: "g1k0-aa", generation: 1, shareIndex: 2, keyCheck: new Uint8Array(randomBytes(32)) };

  describe("openHeldShare", () => {
    it("opens to the share when given the holder's key and the same context (law: open . seal = id)", () => {
      const held = sealHeldShare(sealKey, share, context);
      expect(Buffer.from(openHeldShare(sealKey, held, context)).equals(Buffer.from(share))).to.equal(true);
    });

    it("fails with share-not-held when the share was boxed to the holder's public key instead (what the host can make)", () => {
      const holder = generateX25519KeyPair();
      const boxed = sealToPublicKey(holder.publicKey, share, WRAP_INFO, shareAad(context.keyId, 2));
      expectCustodyError(() => openHeldShare(holderSealKey(holder.privateKey), boxed, context), "share-not-held");
    });

    it("fails with share-not-held when moved to another key id, generation, share index or key check, or sealed by another holder", () => {
      const held = sealHeldShare(sealKey, share, context);
      expectCustodyError(() => openHeldShare(sealKey, held, { ...context, keyId: "g1k1-aa" }), "share-not-held");
      expectCustodyError(() => openHeldShare(sealKey, held, { ...context, generation: 2 }), "share-not-held");
      expectCustodyError(() => openHeldShare(sealKey, held, { ...context, shareIndex: 3 }), "share-not-held");
      expectCustodyError(() => openHeldShare(sealKey, held, { ...context, keyCheck: new Uint8Array(32) }), "share-not-held");
      expectCustodyError(() => openHeldShare(holderSealKey(generateX25519KeyPair().privateKey), held, context), "share-not-held");
      expectCustodyError(() => openHeldShare(sealKey, held.subarray(0, 20), context), "share-not-held");
    });
  });
});

describe("custody/x25519-box", () => {
  const holder = generateX25519KeyPair();
  const aad = shareAad("g1k0-00", 1);

  describe("sealToPublicKey", () => {
    it("opens only for the recipient, with the same purpose and associated data", () => {
      const share = new Uint8Array(randomBytes(33));
      const box = sealToPublicKey(holder.publicKey, share, WRAP_INFO, aad);
      expect(Buffer.from(openWithPrivateKey(holder.privateKey, box, WRAP_INFO, aad)).equals(Buffer.from(share))).to.equal(true);
      const stranger = generateX25519KeyPair();
      expectCustodyError(() => openWithPrivateKey(stranger.privateKey, box, WRAP_INFO, aad), "invalid-wrapped-key");
      expectCustodyError(() => openWithPrivateKey(holder.privateKey, box, RELEASE_INFO, aad), "invalid-wrapped-key");
      expectCustodyError(() => openWithPrivateKey(holder.privateKey, box, WRAP_INFO, shareAad("g1k0-00", 2)), "invalid-wrapped-key");
    });

    it("fails with invalid-wrapped-key when any bit of the box is flipped (law: corruption is detected)", () => {
      const box = sealToPublicKey(holder.publicKey, new Uint8Array(33), WRAP_INFO, aad);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: box.length * 8 - 1 }), (bit) => {
          const bad = new Uint8Array(box);
          bad[bit >> 3] ^= 1 << (bit & 7);
          expectCustodyError(() => openWithPrivateKey(holder.privateKey, bad, WRAP_INFO, aad), "invalid-wrapped-key");
        }),
        { numRuns: 150 },
      );
    });
  });

  describe("x25519PrivateKeyFromRaw", () => {
    it("restores a key that opens boxes sealed to the original when given its raw bytes", () => {
      const restored = x25519PrivateKeyFromRaw(rawX25519PrivateKey(holder.privateKey));
      const box = sealToPublicKey(holder.publicKey, new Uint8Array([1, 2, 3]), WRAP_INFO, aad);
      expect([...openWithPrivateKey(restored, box, WRAP_INFO, aad)]).to.deep.equal([1, 2, 3]);
    });
  });
});
