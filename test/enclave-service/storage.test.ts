import { expect } from "chai";
import { openPgliteDatabase } from "../../enclave-service/storage/pglite-database";
import { openPostgresDatabase } from "../../enclave-service/storage/postgres-database";
import { MIGRATIONS, migrate } from "../../enclave-service/storage/migrations";
import { DatabaseError, type Database } from "../../enclave-service/storage/database";
import { POSTGRES_URL, dropSchema, freshSchema, postgresAvailable } from "./helpers";

/** The same checks, once per backend: that is what "one schema and migrations for both" means. */
function storageSuite(name: string, open: () => Promise<{ db: Database; cleanup(): Promise<void> }>): void {
  describe(`storage on ${name}`, function () {
    let db: Database;
    let cleanup: () => Promise<void>;

    before(async function () {
      const opened = await open().catch((err: Error) => {
        if (err.message === "skip") this.skip();
        throw err;
      });
      db = opened.db;
      cleanup = opened.cleanup;
    });
    after(async () => {
      await cleanup?.();
    });

    describe("migrate", () => {
      it("applies every migration when the database is empty, then nothing when run again", async () => {
        expect(await migrate(db)).to.deep.equal(MIGRATIONS.map((m) => m.version));
        expect(await migrate(db)).to.deep.equal([]);
        const tables = await db.query(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name",
        );
        expect(tables.rows.map((r) => r.table_name)).to.deep.equal([
          "arbor_migrations", "auth_commitments", "auth_key_nonces", "auth_keys", "cipher_generations", "cipher_keys", "identity_signers",
          "login_destination_counts",
        ]);
      });

      it("refuses to run when the database has a migration this code does not know", async () => {
        await db.query("INSERT INTO arbor_migrations (version, name, applied_at_ms) VALUES (9999, 'future', 0)");
        try {
          await migrate(db);
          expect.fail("migrate should refuse");
        } catch (err) {
          expect(err).to.be.instanceOf(DatabaseError);
          expect((err as Error).message).to.match(/9999/);
        } finally {
          await db.query("DELETE FROM arbor_migrations WHERE version = 9999");
        }
      });
    });

    describe("begin", () => {
      it("keeps the writes when the transaction commits and drops them when it rolls back", async () => {
        const a = await db.begin();
        await a.query("INSERT INTO cipher_generations (generation, state, created_at_ms) VALUES (1, 'retired', 0)");
        await a.commit();
        const b = await db.begin();
        await b.query("INSERT INTO cipher_generations (generation, state, created_at_ms) VALUES (2, 'retired', 0)");
        await b.rollback();
        const rows = await db.query("SELECT generation FROM cipher_generations ORDER BY generation");
        expect(rows.rows.map((r) => Number(r.generation))).to.deep.equal([1]);
      });

      it("returns int8 and numeric as strings and bytea as Uint8Array on every backend", async () => {
        const r = await db.query("SELECT 9007199254740993::int8 AS big, 18446744073709551615::numeric(20,0) AS n, '\\x0102'::bytea AS b");
        expect(r.rows[0].big).to.equal("9007199254740993");
        expect(r.rows[0].n).to.equal("18446744073709551615");
        expect(r.rows[0].b).to.be.instanceOf(Uint8Array);
        expect(Buffer.from(r.rows[0].b as Uint8Array).toString("hex")).to.equal("0102");
      });

      it("reports the SQLSTATE when a statement violates a constraint", async () => {
        try {
          await db.query("INSERT INTO cipher_generations (generation, state, created_at_ms) VALUES (1, 'retired', 0)");
          expect.fail("duplicate key should fail");
        } catch (err) {
          expect(err).to.be.instanceOf(DatabaseError);
          expect((err as DatabaseError).sqlState).to.equal("23505");
        }
      });

      it("refuses a second commit when the transaction has already finished", async () => {
        const tx = await db.begin();
        await tx.commit();
        try {
          await tx.commit();
          expect.fail("second commit should fail");
        } catch (err) {
          expect(err).to.be.instanceOf(DatabaseError);
        }
      });
    });
  });
}

storageSuite("PGlite", async () => {
  const db = await openPgliteDatabase("memory://");
  return { db, cleanup: () => db.close() };
});

storageSuite("PostgreSQL", async () => {
  if (!(await postgresAvailable())) {
    console.log(`    (PostgreSQL at ${POSTGRES_URL} is unreachable: skipping the PostgreSQL storage tests)`);
    throw new Error("skip");
  }
  const schema = freshSchema();
  const db = await openPostgresDatabase(POSTGRES_URL, schema);
  return {
    db,
    cleanup: async () => {
      await db.close();
      await dropSchema(schema);
    },
  };
});

describe("openPostgresDatabase", () => {
  it("rejects a schema name when it is not a plain identifier", async () => {
    try {
      await openPostgresDatabase(POSTGRES_URL, "x; DROP TABLE y");
      expect.fail("should refuse");
    } catch (err) {
      expect(err).to.be.instanceOf(DatabaseError);
    }
  });
});
