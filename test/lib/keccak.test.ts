import { expect } from "chai";
import fc from "fast-check";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { hashPairInto, hashPairIntoNoble, keccakBackend, keccakReady } from "../../lib/keccak";
import { makeTree, treeRoot } from "../../lib/configuration/tree";
import { bytesToHex, type Hex } from "../../lib/hex";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";

const word = fc.uint8Array({ minLength: 32, maxLength: 32 });

/** keccak256(min ‖ max) straight from noble: the definition hashPairInto implements. */
function sortedPairHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  const [lo, hi] = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a];
  const pair = new Uint8Array(64);
  pair.set(lo, 0);
  pair.set(hi, 32);
  return keccak_256(pair);
}

describe("keccak", () => {
  before(async () => {
    await keccakReady();
  });

  describe("keccakReady", () => {
    it("resolves to hash-wasm when WebAssembly is available", async () => {
      expect(await keccakReady()).to.equal("hash-wasm");
      expect(keccakBackend()).to.equal("hash-wasm");
    });
  });

  describe("hashPairInto", () => {
    it("equals noble's keccak256 of the sorted pair on random words (law: the backends agree)", () => {
      fc.assert(
        fc.property(word, word, (a, b) => {
          const wasm = new Uint8Array(32);
          const noble = new Uint8Array(32);
          hashPairInto(a, 0, b, 0, wasm, 0);
          hashPairIntoNoble(a, 0, b, 0, noble, 0);
          const expected = sortedPairHash(a, b);
          return bytesToHex(wasm) === bytesToHex(expected) && bytesToHex(noble) === bytesToHex(expected);
        }),
        { numRuns: 2000 },
      );
    });

    it("writes the right hash when the output overlaps an input in one flat array", () => {
      fc.assert(
        fc.property(word, word, (a, b) => {
          const flat = new Uint8Array(64);
          flat.set(a, 0);
          flat.set(b, 32);
          hashPairInto(flat, 0, flat, 32, flat, 0);
          return bytesToHex(flat.subarray(0, 32)) === bytesToHex(sortedPairHash(a, b));
        }),
        { numRuns: 500 },
      );
    });

    it("flips the hash when one bit of an input flips (law: a corrupted input never collides)", () => {
      fc.assert(
        fc.property(word, word, fc.integer({ min: 0, max: 255 }), (a, b, bit) => {
          const out = new Uint8Array(32);
          const flipped = new Uint8Array(32);
          const c = a.slice();
          c[bit >> 3] ^= 1 << (bit & 7);
          hashPairInto(a, 0, b, 0, out, 0);
          hashPairInto(c, 0, b, 0, flipped, 0);
          return bytesToHex(out) !== bytesToHex(flipped);
        }),
        { numRuns: 500 },
      );
    });
  });

  describe("makeTree", () => {
    it("builds the same root as OpenZeppelin's SimpleMerkleTree when hash-wasm is the backend", () => {
      fc.assert(
        fc.property(fc.uniqueArray(word.map((w) => bytesToHex(w)), { minLength: 1, maxLength: 70 }), (leaves: Hex[]) => {
          let m = 1;
          while (m < leaves.length) m *= 2;
          const padded = [...Array.from({ length: m - leaves.length }, () => `0x${"00".repeat(32)}`), ...leaves.slice().sort()];
          return treeRoot(makeTree(leaves)) === SimpleMerkleTree.of(padded).root;
        }),
        { numRuns: 100 },
      );
    });
  });
});
