import { createHash } from "node:crypto";

/** What the enclave asks one key holder: "open share `shareIndex` of pool key `keyId` for me". */
export interface UnwrapRequest {
  /** Key holder number, 1..3; equals the share index (holder i keeps share i). */
  holder: number;
  keyId: string;
  shareIndex: number;
  /** The share as stored: sealed to the holder's master public key. */
  wrappedShare: Uint8Array;
}

/**
 * The 32 bytes an unwrap request's attestation document carries as user_data: SHA-256 over the
 * length-prefixed request fields. A key holder recomputes it, so a host relaying the request cannot
 * pair a genuine document with a different share.
 *
 * @example
 * const userData = unwrapRequestBinding({ holder: 1, keyId: "g1k0", shareIndex: 1, wrappedShare });
 */
export function unwrapRequestBinding(request: UnwrapRequest): Uint8Array {
  const hash = createHash("sha256");
  for (const part of [
    Buffer.from("arbor.keyholder.unwrap.v1", "utf8"),
    Buffer.from(String(request.holder), "utf8"),
    Buffer.from(request.keyId, "utf8"),
    Buffer.from(String(request.shareIndex), "utf8"),
    Buffer.from(request.wrappedShare),
  ]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    hash.update(len).update(part);
  }
  return new Uint8Array(hash.digest());
}
