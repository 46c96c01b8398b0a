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

/**
 * Smart sessions: explicit sessions (permissions in a session-permissions leaf) and attested
 * sessions (an identity signer vouches for a session key, for one app). Encoding spec: ./ENCODING.md.
 */
export { SessionError, type SessionErrorCode } from "./session-error";
export {
  RULE_OPERATION,
  LENGTH_OPERATION,
  calldataLengthAtLeast,
  calldataLengthAtMost,
  FULL_MASK,
  SELECTOR_MASK,
  ADDRESS_MASK,
  toSelector,
  calldataRule,
  anyCall,
  onlyFunction,
  atMostTimes,
  atMostOnce,
  erc20TransferUpTo,
  erc20ApproveUpTo,
  nativeValueUpTo,
  type NativeValueGrant,
} from "./permission-builders";
export { explicitSession, sessionPermissionsLeaf, type ExplicitSession, type ExplicitSessionOptions } from "./explicit-session";
export { SESSION_CALL_TAG, sessionCallHash, type SessionCallGrant } from "./session-call-hash";
export {
  SESSION_SIGNATURE_FLAGS,
  encodeSessionSignature,
  decodeSessionSignature,
  type SessionSignature,
  type DecodedSessionSignature,
  type DecodedPermission,
  type SessionSignatureLeaf,
  type SessionLeafEntry,
  type IdentityLeafEntry,
  type SessionSignatureAttestation,
  type CallAuthorisation,
} from "./session-signature";
export {
  ACCEPT_ATTESTED_REQUEST_TAG,
  acceptAttestedRequestMagic,
  usageKey,
  memorySessionState,
  chainSessionState,
  type SessionState,
} from "./session-state";
export {
  checkSessionCalls,
  nonCumulativeRulesHold,
  type CheckSessionCallsInput,
  type CheckSessionCallsResult,
  type UsageUpdate,
} from "./check-session-calls";
export { signSessionCalls, type SignSessionCallsInput, type SessionCallSigner, type SessionKey } from "./sign-session-calls";
export { sessionNonceSpace } from "./session-nonce-space";
export { sessionBatchSpace } from "./session-batch-space";
