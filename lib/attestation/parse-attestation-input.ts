import { AttestationError } from "./errors";
import { copyBytes, parseHex } from "./bytes";

/** First byte of a CBOR array of 4 items (an untagged COSE_Sign1) and of CBOR tag 18. */
const COSE_SIGN1_ARRAY = 0x84;
const COSE_SIGN1_TAG = 0xd2;

function looksLikeCose(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && (bytes[0] === COSE_SIGN1_ARRAY || bytes[0] === COSE_SIGN1_TAG);
}

function strictBase64(text: string): Uint8Array | undefined {
  // Standard or URL-safe alphabet, padding optional; rejects anything Buffer would silently skip.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return undefined;
  const normalized = text.replace(/-/g, "+").replace(/_/g, "/").replace(/=+$/, "");
  if (normalized.length % 4 === 1) return undefined;
  const bytes = Buffer.from(normalized, "base64");
  if (bytes.toString("base64").replace(/=+$/, "") !== normalized) return undefined;
  return new Uint8Array(bytes);
}

/**
 * Reads an attestation document as it travels: raw CBOR bytes, or text in hex (0x optional) or
 * base64 (standard or URL-safe, as in the X-Attestation-Document header). Whitespace in text is
 * ignored, so wrapped base64 and files ending in a newline work. Returns the raw CBOR bytes;
 * nothing is verified (pass them to `verifyAttestationDocument`).
 *
 * A valid document's hex starts with "84" (or "d2"), its base64 with "h" (or "0o"), so the two
 * text forms cannot be confused: text that is all hex digits and decodes to a COSE_Sign1 start is
 * read as hex, anything else as base64.
 *
 * @throws AttestationError `malformed` when the input is none of the three.
 *
 * @example
 * const bytes = parseAttestationInput(response.headers.get("x-attestation-document")!);
 */
export function parseAttestationInput(input: string | Uint8Array): Uint8Array {
  if (input instanceof Uint8Array) {
    if (looksLikeCose(input)) return copyBytes(input);
    return parseAttestationInput(Buffer.from(input).toString("utf8"));
  }
  if (typeof input !== "string") throw new AttestationError("malformed", "an attestation document must be given as bytes or text");
  const text = input.replace(/\s+/g, "");
  if (text.length === 0) throw new AttestationError("malformed", "the attestation document is empty");
  const hex = parseHex(text);
  if (hex !== undefined && looksLikeCose(hex)) return hex;
  const base64 = strictBase64(text);
  if (base64 !== undefined && looksLikeCose(base64)) return base64;
  throw new AttestationError("malformed", "the input is neither raw CBOR, hex nor base64 of a COSE_Sign1 document", {
    length: text.length,
    start: text.slice(0, 16),
  });
}
