import { randomBytes, randomInt } from "node:crypto";
import type { Attestor } from "./attestor";
import type { HostLink, Queryable } from "./host-link";
import { CustodyError } from "../custody/custody-error";
import { openRecord, sealRecord, type RecordContext } from "../custody/record-cipher";
import { RELEASE_INFO, WRAP_INFO, combinePoolKey, poolKeyCheck, shareAad, splitPoolKey } from "../custody/pool-key-shares";
import { generateX25519KeyPair, openWithPrivateKey, sealToPublicKey } from "../custody/x25519-box";
import { unwrapRequestBinding } from "../custody/unwrap-request";

/** A key holder as the enclave knows it: its number and its pinned master public key. */
export interface KeyHolderPin {
  holder: number;
  publicKey: Uint8Array;
}

/**
 * An encrypted column. The background job walks these to re-encrypt records under the active
 * generation; `rowKey` and `scope` rebuild the record's associated data.
 */
interface EncryptedColumn {
  table: "identity_signers" | "auth_commitments" | "auth_keys" | "auth_key_nonces";
  keyColumn: string;
  dataColumn: string;
  /** Columns that identify the row (the primary key) plus the scope column. */
  idColumns: string[];
  rowKey(row: Record<string, unknown>): string;
  scope(row: Record<string, unknown>): string;
}

export const ENCRYPTED_COLUMNS: EncryptedColumn[] = [
  {
    table: "identity_signers",
    keyColumn: "cipher_key_id",
    dataColumn: "ciphertext",
    idColumns: ["ecosystem", "identity_id"],
    rowKey: (r) => String(r.identity_id),
    scope: (r) => String(r.ecosystem),
  },
  {
    table: "auth_commitments",
    keyColumn: "cipher_key_id",
    dataColumn: "sealed",
    idColumns: ["id", "ecosystem"],
    rowKey: (r) => String(r.id),
    scope: (r) => String(r.ecosystem),
  },
  {
    table: "auth_keys",
    keyColumn: "cipher_key_id",
    dataColumn: "sealed",
    idColumns: ["auth_key", "ecosystem"],
    rowKey: (r) => String(r.auth_key),
    scope: (r) => String(r.ecosystem),
  },
  {
    table: "auth_key_nonces",
    keyColumn: "cipher_key_id",
    dataColumn: "sealed",
    idColumns: ["auth_key"],
    rowKey: (r) => String(r.auth_key),
    scope: () => "",
  },
];

export interface KeyPoolOptions {
  /** Keys per generation (default 4). */
  poolSize?: number;
  /** How long a released pool key stays in enclave memory (default 5 minutes; 0 = never cached). */
  cacheMs?: number;
}

/** One holder's failure, as reported in `custody-unavailable`. */
export interface HolderFailure {
  holder: number;
  code: string;
  message: string;
}

/**
 * The encryption pool. Records are sealed under a random key of the active generation; each pool
 * key exists only as three Shamir shares wrapped to the three key holders, and is rebuilt in
 * enclave memory from the first two shares the holders release to an attested request.
 *
 * @example
 * const pool = new KeyPool(link, attestor, pins);
 * const { cipherKeyId, ciphertext } = await pool.seal(tx, { table, rowKey, scope }, secret);
 */
export class KeyPool {
  private readonly cache = new Map<string, { key: Uint8Array; until: number }>();
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  private readonly poolSize: number;
  private readonly cacheMs: number;

  constructor(
    readonly link: HostLink,
    private readonly attestor: Attestor,
    private readonly holders: KeyHolderPin[],
    options: KeyPoolOptions = {},
  ) {
    if (holders.length !== 3 || holders.some((h, i) => h.holder !== i + 1 || h.publicKey.length !== 32)) {
      throw new RangeError("exactly three key holders (1, 2, 3) with 32-byte X25519 public keys are required");
    }
    this.poolSize = options.poolSize ?? 4;
    this.cacheMs = options.cacheMs ?? 5 * 60_000;
  }

  /** Creates generation 1 when the database has none. Idempotent and safe to race. */
  async ensureGeneration(): Promise<number> {
    return this.link.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('arbor.pool'))");
      const active = await tx.query("SELECT generation FROM cipher_generations WHERE state = 'active'");
      if (active.rows.length > 0) return Number(active.rows[0].generation);
      const any = await tx.query("SELECT count(*)::int AS n FROM cipher_generations");
      if (Number(any.rows[0].n) > 0) throw new CustodyError("no-active-generation", "generations exist but none is active");
      await this.createGeneration(tx, 1);
      return 1;
    });
  }

  /**
   * Starts a new generation: new records use it at once, old records keep working and move over
   * as they are read or as the background job reaches them. No downtime, nothing re-encrypted here.
   */
  async rotate(): Promise<{ generation: number; previous: number }> {
    return this.link.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('arbor.pool'))");
      const active = await tx.query("SELECT generation FROM cipher_generations WHERE state = 'active'");
      if (active.rows.length === 0) throw new CustodyError("no-active-generation", "nothing to rotate: the pool has no active generation");
      const previous = Number(active.rows[0].generation);
      const max = await tx.query("SELECT max(generation)::int AS g FROM cipher_generations");
      const generation = Number(max.rows[0].g) + 1;
      await tx.query("UPDATE cipher_generations SET state = 'retiring' WHERE generation = $1", [previous]);
      await this.createGeneration(tx, generation);
      return { generation, previous };
    });
  }

  /**
   * Makes the generation's keys. Each share is boxed to its holder's pinned public key and sent to
   * that holder with an attestation document; the holder seals it under its own key (a held share).
   * All three holders must answer: a share the host boxed itself is never released, so a key with
   * fewer than three held shares would lose its 2-of-3 redundancy.
   *
   * @throws CustodyError `custody-unavailable` (naming the holders) when a holder does not seal.
   */
  private async createGeneration(tx: Queryable, generation: number): Promise<void> {
    const now = Date.now();
    await tx.query("INSERT INTO cipher_generations (generation, state, created_at_ms) VALUES ($1, 'active', $2)", [generation, now]);
    for (let i = 0; i < this.poolSize; i++) {
      const keyId = `g${generation}k${i}-${randomBytes(4).toString("hex")}`;
      const key = new Uint8Array(randomBytes(32));
      const keyCheck = poolKeyCheck(key, keyId, generation);
      const shares = await splitPoolKey(key);
      const boxed = shares.map((share, j) => sealToPublicKey(this.holders[j].publicKey, share, WRAP_INFO, shareAad(keyId, j + 1)));
      for (const s of shares) s.fill(0);
      const results = await Promise.allSettled(this.holders.map((h, j) => this.holderRequest("seal", keyId, generation, h.holder, keyCheck, boxed[j])));
      const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as HolderFailure] : []));
      if (failures.length > 0) {
        key.fill(0);
        throw new CustodyError(
          "custody-unavailable",
          `a new pool generation needs all three key holders to seal their share; key holder${failures.length > 1 ? "s" : ""} ${failures.map((f) => f.holder).join(" and ")} did not`,
          { generation, holders: failures },
        );
      }
      const held = results.map((r) => (r as PromiseFulfilledResult<Uint8Array>).value);
      await tx.query(
        "INSERT INTO cipher_keys (id, generation, key_check, share_1, share_2, share_3, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        [keyId, generation, keyCheck, held[0], held[1], held[2], now],
      );
      this.remember(keyId, key);
    }
  }

  /**
   * Seals a row that carries authority: `value` (JSON) under a random key of the active generation,
   * bound to the row's table, key and scope. Only the enclave can make one: the pool keys exist
   * only in enclave memory, released by the key holders to an attested enclave.
   */
  async sealRow(tx: Queryable, context: Omit<RecordContext, "cipherKeyId">, value: unknown): Promise<{ cipherKeyId: string; sealed: Uint8Array }> {
    const { cipherKeyId, ciphertext } = await this.seal(tx, context, new Uint8Array(Buffer.from(JSON.stringify(value), "utf8")));
    return { cipherKeyId, sealed: ciphertext };
  }

  /**
   * Opens a row sealed by {@link sealRow}: the values the enclave uses come from here, never from the
   * row's plaintext columns.
   *
   * @throws CustodyError `row-forged` (logged) when the enclave did not write this row here.
   */
  async openRow<T>(tx: Queryable, context: RecordContext, sealed: unknown, knownState?: string): Promise<{ value: T; stale: boolean }> {
    let opened;
    try {
      if (!(sealed instanceof Uint8Array)) throw new CustodyError("record-tampered", "no sealed value");
      opened = await this.open(tx, context, sealed, knownState);
    } catch (err) {
      throw this.forged(err, context);
    }
    const value = JSON.parse(Buffer.from(opened.plaintext).toString("utf8")) as T;
    opened.plaintext.fill(0);
    return { value, stale: opened.stale };
  }

  /**
   * Turns an authentication failure of a row into `row-forged` and logs it; other errors pass.
   * `pool-key-forged` passes too: it already fails closed, and it says more (the key holders named
   * in its details never sealed the key the row claims), whichever row was opened first.
   */
  forged(err: unknown, context: Omit<RecordContext, "cipherKeyId"> & { cipherKeyId?: string }): unknown {
    if (err instanceof CustodyError && ["record-tampered", "unknown-cipher-key", "row-forged"].includes(err.code)) {
      this.link.log({ event: "row-forged", table: context.table, reason: err.code });
      return new CustodyError("row-forged", `${context.table} row ${context.rowKey} was not written by this enclave (${err.code})`, {
        table: context.table,
        rowKey: context.rowKey,
        reason: err.code,
      }, err);
    }
    return err;
  }

  /**
   * Encrypts a record under a random key of the active generation.
   *
   * @throws CustodyError `custody-unavailable` when that key is not in memory and fewer than two holders answer.
   */
  async seal(tx: Queryable, context: Omit<RecordContext, "cipherKeyId">, plaintext: Uint8Array): Promise<{ cipherKeyId: string; ciphertext: Uint8Array }> {
    const keys = await tx.query(
      "SELECT k.id FROM cipher_keys k JOIN cipher_generations g ON g.generation = k.generation WHERE g.state = 'active' ORDER BY k.id",
    );
    if (keys.rows.length === 0) throw new CustodyError("no-active-generation", "the pool has no active generation");
    const cipherKeyId = String(keys.rows[randomInt(keys.rows.length)].id);
    const key = await this.poolKey(tx, cipherKeyId);
    return { cipherKeyId, ciphertext: sealRecord(key, plaintext, { ...context, cipherKeyId }) };
  }

  /**
   * Decrypts a record; `stale` says its key belongs to an older generation, so the caller should
   * store a re-encryption (see {@link reseal}).
   */
  async open(
    tx: Queryable,
    context: RecordContext,
    ciphertext: Uint8Array,
    /** The key's generation state when the caller already selected it (saves a round trip). */
    knownState?: string,
  ): Promise<{ plaintext: Uint8Array; stale: boolean }> {
    const key = await this.poolKey(tx, context.cipherKeyId);
    const plaintext = openRecord(key, ciphertext, context);
    let state = knownState;
    if (state === undefined) {
      const gen = await tx.query(
        "SELECT g.state FROM cipher_keys k JOIN cipher_generations g ON g.generation = k.generation WHERE k.id = $1",
        [context.cipherKeyId],
      );
      state = gen.rows[0]?.state;
    }
    return { plaintext, stale: state !== "active" };
  }

  /**
   * Re-encrypts one record's plaintext under the active generation and stores it in place, but only
   * if the row still uses `oldKeyId`: a concurrent re-encryption of the same row is not an error.
   */
  async reseal(
    tx: Queryable,
    column: (typeof ENCRYPTED_COLUMNS)[number],
    row: Record<string, unknown>,
    oldKeyId: string,
    plaintext: Uint8Array,
  ): Promise<void> {
    const context = { table: column.table, rowKey: column.rowKey(row), scope: column.scope(row) };
    const { cipherKeyId, ciphertext } = await this.seal(tx, context, plaintext);
    const where = column.idColumns.map((c, i) => `${c} = $${i + 4}`).join(" AND ");
    await tx.query(
      `UPDATE ${column.table} SET ${column.keyColumn} = $1, ${column.dataColumn} = $2 WHERE ${column.keyColumn} = $3 AND ${where}`,
      [cipherKeyId, ciphertext, oldKeyId, ...column.idColumns.map((c) => row[c])],
    );
  }

  /**
   * One pass of the background job: re-encrypts up to `batchSize` records per batch (each batch
   * its own transaction, so killing the enclave mid-pass loses nothing), then deletes retiring keys
   * that no record refers to and retires generations left without keys.
   */
  async reencryptPass(options: { batchSize?: number; maxBatches?: number; pauseMs?: number } = {}): Promise<{
    reencrypted: number;
    deletedKeys: number;
    retiredGenerations: number[];
  }> {
    const batchSize = options.batchSize ?? 50;
    const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
    let reencrypted = 0;
    let batches = 0;
    for (const column of ENCRYPTED_COLUMNS) {
      while (batches < maxBatches) {
        const moved = await this.link.transaction(async (tx) => {
          const rows = await tx.query(
            `SELECT ${column.idColumns.map((c) => `t.${c}`).join(", ")}, t.${column.keyColumn} AS key_id, t.${column.dataColumn} AS data
               FROM ${column.table} t JOIN cipher_keys k ON k.id = t.${column.keyColumn}
               JOIN cipher_generations g ON g.generation = k.generation
              WHERE g.state <> 'active'
              ORDER BY ${column.idColumns.map((c) => `t.${c}`).join(", ")}
              LIMIT ${batchSize} FOR UPDATE OF t SKIP LOCKED`,
          );
          for (const row of rows.rows) {
            const context = { table: column.table, rowKey: column.rowKey(row), scope: column.scope(row), cipherKeyId: String(row.key_id) };
            const { plaintext } = await this.open(tx, context, row.data as Uint8Array);
            await this.reseal(tx, column, row, context.cipherKeyId, plaintext);
            plaintext.fill(0);
          }
          return rows.rows.length;
        });
        batches++;
        reencrypted += moved;
        if (moved < batchSize) break;
        // Throttle: a background job should not hold the database (PGlite is one connection).
        if (options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs));
      }
    }
    // Safe at any point: only keys that no record refers to are deleted.
    const { deletedKeys, retiredGenerations } = await this.removeUnusedKeys();
    return { reencrypted, deletedKeys, retiredGenerations };
  }

  /** Deletes keys of non-active generations that no record refers to; retires emptied generations. */
  async removeUnusedKeys(): Promise<{ deletedKeys: number; retiredGenerations: number[] }> {
    return this.link.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('arbor.pool'))");
      const refs = ENCRYPTED_COLUMNS.map((c) => `NOT EXISTS (SELECT 1 FROM ${c.table} r WHERE r.${c.keyColumn} = k.id)`).join(" AND ");
      const deleted = await tx.query(
        `DELETE FROM cipher_keys k USING cipher_generations g
          WHERE g.generation = k.generation AND g.state <> 'active' AND ${refs}
          RETURNING k.id`,
      );
      for (const r of deleted.rows) this.forget(String(r.id));
      const retired = await tx.query(
        `UPDATE cipher_generations g SET state = 'retired', retired_at_ms = $1
          WHERE g.state = 'retiring' AND NOT EXISTS (SELECT 1 FROM cipher_keys k WHERE k.generation = g.generation)
          RETURNING generation`,
        [Date.now()],
      );
      return { deletedKeys: deleted.rows.length, retiredGenerations: retired.rows.map((r) => Number(r.generation)) };
    });
  }

  /** Counts for operators: generations, keys per generation, sealed rows (all tables) and signer records per generation. */
  async status(): Promise<{ generation: number; state: string; keys: number; records: number; signers: number }[]> {
    const gens = await this.link.query(
      `SELECT g.generation, g.state, count(k.id)::int AS keys FROM cipher_generations g
         LEFT JOIN cipher_keys k ON k.generation = g.generation GROUP BY g.generation, g.state ORDER BY g.generation`,
    );
    const out = [];
    for (const g of gens.rows) {
      let records = 0;
      let signers = 0;
      for (const c of ENCRYPTED_COLUMNS) {
        const r = await this.link.query(
          `SELECT count(*)::int AS n FROM ${c.table} t JOIN cipher_keys k ON k.id = t.${c.keyColumn} WHERE k.generation = $1`,
          [g.generation],
        );
        records += Number(r.rows[0].n);
        if (c.table === "identity_signers") signers = Number(r.rows[0].n);
      }
      out.push({ generation: Number(g.generation), state: String(g.state), keys: Number(g.keys), records, signers });
    }
    return out;
  }

  /** Drops every released pool key from memory. */
  clearCache(): void {
    for (const { key } of this.cache.values()) key.fill(0);
    this.cache.clear();
  }

  private remember(keyId: string, key: Uint8Array): void {
    if (this.cacheMs > 0) this.cache.set(keyId, { key, until: Date.now() + this.cacheMs });
  }

  private forget(keyId: string): void {
    this.cache.get(keyId)?.key.fill(0);
    this.cache.delete(keyId);
  }

  private async poolKey(tx: Queryable, keyId: string): Promise<Uint8Array> {
    const cached = this.cache.get(keyId);
    if (cached && cached.until > Date.now()) return cached.key;
    if (cached) this.forget(keyId);
    const row = await tx.query("SELECT generation, key_check, share_1, share_2, share_3 FROM cipher_keys WHERE id = $1", [keyId]);
    if (row.rows.length === 0) throw new CustodyError("unknown-cipher-key", `record refers to pool key ${keyId}, which does not exist`, { keyId });
    // Concurrent requests for the same key share one round of holder requests.
    let pending = this.inflight.get(keyId);
    if (!pending) {
      pending = this.release(keyId, row.rows[0]).finally(() => this.inflight.delete(keyId));
      this.inflight.set(keyId, pending);
    }
    const key = await pending;
    this.remember(keyId, key);
    return key;
  }

  /**
   * Asks all three holders at once and rebuilds the key from the first pair of shares that checks
   * out against the key's commitment. Every pair is tried, so one lying holder (a well-formed wrong
   * share) cannot stop a release while the other two answer; the liar is named in a `holder-lied`
   * log line as soon as its share is compared with the rebuilt key.
   */
  private async release(keyId: string, row: Record<string, unknown>): Promise<Uint8Array> {
    const keyCheck = row.key_check as Uint8Array;
    const generation = Number(row.generation);
    const failures: HolderFailure[] = [];
    const shares = new Map<number, Uint8Array>();
    let key: Uint8Array | undefined;
    const blame = async (holder: number, share: Uint8Array, good: Uint8Array) => {
      try {
        await combinePoolKey([good, share], keyId, generation, keyCheck);
      } catch {
        this.link.log({ event: "holder-lied", code: "holder-lied", holder, keyId });
      }
    };
    return new Promise<Uint8Array>((resolve, reject) => {
      let settled = 0;
      let good: Uint8Array | undefined;
      const onShare = async (holder: number, share: Uint8Array) => {
        if (key !== undefined && good !== undefined) return blame(holder, share, good);
        // Stored before any await, so a share arriving while this one is being checked pairs with it.
        const others = [...shares];
        shares.set(holder, share);
        for (const [other, otherShare] of others) {
          try {
            const rebuilt = await combinePoolKey([otherShare, share], keyId, generation, keyCheck);
            if (key !== undefined) return;
            key = rebuilt;
            good = share;
            resolve(rebuilt);
            // Shares that arrived earlier and paired with neither: compare them now.
            for (const [h, s] of shares) if (h !== other && h !== holder) await blame(h, s, good);
            return;
          } catch {
            // This pair does not rebuild the key: one of the two lied; try the next pair.
          }
        }
      };
      for (const h of this.holders) {
        this.holderRequest("release", keyId, generation, h.holder, keyCheck, row[`share_${h.holder}`] as Uint8Array)
          .then(
            (share) => onShare(h.holder, share),
            (err: HolderFailure) => void failures.push(err),
          )
          .finally(() => {
            settled++;
            if (settled !== this.holders.length || key !== undefined) return;
            const notHeld = failures.filter((f) => f.code === "share-not-held");
            if (notHeld.length >= 2) {
              this.link.log({ event: "pool-key-forged", code: "pool-key-forged", keyId, generation });
              reject(
                new CustodyError("pool-key-forged", `key holders ${notHeld.map((f) => f.holder).join(" and ")} never sealed pool key ${keyId}: it was not made by an enclave`, {
                  keyId,
                  generation,
                  holders: failures,
                }),
              );
              return;
            }
            const down = failures.map((f) => f.holder).sort();
            const answered = [...shares.keys()].sort();
            if (answered.length >= 2) this.link.log({ event: "holder-lied", code: "pool-key-check-failed", holders: answered, keyId });
            reject(
              new CustodyError(
                answered.length >= 2 ? "pool-key-check-failed" : "custody-unavailable",
                answered.length >= 2
                  ? `key holders ${answered.join(" and ")} released shares of ${keyId} that rebuild no key matching its commitment: ${answered.length === 2 ? "one of them lied" : "at least two lied"}`
                  : `2 of 3 key holders must release a share of ${keyId}; key holder${down.length > 1 ? "s" : ""} ${down.join(" and ")} did not`,
                { keyId, holders: failures, answered },
              ),
            );
          });
      }
    });
  }

  /** One request to one holder: `seal` returns its held share, `release` the share it opened. */
  private async holderRequest(purpose: "seal" | "release", keyId: string, generation: number, holder: number, keyCheck: Uint8Array, share: Uint8Array): Promise<Uint8Array> {
    const fail = (code: string, message: string): HolderFailure => ({ holder, code, message });
    const ephemeral = purpose === "release" ? generateX25519KeyPair() : undefined;
    let response: { status: number; body: Uint8Array };
    try {
      const userData = unwrapRequestBinding({ purpose, holder, keyId, generation, shareIndex: holder, keyCheck, share });
      const document = await this.attestor.document({ userData, publicKey: ephemeral?.publicKey });
      const body = JSON.stringify({
        keyId,
        generation,
        shareIndex: holder,
        keyCheck: Buffer.from(keyCheck).toString("base64"),
        [purpose === "seal" ? "wrappedShare" : "heldShare"]: Buffer.from(share).toString("base64"),
        attestationDocument: Buffer.from(document).toString("base64"),
      });
      response = await this.link.releaseShare(holder, new Uint8Array(Buffer.from(body)), purpose);
    } catch (err) {
      const e = err as { remoteCode?: string; code?: string; message?: string };
      throw fail(e.remoteCode ?? e.code ?? "holder-unreachable", e.message ?? String(err));
    }
    let parsed: { releasedShare?: string; heldShare?: string; code?: string; message?: string };
    try {
      parsed = JSON.parse(Buffer.from(response.body).toString("utf8"));
    } catch {
      throw fail("holder-bad-response", `key holder ${holder} answered ${response.status} with a non-JSON body`);
    }
    const field = purpose === "seal" ? parsed.heldShare : parsed.releasedShare;
    if (response.status !== 200 || typeof field !== "string") {
      throw fail(parsed.code ?? "holder-refused", parsed.message ?? `key holder ${holder} answered ${response.status}`);
    }
    const bytes = new Uint8Array(Buffer.from(field, "base64"));
    if (ephemeral === undefined) return bytes;
    try {
      return openWithPrivateKey(ephemeral.privateKey, bytes, RELEASE_INFO, shareAad(keyId, holder));
    } catch {
      throw fail("holder-bad-response", `key holder ${holder} released a share that does not open`);
    }
  }
}
