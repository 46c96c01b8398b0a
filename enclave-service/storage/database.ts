/**
 * The one database interface the host serves to the enclave. Two implementations share it:
 * embedded PGlite (a data directory, the default) and PostgreSQL (when DATABASE_URL is set).
 * Both run the same SQL and the same migrations; values come back in the same shapes
 * (int8 and numeric as decimal strings, bytea as Uint8Array), so nothing above this layer knows
 * which one it talks to.
 */

/** Rows and the number of rows a statement touched. */
export interface QueryResult {
  rows: Record<string, unknown>[];
  rowCount: number;
}

/** An open transaction. Exactly one of commit() or rollback() ends it. */
export interface DatabaseTransaction {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A database the host owns. */
export interface Database {
  readonly kind: "pglite" | "postgres";
  /** A single statement, in its own implicit transaction. */
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
  /** Several statements separated by semicolons, no parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** Starts a transaction (READ COMMITTED, as PostgreSQL's default). */
  begin(): Promise<DatabaseTransaction>;
  close(): Promise<void>;
}

/**
 * A statement the database refused, with PostgreSQL's SQLSTATE (`23505` unique violation, ...).
 *
 * @example
 * catch (e) { if (e instanceof DatabaseError && e.sqlState === "23505") ... }
 */
export class DatabaseError extends Error {
  override readonly name = "DatabaseError" as const;
  readonly code = "database-error" as const;
  readonly sqlState?: string;

  constructor(message: string, sqlState?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.sqlState = sqlState;
  }
}

/** Wraps whatever a driver threw into a DatabaseError that keeps the SQLSTATE. */
export function toDatabaseError(err: unknown): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const e = err as { message?: string; code?: unknown };
  return new DatabaseError(e?.message ?? String(err), typeof e?.code === "string" ? e.code : undefined, err);
}
