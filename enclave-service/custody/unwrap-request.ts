import { createHash } from "node:crypto";

/**
 * What the enclave asks one key holder, bound by the request's attestation document:
 * - `seal`: "here is share `shareIndex` of a pool key I made, boxed to your public key: seal it under
 *   your own key and give it back" (generation creation; `share` is the box);
 * - `release`: "open this share you sealed, for me" (`share` is the held share).
 */
export interface UnwrapRequest {
  purpose: "seal" | "release";
  /** Key holder number, 1..3; equals the share index (holder i keeps share i). */
  holder: number;
  keyId: string;
  generation: number;
  shareIndex: number;
  keyCheck: Uint8Array;
  share: Uint8Array;
}

/**
 * The 32 bytes a key holder request's attestation document carries as user_data: SHA-256 over the
 * length-prefixed request fields. A key holder recomputes it, so a host relaying the request cannot
 * pair a genuine document with a different share, key, generation or purpose.
 *
 * @example
 * const userData = unwrapRequestBinding({ purpose: "release", holder: 1, keyId: "g1k0", generation: 1, shareIndex: 1, keyCheck, share });
 */
export function unwrapRequestBinding(request: UnwrapRequest): Uint8Array {
  const hash = createHash("sha256");
  for (const part of [
    Buffer.from("arbor.keyholder.request.v2", "utf8"),
    Buffer.from(request.purpose, "utf8"),
    Buffer.from(String(request.holder), "utf8"),
    Buffer.from(request.keyId, "utf8"),
    Buffer.from(String(request.generation), "utf8"),
    Buffer.from(String(request.shareIndex), "utf8"),
    Buffer.from(request.keyCheck),
    Buffer.from(request.share),
  ]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    hash.update(len).update(part);
  }
  return new Uint8Array(hash.digest());
}
