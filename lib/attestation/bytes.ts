// Small byte helpers shared by lib/attestation (internal: not re-exported from index.ts).
import { X509Certificate } from "node:crypto";
import { AttestationError } from "./errors";

/** Lowercase hex without 0x. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Strict hex (optional 0x, even length) to bytes, or undefined when `text` is not hex. */
export function parseHex(text: string): Uint8Array | undefined {
  const body = text.startsWith("0x") || text.startsWith("0X") ? text.slice(2) : text;
  if (body.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(body)) return undefined;
  return new Uint8Array(Buffer.from(body, "hex"));
}

/** Equality of two byte arrays (not constant time: everything compared here is public). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

/** A fresh copy as a plain Uint8Array (never a view into a caller's buffer). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A Buffer view of the same memory, for node:crypto and cbor-x. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A certificate given as PEM text or DER bytes, as DER. Throws `invalid-argument` naming `field`
 * when it is neither.
 */
export function certificateToDer(certificate: string | Uint8Array, field: string): Uint8Array {
  try {
    // X509Certificate accepts both PEM and DER; `.raw` is the DER, so the caller's formatting
    // (line length, trailing text) never changes what gets pinned.
    const parsed = new X509Certificate(typeof certificate === "string" ? certificate : asBuffer(certificate));
    return new Uint8Array(parsed.raw);
  } catch (cause) {
    throw new AttestationError("invalid-argument", `${field} is not a PEM or DER X.509 certificate`, { field }, cause);
  }
}

/** DER to PEM ("CERTIFICATE", 64-column base64). */
export function derToPem(der: Uint8Array): string {
  const base64 = asBuffer(der).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}
