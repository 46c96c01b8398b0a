// Shared by the enclave-service tests (no tests here).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { Database } from "../../enclave-service/storage/database";

/** PostgreSQL for the DATABASE_URL tests (CI runs one on 127.0.0.1). */
export const POSTGRES_URL = process.env.ARBOR_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

let available: Promise<boolean> | undefined;
/** Whether POSTGRES_URL answers (checked once per run). */
export function postgresAvailable(): Promise<boolean> {
  available ??= (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return available;
}

/** A schema name private to this test run. */
export function freshSchema(): string {
  return `arbor_test_${process.pid}_${randomBytes(4).toString("hex")}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `arbor-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The newest login code the dev outbox holds for `to`. */
export function codeFromOutbox(outboxFile: string, to: string): string {
  const lines = readFileSync(outboxFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { to: string; text: string });
  const mine = lines.filter((l) => l.to === to);
  if (mine.length === 0) throw new Error(`no message to ${to} in ${outboxFile}`);
  const match = /\b(\d{6})\b/.exec(mine[mine.length - 1].text);
  if (!match) throw new Error(`no code in the message to ${to}`);
  return match[1];
}

/** Every row of every Arbor table, in a stable order: what "nothing stored changed" compares. */
export async function snapshot(db: Pick<Database, "query">): Promise<Record<string, unknown[]>> {
  const tables = ["cipher_generations", "cipher_keys", "identity_signers", "auth_commitments", "auth_keys", "auth_key_nonces"];
  const out: Record<string, unknown[]> = {};
  for (const t of tables) {
    const r = await db.query(`SELECT * FROM ${t} ORDER BY 1, 2`);
    out[t] = r.rows.map((row) => JSON.parse(JSON.stringify(row, (_k, v) => (v instanceof Uint8Array || (v && v.type === "Buffer") ? Buffer.from(v.data ?? v).toString("hex") : v))));
  }
  return out;
}

/** A short pause (for tests that must let a background process make progress). */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
