import "reflect-metadata"; // @peculiar/x509 resolves its algorithm providers through tsyringe, which needs it
import { createPublicKey, randomBytes, webcrypto, type KeyObject } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { AttestationError } from "./errors";
import { derToPem } from "./bytes";
import { certificateFingerprint } from "./pinned-roots";
import { LOCAL_ATTESTATION_MARKER, LOCAL_ROOT_COMMON_NAME } from "./local-root-marker";

const P384 = { name: "ECDSA", namedCurve: "P-384" } as const;
const ES384_SIGNING = { name: "ECDSA", hash: "SHA-384" } as const;
// node's webcrypto implements the DOM Crypto interface @peculiar/x509 asks for.
const provider = webcrypto as unknown as Crypto;
/** Nitro leaf certificates live about three hours; local ones default to the same. */
const DEFAULT_LEAF_LIFETIME_MS = 3 * 60 * 60 * 1000;
const DEFAULT_CA_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;
/** Backdating tolerates clocks a little behind the authority's. */
const BACKDATE_MS = 5 * 60 * 1000;

/** Options of {@link createLocalAttestationAuthority}. */
export interface LocalAttestationAuthorityOptions {
  /** Common name of the root. Default "Arbor LOCAL attestation root (not AWS)". The organisation is always the LOCAL marker. */
  commonName?: string;
  /** Validity of the root and the intermediate. Default: 5 minutes ago to one year from now. */
  validity?: { notBefore?: Date; notAfter?: Date };
}

/** Options of {@link LocalAttestationAuthority.issue}. */
export interface IssueEnclaveCertificateOptions {
  /** The enclave's P-384 attestation signing key (public, or the private key whose public half is certified). */
  publicKey: KeyObject;
  /** Default: one minute ago. */
  notBefore?: Date;
  /** Default: three hours after notBefore, as Nitro does. */
  notAfter?: Date;
  /** Default "Arbor LOCAL enclave (not AWS)"; Nitro puts the module id here. */
  commonName?: string;
}

/** A leaf certificate and the bundle to put beside it in attestation documents. */
export interface IssuedEnclaveCertificate {
  /** DER of the leaf: the document's `certificate`. */
  certificate: Uint8Array;
  certificatePem: string;
  /** DER of [root, intermediate]: the document's `cabundle`, root first as Nitro orders it. */
  cabundle: Uint8Array[];
  notBefore: Date;
  notAfter: Date;
}

/** A local stand-in for the Nitro Security Module's PKI: root, intermediate, short-lived leaves. */
export interface LocalAttestationAuthority {
  /** The root to pin (print it at startup); its subject carries the LOCAL marker. */
  rootPem: string;
  rootDer: Uint8Array;
  /** SHA-256 of the root's DER, lowercase hex. */
  rootFingerprint: string;
  intermediatePem: string;
  intermediateDer: Uint8Array;
  /** Certifies an enclave's P-384 signing key for a short window. */
  issue(options: IssueEnclaveCertificateOptions): Promise<IssuedEnclaveCertificate>;
}

function invalid(field: string, message: string): AttestationError {
  return new AttestationError("invalid-argument", `${field}: ${message}`, { field });
}

function checkDate(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(field, "must be a valid Date");
  return value;
}

function checkCommonName(value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  // X.520 upper bound for a common name is 64 characters.
  if (typeof value !== "string" || value.length === 0 || value.length > 64) throw invalid(field, "must be text of 1..64 characters");
  return value;
}

function name(commonName: string): x509.JsonName {
  return [{ O: [LOCAL_ATTESTATION_MARKER] }, { CN: [commonName] }];
}

/** A positive 127-bit serial number, hex (RFC 5280 section 4.1.2.2: unique, at most 20 bytes). */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] &= 0x7f;
  bytes[0] |= 0x01; // never a leading zero byte, so the DER INTEGER keeps its 16 bytes
  return bytes.toString("hex");
}

async function caExtensions(publicKey: CryptoKey, issuerKey: CryptoKey | null, pathLength: number): Promise<x509.Extension[]> {
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, pathLength, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
    await x509.SubjectKeyIdentifierExtension.create(publicKey, false, provider),
  ];
  if (issuerKey) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuerKey, false, provider));
  return extensions;
}

function toP384PublicKey(key: unknown): KeyObject {
  const keyObject = key as KeyObject;
  if (typeof key !== "object" || key === null || typeof keyObject.asymmetricKeyType !== "string" || keyObject.type === "secret") {
    throw invalid("publicKey", "must be a node:crypto KeyObject (public or private)");
  }
  const publicKey = keyObject.type === "private" ? createPublicKey(keyObject) : keyObject;
  if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "secp384r1") {
    throw invalid("publicKey", "must be an ECDSA P-384 key (the attestation signing key is ES384)");
  }
  return publicKey;
}

/**
 * Creates a LOCAL attestation authority: a self-signed P-384 root, an intermediate below it, and
 * `issue` for short-lived leaf certificates on an enclave's P-384 signing key. It stands in for
 * the AWS Nitro PKI when there is no Nitro hardware: documents chain to this root instead of AWS's.
 * Every certificate it makes has the organisation "Arbor LOCAL attestation (not AWS)", and
 * `verifyAttestationDocument(..., { production: true })` refuses them. The private keys of the
 * root and intermediate are non-extractable WebCrypto keys that live only in this object.
 *
 * @example
 * const authority = await createLocalAttestationAuthority();
 * console.log(authority.rootPem); // clients pin this
 * const enclaveKey = generateKeyPairSync("ec", { namedCurve: "P-384" });
 * const { certificate, cabundle } = await authority.issue({ publicKey: enclaveKey.publicKey });
 */
export async function createLocalAttestationAuthority(options: LocalAttestationAuthorityOptions = {}): Promise<LocalAttestationAuthority> {
  const rootName = checkCommonName(options.commonName, "commonName", LOCAL_ROOT_COMMON_NAME);
  const now = Date.now();
  const caNotBefore = checkDate(options.validity?.notBefore, "validity.notBefore") ?? new Date(now - BACKDATE_MS);
  const caNotAfter = checkDate(options.validity?.notAfter, "validity.notAfter") ?? new Date(caNotBefore.getTime() + DEFAULT_CA_LIFETIME_MS);
  if (caNotAfter.getTime() <= caNotBefore.getTime()) throw invalid("validity", "notAfter must be after notBefore");

  const rootKeys = (await provider.subtle.generateKey(P384, false, ["sign", "verify"])) as CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: name(rootName),
      notBefore: caNotBefore,
      notAfter: caNotAfter,
      keys: rootKeys,
      signingAlgorithm: ES384_SIGNING,
      extensions: await caExtensions(rootKeys.publicKey, null, 1),
    },
    provider,
  );
  const intermediateKeys = (await provider.subtle.generateKey(P384, false, ["sign", "verify"])) as CryptoKeyPair;
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: name("Arbor LOCAL attestation intermediate (not AWS)"),
      issuer: root.subject,
      notBefore: caNotBefore,
      notAfter: caNotAfter,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: ES384_SIGNING,
      extensions: await caExtensions(intermediateKeys.publicKey, rootKeys.publicKey, 0),
    },
    provider,
  );
  const rootDer = new Uint8Array(root.rawData);
  const intermediateDer = new Uint8Array(intermediate.rawData);

  async function issue(issueOptions: IssueEnclaveCertificateOptions): Promise<IssuedEnclaveCertificate> {
    if (typeof issueOptions !== "object" || issueOptions === null) throw invalid("options", "must be an object");
    const publicKey = toP384PublicKey(issueOptions.publicKey);
    const leafName = checkCommonName(issueOptions.commonName, "commonName", "Arbor LOCAL enclave (not AWS)");
    const notBefore = checkDate(issueOptions.notBefore, "notBefore") ?? new Date(Date.now() - 60_000);
    const notAfter = checkDate(issueOptions.notAfter, "notAfter") ?? new Date(notBefore.getTime() + DEFAULT_LEAF_LIFETIME_MS);
    if (notAfter.getTime() <= notBefore.getTime()) throw invalid("notAfter", "must be after notBefore");
    // A leaf outliving its issuer would produce documents that fail as soon as the issuer expires.
    if (notBefore.getTime() < caNotBefore.getTime() || notAfter.getTime() > caNotAfter.getTime()) {
      throw new AttestationError("invalid-argument", "the leaf window must lie inside the authority's validity", {
        field: "notBefore/notAfter",
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        authorityNotBefore: caNotBefore.toISOString(),
        authorityNotAfter: caNotAfter.toISOString(),
      });
    }
    const spki = publicKey.export({ type: "spki", format: "der" });
    const leafKey = await provider.subtle.importKey("spki", spki, P384, true, ["verify"]);
    const leaf = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serialNumber(),
        subject: name(leafName),
        issuer: intermediate.subject,
        notBefore,
        notAfter,
        publicKey: leafKey,
        signingKey: intermediateKeys.privateKey,
        signingAlgorithm: ES384_SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          await x509.SubjectKeyIdentifierExtension.create(leafKey, false, provider),
          await x509.AuthorityKeyIdentifierExtension.create(intermediateKeys.publicKey, false, provider),
        ],
      },
      provider,
    );
    const certificate = new Uint8Array(leaf.rawData);
    return {
      certificate,
      certificatePem: derToPem(certificate),
      cabundle: [new Uint8Array(rootDer), new Uint8Array(intermediateDer)],
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
  }

  return {
    rootPem: derToPem(rootDer),
    rootDer,
    rootFingerprint: certificateFingerprint(rootDer),
    intermediatePem: derToPem(intermediateDer),
    intermediateDer,
    issue,
  };
}
