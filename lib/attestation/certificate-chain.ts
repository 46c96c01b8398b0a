// Certificate parsing, chain linkage and validity windows for verifyAttestationDocument (internal).
import "reflect-metadata"; // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs it
import { X509Certificate as NodeCertificate } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AttestationError } from "./errors";
import { asBuffer } from "./bytes";
import { certificateFingerprint } from "./pinned-roots";

const BASIC_CONSTRAINTS = "2.5.29.19";
const KEY_USAGE = "2.5.29.15";
/** Critical extensions this verifier understands; RFC 5280 section 4.2 says to reject the others. */
const UNDERSTOOD_CRITICAL = new Set([BASIC_CONSTRAINTS, KEY_USAGE]);

/** One certificate of a document's chain, parsed once by node:crypto (OpenSSL) and @peculiar/x509. */
export interface ChainCertificate {
  /** Where it sits in the document: "certificate" (the leaf) or "cabundle[i]". */
  position: string;
  der: Uint8Array;
  sha256: string;
  subject: string;
  notBefore: Date;
  notAfter: Date;
  node: NodeCertificate;
  parsed: x509.X509Certificate;
}

/** Parses a DER certificate of the document; an unparsable one makes the document `malformed`. */
export function parseChainCertificate(der: Uint8Array, position: string): ChainCertificate {
  let node: NodeCertificate;
  let parsed: x509.X509Certificate;
  try {
    node = new NodeCertificate(asBuffer(der));
    parsed = new x509.X509Certificate(new Uint8Array(der));
  } catch (cause) {
    throw new AttestationError("malformed", `${position} is not a DER X.509 certificate`, { certificate: position }, cause);
  }
  return {
    position,
    der,
    sha256: certificateFingerprint(der),
    subject: parsed.subject,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    node,
    parsed,
  };
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
  for (const extension of cert.parsed.extensions) {
    if (extension.critical && !UNDERSTOOD_CRITICAL.has(extension.type)) {
      throw chainError(`${cert.position} has a critical extension ${extension.type} this verifier does not understand`, cert, undefined, { extension: extension.type });
    }
  }
}

function keyUsage(cert: ChainCertificate): number | undefined {
  return cert.parsed.getExtension(x509.KeyUsagesExtension)?.usages;
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
  const leafConstraints = leaf.parsed.getExtension(x509.BasicConstraintsExtension);
  if (leafConstraints?.ca) throw chainError("the signing certificate is a CA certificate", leaf, undefined);
  const leafUsage = keyUsage(leaf);
  if (leafUsage === undefined || (leafUsage & x509.KeyUsageFlags.digitalSignature) === 0) {
    throw chainError("the signing certificate's key usage does not allow digitalSignature", leaf, undefined, { keyUsage: leafUsage ?? null });
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i];
    const parent = chain[i + 1];
    // checkIssued is OpenSSL's X509_check_issued: issuer name equals the parent's subject (DER
    // comparison of canonical names), key identifiers agree, the parent may sign certificates.
    if (!child.node.checkIssued(parent.node)) {
      throw chainError(`${child.position} is not issued by ${parent.position} (issuer/subject or key identifiers differ)`, child, parent, { issuer: child.parsed.issuer });
    }
    let signed = false;
    try {
      signed = child.node.verify(parent.node.publicKey);
    } catch {
      signed = false;
    }
    if (!signed) throw chainError(`the signature on ${child.position} does not verify with the key of ${parent.position}`, child, parent);
    const constraints = parent.parsed.getExtension(x509.BasicConstraintsExtension);
    if (!constraints || !constraints.critical || !constraints.ca) {
      throw chainError(`${parent.position} is not a CA (basic constraints missing, not critical, or cA false)`, parent, undefined);
    }
    // CAs strictly between this parent and the leaf: chain[1..i].
    const casBelow = i;
    if (constraints.pathLength !== undefined && constraints.pathLength < casBelow) {
      throw chainError(`${parent.position} allows ${constraints.pathLength} CA certificates below it, the chain has ${casBelow}`, parent, undefined, { pathLength: constraints.pathLength, casBelow });
    }
    const usage = keyUsage(parent);
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
