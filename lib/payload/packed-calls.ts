/**
 * The packed `Calls` payload `ArborWallet.execute(bytes payload, bytes signature)` takes
 * (lib/payload/ENCODING.md, "Packed calls"): no ABI padding, one flags byte per call.
 *
 *     payload := space:uint160 nonce:uint96 call*
 *     call    := flags:uint8 target:address [value:uint256] [gasLimit:uint64] dataLength:uint24 data
 *     flags   := bit 0 has value, bit 1 has gas limit, bit 2 delegate call, bits 3-4 onFailure, bits 5-7 zero
 *
 * The EIP-712 digest is still `hashCalls` of the decoded calls (what owners sign and see).
 */
import { InvalidArgumentError, PayloadError } from "../errors";
import { bytesToHex, hexToBytes, normalizeAddress, readUint256, writeHex, writeUint256, type Hex } from "../hex";
import { normalizeCall, normalizeCallsPayload, ON_FAILURE_CODES, type NormalizedCall } from "./calls";
import type { CallsPayload, OnFailure } from "./types";

/** Largest space (uint160) and nonce (uint96) a packed payload carries. */
export const MAX_PACKED_SPACE = (1n << 160n) - 1n;
export const MAX_PACKED_NONCE = (1n << 96n) - 1n;
/** Largest gas limit (uint64) and data length (uint24) of a packed call. */
export const MAX_PACKED_GAS_LIMIT = (1n << 64n) - 1n;
export const MAX_PACKED_DATA_LENGTH = (1 << 24) - 1;

export const CALL_HAS_VALUE = 0x01;
export const CALL_HAS_GAS_LIMIT = 0x02;
export const CALL_DELEGATE = 0x04;
const ON_FAILURE_NAMES: readonly OnFailure[] = ["revert", "ignore", "abort"];

/**
 * Packs calls without the `space`/`nonce` head: the call list alone (`call*`).
 *
 * Throws {@link InvalidArgumentError} for what `normalizeCall` refuses and for a gas limit above
 * 2^64 - 1 (`GAS_LIMIT_TOO_LARGE`) or data longer than 2^24 - 1 bytes (`CALL_DATA_TOO_LONG`).
 *
 * @example
 * encodePackedCalls([{ target: token, data: transferData }])
 */
export function encodePackedCalls(calls: readonly unknown[]): Hex {
  if (!Array.isArray(calls)) throw new InvalidArgumentError("INVALID_ARRAY", "calls", "expected an array of calls");
  const chunks: Uint8Array[] = calls.map((input, i) => packCall(normalizeCall(input, `calls[${i}]`), `calls[${i}]`));
  return bytesToHex(Buffer.concat(chunks));
}

function packCall(call: NormalizedCall, field: string): Uint8Array {
  if (call.gasLimit > MAX_PACKED_GAS_LIMIT) {
    throw new InvalidArgumentError("GAS_LIMIT_TOO_LARGE", `${field}.gasLimit`, "a packed call's gas limit is a uint64", { details: { gasLimit: call.gasLimit } });
  }
  const data = hexToBytes(call.data, `${field}.data`);
  if (data.length > MAX_PACKED_DATA_LENGTH) {
    throw new InvalidArgumentError("CALL_DATA_TOO_LONG", `${field}.data`, "at most 2^24 - 1 bytes", { details: { length: data.length } });
  }
  const hasValue = call.value !== 0n;
  const hasGas = call.gasLimit !== 0n;
  const out = new Uint8Array(24 + (hasValue ? 32 : 0) + (hasGas ? 8 : 0) + data.length);
  out[0] = (hasValue ? CALL_HAS_VALUE : 0) | (hasGas ? CALL_HAS_GAS_LIMIT : 0) | (call.delegateCall ? CALL_DELEGATE : 0) | (ON_FAILURE_CODES[call.onFailure] << 3);
  writeHex(out, 1, call.target);
  let at = 21;
  if (hasValue) {
    writeUint256(out, at, call.value);
    at += 32;
  }
  if (hasGas) {
    for (let i = 7; i >= 0; i--) out[at + 7 - i] = Number((call.gasLimit >> BigInt(8 * i)) & 0xffn);
    at += 8;
  }
  out[at] = data.length >> 16;
  out[at + 1] = (data.length >> 8) & 0xff;
  out[at + 2] = data.length & 0xff;
  out.set(data, at + 3);
  return out;
}

/**
 * Encodes a `Calls` payload for `ArborWallet.execute`: `space:uint160 nonce:uint96` then the
 * packed calls. Throws {@link InvalidArgumentError}: `SPACE_TOO_LARGE`, `NONCE_TOO_LARGE`, and
 * those of {@link encodePackedCalls}.
 *
 * @example
 * await wallet.execute(encodeCallsPayload({ calls, space: 0n, nonce }), signature);
 */
export function encodeCallsPayload(payload: CallsPayload): Hex {
  const { calls, space, nonce } = normalizeCallsPayload(payload);
  if (space > MAX_PACKED_SPACE) throw new InvalidArgumentError("SPACE_TOO_LARGE", "space", "a packed payload's space is a uint160", { details: { space } });
  if (nonce > MAX_PACKED_NONCE) throw new InvalidArgumentError("NONCE_TOO_LARGE", "nonce", "a packed payload's nonce is a uint96", { details: { nonce } });
  const head = new Uint8Array(32);
  writeUint256(head, 0, (space << 96n) | nonce);
  return bytesToHex(Buffer.concat([head, hexToBytes(encodePackedCalls(calls), "calls")]));
}

/**
 * Decodes a packed payload strictly, in the order of the spec and of the contract's
 * `PayloadHashes.hashPackedCalls`, throwing {@link PayloadError} with the contract's error name:
 * `PayloadTruncated(needed, length)`, `UnknownCallFlags(index, flags)`,
 * `UnknownFailureMode(index, onFailure)`, `DelegateCallWithValue(index)`, `NonCanonicalCall(index)`.
 *
 * @example
 * const { calls, space, nonce } = decodeCallsPayload(payloadHex);
 */
export function decodeCallsPayload(payload: Hex | string | Uint8Array): { calls: NormalizedCall[]; space: bigint; nonce: bigint } {
  const bytes = payload instanceof Uint8Array ? payload : hexToBytes(payload, "payload");
  const length = bytes.length;
  const truncated = (needed: number) => new PayloadError("PayloadTruncated", [BigInt(needed), BigInt(length)], `a field ends at byte ${needed}`);
  if (length < 32) throw truncated(32);
  const head = readUint256(bytes, 0);
  const calls: NormalizedCall[] = [];
  let cursor = 32;
  while (cursor < length) {
    const index = BigInt(calls.length);
    const flags = bytes[cursor];
    if ((flags & 0xe0) !== 0) throw new PayloadError("UnknownCallFlags", [index, BigInt(flags)], "bits 5-7 of a call's flags must be zero");
    const onFailure = (flags >> 3) & 3;
    if (onFailure === 3) throw new PayloadError("UnknownFailureMode", [index, 3n], "onFailure is 0, 1 or 2");
    const hasValue = (flags & CALL_HAS_VALUE) !== 0;
    const hasGas = (flags & CALL_HAS_GAS_LIMIT) !== 0;
    const delegateCall = (flags & CALL_DELEGATE) !== 0;
    if (delegateCall && hasValue) throw new PayloadError("DelegateCallWithValue", [index], "a delegate call carries no value");
    const headerEnd = cursor + 24 + (hasValue ? 32 : 0) + (hasGas ? 8 : 0);
    if (headerEnd > length) throw truncated(headerEnd);
    const target = normalizeAddress(bytesToHex(bytes, cursor + 1, 20), "target");
    let at = cursor + 21;
    let value = 0n;
    if (hasValue) {
      value = readUint256(bytes, at);
      at += 32;
    }
    let gasLimit = 0n;
    if (hasGas) {
      for (let i = 0; i < 8; i++) gasLimit = (gasLimit << 8n) | BigInt(bytes[at + i]);
      at += 8;
    }
    if ((hasValue && value === 0n) || (hasGas && gasLimit === 0n)) {
      throw new PayloadError("NonCanonicalCall", [index], "a flagged value or gas limit must not be zero: leave it out");
    }
    const dataLength = (bytes[at] << 16) | (bytes[at + 1] << 8) | bytes[at + 2];
    const dataEnd = headerEnd + dataLength;
    if (dataEnd > length) throw truncated(dataEnd);
    calls.push({ target, value, data: bytesToHex(bytes, at + 3, dataLength), gasLimit, delegateCall, onFailure: ON_FAILURE_NAMES[onFailure] });
    cursor = dataEnd;
  }
  return { calls, space: head >> 96n, nonce: head & MAX_PACKED_NONCE };
}

