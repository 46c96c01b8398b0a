import { certificateToDer } from "./bytes";
import { hasLocalMarker } from "./pinned-roots";

/**
 * Whether a certificate (PEM or DER) was made by `createLocalAttestationAuthority`: its subject
 * carries the organisation "Arbor LOCAL attestation (not AWS)". A service can refuse to start in
 * production with such a root configured, before any document exists.
 *
 * @example
 * if (config.production && isLocalAttestationRoot(config.attestationRootPem)) throw new Error("local attestation root in production");
 */
export function isLocalAttestationRoot(certificate: string | Uint8Array): boolean {
  return hasLocalMarker(certificateToDer(certificate, "certificate"));
}
