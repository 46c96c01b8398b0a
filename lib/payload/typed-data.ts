/**
 * The payloads as EIP-712 typed data, for wallets that sign typed data themselves (ethers'
 * `signer.signTypedData(domain, types, message)`, viem, `eth_signTypedData_v4` after adding the
 * `EIP712Domain` type). Signing these gives a signature over exactly the digest of
 * hashCalls / hashConfigUpdate / hashMessage.
 */
import { checkUint, normalizeBytes32, type Hex } from "../hex";
import { ON_FAILURE_CODES, normalizeCallsPayload } from "./calls";
import { checkContext, DOMAIN_NAME, DOMAIN_VERSION } from "./domain";
import type { CallsPayload, ConfigUpdatePayload, PayloadContext, TypedData } from "./types";

/** The `types` of every payload (without `EIP712Domain`, as ethers and viem expect). */
export const PAYLOAD_TYPES = {
  Call: [
    { name: "target", type: "address" },
    { name: "value", type: "uint256" },
    { name: "data", type: "bytes" },
    { name: "gasLimit", type: "uint256" },
    { name: "delegateCall", type: "bool" },
    { name: "onFailure", type: "uint8" },
  ],
  Calls: [
    { name: "calls", type: "Call[]" },
    { name: "space", type: "uint256" },
    { name: "nonce", type: "uint256" },
  ],
  ConfigUpdate: [
    { name: "root", type: "bytes32" },
    { name: "threshold", type: "uint256" },
    { name: "checkpoint", type: "uint256" },
  ],
  Message: [{ name: "hash", type: "bytes32" }],
} as const;

/** The `EIP712Domain` type, for `eth_signTypedData_v4` requests that must list it. */
export const EIP712_DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
] as const;

function domain(context: PayloadContext, allowChainIdZero: boolean): TypedData["domain"] {
  const { wallet, chainId } = checkContext(context, allowChainIdZero);
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: wallet };
}

function types(...names: (keyof typeof PAYLOAD_TYPES)[]): TypedData["types"] {
  return Object.fromEntries(names.map((n) => [n, PAYLOAD_TYPES[n].map((f) => ({ ...f }))]));
}

/**
 * Typed data of a `Calls` payload.
 *
 * @example
 * const { domain, types, message } = typedDataCalls(payload, { wallet, chainId: 1n });
 * const sig = await ethersWallet.signTypedData(domain, types, message);
 */
export function typedDataCalls(payload: CallsPayload, context: PayloadContext): TypedData {
  const { calls, space, nonce } = normalizeCallsPayload(payload);
  return {
    domain: domain(context, false),
    types: types("Calls", "Call"),
    primaryType: "Calls",
    message: {
      calls: calls.map((c) => ({
        target: c.target,
        value: c.value,
        data: c.data,
        gasLimit: c.gasLimit,
        delegateCall: c.delegateCall,
        onFailure: ON_FAILURE_CODES[c.onFailure],
      })),
      space,
      nonce,
    },
  };
}

/**
 * Typed data of a `ConfigUpdate` payload (chain id 0 allowed).
 *
 * @example
 * typedDataConfigUpdate({ root, threshold: 2n, checkpoint: 5n }, { wallet, chainId: 0n })
 */
export function typedDataConfigUpdate(payload: ConfigUpdatePayload, context: PayloadContext): TypedData {
  return {
    domain: domain(context, true),
    types: types("ConfigUpdate"),
    primaryType: "ConfigUpdate",
    message: {
      root: normalizeBytes32(payload.root, "root"),
      threshold: checkUint(payload.threshold, "threshold"),
      checkpoint: checkUint(payload.checkpoint, "checkpoint"),
    },
  };
}

/**
 * Typed data of a `Message(hash)` payload.
 *
 * @example
 * typedDataMessage(hash, { wallet, chainId: 1n })
 */
export function typedDataMessage(hash: Hex | string, context: PayloadContext): TypedData {
  return {
    domain: domain(context, false),
    types: types("Message"),
    primaryType: "Message",
    message: { hash: normalizeBytes32(hash, "hash") },
  };
}
