import { bytesToHex, checkUint, normalizeAddress, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256 } from "../keccak";
import { checkContext, domainSeparator, typedDataDigest, UPGRADE_TYPEHASH } from "./domain";
import type { PayloadContext, UpgradePayload } from "./types";

/** The nonce space of signed upgrades, 2^160 (`ArborWallet.UPGRADE_NONCE_SPACE`): read it with `nonces(UPGRADE_NONCE_SPACE)`. */
export const UPGRADE_NONCE_SPACE = 1n << 160n;

/**
 * EIP-712 `hashStruct(Upgrade(implementation, nonce))`.
 *
 * @example
 * upgradeStructHash({ implementation, nonce: 0n })
 */
export function upgradeStructHash(payload: UpgradePayload): Hex {
  const words = new Uint8Array(96);
  writeHex(words, 0, UPGRADE_TYPEHASH);
  writeHex(words, 44, normalizeAddress(payload.implementation, "implementation"));
  writeUint256(words, 64, checkUint(payload.nonce, "nonce"));
  return bytesToHex(keccak256(words));
}

/**
 * EIP-712 digest of a signed upgrade (`ArborWallet.upgradeToWithSignature`). `chainId` 0 makes one
 * signature valid on every chain whose wallet is at the same upgrade nonce.
 *
 * @example
 * const nonce = await wallet.nonces(UPGRADE_NONCE_SPACE);
 * const digest = hashUpgrade({ implementation, nonce }, { wallet: address, chainId: 0n });
 */
export function hashUpgrade(payload: UpgradePayload, context: PayloadContext): Hex {
  checkContext(context, true);
  return typedDataDigest(domainSeparator(context), upgradeStructHash(payload));
}
