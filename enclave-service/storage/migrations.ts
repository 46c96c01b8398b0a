import type { Database } from "./database";
import { DatabaseError } from "./database";

/**
 * The schema, as an append-only list of migrations. Never edit an applied migration: add a new one.
 * PGlite and PostgreSQL run exactly these statements.
 *
 * Times are unix milliseconds in bigint columns (not timestamptz) so both drivers return the same
 * value and the enclave never depends on a database clock or time zone.
 */
export const MIGRATIONS: { version: number; name: string; sql: string; before?: (tx: Pick<Database, "query">) => Promise<void> }[] = [
  {
    version: 1,
    name: "initial schema",
    sql: `
      -- Pool generations: exactly one is active (new records use it); older ones are retiring
      -- until no record refers to their keys, then retired.
      CREATE TABLE cipher_generations (
        generation    integer PRIMARY KEY CHECK (generation > 0),
        state         text NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
        created_at_ms bigint NOT NULL,
        retired_at_ms bigint
      );
      CREATE UNIQUE INDEX cipher_generations_one_active ON cipher_generations ((true)) WHERE state = 'active';

      -- Pool keys. The key itself is never stored: only its three Shamir shares, each wrapped to a
      -- different key holder, and a commitment that detects a wrong recombination.
      CREATE TABLE cipher_keys (
        id            text PRIMARY KEY,
        generation    integer NOT NULL REFERENCES cipher_generations (generation),
        key_check     bytea NOT NULL,
        share_1       bytea NOT NULL,
        share_2       bytea NOT NULL,
        share_3       bytea NOT NULL,
        created_at_ms bigint NOT NULL
      );
      CREATE INDEX cipher_keys_generation ON cipher_keys (generation);

      -- One identity signer per identity (per ecosystem). The primary key is what makes creation
      -- happen at most once under concurrent first logins.
      CREATE TABLE identity_signers (
        ecosystem     text NOT NULL,
        identity_id   text NOT NULL,
        address       text NOT NULL,
        cipher_key_id text NOT NULL REFERENCES cipher_keys (id),
        ciphertext    bytea NOT NULL,
        created_at_ms bigint NOT NULL,
        PRIMARY KEY (ecosystem, identity_id)
      );
      CREATE INDEX identity_signers_cipher_key ON identity_signers (cipher_key_id);

      -- A started authentication. Bound to the auth key that started it; consumed at most once.
      CREATE TABLE auth_commitments (
        id                text PRIMARY KEY,
        ecosystem         text NOT NULL,
        auth_key          text NOT NULL,
        identity_type     text NOT NULL CHECK (identity_type IN ('email', 'phone', 'oidc')),
        issuer            text NOT NULL,
        identity_id       text,
        audience          text NOT NULL,
        answer_hash       bytea,
        cipher_key_id     text REFERENCES cipher_keys (id),
        secret_ciphertext bytea,
        attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
        max_attempts      integer NOT NULL CHECK (max_attempts > 0),
        expires_at_ms     bigint NOT NULL,
        consumed_at_ms    bigint,
        created_at_ms     bigint NOT NULL,
        CHECK (attempts <= max_attempts),
        CHECK ((cipher_key_id IS NULL) = (secret_ciphertext IS NULL))
      );
      CREATE INDEX auth_commitments_cipher_key ON auth_commitments (cipher_key_id);

      -- An auth key bound to an identity for a bounded lifetime.
      CREATE TABLE auth_keys (
        auth_key      text PRIMARY KEY,
        ecosystem     text NOT NULL,
        identity_id   text NOT NULL,
        identity_type text NOT NULL,
        issuer        text NOT NULL,
        audience      text NOT NULL,
        expires_at_ms bigint NOT NULL,
        created_at_ms bigint NOT NULL,
        FOREIGN KEY (ecosystem, identity_id) REFERENCES identity_signers (ecosystem, identity_id)
      );

      -- The last request nonce seen per auth key (strictly increasing).
      CREATE TABLE auth_key_nonces (
        auth_key      text PRIMARY KEY,
        last_nonce    numeric(20, 0) NOT NULL,
        updated_at_ms bigint NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: "login codes per destination",
    sql: `
      -- Login codes sent per destination (identity id: a hash, never the address) per fixed window,
      -- shared by every enclave+host pair on this database (enclave/destination-limiter.ts).
      CREATE TABLE login_destination_counts (
        destination_id  text NOT NULL,
        window_start_ms bigint NOT NULL,
        sent            integer NOT NULL CHECK (sent > 0),
        PRIMARY KEY (destination_id, window_start_ms)
      );
    `,
  },
  {
    version: 3,
    name: "sealed authority rows and holder-sealed pool keys",
    // Version 1 pool keys had shares boxed to the holders' public keys, which the host can make
    // too: such a key cannot be told apart from one the host introduced, so no v1 data is carried
    // over. An empty v1 schema (a fresh database) is simply replaced.
    before: async (tx) => {
      const r = await tx.query("SELECT count(*)::int AS n FROM cipher_keys");
      if (Number(r.rows[0].n) > 0) {
        throw new DatabaseError(
          "database holds version 1 pool keys, which cannot be told apart from keys the host made: start on an empty database (README, Storage)",
        );
      }
    },
    sql: `
      DROP TABLE auth_key_nonces;
      DROP TABLE auth_keys;
      DROP TABLE auth_commitments;
      DROP TABLE identity_signers;
      DROP TABLE cipher_keys;
      DROP TABLE cipher_generations;

      -- Pool generations: exactly one is active (new records use it); older ones are retiring
      -- until no record refers to their keys, then retired. The state only picks among genuine
      -- keys: a key's generation is bound into its holder-sealed shares.
      CREATE TABLE cipher_generations (
        generation    integer PRIMARY KEY CHECK (generation > 0),
        state         text NOT NULL CHECK (state IN ('active', 'retiring', 'retired')),
        created_at_ms bigint NOT NULL,
        retired_at_ms bigint
      );
      CREATE UNIQUE INDEX cipher_generations_one_active ON cipher_generations ((true)) WHERE state = 'active';

      -- Pool keys: never stored, only three held shares (each sealed by its key holder under the
      -- holder's own key, bound to id, generation, index and key_check) and the key's commitment.
      CREATE TABLE cipher_keys (
        id            text PRIMARY KEY,
        generation    integer NOT NULL REFERENCES cipher_generations (generation),
        key_check     bytea NOT NULL,
        share_1       bytea NOT NULL,
        share_2       bytea NOT NULL,
        share_3       bytea NOT NULL,
        created_at_ms bigint NOT NULL
      );
      CREATE INDEX cipher_keys_generation ON cipher_keys (generation);

      -- One identity signer per identity (per ecosystem). The address column is for operators
      -- only: the enclave derives the address from the decrypted key.
      CREATE TABLE identity_signers (
        ecosystem     text NOT NULL,
        identity_id   text NOT NULL,
        address       text NOT NULL,
        cipher_key_id text NOT NULL REFERENCES cipher_keys (id),
        ciphertext    bytea NOT NULL,
        created_at_ms bigint NOT NULL,
        PRIMARY KEY (ecosystem, identity_id)
      );
      CREATE INDEX identity_signers_cipher_key ON identity_signers (cipher_key_id);

      -- A started authentication. Everything that carries authority (auth key, identity, audience,
      -- answer hash, OIDC secrets, attempts, expiry, consumption) is in sealed; the plain columns
      -- are for lookups and operators, and the enclave never trusts them.
      CREATE TABLE auth_commitments (
        id            text PRIMARY KEY,
        ecosystem     text NOT NULL,
        auth_key      text NOT NULL,
        version       integer NOT NULL,
        expires_at_ms bigint NOT NULL,
        cipher_key_id text NOT NULL REFERENCES cipher_keys (id),
        sealed        bytea NOT NULL,
        created_at_ms bigint NOT NULL
      );
      CREATE INDEX auth_commitments_cipher_key ON auth_commitments (cipher_key_id);

      -- An auth key bound to an identity for a bounded lifetime (sealed: identity, type, issuer,
      -- audience, expiry, revocation, version).
      CREATE TABLE auth_keys (
        auth_key      text PRIMARY KEY,
        ecosystem     text NOT NULL,
        identity_id   text NOT NULL,
        version       integer NOT NULL,
        expires_at_ms bigint NOT NULL,
        cipher_key_id text NOT NULL REFERENCES cipher_keys (id),
        sealed        bytea NOT NULL,
        created_at_ms bigint NOT NULL,
        FOREIGN KEY (ecosystem, identity_id) REFERENCES identity_signers (ecosystem, identity_id)
      );
      CREATE INDEX auth_keys_cipher_key ON auth_keys (cipher_key_id);

      -- The last request nonce per auth key (sealed; last_nonce is a copy for operators).
      CREATE TABLE auth_key_nonces (
        auth_key      text PRIMARY KEY,
        last_nonce    numeric(20, 0) NOT NULL,
        cipher_key_id text NOT NULL REFERENCES cipher_keys (id),
        sealed        bytea NOT NULL,
        updated_at_ms bigint NOT NULL
      );
      CREATE INDEX auth_key_nonces_cipher_key ON auth_key_nonces (cipher_key_id);
    `,
  },
];

/**
 * Brings `db` to the latest schema. Safe to run from several processes at once: an advisory lock
 * serializes them and each migration runs in the same transaction as its bookkeeping row.
 *
 * @example
 * await migrate(db); // [1] on an empty database, [] afterwards
 */
export async function migrate(db: Database): Promise<number[]> {
  const applied: number[] = [];
  const tx = await db.begin();
  try {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('arbor.migrations'))");
    await tx.query(
      "CREATE TABLE IF NOT EXISTS arbor_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at_ms bigint NOT NULL)",
    );
    const done = new Set((await tx.query("SELECT version FROM arbor_migrations")).rows.map((r) => Number(r.version)));
    const known = new Set(MIGRATIONS.map((m) => m.version));
    for (const v of done) {
      if (!known.has(v)) {
        throw new DatabaseError(`database has migration ${v}, which this code does not know: refusing to run an older build`);
      }
    }
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      if (m.before) await m.before(tx);
      // PGlite's extended protocol takes one statement per query: split on the statement ends.
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query("INSERT INTO arbor_migrations (version, name, applied_at_ms) VALUES ($1, $2, $3)", [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    }
    await tx.commit();
  } catch (err) {
    await tx.rollback();
    throw err;
  }
  return applied;
}

/** Splits migration SQL at semicolons that end a line; our migrations contain no semicolons in strings. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) =>
      s
        .split("\n")
        .filter((line) => !line.trim().startsWith("--"))
        .join("\n")
        .trim(),
    )
    .filter((s) => s.length > 0);
}
