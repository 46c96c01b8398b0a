import { Tag } from "cbor-x";
import { AttestationError } from "./errors";
import { cborDecoder, encodeCbor } from "./cbor";
import { copyBytes, equalBytes } from "./bytes";
import { sigStructure } from "./sig-structure";

/**
 * Upper bound on a whole document. The Nitro specification caps the payload at 16384 bytes
 * (aws-nitro-enclaves-nsm-api docs/attestation_process.md, section 3.1); the COSE envelope adds
 * about a hundred. Anything larger is refused before CBOR decoding starts.
 */
export const MAX_ATTESTATION_DOCUMENT_BYTES = 16384 + 512;

/** Field sizes from the same specification (section 3.2.2.2, "Check content"). */
const MAX_PAYLOAD_BYTES = 16384;
const MAX_CERTIFICATE_BYTES = 1024;
const MAX_PUBLIC_KEY_BYTES = 1024;
const MAX_USER_DATA_BYTES = 512;
const PAYLOAD_KEYS = ["module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle", "public_key", "user_data", "nonce"];
const MANDATORY_KEYS = ["module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"];

/** The COSE_Sign1 parts as they appear in the document, before any interpretation. */
export interface AttestationDocumentRaw {
  /** The whole document as given (including a tag 18 prefix, if any). */
  document: Uint8Array;
  /** Whether the COSE_Sign1 array carried CBOR tag 18 (Nitro documents do not). */
  tagged: boolean;
  /** Protected header bytes exactly as received: the signature covers these, never a re-encoding. */
  protectedHeader: Uint8Array;
  /** Payload bytes (the CBOR attestation map) exactly as received. */
  payload: Uint8Array;
  /** Signature bytes as received. */
  signature: Uint8Array;
  /** CBOR ["Signature1", protectedHeader, h'', payload]: what the signature signs. */
  sigStructure: Uint8Array;
}

/** A decoded AWS Nitro Enclaves attestation document (nothing in it is verified yet). */
export interface AttestationDocument {
  /** Decoded protected header: COSE label to value; ES384 is {1: -35}. */
  protectedHeader: Map<number, unknown>;
  /** Issuing Nitro hypervisor module (e.g. "i-0de38b2b6853cc9e8-enc0193685e7fee7d85"). */
  moduleId: string;
  /** Creation time, milliseconds since the Unix epoch. */
  timestamp: number;
  /** Digest the PCRs were computed with; "SHA384" for Nitro. */
  digest: string;
  /** Locked PCRs: index (0..31) to value (48 bytes under SHA384). */
  pcrs: Map<number, Uint8Array>;
  /** DER of the certificate whose key signed this document (the leaf). */
  certificate: Uint8Array;
  /** DER of the issuing CA certificates, root first: [root, intermediate 1, ..., intermediate n]. */
  cabundle: Uint8Array[];
  /** Optional key the enclave put in the document, or null. */
  publicKey: Uint8Array | null;
  /** Optional user data, or null (Arbor: the 64-byte request/response binding). */
  userData: Uint8Array | null;
  /** Optional nonce chosen by the client, or null. */
  nonce: Uint8Array | null;
  /** The 96-byte ECDSA P-384 signature r ‖ s. */
  signature: Uint8Array;
  /** The parts as received. */
  raw: AttestationDocumentRaw;
}

function malformed(message: string, details: Record<string, unknown> = {}, cause?: unknown): AttestationError {
  return new AttestationError("malformed", message, details, cause);
}

function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array;
}

function decodeCbor(bytes: Uint8Array, what: string): unknown {
  try {
    return cborDecoder.decode(bytes);
  } catch (cause) {
    throw malformed(`${what} is not a single well-formed CBOR item`, { part: what, reason: (cause as Error).message }, cause);
  }
}

/**
 * Requires that `bytes` is exactly the encoding cbor-x gives `value`. The signed bytes are then
 * the only reading of the document: no duplicate map keys (a decoder would keep one of them), no
 * indefinite lengths, no over-long integers, no floats posing as integers.
 */
function requireRoundTrip(value: unknown, bytes: Uint8Array, what: string): void {
  if (!equalBytes(encodeCbor(value), bytes)) {
    throw malformed(`${what} is not in the deterministic CBOR form Nitro emits (duplicate keys, over-long lengths or similar)`, { part: what });
  }
}

function bytesField(payload: Map<unknown, unknown>, key: string, min: number, max: number, nullable: boolean): Uint8Array | null {
  const value = payload.get(key);
  if (value === undefined || value === null) {
    if (nullable) return null;
    throw malformed(`payload field "${key}" is missing`, { field: key });
  }
  if (!isBytes(value)) throw malformed(`payload field "${key}" must be a byte string`, { field: key });
  if (value.byteLength < min || value.byteLength > max) {
    throw malformed(`payload field "${key}" has ${value.byteLength} bytes, allowed ${min}..${max}`, { field: key, length: value.byteLength, min, max });
  }
  return copyBytes(value);
}

function timestampField(value: unknown): number {
  // A uint64 (major type 0, 8-byte argument) decodes as bigint; smaller unsigned integers as
  // number. A float decodes as number too, so a number is only accepted below 2^32, where cbor-x
  // re-encodes integers as integers and the round trip exposes a float.
  if (typeof value === "bigint") {
    if (value <= 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed("payload field \"timestamp\" is out of range", { field: "timestamp", value: value.toString() });
    return Number(value);
  }
  if (typeof value === "number" && Number.isInteger(value) && value > 0 && value <= 0xffffffff) return value;
  throw malformed("payload field \"timestamp\" must be a positive unsigned integer", { field: "timestamp", value: String(value) });
}

function pcrsField(value: unknown, digest: string): Map<number, Uint8Array> {
  if (!(value instanceof Map)) throw malformed("payload field \"pcrs\" must be a map", { field: "pcrs" });
  if (value.size < 1 || value.size > 32) throw malformed(`payload field "pcrs" has ${value.size} entries, allowed 1..32`, { field: "pcrs", size: value.size });
  const allowedLengths = digest === "SHA384" ? [48] : [32, 48, 64];
  const pcrs = new Map<number, Uint8Array>();
  for (const [index, pcr] of value) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index > 31) {
      throw malformed("a PCR index must be an integer 0..31", { field: "pcrs", index: String(index) });
    }
    if (!isBytes(pcr) || !allowedLengths.includes(pcr.byteLength)) {
      throw malformed(`PCR${index} must be a byte string of ${allowedLengths.join(" or ")} bytes`, { field: "pcrs", index, length: isBytes(pcr) ? pcr.byteLength : null });
    }
    pcrs.set(index, copyBytes(pcr));
  }
  return pcrs;
}

/**
 * Decodes an AWS Nitro Enclaves attestation document: an untagged CBOR COSE_Sign1 array
 * [protected, unprotected, payload, signature] whose payload is the attestation map. Checks the
 * shape and every field's type and size (Nitro specification section 3.2.2), and nothing else:
 * no signature, certificate or policy is checked here (use `verifyAttestationDocument`).
 *
 * @throws AttestationError `malformed` naming the part or field at fault.
 *
 * @example
 * const doc = decodeAttestationDocument(parseAttestationInput(header));
 * console.log(doc.moduleId, Buffer.from(doc.pcrs.get(0)!).toString("hex"));
 */
export function decodeAttestationDocument(bytes: Uint8Array): AttestationDocument {
  if (!isBytes(bytes)) throw malformed("the attestation document must be a Uint8Array");
  if (bytes.byteLength === 0) throw malformed("the attestation document is empty");
  if (bytes.byteLength > MAX_ATTESTATION_DOCUMENT_BYTES) {
    throw malformed(`the attestation document has ${bytes.byteLength} bytes, at most ${MAX_ATTESTATION_DOCUMENT_BYTES} allowed`, { length: bytes.byteLength });
  }
  const document = copyBytes(bytes);
  let top = decodeCbor(document, "COSE_Sign1");
  let tagged = false;
  // RFC 9052 allows COSE_Sign1 under tag 18 (one byte, 0xd2); Nitro sends it untagged.
  if (top instanceof Tag) {
    if (top.tag !== 18 || document[0] !== 0xd2) throw malformed(`unexpected CBOR tag ${top.tag} around the document`, { tag: top.tag });
    tagged = true;
    top = top.value;
  }
  if (!Array.isArray(top) || top.length !== 4) throw malformed("a COSE_Sign1 must be a CBOR array of 4 items");
  requireRoundTrip(top, tagged ? document.subarray(1) : document, "COSE_Sign1");
  const [protectedBytes, unprotected, payloadBytes, signature] = top as unknown[];
  if (!isBytes(protectedBytes) || protectedBytes.byteLength === 0) throw malformed("the protected header must be a non-empty byte string", { part: "protected" });
  if (!(unprotected instanceof Map)) throw malformed("the unprotected header must be a map", { part: "unprotected" });
  // Nothing outside the signature may carry meaning: Nitro leaves the unprotected header empty.
  if (unprotected.size !== 0) throw malformed("the unprotected header must be empty", { part: "unprotected", size: unprotected.size });
  if (!isBytes(payloadBytes) || payloadBytes.byteLength === 0 || payloadBytes.byteLength > MAX_PAYLOAD_BYTES) {
    throw malformed(`the payload must be a byte string of 1..${MAX_PAYLOAD_BYTES} bytes`, { part: "payload" });
  }
  if (!isBytes(signature) || signature.byteLength === 0) throw malformed("the signature must be a non-empty byte string", { part: "signature" });

  const protectedHeader = decodeCbor(protectedBytes, "protected header");
  if (!(protectedHeader instanceof Map)) throw malformed("the protected header must encode a CBOR map", { part: "protected" });
  for (const label of protectedHeader.keys()) {
    if (typeof label !== "number") throw malformed("protected header labels must be integers", { part: "protected", label: String(label) });
  }

  const payload = decodeCbor(payloadBytes, "payload");
  if (!(payload instanceof Map)) throw malformed("the payload must encode a CBOR map", { part: "payload" });
  requireRoundTrip(payload, payloadBytes, "payload");
  for (const key of payload.keys()) {
    if (typeof key !== "string" || !PAYLOAD_KEYS.includes(key)) throw malformed(`unknown payload field ${JSON.stringify(String(key))}`, { field: String(key) });
  }
  for (const key of MANDATORY_KEYS) {
    if (payload.get(key) === undefined || payload.get(key) === null) throw malformed(`payload field "${key}" is missing`, { field: key });
  }
  const moduleId = payload.get("module_id");
  if (typeof moduleId !== "string" || moduleId.length === 0) throw malformed("payload field \"module_id\" must be non-empty text", { field: "module_id" });
  const digest = payload.get("digest");
  if (typeof digest !== "string") throw malformed("payload field \"digest\" must be text", { field: "digest" });
  const cabundle = payload.get("cabundle");
  if (!Array.isArray(cabundle) || cabundle.length === 0) throw malformed("payload field \"cabundle\" must be a non-empty array", { field: "cabundle" });
  const cabundleBytes = cabundle.map((entry: unknown, i: number) => {
    if (!isBytes(entry) || entry.byteLength === 0 || entry.byteLength > MAX_CERTIFICATE_BYTES) {
      throw malformed(`cabundle[${i}] must be a byte string of 1..${MAX_CERTIFICATE_BYTES} bytes`, { field: "cabundle", index: i });
    }
    return copyBytes(entry);
  });

  return {
    protectedHeader: protectedHeader as Map<number, unknown>,
    moduleId,
    timestamp: timestampField(payload.get("timestamp")),
    digest,
    pcrs: pcrsField(payload.get("pcrs"), digest),
    certificate: bytesField(payload, "certificate", 1, MAX_CERTIFICATE_BYTES, false) as Uint8Array,
    cabundle: cabundleBytes,
    publicKey: bytesField(payload, "public_key", 1, MAX_PUBLIC_KEY_BYTES, true),
    userData: bytesField(payload, "user_data", 0, MAX_USER_DATA_BYTES, true),
    nonce: bytesField(payload, "nonce", 0, MAX_USER_DATA_BYTES, true),
    signature: copyBytes(signature),
    raw: {
      document,
      tagged,
      protectedHeader: copyBytes(protectedBytes),
      payload: copyBytes(payloadBytes),
      signature: copyBytes(signature),
      sigStructure: sigStructure(protectedBytes, payloadBytes),
    },
  };
}
