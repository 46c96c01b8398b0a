// Attestation documents: AWS Nitro Enclaves format, local authority, verifier. Spec: README.md.
export { AttestationError, type AttestationErrorCode } from "./errors";
export { AWS_NITRO_ROOT_PEM, AWS_NITRO_ROOT_SHA256 } from "./aws-nitro-root";
export { LOCAL_ATTESTATION_MARKER, LOCAL_ROOT_COMMON_NAME } from "./local-root-marker";
export { ATTESTATION_CHECKS, type AttestationCheck, type AttestationCheckInfo } from "./checks";
export {
  decodeAttestationDocument,
  MAX_ATTESTATION_DOCUMENT_BYTES,
  type AttestationDocument,
  type AttestationDocumentRaw,
} from "./decode-attestation-document";
export { parseAttestationInput } from "./parse-attestation-input";
export {
  verifyAttestationDocument,
  type VerifyAttestationOptions,
  type VerifiedAttestationDocument,
  type VerifiedCertificate,
  type AttestationCheckResult,
} from "./verify-attestation-document";
export {
  createLocalAttestationAuthority,
  type LocalAttestationAuthority,
  type LocalAttestationAuthorityOptions,
  type IssueEnclaveCertificateOptions,
  type IssuedEnclaveCertificate,
} from "./create-local-attestation-authority";
export { createAttestationDocument, type CreateAttestationDocumentOptions } from "./create-attestation-document";
export { isLocalAttestationRoot } from "./is-local-attestation-root";
export { measureCodeBundle } from "./measure-code-bundle";
export { responseBinding, type ResponseBindingInput } from "./response-binding";
export { certificateFingerprint } from "./pinned-roots";
