/**
 * The `Calls` payload: validation and EIP-712 struct hashing (lib/payload/ENCODING.md, "Types").
 *
 *     hashStruct(Call)  = keccak256(abi.encode(CALL_TYPEHASH, target, value, keccak256(data), gasLimit, delegateCall, onFailure))
 *     hashStruct(Calls) = keccak256(abi.encode(CALLS_TYPEHASH, keccak256(hashStruct(call_0) ‖ ...), space, nonce))
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256 } from "../keccak";
import { CALL_TYPEHASH, CALLS_TYPEHASH } from "./domain";
import type { Call, CallsPayload, OnFailure } from "./types";

/** `Call.onFailure` as the uint8 the contract reads. */
export const ON_FAILURE_CODES: Readonly<Record<OnFailure, number>> = { revert: 0, ignore: 1, abort: 2 };

/** A checked call: checksummed target, lowercase data. */
export interface NormalizedCall extends Call {
  target: Hex;
  data: Hex;
}

/**
 * Fills the defaults of a call and checks every field; errors name the field under `field`.
 *
 * @example
 * normalizeCall({ target: token, data: transferData }, "calls[0]")
 * // { target, value: 0n, data, gasLimit: 0n, delegateCall: false, onFailure: "revert" }
 */
export function normalizeCall(call: unknown, field: string): NormalizedCall {
  if (typeof call !== "object" || call === null) throw new InvalidArgumentError("INVALID_CALL", field, "expected an object");
  const c = call as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!["target", "value", "data", "gasLimit", "delegateCall", "onFailure"].includes(key)) {
      throw new InvalidArgumentError("UNKNOWN_FIELD", `${field}.${key}`, "not a field of Call");
    }
  }
  const target = normalizeAddress(c.target, `${field}.target`);
  const value = checkUint(c.value ?? 0n, `${field}.value`);
  const data = bytesToHex(hexToBytes(c.data ?? "0x", `${field}.data`));
  const gasLimit = checkUint(c.gasLimit ?? 0n, `${field}.gasLimit`);
  const delegateCall = c.delegateCall ?? false;
  if (typeof delegateCall !== "boolean") {
    throw new InvalidArgumentError("INVALID_BOOLEAN", `${field}.delegateCall`, "expected true or false");
  }
  const onFailure = c.onFailure ?? "revert";
  if (typeof onFailure !== "string" || !(onFailure in ON_FAILURE_CODES)) {
    throw new InvalidArgumentError("INVALID_ON_FAILURE", `${field}.onFailure`, 'expected "revert", "ignore" or "abort"', {
      details: { value: onFailure },
    });
  }
  if (delegateCall && value !== 0n) {
    throw new InvalidArgumentError("DELEGATE_CALL_WITH_VALUE", `${field}.value`, "a delegate call must carry value 0", {
      details: { value },
    });
  }
  return { target, value, data, gasLimit, delegateCall, onFailure: onFailure as OnFailure };
}

/**
 * EIP-712 `hashStruct` of one normalized call.
 *
 * @example
 * callStructHash(normalizeCall({ target }, "call"))
 */
export function callStructHash(call: NormalizedCall): Hex {
  const words = new Uint8Array(224);
  writeHex(words, 0, CALL_TYPEHASH);
  writeHex(words, 32 + 12, call.target);
  writeUint256(words, 64, call.value);
  words.set(keccak256(hexToBytes(call.data, "data")), 96);
  writeUint256(words, 128, call.gasLimit);
  words[160 + 31] = call.delegateCall ? 1 : 0;
  words[192 + 31] = ON_FAILURE_CODES[call.onFailure];
  return bytesToHex(keccak256(words));
}

/**
 * Checks a `Calls` payload and returns its normalized calls, space and nonce.
 *
 * @example
 * normalizeCallsPayload({ calls: [{ target }], space: 0n, nonce: 0n })
 */
export function normalizeCallsPayload(payload: CallsPayload): { calls: NormalizedCall[]; space: bigint; nonce: bigint } {
  if (typeof payload !== "object" || payload === null || !Array.isArray(payload.calls)) {
    throw new InvalidArgumentError("INVALID_ARRAY", "calls", "expected {calls: Call[], space, nonce}");
  }
  return {
    calls: payload.calls.map((call, i) => normalizeCall(call, `calls[${i}]`)),
    space: checkUint(payload.space, "space"),
    nonce: checkUint(payload.nonce, "nonce"),
  };
}

/**
 * EIP-712 `hashStruct` of a `Calls` payload.
 *
 * @example
 * callsStructHash({ calls: [{ target, value: 1n }], space: 0n, nonce: 0n })
 */
export function callsStructHash(payload: CallsPayload): Hex {
  const { calls, space, nonce } = normalizeCallsPayload(payload);
  const callHashes = new Uint8Array(32 * calls.length);
  calls.forEach((call, i) => writeHex(callHashes, 32 * i, callStructHash(call)));
  const words = new Uint8Array(128);
  writeHex(words, 0, CALLS_TYPEHASH);
  words.set(keccak256(callHashes), 32);
  writeUint256(words, 64, space);
  writeUint256(words, 96, nonce);
  return bytesToHex(keccak256(words));
}
