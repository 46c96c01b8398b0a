/**
 * Error classes of the Arbor library.
 *
 * Two base kinds, as in OpenZeppelin's merkle-tree: {@link InvalidArgumentError} when the caller
 * passed something wrong (the message names the offending field), {@link InvariantError} when the
 * library broke one of its own guarantees (a bug: please report it). {@link SignatureError} and
 * {@link MultiProofError} mirror the custom errors the contracts revert with, so an off-chain check
 * and an on-chain revert can be compared by `code`.
 *
 * Every error has a literal `name` (narrow with `err.name === "InvalidArgumentError"` or
 * `instanceof`), a stable `code` and the values needed to diagnose it in `details`.
 */

/** Options shared by every Arbor error. */
export interface ArborErrorOptions {
  /** Values that explain the failure (the bad value, the limit it broke, ...). */
  details?: Record<string, unknown>;
  /** The lower-level error that caused this one, if any. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by the Arbor library.
 *
 * @example
 * try { Configuration.load(json) } catch (err) {
 *   if (err instanceof ArborError) console.error(err.code, err.details)
 * }
 */
export class ArborError extends Error {
  override name: string = "ArborError";
  /** Stable machine-readable code; never changes for the same failure. */
  readonly code: string;
  /** Diagnostic values. */
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: ArborErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }
}

/**
 * The caller passed a value that is not acceptable. `field` is a dotted path to it, such as
 * `"leaves[2].weight"` or `"threshold"`, so a form or a JSON file can point at the culprit.
 *
 * @example
 * Configuration.of({ threshold: 0n, checkpoint: 0n, leaves })
 * // throws InvalidArgumentError { code: "THRESHOLD_TOO_LOW", field: "threshold" }
 */
export class InvalidArgumentError extends ArborError {
  override readonly name = "InvalidArgumentError" as const;
  /** Dotted path of the offending field ("" when the whole value is wrong). */
  readonly field: string;

  constructor(code: string, field: string, message: string, options: ArborErrorOptions = {}) {
    super(code, field === "" ? message : `${field}: ${message}`, options);
    this.field = field;
  }
}

/**
 * A guarantee the library relies on did not hold. This is a bug in Arbor, never the caller's fault.
 *
 * @example
 * if (stack.length !== 1) throw new InvariantError("multiproof stack not drained", { details: { stack } })
 */
export class InvariantError extends ArborError {
  override readonly name = "InvariantError" as const;

  constructor(message: string, options: ArborErrorOptions = {}) {
    super("INVARIANT_VIOLATED", `invariant violated: ${message}`, options);
  }
}

/**
 * Names of the custom errors the wallet contracts revert with while decoding or checking a
 * signature. The off-chain decoder and verifier throw exactly these, with the same arguments.
 * `Panic` is Solidity's built-in panic (args[0] is the panic code, 0x32 = array index out of bounds).
 */
export type SignatureErrorCode =
  | "EmptySignature"
  | "SignatureTruncated"
  | "SignatureTrailingBytes"
  | "UnsupportedSignatureFlags"
  | "ChainIdZeroNotAllowed"
  | "UnknownSignatureStep"
  | "SignatureWalkUnderflow"
  | "SignatureWalkUnsorted"
  | "SignatureWalkPrunable"
  | "SignatureWalkTooDeep"
  | "SignatureWalkUnbalanced"
  | "InvalidProofFlag"
  | "InvalidECDSASignature"
  | "InvalidERC1271Signature"
  | "DuplicateLeaf"
  | "DuplicateSigner"
  | "WeightOverflow"
  | "MerkleProofInvalidMultiproof"
  | "ThresholdNotMet"
  | "ImageHashMismatch"
  | "Panic";

/**
 * A signature failed to decode or to verify. `code` is the exact name of the Solidity custom error
 * the contract would revert with and `args` its arguments, in declaration order.
 *
 * @example
 * decodeSignature("0x")
 * // throws SignatureError { code: "EmptySignature", args: [] }
 */
export class SignatureError extends ArborError {
  override readonly name = "SignatureError" as const;
  declare readonly code: SignatureErrorCode;
  /** Arguments of the Solidity custom error, in order: every uintN as bigint (as ethers decodes them), addresses checksummed, bytes32 lowercase hex. */
  readonly args: readonly unknown[];

  constructor(code: SignatureErrorCode, args: readonly unknown[], message: string, options: ArborErrorOptions = {}) {
    super(code, `${code}(${args.map(String).join(", ")}): ${message}`, {
      ...options,
      details: { ...options.details, args },
    });
    this.args = args;
  }
}

/**
 * A multiproof is malformed in a way OpenZeppelin's `MerkleProof.processMultiProof` rejects:
 * `MerkleProofInvalidMultiproof` (the counts do not add up, or proof hashes are left unused), or
 * `Panic` 0x32 (the flags make it read past the end of the proof or of its hash queue).
 *
 * @example
 * processMultiProof({ leaves: [a], proof: [], proofFlags: [true] })
 * // throws MultiProofError { code: "MerkleProofInvalidMultiproof" }
 */
export class MultiProofError extends ArborError {
  override readonly name = "MultiProofError" as const;
  declare readonly code: "MerkleProofInvalidMultiproof" | "Panic";

  constructor(code: "MerkleProofInvalidMultiproof" | "Panic", message: string, options: ArborErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Names of the custom errors `PayloadHashes.hashPackedCalls` reverts with on a malformed packed payload. */
export type PayloadErrorCode = "PayloadTruncated" | "UnknownCallFlags" | "UnknownFailureMode" | "DelegateCallWithValue" | "NonCanonicalCall";

/**
 * A packed payload (lib/payload/ENCODING.md, "Packed calls") failed to decode. `code` is the exact
 * name of the Solidity custom error the wallet would revert with and `args` its arguments.
 *
 * @example
 * decodeCallsPayload("0x00")
 * // throws PayloadError { code: "PayloadTruncated", args: [32n, 1n] }
 */
export class PayloadError extends ArborError {
  override readonly name = "PayloadError" as const;
  declare readonly code: PayloadErrorCode;
  /** Arguments of the Solidity custom error, in order, every uint as bigint. */
  readonly args: readonly unknown[];

  constructor(code: PayloadErrorCode, args: readonly unknown[], message: string, options: ArborErrorOptions = {}) {
    super(code, `${code}(${args.map(String).join(", ")}): ${message}`, { ...options, details: { ...options.details, args } });
    this.args = args;
  }
}
