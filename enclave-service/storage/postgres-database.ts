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
    // While the server restarts, a checkout fails after this long instead of waiting forever.
    connectionTimeoutMillis: 5_000,
    // Names the host's sessions in pg_stat_activity (operators, and tests that terminate them).
    application_name: schema === undefined ? "arbor-host" : `arbor-host:${schema}`,
    // A schema name that passed the check above is safe to put in the startup options.
    options: schema === undefined ? undefined : `-c search_path=${schema}`,
  });
  // A client that dies while idle in the pool (the server restarted, or an administrator ran
  // pg_terminate_backend) must not crash the host: the pool drops it and connects a new one on the
  // next checkout, which is all the "reconnect" PostgreSQL needs (finding 6).
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
      // A checked-out client has no listener of the pool's: without one, a server restart while a
      // transaction is open would be an unhandled 'error' event and kill the host. The failing
      // statement rejects on its own; here we only remember to discard the connection.
      let broken = false;
      const onError = () => {
        broken = true;
      };
      client.on("error", onError);
      const release = (discard: boolean) => {
        client.off("error", onError);
        // The listener stays until the socket is gone, so a late error on a discarded client is absorbed.
        if (discard || broken) {
          client.on("error", () => undefined);
          client.release(true);
        } else client.release();
      };
      try {
        await client.query("BEGIN");
      } catch (err) {
        release(true);
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
            release(false);
          } catch (err) {
            release(true);
            throw toDatabaseError(err);
          }
        },
        async rollback() {
          if (finished) return;
          finished = true;
          try {
            await client.query("ROLLBACK");
            release(false);
          } catch {
            release(true);
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
