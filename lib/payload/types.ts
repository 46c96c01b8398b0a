/**
 * Payload types signed by a wallet's signers (lib/payload/ENCODING.md).
 */
import type { Hex } from "../hex";

/** What the wallet does when a call fails: 0 revert the batch, 1 ignore it, 2 stop here keeping what ran. */
export type OnFailure = "revert" | "ignore" | "abort";

/** One call of a batch. `gasLimit` 0 means all remaining gas; a delegate call carries value 0. */
export interface Call {
  target: Hex | string;
  value: bigint;
  data: Hex | string;
  gasLimit: bigint;
  delegateCall: boolean;
  onFailure: OnFailure;
}

/** A call where everything but the target may be left out (value 0, data 0x, gas 0, plain call, revert). */
export type CallInput = Pick<Call, "target"> & Partial<Omit<Call, "target">>;

/** A batch of calls under the two-dimensional nonce (`space`, `nonce`). */
export interface CallsPayload {
  calls: readonly CallInput[];
  space: bigint;
  nonce: bigint;
}

/** A configuration update: the new root, threshold and checkpoint. */
export interface ConfigUpdatePayload {
  root: Hex | string;
  threshold: bigint;
  checkpoint: bigint;
}

/** A signed upgrade: the new implementation and the wallet's upgrade counter (`nonces(2^160)`). */
export interface UpgradePayload {
  implementation: Hex | string;
  nonce: bigint;
}

/** Where a payload is valid: the wallet and the chain (0 = every chain, `ConfigUpdate` only). */
export interface PayloadContext {
  wallet: Hex | string;
  /** A number (viem's `chain.id`) or a bigint (ethers' `network.chainId`). */
  chainId: number | bigint;
}

/** EIP-712 typed data as ethers' `signTypedData(domain, types, message)` and viem take it. */
export interface TypedData {
  domain: { name: string; version: string; chainId: bigint; verifyingContract: Hex };
  types: Record<string, { name: string; type: string }[]>;
  primaryType: string;
  message: Record<string, unknown>;
}
