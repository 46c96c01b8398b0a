/**
 * Why the enclave could not encrypt or decrypt: the custody layer's one error class.
 *
 * - `record-tampered`: AES-GCM refused a record: wrong row, wrong table, flipped bits, wrong key.
 * - `custody-unavailable`: fewer than two key holders released their share; `details.holders`
 *   names each holder that failed and why.
 * - `pool-key-check-failed`: shares recombined to a key that does not match its stored commitment.
 * - `no-active-generation`: the pool has no active generation (the service was never initialised).
 * - `unknown-cipher-key`: a record names a pool key that is not in the database.
 * - `invalid-wrapped-key`: a wrapped share is malformed or does not decrypt.
 * - `share-not-held`: a key holder did not seal this share (the host made it): the key is not genuine.
 * - `pool-key-forged`: at least two key holders refused a pool key as one they never sealed, so the
 *   host introduced it; nothing is sealed under it or opened with it.
 * - `row-forged`: a row that carries authority does not open under the pool (the enclave did not
 *   write it: inserted, altered, moved or under a key the host made).
 * - `row-rolled-back`: a row is authentic but older than a version this enclave already wrote or read.
 *
 * @example
 * catch (e) { if (e instanceof CustodyError && e.code === "custody-unavailable") console.log(e.details.holders) }
 */
export class CustodyError extends Error {
  override readonly name = "CustodyError" as const;
  readonly code:
    | "record-tampered"
    | "custody-unavailable"
    | "pool-key-check-failed"
    | "no-active-generation"
    | "unknown-cipher-key"
    | "invalid-wrapped-key"
    | "share-not-held"
    | "pool-key-forged"
    | "row-forged"
    | "row-rolled-back";
  readonly details: Record<string, unknown>;

  constructor(code: CustodyError["code"], message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.details = details;
  }
}
