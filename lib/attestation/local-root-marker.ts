/**
 * The organisation name every certificate of a local attestation authority carries. It makes a
 * local root unmistakable to a human reading a certificate and lets `verifyAttestationDocument`
 * name the failure `local-root-in-production`. Production does not rely on it for safety: there,
 * only the AWS Nitro root (pinned by its SHA-256) is accepted at all.
 */
export const LOCAL_ATTESTATION_MARKER = "Arbor LOCAL attestation (not AWS)";

/** Common name of a local root unless the caller picks another. */
export const LOCAL_ROOT_COMMON_NAME = "Arbor LOCAL attestation root (not AWS)";
