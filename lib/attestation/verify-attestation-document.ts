import { verify as verifySignature } from "node:crypto";
import { AttestationError, type AttestationErrorCode } from "./errors";
import { decodeAttestationDocument, type AttestationDocument } from "./decode-attestation-document";
import { checkChainLinks, checkValidity, parseChainCertificate, type ChainCertificate } from "./certificate-chain";
import { hasLocalMarker, pinRoots } from "./pinned-roots";
import { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./aws-nitro-root";
import { asBuffer, equalBytes, parseHex, toHex } from "./bytes";
import type { AttestationCheck } from "./checks";

/** COSE algorithm identifier of ECDSA P-384 with SHA-384 (RFC 9053, "ES384"). */
const ES384 = -35;

/** What `verifyAttestationDocument` requires of a document. */
export interface VerifyAttestationOptions {
  /**
   * Trusted roots, PEM text or DER bytes. cabundle[0] must equal one of them byte for byte.
   * Default: the AWS Nitro root only.
   */
  roots?: readonly (string | Uint8Array)[];
  /** Time at which every certificate must be valid. Default: now. */
  at?: Date;
  /** PCR index to expected value (hex, 0x optional, or bytes). Every listed PCR must be present and equal. */
  expectedPcrs?: Record<number, string | Uint8Array>;
  /** Expected nonce; when given, the document's nonce must equal it. */
  nonce?: Uint8Array;
  /** Expected user data; when given, the document's user_data must equal it. */
  userData?: Uint8Array;
  /**
   * Production policy: only the AWS Nitro root may be pinned (a local root is refused as
   * `local-root-in-production`), and a debug-mode enclave (PCR0 all zeros) is refused.
   */
  production?: boolean;
  /** Refuse documents whose PCR0 is all zeros (debug-mode enclaves). Default: `production`. */
  rejectDebugMode?: boolean;
}

/** One certificate of a verified chain, leaf first. */
export interface VerifiedCertificate {
  position: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  sha256: string;
}

/** A check that ran ("passed") or had nothing to compare against ("skipped"). */
export interface AttestationCheckResult {
  check: AttestationCheck;
  result: "passed" | "skipped";
  detail: string;
}

/** The decoded document plus what verification established. */
export interface VerifiedAttestationDocument extends AttestationDocument {
  /** Every check in order, with what it found. */
  checks: AttestationCheckResult[];
  /** The chain that was verified, leaf first, root last. */
  chain: VerifiedCertificate[];
  /** SHA-256 of the pinned root the chain ends in. */
  rootSha256: string;
  /** The time the certificates were checked at. */
  verifiedAt: Date;
}

function invalid(field: string, message: string): AttestationError {
  return new AttestationError("invalid-argument", `${field}: ${message}`, { field });
}

function readExpectedPcrs(expected: Record<number, string | Uint8Array> | undefined): Map<number, Uint8Array> {
  const result = new Map<number, Uint8Array>();
  if (expected === undefined) return result;
  if (typeof expected !== "object" || expected === null) throw invalid("expectedPcrs", "must be an object of PCR index to hex");
  for (const [key, value] of Object.entries(expected)) {
    const index = Number(key);
    if (!/^\d+$/.test(key) || index > 31) throw invalid(`expectedPcrs.${key}`, "PCR index must be an integer 0..31");
    const bytes = typeof value === "string" ? parseHex(value) : value instanceof Uint8Array ? value : undefined;
    if (bytes === undefined || bytes.byteLength !== 48) throw invalid(`expectedPcrs.${key}`, "must be 48 bytes (96 hex digits)");
    result.set(index, bytes);
  }
  return result;
}

function readOptionalBytes(value: unknown, field: string): Uint8Array | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) throw invalid(field, "must be a Uint8Array");
  return value;
}

function describePcr(bytes: Uint8Array | undefined): string | null {
  return bytes === undefined ? null : toHex(bytes);
}

/**
 * Verifies an AWS Nitro Enclaves attestation document (or one made by a local attestation
 * authority) and returns its decoded fields. Fails closed: the checks run in the fixed order of
 * `ATTESTATION_CHECKS` (decode, algorithm, root, chain, validity, signature, pcrs, nonce,
 * user-data) and the first one that fails throws an `AttestationError` whose `code` names it.
 * Options are validated before the document is read (`invalid-argument`).
 *
 * @example
 * const doc = verifyAttestationDocument(parseAttestationInput(header), {
 *   roots: [AWS_NITRO_ROOT_PEM],
 *   expectedPcrs: { 0: pcr0Hex },
 *   nonce: myNonce,
 *   userData: responseBinding({ method: "POST", path: "/auth", requestBody, status: 200, responseBody }),
 *   production: true,
 * });
 */
export function verifyAttestationDocument(bytes: Uint8Array, options: VerifyAttestationOptions = {}): VerifiedAttestationDocument {
  const progress: { check: AttestationCheck | "options" } = { check: "options" };
  try {
    return runChecks(bytes, options, progress);
  } catch (err) {
    if (err instanceof AttestationError) throw err;
    // A library threw where a check expected a verdict. Still fail closed, and name the check.
    const code = UNEXPECTED_FAILURE_CODE[progress.check];
    throw new AttestationError(code, `${progress.check} check failed: ${(err as Error)?.message ?? String(err)}`, { check: progress.check, unexpected: true }, err);
  }
}

/** The code an unexpected exception inside each check is reported as. */
const UNEXPECTED_FAILURE_CODE: Record<AttestationCheck | "options", AttestationErrorCode> = {
  options: "invalid-argument",
  decode: "malformed",
  algorithm: "unsupported-algorithm",
  root: "root-not-pinned",
  chain: "certificate-chain",
  validity: "certificate-chain",
  signature: "cose-signature",
  pcrs: "pcr-mismatch",
  nonce: "nonce-mismatch",
  "user-data": "user-data-mismatch",
};

function runChecks(bytes: Uint8Array, options: VerifyAttestationOptions, progress: { check: AttestationCheck | "options" }): VerifiedAttestationDocument {
  const production = options.production === true;
  const rejectDebugMode = options.rejectDebugMode ?? production;
  const at = options.at ?? new Date();
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw invalid("at", "must be a valid Date");
  const expectedPcrs = readExpectedPcrs(options.expectedPcrs);
  const expectedNonce = readOptionalBytes(options.nonce, "nonce");
  const expectedUserData = readOptionalBytes(options.userData, "userData");
  // Parsing the roots can only fail with invalid-argument here; the production policy on them is
  // the "root" check and runs in its place below.
  const pinned = pinRoots(options.roots ?? [AWS_NITRO_ROOT_PEM], false);
  const checks: AttestationCheckResult[] = [];

  // 1. decode
  progress.check = "decode";
  const doc = decodeAttestationDocument(bytes);
  const leaf = parseChainCertificate(doc.certificate, "certificate");
  const bundle = doc.cabundle.map((der, i) => parseChainCertificate(der, `cabundle[${i}]`));
  checks.push({ check: "decode", result: "passed", detail: `COSE_Sign1 with ${doc.pcrs.size} PCRs and ${bundle.length + 1} certificates` });

  // 2. algorithm
  progress.check = "algorithm";
  if (doc.protectedHeader.size !== 1 || doc.protectedHeader.get(1) !== ES384) {
    throw new AttestationError("unsupported-algorithm", "the protected header must be exactly {1: -35} (ES384)", {
      protectedHeader: toHex(doc.raw.protectedHeader),
      alg: doc.protectedHeader.get(1) ?? null,
    });
  }
  if (doc.digest !== "SHA384") throw new AttestationError("unsupported-algorithm", `digest ${JSON.stringify(doc.digest)} is not "SHA384"`, { digest: doc.digest });
  const leafKey = leaf.publicKey;
  if (leafKey.asymmetricKeyType !== "ec" || leafKey.asymmetricKeyDetails?.namedCurve !== "secp384r1") {
    throw new AttestationError("unsupported-algorithm", "the signing certificate's key is not an ECDSA P-384 key", {
      keyType: leafKey.asymmetricKeyType ?? null,
      namedCurve: leafKey.asymmetricKeyDetails?.namedCurve ?? null,
    });
  }
  checks.push({ check: "algorithm", result: "passed", detail: "ES384 over SHA384 PCRs, P-384 signing key" });

  // 3. root
  progress.check = "root";
  const root = bundle[0];
  if (production) pinRoots(options.roots ?? [AWS_NITRO_ROOT_PEM], true);
  const pinnedRoot = pinned.find((candidate) => candidate.sha256 === root.sha256);
  if (pinnedRoot === undefined) {
    if (production && hasLocalMarker(root.der)) {
      throw new AttestationError("local-root-in-production", "the document chains to an Arbor LOCAL attestation root, which production refuses", { sha256: root.sha256, subject: root.subject });
    }
    throw new AttestationError("root-not-pinned", "cabundle[0] is not one of the pinned roots", {
      sha256: root.sha256,
      subject: root.subject,
      pinned: pinned.map((p) => p.sha256),
    });
  }
  checks.push({ check: "root", result: "passed", detail: `${root.subject} (sha256 ${root.sha256}${root.sha256 === AWS_NITRO_ROOT_SHA256 ? ", AWS Nitro root" : ""})` });

  // 4. chain: leaf, then the bundle from the leaf's issuer up to the root.
  progress.check = "chain";
  const chain: ChainCertificate[] = [leaf, ...bundle.slice().reverse()];
  checkChainLinks(chain);
  checks.push({ check: "chain", result: "passed", detail: `${chain.length} certificates linked and signed, CA constraints hold` });

  // 5. validity
  progress.check = "validity";
  checkValidity(chain, at);
  const notBefore = new Date(Math.max(...chain.map((c) => c.notBefore.getTime())));
  const notAfter = new Date(Math.min(...chain.map((c) => c.notAfter.getTime())));
  checks.push({ check: "validity", result: "passed", detail: `${at.toISOString()} is inside ${notBefore.toISOString()} .. ${notAfter.toISOString()}` });

  // 6. signature
  progress.check = "signature";
  if (doc.signature.byteLength !== 96) {
    throw new AttestationError("cose-signature", `an ES384 signature is 96 bytes (r ‖ s), this one has ${doc.signature.byteLength}`, { length: doc.signature.byteLength });
  }
  let signed = false;
  try {
    signed = verifySignature("sha384", asBuffer(doc.raw.sigStructure), { key: leafKey, dsaEncoding: "ieee-p1363" }, asBuffer(doc.signature));
  } catch {
    signed = false;
  }
  if (!signed) throw new AttestationError("cose-signature", "the COSE_Sign1 signature does not verify with the signing certificate's key", { certificate: leaf.subject });
  checks.push({ check: "signature", result: "passed", detail: "ES384 signature verifies with the leaf key" });

  // 7. pcrs
  progress.check = "pcrs";
  for (const [index, expected] of [...expectedPcrs].sort((a, b) => a[0] - b[0])) {
    const actual = doc.pcrs.get(index);
    if (actual === undefined || !equalBytes(actual, expected)) {
      throw new AttestationError("pcr-mismatch", `PCR${index} is ${describePcr(actual) ?? "absent"}, expected ${toHex(expected)}`, {
        pcr: index,
        expected: toHex(expected),
        actual: describePcr(actual),
      });
    }
  }
  if (rejectDebugMode) {
    const pcr0 = doc.pcrs.get(0);
    if (pcr0 === undefined || pcr0.every((byte) => byte === 0)) {
      throw new AttestationError("pcr-mismatch", "PCR0 is all zeros or absent: a debug-mode enclave, which this policy refuses", {
        pcr: 0,
        reason: "debug-mode",
        actual: describePcr(pcr0),
      });
    }
  }
  checks.push(
    expectedPcrs.size === 0 && !rejectDebugMode
      ? { check: "pcrs", result: "skipped", detail: "no PCR policy given" }
      : { check: "pcrs", result: "passed", detail: [...[...expectedPcrs.keys()].map((i) => `PCR${i} matches`), ...(rejectDebugMode ? ["not debug mode"] : [])].join(", ") },
  );

  // 8. nonce
  progress.check = "nonce";
  if (expectedNonce !== undefined) {
    if (doc.nonce === null || !equalBytes(doc.nonce, expectedNonce)) {
      throw new AttestationError("nonce-mismatch", `the nonce is ${doc.nonce === null ? "absent" : toHex(doc.nonce)}, expected ${toHex(expectedNonce)}`, {
        expected: toHex(expectedNonce),
        actual: doc.nonce === null ? null : toHex(doc.nonce),
      });
    }
    checks.push({ check: "nonce", result: "passed", detail: `nonce ${toHex(expectedNonce)}` });
  } else {
    checks.push({ check: "nonce", result: "skipped", detail: "no nonce expected" });
  }

  // 9. user-data
  progress.check = "user-data";
  if (expectedUserData !== undefined) {
    if (doc.userData === null || !equalBytes(doc.userData, expectedUserData)) {
      throw new AttestationError("user-data-mismatch", `user_data is ${doc.userData === null ? "absent" : toHex(doc.userData)}, expected ${toHex(expectedUserData)}`, {
        expected: toHex(expectedUserData),
        actual: doc.userData === null ? null : toHex(doc.userData),
      });
    }
    checks.push({ check: "user-data", result: "passed", detail: `user_data ${toHex(expectedUserData)}` });
  } else {
    checks.push({ check: "user-data", result: "skipped", detail: "no user data expected" });
  }

  return {
    ...doc,
    checks,
    chain: chain.map((c) => ({ position: c.position, subject: c.subject, notBefore: new Date(c.notBefore), notAfter: new Date(c.notAfter), sha256: c.sha256 })),
    rootSha256: pinnedRoot.sha256,
    verifiedAt: at,
  };
}
