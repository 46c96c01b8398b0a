import { ArborError, type ArborErrorOptions } from "../errors";

/**
 * The EntryPoint refused a user operation during validation: its `FailedOp(opIndex, reason)` or
 * `FailedOpWithRevert(opIndex, reason, inner)` revert, decoded. `reason` is the EntryPoint's
 * `AAxx` string ("AA24 signature error", "AA21 didn't pay prefund", ...), so callers can narrow on
 * the standard code in `reason.slice(0, 4)`.
 *
 * @example
 * try { await bundler.send(op) } catch (e) { if (e instanceof UserOperationFailedError && e.reason.startsWith("AA24")) ... }
 */
export class UserOperationFailedError extends ArborError {
  override readonly name = "UserOperationFailedError" as const;
  constructor(
    readonly opIndex: bigint,
    readonly reason: string,
    readonly inner: string | undefined,
    options: ArborErrorOptions = {},
  ) {
    super("USER_OPERATION_FAILED", `user operation ${opIndex} failed validation: ${reason}${inner ? ` (inner revert ${inner})` : ""}`, {
      ...options,
      details: { ...options.details, opIndex, reason, inner },
    });
  }
}

/**
 * The EntryPoint v0.8 cannot be placed at its canonical address on this chain (other code sits
 * there, or the deterministic deployment did not leave it there).
 */
export class EntryPointDeploymentError extends ArborError {
  override readonly name = "EntryPointDeploymentError" as const;
  constructor(readonly chainId: bigint, reason: string, options: ArborErrorOptions = {}) {
    super("ENTRY_POINT_DEPLOYMENT_FAILED", `chain ${chainId}: EntryPoint v0.8: ${reason}`, options);
  }
}
