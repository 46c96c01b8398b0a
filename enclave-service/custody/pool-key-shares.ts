import { createHash, timingSafeEqual } from "node:crypto";
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
 * A commitment to a pool key, stored beside its shares: SHA-256 over a version tag, the key id, the
 * generation and the key. Shamir recombination never fails by itself (wrong shares give a wrong key
 * silently), so this is what tells the enclave it rebuilt the right key. Reveals nothing about a
 * 256-bit random key. It is not what makes a key genuine: anyone can commit to a key of their own.
 * Genuineness comes from the key holders, whose held shares bind this check in their associated
 * data (custody/held-share.ts), and who only seal shares for an attested enclave.
 */
export function poolKeyCheck(key: Uint8Array, keyId: string, generation: number): Uint8Array {
  const hash = createHash("sha256");
  for (const part of [Buffer.from("arbor.pool-key.check.v2", "utf8"), Buffer.from(keyId, "utf8"), Buffer.from(String(generation), "utf8"), Buffer.from(key)]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    hash.update(len).update(part);
  }
  return new Uint8Array(hash.digest());
}

/**
 * Rebuilds a pool key from at least two shares and checks it against its commitment.
 *
 * @throws CustodyError `pool-key-check-failed` when the shares do not rebuild the committed key.
 */
export async function combinePoolKey(shares: Uint8Array[], keyId: string, generation: number, keyCheck: Uint8Array): Promise<Uint8Array> {
  if (shares.length < SHARE_THRESHOLD) {
    throw new CustodyError("custody-unavailable", `need ${SHARE_THRESHOLD} shares, have ${shares.length}`, { keyId });
  }
  let key: Uint8Array;
  try {
    key = await combine(shares);
  } catch (cause) {
    throw new CustodyError("pool-key-check-failed", `shares of ${keyId} do not combine`, { keyId }, cause);
  }
  const check = poolKeyCheck(key, keyId, generation);
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
