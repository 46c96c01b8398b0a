import pg from "pg";
import { type Database, type DatabaseTransaction, type QueryResult, toDatabaseError, DatabaseError } from "./database";

/**
 * PostgreSQL through node-postgres. `schema`, when given, is created if missing and put first on
 * every connection's search_path, which is how tests get a private schema in a shared database.
 *
 * @example
 * const db = await openPostgresDatabase("postgres://postgres@127.0.0.1:5432/test", "arbor_test_1");
 */
export async function openPostgresDatabase(url: string, schema?: string): Promise<Database> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new DatabaseError(`schema name must match [a-z_][a-z0-9_]*, got ${JSON.stringify(schema)}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: 8,
    // A schema name that passed the check above is safe to put in the startup options.
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
  });
  // A client that dies while idle in the pool must not crash the host.
  pool.on("error", () => undefined);
  if (schema !== undefined) {
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (err) {
      await pool.end();
      throw toDatabaseError(err);
    }
  }

  async function run(client: pg.Pool | pg.PoolClient, sql: string, params: unknown[] = []): Promise<QueryResult> {
    try {
      const r = await client.query(sql, params as unknown[]);
      return { rows: r.rows.map(normalizeRow), rowCount: r.rowCount ?? r.rows.length };
    } catch (err) {
      throw toDatabaseError(err);
    }
  }

  return {
    kind: "postgres",
    query: (sql, params) => run(pool, sql, params),
    async exec(sql) {
      try {
        await pool.query(sql);
      } catch (err) {
        throw toDatabaseError(err);
      }
    },
    async begin(): Promise<DatabaseTransaction> {
      const client = await pool.connect().catch((err: unknown) => {
        throw toDatabaseError(err);
      });
      try {
        await client.query("BEGIN");
      } catch (err) {
        client.release(true);
        throw toDatabaseError(err);
      }
      let finished = false;
      return {
        query: (sql, params) => {
          if (finished) return Promise.reject(new DatabaseError("transaction already finished"));
          return run(client, sql, params);
        },
        async commit() {
          if (finished) throw new DatabaseError("transaction already finished");
          finished = true;
          try {
            await client.query("COMMIT");
            client.release();
          } catch (err) {
            client.release(true);
            throw toDatabaseError(err);
          }
        },
        async rollback() {
          if (finished) return;
          finished = true;
          try {
            await client.query("ROLLBACK");
            client.release();
          } catch {
            client.release(true);
          }
        },
      };
    },
    async close() {
      await pool.end();
    },
  };
}

/** node-postgres returns bytea as Buffer; the rest of the service speaks plain Uint8Array. */
function normalizeRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k] = Buffer.isBuffer(v) ? new Uint8Array(v) : v;
  return out;
}
