import { createHmac, timingSafeEqual } from "node:crypto";
import { combine, split } from "shamir-secret-sharing";
import { CustodyError } from "./custody-error";

/** Three key holders, any two of which rebuild a pool key (2-of-3). */
export const SHARE_COUNT = 3;
export const SHARE_THRESHOLD = 2;

/**
 * Splits a 32-byte pool key into three Shamir shares (shamir-secret-sharing, audited), any two of
 * which rebuild it. Share `i` (0-based) goes to key holder `i + 1`.
 *
 * @example
 * const [s1, s2, s3] = await splitPoolKey(key);
 */
export async function splitPoolKey(key: Uint8Array): Promise<Uint8Array[]> {
  if (key.length !== 32) throw new RangeError("pool key must be 32 bytes");
  return split(key, SHARE_COUNT, SHARE_THRESHOLD);
}

/**
 * A commitment to a pool key, stored beside its shares: HMAC-SHA256 keyed by the pool key over its
 * id. Shamir recombination never fails by itself (wrong shares give a wrong key silently), so this
 * is what tells the enclave it rebuilt the right key. Reveals nothing about a 256-bit random key.
 */
export function poolKeyCheck(key: Uint8Array, keyId: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(`arbor.pool-key.check.v1\0${keyId}`).digest());
}

/**
 * Rebuilds a pool key from at least two shares and checks it against its commitment.
 *
 * @throws CustodyError `pool-key-check-failed` when the shares do not rebuild the committed key.
 */
export async function combinePoolKey(shares: Uint8Array[], keyId: string, keyCheck: Uint8Array): Promise<Uint8Array> {
  if (shares.length < SHARE_THRESHOLD) {
    throw new CustodyError("custody-unavailable", `need ${SHARE_THRESHOLD} shares, have ${shares.length}`, { keyId });
  }
  let key: Uint8Array;
  try {
    key = await combine(shares);
  } catch (cause) {
    throw new CustodyError("pool-key-check-failed", `shares of ${keyId} do not combine`, { keyId }, cause);
  }
  const check = poolKeyCheck(key, keyId);
  if (check.length !== keyCheck.length || !timingSafeEqual(check, keyCheck)) {
    throw new CustodyError("pool-key-check-failed", `shares of ${keyId} rebuild a key that does not match its commitment`, { keyId });
  }
  return key;
}

/** Associated data of a wrapped share: which pool key, which share. A share cannot pose as another. */
export function shareAad(keyId: string, shareIndex: number): Uint8Array {
  return new Uint8Array(Buffer.from(`arbor.keyholder.share.v1\0${keyId}\0${shareIndex}`, "utf8"));
}

/** HKDF info strings for the two sealed-box uses. */
export const WRAP_INFO = "arbor.keyholder.wrap.v1";
export const RELEASE_INFO = "arbor.keyholder.release.v1";
