import type { Hex } from "../hex";
import { callsStructHash } from "./calls";
import { checkContext, domainSeparator, typedDataDigest } from "./domain";
import type { CallsPayload, PayloadContext } from "./types";

/**
 * EIP-712 digest of a batch of calls for a wallet on one chain (chain id 0 is refused).
 *
 * @example
 * const digest = hashCalls({ calls: [{ target: token, data }], space: 0n, nonce: 3n }, { wallet, chainId: 1n });
 */
export function hashCalls(payload: CallsPayload, context: PayloadContext): Hex {
  checkContext(context, false);
  return typedDataDigest(domainSeparator(context), callsStructHash(payload));
}
