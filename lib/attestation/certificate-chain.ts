// Certificate parsing, chain linkage and validity windows for verifyAttestationDocument (internal).
import "reflect-metadata"; // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs it
import { X509Certificate as NodeCertificate, type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AttestationError } from "./errors";
import { asBuffer } from "./bytes";
import { certificateFingerprint } from "./pinned-roots";

const BASIC_CONSTRAINTS = "2.5.29.19";
const KEY_USAGE = "2.5.29.15";
/** Critical extensions this verifier understands; RFC 5280 section 4.2 says to reject the others. */
const UNDERSTOOD_CRITICAL = new Set([BASIC_CONSTRAINTS, KEY_USAGE]);

/** One certificate of a document's chain, parsed once by node:crypto (OpenSSL) and @peculiar/x509 (extensions). */
export interface ChainCertificate {
  /** Where it sits in the document: "certificate" (the leaf) or "cabundle[i]". */
  position: string;
  der: Uint8Array;
  sha256: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** The subject public key (read at parse time: an invalid key is a malformed certificate). */
  publicKey: KeyObject;
  /** Basic constraints, if present: cA, pathLenConstraint, critical. */
  basicConstraints?: { ca: boolean; pathLength?: number; critical: boolean };
  /** Key usage bits (@peculiar/x509 KeyUsageFlags), if present. */
  keyUsage?: number;
  /** OIDs of the critical extensions. */
  criticalExtensions: string[];
  node: NodeCertificate;
}

/**
 * Parsed certificates and verified links, keyed by SHA-256 of the DER. Both are pure functions of
 * the bytes, so a hit is exactly as good as recomputing; they spare a client that verifies every
 * response of one service the parsing (about 1 to 3 ms per certificate) and the P-384 link
 * signatures of a chain it has already checked. Validity at `at` and everything else is checked
 * on every call. Bounded, oldest entry evicted first.
 */
const MAX_CACHED = 256;
const parsedCache = new Map<string, Omit<ChainCertificate, "position">>();
const verifiedLinks = new Set<string>();

function remember<K>(cache: Map<K, unknown> | Set<K>, key: K): void {
  if (cache.size < MAX_CACHED) return;
  const oldest = cache.keys().next().value as K;
  cache.delete(oldest);
}

/** Empties the caches (benchmarks measure the cold path with it). */
export function clearCertificateCache(): void {
  parsedCache.clear();
  verifiedLinks.clear();
}

/** Parses a DER certificate of the document; an unparsable one makes the document `malformed`. */
export function parseChainCertificate(der: Uint8Array, position: string): ChainCertificate {
  const sha256 = certificateFingerprint(der);
  const cached = parsedCache.get(sha256);
  if (cached) return { ...cached, position };
  try {
    const node = new NodeCertificate(asBuffer(der));
    const parsed = new x509.X509Certificate(new Uint8Array(der));
    const constraints = parsed.getExtension(x509.BasicConstraintsExtension);
    // Both libraries decode parts of a certificate lazily (the key, names, each extension's value).
    // Everything the checks use is read here, so a corrupt field is a malformed document now and
    // never a stray exception later.
    const result: Omit<ChainCertificate, "position"> = {
      der: new Uint8Array(der),
      sha256,
      subject: parsed.subject,
      issuer: parsed.issuer,
      notBefore: parsed.notBefore,
      notAfter: parsed.notAfter,
      publicKey: node.publicKey,
      basicConstraints: constraints ? { ca: constraints.ca, pathLength: constraints.pathLength, critical: constraints.critical } : undefined,
      keyUsage: parsed.getExtension(x509.KeyUsagesExtension)?.usages,
      criticalExtensions: parsed.extensions.filter((e) => e.critical).map((e) => e.type),
      node,
    };
    remember(parsedCache, sha256);
    parsedCache.set(sha256, result);
    return { ...result, position };
  } catch (cause) {
    throw new AttestationError("malformed", `${position} is not a DER X.509 certificate`, { certificate: position, reason: (cause as Error).message }, cause);
  }
}

function chainError(message: string, child: ChainCertificate, parent: ChainCertificate | undefined, extra: Record<string, unknown> = {}): AttestationError {
  return new AttestationError("certificate-chain", message, {
    certificate: child.position,
    subject: child.subject,
    ...(parent ? { issuerCertificate: parent.position, issuerSubject: parent.subject } : {}),
    ...extra,
  });
}

function checkCriticalExtensions(cert: ChainCertificate): void {
  for (const oid of cert.criticalExtensions) {
    if (!UNDERSTOOD_CRITICAL.has(oid)) {
      throw chainError(`${cert.position} has a critical extension ${oid} this verifier does not understand`, cert, undefined, { extension: oid });
    }
  }
}

/**
 * Checks the chain [leaf, cabundle[n-1], ..., cabundle[0]] link by link (Nitro specification
 * section 3.2.3): each certificate names its parent as issuer and is signed by the parent's key;
 * every parent is a CA (critical basic constraints, cA true, keyCertSign) whose path length
 * constraint allows the CAs below it; the leaf is not a CA and may sign (digitalSignature).
 * cabundle[0] itself is trusted by pinning, so its own signature is not looked at.
 */
export function checkChainLinks(chain: ChainCertificate[]): void {
  const leaf = chain[0];
  for (const cert of chain) checkCriticalExtensions(cert);
  const leafConstraints = leaf.basicConstraints;
  if (leafConstraints?.ca) throw chainError("the signing certificate is a CA certificate", leaf, undefined);
  const leafUsage = leaf.keyUsage;
  if (leafUsage === undefined || (leafUsage & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw chainError("the signing certificate's key usage does not allow digitalSignature", leaf, undefined, { keyUsage: leafUsage ?? null });
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    const link = `${child.sha256}:${parent.sha256}`;
    if (!verifiedLinks.has(link)) {
      // checkIssued is OpenSSL's X509_check_issued: issuer name equals the parent's subject (DER
      // comparison of canonical names) and the key identifiers agree.
      let issued = false;
      try {
        issued = child.node.checkIssued(parent.node);
      } catch {
        issued = false;
      }
      if (!issued) {
        throw chainError(`${child.position} is not issued by ${parent.position} (issuer/subject or key identifiers differ)`, child, parent, { issuer: child.issuer });
      }
      let signed = false;
      try {
        signed = child.node.verify(parent.publicKey);
      } catch {
        signed = false;
      }
      if (!signed) throw chainError(`the signature on ${child.position} does not verify with the key of ${parent.position}`, child, parent);
      remember(verifiedLinks, link);
      verifiedLinks.add(link);
    }
    const constraints = parent.basicConstraints;
    if (!constraints || !constraints.critical || !constraints.ca) {
      throw chainError(`${parent.position} is not a CA (basic constraints missing, not critical, or cA false)`, parent, undefined);
    }
    // CAs strictly between this parent and the leaf: chain[1..i].
    const casBelow = i;
    if (constraints.pathLength !== undefined && constraints.pathLength < casBelow) {
      throw chainError(`${parent.position} allows ${constraints.pathLength} CA certificates below it, the chain has ${casBelow}`, parent, undefined, { pathLength: constraints.pathLength, casBelow });
    }
    const usage = parent.keyUsage;
    if (usage === undefined || (usage & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw chainError(`${parent.position}'s key usage does not allow keyCertSign`, parent, undefined, { keyUsage: usage ?? null });
    }
  }
}

/** How a certificate is named in messages. */
function label(cert: ChainCertificate): string {
  return cert.position === "certificate" ? "the signing certificate" : cert.position;
}

/**
 * Every certificate, leaf first and root last, must be valid at `at` (notBefore <= at <= notAfter,
 * RFC 5280 section 4.1.2.5: both ends inclusive).
 */
export function checkValidity(chain: ChainCertificate[], at: Date): void {
  for (const cert of chain) {
    const details = {
      certificate: cert.position,
      subject: cert.subject,
      notBefore: cert.notBefore.toISOString(),
      notAfter: cert.notAfter.toISOString(),
      at: at.toISOString(),
    };
    if (at.getTime() < cert.notBefore.getTime()) {
      throw new AttestationError("certificate-not-yet-valid", `${label(cert)} (${cert.subject}) is not valid before ${details.notBefore} (verifying at ${details.at})`, details);
    }
    if (at.getTime() > cert.notAfter.getTime()) {
      throw new AttestationError("certificate-expired", `${label(cert)} (${cert.subject}) expired at ${details.notAfter} (verifying at ${details.at})`, details);
    }
  }
}
