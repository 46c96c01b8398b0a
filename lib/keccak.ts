/**
 * keccak256. Two implementations, neither written here:
 *
 * - @noble/hashes (audited, pure JS): every hash the library computes, and the fallback for tree
 *   building;
 * - hash-wasm (keccak compiled to WebAssembly): the sorted-pair hash of tree building
 *   ({@link hashPairInto}), about 6x faster per 64-byte pair than noble (bench/library.ts), once its
 *   WebAssembly module has loaded. It loads asynchronously at import; until then, or if it fails
 *   to load, or if it disagrees with noble on the self-test below, noble is used.
 *   `await keccakReady()` waits for the load and says which one tree building uses.
 *
 * The tests check both on random inputs (test/lib/keccak.test.ts).
 */
import { createKeccak, type IHasher } from "hash-wasm";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, compareWords, type Hex } from "./hex";

/**
 * keccak256 of some bytes.
 *
 * @example
 * bytesToHex(keccak256(new TextEncoder().encode("arbor.image-hash")))
 */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/**
 * keccak256 of a UTF-8 string, as 0x hex: how every domain tag in the specs is derived.
 *
 * @example
 * keccak256Utf8("arbor.leaf.ecdsa-signer") // the ecdsa-signer tag
 */
export function keccak256Utf8(text: string): Hex {
  return bytesToHex(keccak_256(new TextEncoder().encode(text)));
}

/** Which keccak tree building uses. */
export type KeccakBackend = "hash-wasm" | "noble";

let wasm: IHasher | undefined;

const loading: Promise<KeccakBackend> = createKeccak(256).then(
  (hasher) => {
    // Self-test against noble on a fixed 64-byte pair before trusting the module.
    const probe = Uint8Array.from({ length: 64 }, (_, i) => (i * 151 + 7) & 0xff);
    const got = hasher.init().update(probe).digest("binary");
    const want = keccak_256(probe);
    if (got.length !== 32 || got.some((b, i) => b !== want[i])) return "noble";
    wasm = hasher;
    return "hash-wasm";
  },
  // No WebAssembly (some sandboxes): noble only.
  (): KeccakBackend => "noble",
);

/**
 * Waits until the WebAssembly keccak has loaded (or failed to) and returns the backend tree
 * building uses from then on. Never needed for correctness: both give the same hashes.
 *
 * @example
 * await keccakReady(); // "hash-wasm"
 */
export function keccakReady(): Promise<KeccakBackend> {
  return loading;
}

/** The backend tree building uses right now. */
export function keccakBackend(): KeccakBackend {
  return wasm === undefined ? "noble" : "hash-wasm";
}

/**
 * noble only, never the WebAssembly module: what the tests compare hash-wasm against.
 * @internal
 */
export function hashPairIntoNoble(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  out: Uint8Array,
  outOffset: number,
): void {
  fillPair(a, aOffset, b, bOffset);
  // Reset WORK to the empty sponge instead of allocating a new one; noble's own HMAC does the same.
  EMPTY._cloneInto(WORK);
  WORK.update(PAIR);
  WORK.digestInto(DIGEST);
  out.set(DIGEST, outOffset);
}

function fillPair(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): void {
  if (compareWords(a, aOffset, b, bOffset) <= 0) {
    PAIR.set(a.subarray(aOffset, aOffset + 32), 0);
    PAIR.set(b.subarray(bOffset, bOffset + 32), 32);
  } else {
    PAIR.set(b.subarray(bOffset, bOffset + 32), 0);
    PAIR.set(a.subarray(aOffset, aOffset + 32), 32);
  }
}

const EMPTY = keccak_256.create();
const WORK = keccak_256.create();
const PAIR = new Uint8Array(64);
const DIGEST = new Uint8Array(32);

/**
 * Writes the sorted-pair hash `keccak256(min(a, b) ‖ max(a, b))` of two 32-byte words into `out`
 * at `outOffset` (OpenZeppelin `Hashes.commutativeKeccak256`). Inputs and output may live in the
 * same flat array; the output may overlap an input.
 */
export function hashPairInto(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset: number,
  out: Uint8Array,
  outOffset: number,
): void {
  if (wasm === undefined) {
    hashPairIntoNoble(a, aOffset, b, bOffset, out, outOffset);
    return;
  }
  fillPair(a, aOffset, b, bOffset);
  out.set(wasm.init().update(PAIR).digest("binary"), outOffset);
}
