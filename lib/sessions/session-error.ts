/**
 * Why the sessions module would reject a session signature, named exactly as the contract's
 * custom error (contracts/sessions/IArborSessions.sol, plus the wallet-signature and OpenZeppelin
 * errors it reuses), with the same arguments in the same order.
 */
import { ArborError, type ArborErrorOptions } from "../errors";

/** Every error `ArborSessions.validateSessionCalls` (and then the wallet) can revert with, in check order. */
export type SessionErrorCode =
  // step 1, structure
  | "SignatureTruncated"
  | "UnsupportedSignatureFlags"
  | "SessionBatchEmpty"
  | "EmptySessionSignature"
  | "UnknownSessionLeaf"
  | "SessionPermissionsMalformed"
  | "SessionLeavesNotAscending"
  | "NotAnIdentityLeaf"
  | "SessionCallCountMismatch"
  | "UnknownCallAuthorisation"
  | "NotASessionLeaf"
  | "SessionPermissionIndexOutOfRange"
  | "AttestationIndexOutOfRange"
  | "InvalidProofFlag"
  | "SignatureTrailingBytes"
  // step 2, attestations
  | "InvalidAttestationSignature"
  | "AttestationSignerMismatch"
  // step 3, multiproof
  | "MerkleProofInvalidMultiproof"
  // step 4, calls
  | "SessionDelegateCall"
  | "SessionSelfCall"
  | "SessionModuleCall"
  | "InvalidSessionCallSignature"
  | "SessionSignerMismatch"
  | "SessionNonceSpace"
  | "SessionKeyBlocked"
  | "IdentitySignerBlocked"
  | "SessionTargetBlocked"
  | "SessionWrongChain"
  | "SessionExpired"
  | "SessionTargetNotPermitted"
  | "SessionValueLimitExceeded"
  | "SessionRuleFailed"
  | "SessionCalldataLengthFailed"
  | "SessionUsageOverflow"
  | "SessionLimitExceeded"
  | "AttestationNotYetValid"
  | "AttestationExpired"
  | "AttestedSessionValue"
  | "AttestedRequestRejected"
  // step 5, the wallet
  | "ImageHashMismatch";

/**
 * A session signature the contracts would reject. `code` is the Solidity custom error's name and
 * `args` its arguments in declaration order: uint256 as bigint, addresses checksummed, bytes32 as
 * lowercase hex.
 *
 * @example
 * const result = await checkSessionCalls({ ... });
 * if (!result.ok && result.error.code === "SessionLimitExceeded") {
 *   const [callIndex, permissionIndex, ruleIndex, total, limit] = result.error.args;
 * }
 */
export class SessionError extends ArborError {
  override readonly name = "SessionError" as const;
  declare readonly code: SessionErrorCode;
  readonly args: readonly unknown[];

  constructor(code: SessionErrorCode, args: readonly unknown[], message: string, options: ArborErrorOptions = {}) {
    super(code, `${code}(${args.map(String).join(", ")}): ${message}`, {
      ...options,
      details: { ...options.details, args },
    });
    this.args = args;
  }
}
