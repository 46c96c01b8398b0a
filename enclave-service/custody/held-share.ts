import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { CustodyError } from "./custody-error";

/**
 * Which pool key share a held share is: what a key holder's seal binds (its associated data). A
 * held share moved to another key id, generation, share index or key check no longer opens.
 */
export interface HeldShareContext {
  keyId: string;
  generation: number;
  shareIndex: number;
  /** The pool key's commitment (pool-key-shares.ts `poolKeyCheck`). */
  keyCheck: Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEAL_INFO = "arbor.keyholder.seal.v2";

/**
 * A key holder's symmetric sealing key: HKDF-SHA256 over its X25519 master private key with its own
 * info string. Only the holder can derive it, so only the holder can make a held share: unlike a
 * box sealed to the holder's public key (which anyone, the host included, can make), a held share
 * proves the holder sealed it, and the holder only seals for an attested enclave (`POST /v1/seal`).
 * This is what keeps the host from introducing a pool key of its own (README, "Key custody").
 */
export function holderSealKey(masterPrivateKey: KeyObject): Uint8Array {
  const jwk = masterPrivateKey.export({ format: "jwk" });
  const raw = Buffer.from(jwk.d as string, "base64url");
  const key = new Uint8Array(hkdfSync("sha256", raw, new Uint8Array(0), SEAL_INFO, 32));
  raw.fill(0);
  return key;
}

/** The associated data of a held share: a version tag and the context, each length-prefixed. */
export function heldShareAad(context: HeldShareContext): Buffer {
  const parts = [
    Buffer.from("arbor.keyholder.held.v2", "utf8"),
    Buffer.from(context.keyId, "utf8"),
    Buffer.from(String(context.generation), "utf8"),
    Buffer.from(String(context.shareIndex), "utf8"),
    Buffer.from(context.keyCheck),
  ];
  return Buffer.concat(parts.flatMap((p) => [u32(p.length), p]));
}

/**
 * Seals a share under the holder's sealing key: `iv (12) ‖ ciphertext ‖ tag (16)`, AES-256-GCM.
 *
 * @example
 * const held = sealHeldShare(holderSealKey(master.privateKey), share, { keyId, generation: 1, shareIndex: 2, keyCheck });
 */
export function sealHeldShare(sealKey: Uint8Array, share: Uint8Array, context: HeldShareContext): Uint8Array {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", sealKey, iv);
  cipher.setAAD(heldShareAad(context));
  const body = Buffer.concat([cipher.update(share), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/**
 * Opens a held share.
 *
 * @throws CustodyError `share-not-held` when this holder did not seal these bytes for this context
 *   (forged by someone else, altered, or moved to another key, generation or key check).
 */
export function openHeldShare(sealKey: Uint8Array, held: Uint8Array, context: HeldShareContext): Uint8Array {
  const fail = (cause?: unknown) =>
    new CustodyError("share-not-held", `share ${context.shareIndex} of ${context.keyId} was not sealed by this key holder for this key`, { keyId: context.keyId, shareIndex: context.shareIndex }, cause);
  if (held.length < IV_BYTES + TAG_BYTES) throw fail();
  const buf = Buffer.from(held.buffer, held.byteOffset, held.byteLength);
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealKey, buf.subarray(0, IV_BYTES));
    decipher.setAAD(heldShareAad(context));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]));
  } catch (cause) {
    throw fail(cause);
  }
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
