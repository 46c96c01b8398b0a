import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from "node:crypto";
import { CustodyError } from "./custody-error";

/**
 * Sealed boxes to an X25519 public key, built only from node:crypto primitives (X25519, HKDF-SHA256,
 * AES-256-GCM) in the ECIES pattern HPKE standardises (RFC 9180 base mode, without its framing):
 *
 *     box = 0x01 ‖ ephemeralPublic (32) ‖ iv (12) ‖ ciphertext ‖ tag (16)
 *     key = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = ephemeralPublic ‖ recipientPublic, info)
 *
 * `info` separates uses (wrapping a share for a key holder vs. releasing it to an enclave) and
 * `aad` binds the box to what it is for (which pool key, which share), so a box cannot be
 * replayed as another.
 */

const VERSION = 0x01;

/** A fresh X25519 key pair; the public key as 32 raw bytes. */
export function generateX25519KeyPair(): { privateKey: KeyObject; publicKey: Uint8Array } {
  const { privateKey, publicKey } = generateKeyPairSync("x25519");
  return { privateKey, publicKey: rawX25519PublicKey(publicKey) };
}

/** The 32 raw bytes of an X25519 public key. */
export function rawX25519PublicKey(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

/** X25519 private key from its 32 raw bytes (as stored in a key holder's data directory). */
export function x25519PrivateKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new RangeError("X25519 private key must be 32 bytes");
  // PKCS#8 wrapping of a raw X25519 key (RFC 8410 section 7): fixed 16-byte prefix, then the key.
  const der = Buffer.concat([Buffer.from("302e020100300506032b656e04220420", "hex"), raw]);
  return createPrivateKey({ key: der, format: "der", type: "pkcs8" });
}

/** The 32 raw bytes of an X25519 private key. */
export function rawX25519PrivateKey(key: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(key.export({ format: "jwk" }).d as string, "base64url"));
}

function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new CustodyError("invalid-wrapped-key", `X25519 public key must be 32 bytes, got ${raw.length}`);
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(raw).toString("base64url") }, format: "jwk" });
}

function deriveKey(shared: Buffer, ephemeralPublic: Uint8Array, recipientPublic: Uint8Array, info: string): Buffer {
  const salt = Buffer.concat([ephemeralPublic, recipientPublic]);
  return Buffer.from(hkdfSync("sha256", shared, salt, Buffer.from(info, "utf8"), 32));
}

/**
 * Encrypts `plaintext` so that only the holder of `recipientPublic`'s private key can read it.
 *
 * @example
 * const box = sealToPublicKey(holderPublicKey, share, "arbor.keyholder.wrap.v1", aad);
 */
export function sealToPublicKey(recipientPublic: Uint8Array, plaintext: Uint8Array, info: string, aad: Uint8Array): Uint8Array {
  const recipient = publicKeyFromRaw(recipientPublic);
  const ephemeral = generateKeyPairSync("x25519");
  const ephemeralPublic = rawX25519PublicKey(ephemeral.publicKey);
  const key = deriveKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipient }), ephemeralPublic, recipientPublic, info);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([Buffer.from([VERSION]), ephemeralPublic, iv, body, cipher.getAuthTag()]));
}

/**
 * Opens a box made by {@link sealToPublicKey} for `recipient`.
 *
 * @throws CustodyError `invalid-wrapped-key` when the box is malformed, altered, or for someone else.
 */
export function openWithPrivateKey(recipient: KeyObject, box: Uint8Array, info: string, aad: Uint8Array): Uint8Array {
  if (box.length < 1 + 32 + 12 + 16 || box[0] !== VERSION) {
    throw new CustodyError("invalid-wrapped-key", "sealed box is malformed (version or length)", { length: box.length });
  }
  const buf = Buffer.from(box.buffer, box.byteOffset, box.byteLength);
  const ephemeralPublic = buf.subarray(1, 33);
  const recipientPublic = rawX25519PublicKey(createPublicKey(recipient));
  try {
    const shared = diffieHellman({ privateKey: recipient, publicKey: publicKeyFromRaw(ephemeralPublic) });
    const key = deriveKey(shared, ephemeralPublic, recipientPublic, info);
    const decipher = createDecipheriv("aes-256-gcm", key, buf.subarray(33, 45));
    decipher.setAAD(aad);
    decipher.setAuthTag(buf.subarray(buf.length - 16));
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(45, buf.length - 16)), decipher.final()]));
  } catch (cause) {
    if (cause instanceof CustodyError) throw cause;
    throw new CustodyError("invalid-wrapped-key", "sealed box does not open: altered, or sealed for another key or purpose", {}, cause);
  }
}
