import { PGlite, types, type Transaction } from "@electric-sql/pglite";
import { type Database, type DatabaseTransaction, type QueryResult, toDatabaseError, DatabaseError } from "./database";

/**
 * Embedded PostgreSQL (PGlite, WebAssembly) in a data directory, or in memory for `memory://`.
 *
 * PGlite is one connection: its `transaction()` holds a mutex that every other query waits on.
 * An interactive transaction from the enclave is therefore a `transaction()` callback kept open
 * until the enclave says commit or rollback; other requests simply queue behind it.
 *
 * @example
 * const db = await openPgliteDatabase("./.arbor/db");
 */
export async function openPgliteDatabase(dataDir: string): Promise<Database> {
  const pg = await PGlite.create(dataDir === "memory://" ? undefined : dataDir, {
    // Same shapes as node-postgres: 64-bit integers as strings, never a lossy JS number.
    parsers: { [types.INT8]: (v: string) => v, [types.NUMERIC]: (v: string) => v },
  });
  let closed = false;

  async function run(target: Pick<Transaction, "query">, sql: string, params: unknown[] = []): Promise<QueryResult> {
    try {
      const r = await target.query<Record<string, unknown>>(sql, params);
      return { rows: r.rows, rowCount: r.affectedRows ?? r.rows.length };
    } catch (err) {
      throw toDatabaseError(err);
    }
  }

  return {
    kind: "pglite",
    query: (sql, params) => run(pg, sql, params),
    async exec(sql) {
      try {
        await pg.exec(sql);
      } catch (err) {
        throw toDatabaseError(err);
      }
    },
    async begin(): Promise<DatabaseTransaction> {
      let settle!: (outcome: "commit" | "rollback") => void;
      const outcome = new Promise<"commit" | "rollback">((resolve) => (settle = resolve));
      let opened!: (tx: Transaction) => void;
      const txReady = new Promise<Transaction>((resolve) => (opened = resolve));
      const ROLLBACK = new Error("rollback requested");
      const done = pg
        .transaction(async (tx) => {
          opened(tx);
          if ((await outcome) === "rollback") throw ROLLBACK;
        })
        .then(
          () => undefined,
          (err: unknown) => {
            if (err !== ROLLBACK) throw toDatabaseError(err);
          },
        );
      // If BEGIN itself fails, `done` rejects before the callback runs: surface that instead of hanging.
      const tx = await Promise.race([txReady, done.then(() => Promise.reject(new DatabaseError("transaction did not open")))]);
      let finished = false;
      return {
        query: (sql, params) => {
          if (finished) return Promise.reject(new DatabaseError("transaction already finished"));
          return run(tx, sql, params);
        },
        async commit() {
          if (finished) throw new DatabaseError("transaction already finished");
          finished = true;
          settle("commit");
          await done;
        },
        async rollback() {
          if (finished) return;
          finished = true;
          settle("rollback");
          await done.catch(() => undefined);
        },
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await pg.close();
    },
  };
}
