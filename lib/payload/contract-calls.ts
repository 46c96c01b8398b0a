import { normalizeCall, ON_FAILURE_CODES } from "./calls";
import type { CallInput } from "./types";
import type { Hex } from "../hex";

/** A call as `ArborWallet.execute` takes it in its ABI: `onFailure` as its uint8 code. */
export interface ContractCall {
  target: Hex;
  value: bigint;
  data: Hex;
  gasLimit: bigint;
  delegateCall: boolean;
  onFailure: number;
}

/**
 * Checks and fills the defaults of every call, and shapes them for the contract's ABI, so what
 * is sent is exactly what `hashCalls` hashed.
 *
 * @example
 * await wallet.execute(toContractCalls(calls), space, nonce, signature);
 */
export function toContractCalls(calls: readonly CallInput[]): ContractCall[] {
  return calls.map((call, i) => {
    const c = normalizeCall(call, `calls[${i}]`);
    return { ...c, onFailure: ON_FAILURE_CODES[c.onFailure] };
  });
}
