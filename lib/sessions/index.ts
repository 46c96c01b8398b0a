/**
 * Session attestations: what the identity service signs and the wallet contracts verify.
 * Encoding spec: ./ATTESTATION.md.
 */
export {
  ATTESTATION_TAG,
  IDENTITY_TYPE,
  type Attestation,
  encodeAttestation,
  hashAttestation,
  hashIssuer,
  hashAudience,
  signAttestation,
  recoverAttestationSigner,
  publicKeyToAddress,
} from "./attestation";
export { AttestationEncodingError } from "./attestation-error";
