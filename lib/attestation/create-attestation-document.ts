import { sign, X509Certificate, type KeyObject } from "node:crypto";
import { AttestationError } from "./errors";
import { encodeCbor } from "./cbor";
import { asBuffer, parseHex } from "./bytes";
import { sigStructure } from "./sig-structure";
import { MAX_ATTESTATION_DOCUMENT_BYTES } from "./decode-attestation-document";

/** Protected header {1: -35} (alg: ES384), exactly the four bytes Nitro sends. */
const PROTECTED_ES384 = new Uint8Array([0xa1, 0x01, 0x38, 0x22]);
/** Limits of the Nitro specification (section 3.2.2.2), which the NSM enforces too. */
const MAX_FIELD_BYTES = 1024;
const MAX_USER_DATA_BYTES = 512;

/** Inputs of {@link createAttestationDocument}. */
export interface CreateAttestationDocumentOptions {
  /** Module id, as the Nitro hypervisor names the enclave. */
  moduleId: string;
  /** PCR index (0..31) to 48-byte value (bytes or hex). PCR0 is the code measurement. */
  pcrs: Map<number, Uint8Array> | Record<number, Uint8Array | string>;
  /** DER of the leaf certificate for `signingKey`. */
  certificate: Uint8Array;
  /** DER of the issuing CAs, root first. */
  cabundle: Uint8Array[];
  /** The enclave's P-384 private key; must match `certificate`. */
  signingKey: KeyObject;
  publicKey?: Uint8Array | null;
  userData?: Uint8Array | null;
  nonce?: Uint8Array | null;
  /** Milliseconds since the Unix epoch. Default: now. */
  timestamp?: number;
}

function invalid(field: string, message: string): AttestationError {
  return new AttestationError("invalid-argument", `${field}: ${message}`, { field });
}

function optionalBytes(value: unknown, field: string, min: number, max: number): Buffer | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Uint8Array)) throw invalid(field, "must be a Uint8Array or null");
  if (value.byteLength < min || value.byteLength > max) throw invalid(field, `must have ${min}..${max} bytes`);
  return Buffer.from(value);
}

function readPcrs(pcrs: CreateAttestationDocumentOptions["pcrs"]): Map<number, Buffer> {
  const entries: [string | number, unknown][] = pcrs instanceof Map ? [...pcrs.entries()] : typeof pcrs === "object" && pcrs !== null ? Object.entries(pcrs) : [];
  if (entries.length === 0 || entries.length > 32) throw invalid("pcrs", "must hold 1..32 PCRs");
  const result = new Map<number, Buffer>();
  for (const [key, value] of entries) {
    const index = Number(key);
    if (!Number.isInteger(index) || index < 0 || index > 31) throw invalid(`pcrs.${key}`, "PCR index must be an integer 0..31");
    const bytes = typeof value === "string" ? parseHex(value) : value instanceof Uint8Array ? value : undefined;
    if (bytes === undefined || bytes.byteLength !== 48) throw invalid(`pcrs.${key}`, "must be 48 bytes (SHA-384 sized)");
    result.set(index, Buffer.from(bytes));
  }
  // Nitro lists PCRs in ascending index order.
  return new Map([...result].sort((a, b) => a[0] - b[0]));
}

/**
 * Creates an attestation document in exactly the AWS Nitro format: an untagged CBOR COSE_Sign1
 * [h'a1013822', {}, payload, signature] whose payload map has the Nitro keys in Nitro's order
 * (module_id, digest "SHA384", timestamp, pcrs, certificate, cabundle, public_key, user_data,
 * nonce; absent optional fields are null, as the NSM writes them) and whose signature is ES384
 * (ECDSA P-384 over SHA-384, 96 bytes r ‖ s) over the COSE Sig_structure.
 *
 * Inside a real enclave the Nitro Security Module does this; locally the identity service does it
 * with a key certified by a local attestation authority.
 *
 * @throws AttestationError `invalid-argument` naming the bad field (including a signing key that
 * does not match the certificate).
 *
 * @example
 * const doc = createAttestationDocument({
 *   moduleId: "arbor-identity-local",
 *   pcrs: { 0: measureCodeBundle("enclave-service") },
 *   certificate, cabundle, signingKey: enclaveKey.privateKey,
 *   nonce, userData: responseBinding({ method, path, requestBody, status, responseBody }),
 * });
 * res.setHeader("X-Attestation-Document", Buffer.from(doc).toString("base64"));
 */
export function createAttestationDocument(options: CreateAttestationDocumentOptions): Uint8Array {
  if (typeof options !== "object" || options === null) throw invalid("options", "must be an object");
  const { moduleId, signingKey } = options;
  if (typeof moduleId !== "string" || moduleId.length === 0 || moduleId.length > 256) throw invalid("moduleId", "must be text of 1..256 characters");
  if (!(options.certificate instanceof Uint8Array) || options.certificate.byteLength === 0 || options.certificate.byteLength > MAX_FIELD_BYTES) {
    throw invalid("certificate", `must be DER of 1..${MAX_FIELD_BYTES} bytes`);
  }
  if (!Array.isArray(options.cabundle) || options.cabundle.length === 0) throw invalid("cabundle", "must be a non-empty array of DER certificates");
  options.cabundle.forEach((der, i) => {
    if (!(der instanceof Uint8Array) || der.byteLength === 0 || der.byteLength > MAX_FIELD_BYTES) throw invalid(`cabundle[${i}]`, `must be DER of 1..${MAX_FIELD_BYTES} bytes`);
  });
  if (typeof signingKey !== "object" || signingKey === null || (signingKey as KeyObject).type !== "private") throw invalid("signingKey", "must be a node:crypto private KeyObject");
  if (signingKey.asymmetricKeyType !== "ec" || signingKey.asymmetricKeyDetails?.namedCurve !== "secp384r1") throw invalid("signingKey", "must be an ECDSA P-384 key");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(asBuffer(options.certificate));
  } catch (cause) {
    throw new AttestationError("invalid-argument", "certificate: is not a DER X.509 certificate", { field: "certificate" }, cause);
  }
  // A mismatched key would produce documents no verifier accepts; better to fail at the source.
  if (!certificate.checkPrivateKey(signingKey)) throw invalid("signingKey", "does not match the certificate's public key");
  const timestamp = options.timestamp ?? Date.now();
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) throw invalid("timestamp", "must be a positive integer (milliseconds)");

  const payload = new Map<string, unknown>([
    ["module_id", moduleId],
    ["digest", "SHA384"],
    // bigint: cbor-x encodes a JS number above 2^32 as a float, Nitro's timestamp is a uint64.
    ["timestamp", BigInt(timestamp)],
    ["pcrs", readPcrs(options.pcrs)],
    ["certificate", Buffer.from(options.certificate)],
    ["cabundle", options.cabundle.map((der) => Buffer.from(der))],
    ["public_key", optionalBytes(options.publicKey, "publicKey", 1, MAX_FIELD_BYTES)],
    ["user_data", optionalBytes(options.userData, "userData", 0, MAX_USER_DATA_BYTES)],
    ["nonce", optionalBytes(options.nonce, "nonce", 0, MAX_USER_DATA_BYTES)],
  ]);
  const payloadBytes = encodeCbor(payload);
  const signature = sign("sha384", asBuffer(sigStructure(PROTECTED_ES384, payloadBytes)), { key: signingKey, dsaEncoding: "ieee-p1363" });
  const document = encodeCbor([Buffer.from(PROTECTED_ES384), new Map(), Buffer.from(payloadBytes), signature]);
  if (document.byteLength > MAX_ATTESTATION_DOCUMENT_BYTES) throw invalid("options", `the document would have ${document.byteLength} bytes, more than ${MAX_ATTESTATION_DOCUMENT_BYTES}`);
  return document;
}
