/**
 * Nonce spaces of session keys (lib/sessions/ENCODING.md, "Nonce spaces"): a batch authorised by
 * session keys must run in the nonce space named after the key that signs its first call,
 *
 *     space = uint256(uint160(sessionKey))
 *
 * so every session key has a nonce counter of its own. A session can then never consume a nonce
 * the owners hold a signed batch for (their spaces are any value that is no session key's address,
 * e.g. 0), nor one another session means to use.
 */
import { normalizeAddress } from "../hex";

/**
 * The nonce space that belongs to session key `key` (an address): `uint256(uint160(key))`.
 * Throws {@link InvalidArgumentError} (`INVALID_ADDRESS`, field `key`) when `key` is not an address.
 *
 * @example
 * const space = sessionNonceSpace(sessionKey.address);
 * const nonce = await wallet.nonces(space);
 * const digest = hashCalls({ calls, space, nonce }, { wallet: walletAddress, chainId });
 */
export function sessionNonceSpace(key: string): bigint {
  return BigInt(normalizeAddress(key, "key"));
}
