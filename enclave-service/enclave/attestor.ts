import { generateKeyPairSync, type KeyObject } from "node:crypto";
import {
  createAttestationDocument,
  createLocalAttestationAuthority,
  type IssuedEnclaveCertificate,
  type LocalAttestationAuthority,
} from "../../lib/attestation";

/** What the enclave asks of its attestation source (the Nitro Security Module, or its local stand-in). */
export interface Attestor {
  /** PCR0, hex. */
  readonly measurement: string;
  /** PEM of the root documents chain to (printed at start so clients and key holders can pin it). */
  readonly rootPem: string;
  document(fields: { userData?: Uint8Array; nonce?: Uint8Array; publicKey?: Uint8Array }): Promise<Uint8Array>;
}

/** Re-issue the leaf certificate this long before it expires. */
const RENEW_BEFORE_MS = 15 * 60_000;

/**
 * The local stand-in for the Nitro Security Module: a LOCAL attestation authority created in the
 * enclave process at start (its CA keys are non-extractable and die with the process), a P-384
 * signing key certified for three hours and renewed before expiry, and documents in the exact
 * Nitro format with the enclave's measurement as PCR0.
 *
 * On Nitro hardware the hypervisor measures the image and signs with AWS's chain; here the
 * measurement is computed by the process itself, which is why the threat model (README.md) says
 * what a local run does and does not prove.
 *
 * @example
 * const attestor = await createLocalAttestor(pcr0Hex);
 * const doc = await attestor.document({ userData, nonce });
 */
export async function createLocalAttestor(measurement: string, moduleId = "arbor-identity-local"): Promise<Attestor> {
  if (!/^[0-9a-f]{96}$/.test(measurement)) throw new RangeError("measurement must be 48 bytes of lowercase hex");
  const authority: LocalAttestationAuthority = await createLocalAttestationAuthority();
  let signingKey: KeyObject;
  let issued: IssuedEnclaveCertificate;
  let renewing: Promise<void> | undefined;

  async function renew(): Promise<void> {
    const pair = generateKeyPairSync("ec", { namedCurve: "P-384" });
    issued = await authority.issue({ publicKey: pair.publicKey, commonName: moduleId });
    signingKey = pair.privateKey;
  }
  await renew();

  return {
    measurement,
    rootPem: authority.rootPem,
    async document(fields) {
      if (issued.notAfter.getTime() - Date.now() < RENEW_BEFORE_MS) {
        renewing ??= renew().finally(() => (renewing = undefined));
        await renewing;
      }
      return createAttestationDocument({
        moduleId,
        pcrs: { 0: measurement },
        certificate: issued.certificate,
        cabundle: issued.cabundle,
        signingKey,
        userData: fields.userData ?? null,
        nonce: fields.nonce ?? null,
        publicKey: fields.publicKey ?? null,
      });
    },
  };
}
