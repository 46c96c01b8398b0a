// Turning the caller's `roots` option into pinned DER fingerprints (internal).
import { createHash, X509Certificate } from "node:crypto";
import { AttestationError } from "./errors";
import { asBuffer, certificateToDer } from "./bytes";
import { AWS_NITRO_ROOT_SHA256 } from "./aws-nitro-root";
import { LOCAL_ATTESTATION_MARKER } from "./local-root-marker";

/** A pinned root: its DER and the SHA-256 of that DER (lowercase hex). */
export interface PinnedRoot {
  der: Uint8Array;
  sha256: string;
  subject: string;
}

/** SHA-256 of a certificate's DER, lowercase hex: how roots are compared (never by name). */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash("sha256").update(der).digest("hex");
}

/** Whether a certificate was made by a local attestation authority (its subject names the marker). */
export function hasLocalMarker(der: Uint8Array): boolean {
  try {
    return new X509Certificate(asBuffer(der)).subject.split("\n").some((line) => line === `O=${LOCAL_ATTESTATION_MARKER}`);
  } catch {
    return false;
  }
}

/**
 * Parses and checks `roots`. In production only the AWS Nitro root is acceptable: a local root
 * is refused as `local-root-in-production`, any other as `root-not-allowed-in-production`.
 */
export function pinRoots(roots: readonly (string | Uint8Array)[], production: boolean): PinnedRoot[] {
  if (!Array.isArray(roots) || roots.length === 0) throw new AttestationError("invalid-argument", "roots must be a non-empty array of PEM strings or DER bytes", { field: "roots" });
  return roots.map((root, i) => {
    const der = certificateToDer(root, `roots[${i}]`);
    const sha256 = certificateFingerprint(der);
    const subject = new X509Certificate(asBuffer(der)).subject.replace(/\n/g, ", ");
    if (production && sha256 !== AWS_NITRO_ROOT_SHA256) {
      if (hasLocalMarker(der)) {
        throw new AttestationError("local-root-in-production", `roots[${i}] is an Arbor LOCAL attestation root, which production refuses`, { index: i, sha256, subject });
      }
      throw new AttestationError("root-not-allowed-in-production", `roots[${i}] is not the AWS Nitro root (sha256 ${AWS_NITRO_ROOT_SHA256})`, { index: i, sha256, subject, expected: AWS_NITRO_ROOT_SHA256 });
    }
    return { der, sha256, subject };
  });
}
