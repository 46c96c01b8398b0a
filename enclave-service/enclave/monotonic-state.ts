import { CustodyError } from "../custody/custody-error";

/**
 * Monotonic state the host cannot roll back: the highest version of each authority row this
 * enclave process has written or read, kept in enclave memory until the row's own expiry.
 *
 * Sealed rows stop the host from writing rows the enclave did not write, but not from putting back
 * an older row the enclave did write (a commitment before it was consumed, an attempt counter
 * before the wrong answers, a binding before its revocation, an older nonce). This catches every
 * such rollback within one enclave process; `startedAt` lets callers refuse state older than the
 * process (README, "Threat model", what rollback still allows).
 *
 * @example
 * guard.check("auth_commitments", id, c.version); ... guard.saw("auth_commitments", id, c.version + 1, c.expiresAt);
 */
export class MonotonicState {
  readonly startedAt = Date.now();
  private readonly high = new Map<string, { version: bigint; until: number }>();
  private writes = 0;

  /** The highest version seen for a row, if this process saw one that has not expired. */
  known(table: string, rowKey: string): bigint | undefined {
    const e = this.high.get(`${table}\0${rowKey}`);
    if (e === undefined) return undefined;
    if (e.until <= Date.now()) {
      this.high.delete(`${table}\0${rowKey}`);
      return undefined;
    }
    return e.version;
  }

  /**
   * Refuses a row older than what this process already saw.
   *
   * @throws CustodyError `row-rolled-back` (the host put back an older authentic row)
   */
  check(table: string, rowKey: string, version: bigint | number): void {
    const known = this.known(table, rowKey);
    if (known !== undefined && BigInt(version) < known) {
      throw new CustodyError("row-rolled-back", `${table} row ${rowKey} is version ${version}, older than version ${known} this enclave already used`, {
        table,
        rowKey,
        version: String(version),
        known: String(known),
      });
    }
  }

  /** Records that a row reached `version`; remembered until `until` (unix ms), the row's expiry. */
  saw(table: string, rowKey: string, version: bigint | number, until: number): void {
    const key = `${table}\0${rowKey}`;
    const v = BigInt(version);
    const e = this.high.get(key);
    if (e === undefined || e.version < v) this.high.set(key, { version: v, until: Math.max(until, e?.until ?? 0) });
    else if (e.until < until) e.until = until;
    // Expired entries are dropped every so often, so memory follows the live rows, not history.
    if (++this.writes % 4096 === 0) {
      const now = Date.now();
      for (const [k, x] of this.high) if (x.until <= now) this.high.delete(k);
    }
  }
}
