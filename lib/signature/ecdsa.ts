/**
 * ECDSA recovery with exactly the acceptance rules of OpenZeppelin `ECDSA.tryRecover` on top of
 * the EVM `ecrecover` precompile, using @noble/curves' secp256k1 (audited).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { getAddress } from "ethers";
import { bytesToHex, hexToBytes, type Hex } from "../hex";
import { keccak256 } from "../keccak";

/** secp256k1 group order n. */
const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
/**
 * OpenZeppelin's bound `0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0` = (n - 1) / 2:
 * an s above it is the malleable twin of a valid signature, refused.
 */
export const SECP256K1_HALF_N = (N - 1n) / 2n;
const TOP_BIT = 1n << 255n;

/**
 * The address that signed `digest` with (v, r, s), or undefined where `ECDSA.tryRecover` returns
 * an error: s above n/2, or `ecrecover` giving address 0 (v not 27/28, r or s zero or not below
 * n, r not the x of a curve point).
 *
 * @example
 * tryRecoverEcdsa(digest, 27, r, s) // "0xf39F..." or undefined
 */
export function tryRecoverEcdsa(digest: Hex, v: number, r: Hex, s: Hex): Hex | undefined {
  const rr = BigInt(r);
  const ss = BigInt(s);
  if (ss > SECP256K1_HALF_N) return undefined;
  if (v !== 27 && v !== 28) return undefined;
  if (rr === 0n || rr >= N || ss === 0n || ss >= N) return undefined;
  try {
    const signature = new secp256k1.Signature(rr, ss, v - 27);
    const point = signature.recoverPublicKey(hexToBytes(digest, "digest"));
    const publicKey = point.toBytes(false);
    return getAddress(bytesToHex(keccak256(publicKey.subarray(1)), 12, 20)) as Hex;
  } catch {
    return undefined;
  }
}

/**
 * Recovery from an EIP-2098 compact signature (`ECDSA.tryRecover(hash, r, vs)`).
 *
 * @example
 * tryRecoverEcdsaCompact(digest, r, yParityAndS)
 */
export function tryRecoverEcdsaCompact(digest: Hex, r: Hex, yParityAndS: Hex): Hex | undefined {
  const vs = BigInt(yParityAndS);
  const s = vs & (TOP_BIT - 1n);
  const v = Number(vs >> 255n) + 27;
  return tryRecoverEcdsa(digest, v, r, `0x${s.toString(16).padStart(64, "0")}`);
}

/** Splits a 65-byte `r ‖ s ‖ v` signature. */
export function splitSignature(signature: Uint8Array): { r: Hex; s: Hex; v: number } {
  return { r: bytesToHex(signature, 0, 32), s: bytesToHex(signature, 32, 32), v: signature[64] };
}

/** EIP-2098 `yParityAndS` from s and v (27/28). */
export function toYParityAndS(s: Hex, v: number): Hex {
  const vs = BigInt(s) | (v === 28 ? TOP_BIT : 0n);
  return `0x${vs.toString(16).padStart(64, "0")}`;
}

/** The low-s twin of a signature (s' = n - s, parity flipped), as OpenZeppelin requires. */
export function toLowS(sig: { r: Hex; s: Hex; v: number }): { r: Hex; s: Hex; v: number } {
  const s = BigInt(sig.s);
  if (s <= SECP256K1_HALF_N) return sig;
  return { r: sig.r, s: `0x${(N - s).toString(16).padStart(64, "0")}`, v: sig.v === 27 ? 28 : 27 };
}
