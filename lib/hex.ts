/**
 * Small byte/hex/number helpers shared by the library. They check their input once, at the API
 * boundary, and name the offending field in the error (see {@link InvalidArgumentError}).
 */
import { getAddress } from "ethers";
import { InvalidArgumentError } from "./errors";

/** A 0x-prefixed hex string. Library outputs are always lowercase, except checksummed addresses. */
export type Hex = `0x${string}`;

/** 2^256 - 1, the largest uint256. */
export const MAX_UINT256 = (1n << 256n) - 1n;

const HEX_RE = /^0x([0-9a-fA-F]{2})*$/;
const BYTE_TO_HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lowercase 0x hex of some bytes.
 *
 * @example
 * bytesToHex(new Uint8Array([1, 255])) // "0x01ff"
 */
export function bytesToHex(bytes: Uint8Array, offset = 0, length = bytes.length - offset): Hex {
  let out = "0x";
  for (let i = offset; i < offset + length; i++) out += BYTE_TO_HEX[bytes[i]];
  return out as Hex;
}

/**
 * Bytes of a 0x hex string with an even number of digits.
 *
 * @example
 * hexToBytes("0x01ff", "data") // Uint8Array [1, 255]
 */
export function hexToBytes(value: unknown, field: string): Uint8Array {
  if (typeof value !== "string" || !HEX_RE.test(value)) {
    throw new InvalidArgumentError("INVALID_HEX", field, "expected 0x-prefixed hex with an even number of digits", {
      details: { value },
    });
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"));
}

/**
 * Checks that `value` is 32 bytes of 0x hex and returns it in lowercase.
 *
 * @example
 * normalizeBytes32("0x" + "AB".repeat(32), "digest") // "0xabab...ab"
 */
export function normalizeBytes32(value: unknown, field: string): Hex {
  if (typeof value !== "string" || value.length !== 66 || !HEX_RE.test(value)) {
    throw new InvalidArgumentError("INVALID_BYTES32", field, "expected 32 bytes as 0x-prefixed hex (66 characters)", {
      details: { value },
    });
  }
  return value.toLowerCase() as Hex;
}

/**
 * Checks an address (all lowercase, all uppercase, or correctly EIP-55 checksummed) and returns
 * its checksummed form. A mixed-case address with a wrong checksum is rejected: it is a typo.
 *
 * @example
 * normalizeAddress("0x00000000000000000000000000000000000000aa", "signer") // "0x00000000000000000000000000000000000000AA"
 */
export function normalizeAddress(value: unknown, field: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) {
    throw new InvalidArgumentError("INVALID_ADDRESS", field, "expected a 20-byte address as 0x-prefixed hex", {
      details: { value },
    });
  }
  try {
    return getAddress(value) as Hex;
  } catch (cause) {
    throw new InvalidArgumentError("INVALID_ADDRESS_CHECKSUM", field, "mixed-case address with a wrong EIP-55 checksum", {
      details: { value },
      cause,
    });
  }
}

/**
 * Checks that `value` is a bigint in [min, max] (default: any uint256).
 *
 * @example
 * checkUint(5n, "weight", 1n) // 5n
 */
export function checkUint(value: unknown, field: string, min = 0n, max = MAX_UINT256): bigint {
  if (typeof value !== "bigint") {
    throw new InvalidArgumentError("INVALID_INTEGER", field, `expected a bigint, got ${typeof value}`, {
      details: { value },
    });
  }
  if (value < min || value > max) {
    const code = value < min ? "INTEGER_TOO_SMALL" : "INTEGER_TOO_LARGE";
    throw new InvalidArgumentError(code, field, `expected an integer in [${min}, ${max}], got ${value}`, {
      details: { value, min, max },
    });
  }
  return value;
}

/**
 * Parses a JSON decimal string (no sign, no leading zeros, no exponent) into a bigint.
 * JSON numbers are refused: they silently lose precision above 2^53.
 *
 * @example
 * parseDecimal("1000", "threshold") // 1000n
 */
export function parseDecimal(value: unknown, field: string, min = 0n, max = MAX_UINT256): bigint {
  if (typeof value !== "string" || !/^(0|[1-9][0-9]*)$/.test(value)) {
    throw new InvalidArgumentError("INVALID_DECIMAL", field, "expected a decimal integer string such as \"42\"", {
      details: { value },
    });
  }
  return checkUint(BigInt(value), field, min, max);
}

/**
 * Writes `value` as a 32-byte big-endian word at `offset` (the ABI encoding of a uint256).
 * The caller has already checked the range.
 */
export function writeUint256(out: Uint8Array, offset: number, value: bigint): void {
  for (let i = 31; i >= 0; i--) {
    out[offset + i] = Number(value & 0xffn);
    value >>= 8n;
  }
}

/** Reads a 32-byte big-endian word at `offset` as a bigint. */
export function readUint256(bytes: Uint8Array, offset: number): bigint {
  let value = 0n;
  for (let i = 0; i < 32; i += 8) {
    let chunk = 0n;
    for (let j = 0; j < 8; j++) chunk = (chunk << 8n) | BigInt(bytes[offset + i + j]);
    value = (value << 64n) | chunk;
  }
  return value;
}

/** Writes 0x hex (already validated, any case) into `out` at `offset`. */
export function writeHex(out: Uint8Array, offset: number, hex: string): void {
  out.set(Buffer.from(hex.slice(2), "hex"), offset);
}

/**
 * Compares two 32-byte values as big-endian unsigned integers (-1, 0 or 1), reading them from
 * flat arrays so that no BigInt or string is created.
 */
export function compareWords(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): number {
  for (let i = 0; i < 32; i++) {
    const d = a[aOffset + i] - b[bOffset + i];
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** A chain id as viem gives it (`chain.id`, a number) or as ethers gives it (`network.chainId`, a bigint). */
export type ChainId = number | bigint;

/**
 * Checks a chain id given as a number (a safe, non-negative integer) or a bigint and returns it
 * as a bigint in [0, 2^256 - 1]. A fractional or unsafe number is refused rather than rounded.
 *
 * @example
 * checkChainId(8453, "chainId") // 8453n
 */
export function checkChainId(value: unknown, field: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new InvalidArgumentError("INVALID_INTEGER", field, `expected a non-negative safe integer or a bigint, got ${value}`, {
        details: { value },
      });
    }
    return BigInt(value);
  }
  if (typeof value !== "bigint") {
    throw new InvalidArgumentError("INVALID_INTEGER", field, `expected a number or a bigint, got ${typeof value}`, { details: { value } });
  }
  return checkUint(value, field);
}
