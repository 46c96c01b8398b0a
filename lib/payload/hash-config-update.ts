import { bytesToHex, checkUint, normalizeBytes32, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256 } from "../keccak";
import { checkContext, CONFIG_UPDATE_TYPEHASH, domainSeparator, typedDataDigest } from "./domain";
import type { ConfigUpdatePayload, PayloadContext } from "./types";

/**
 * EIP-712 `hashStruct(ConfigUpdate(root, threshold, checkpoint))`.
 *
 * @example
 * configUpdateStructHash({ root: next.root, threshold: next.threshold, checkpoint: next.checkpoint })
 */
export function configUpdateStructHash(payload: ConfigUpdatePayload): Hex {
  const words = new Uint8Array(128);
  writeHex(words, 0, CONFIG_UPDATE_TYPEHASH);
  writeHex(words, 32, normalizeBytes32(payload.root, "root"));
  writeUint256(words, 64, checkUint(payload.threshold, "threshold"));
  writeUint256(words, 96, checkUint(payload.checkpoint, "checkpoint"));
  return bytesToHex(keccak256(words));
}

/**
 * EIP-712 digest of a configuration update. `chainId` 0 makes one signature valid on every chain.
 *
 * @example
 * const digest = hashConfigUpdate({ root: next.root, threshold: next.threshold, checkpoint: next.checkpoint }, { wallet, chainId: 0n });
 */
export function hashConfigUpdate(payload: ConfigUpdatePayload, context: PayloadContext): Hex {
  checkContext(context, true);
  return typedDataDigest(domainSeparator(context), configUpdateStructHash(payload));
}
