// Shared by the enclave-service tests (no tests here).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { expect } from "chai";
import { IdentityClientError } from "../../lib/identity";
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

/**
 * A private temporary directory, created on first use (a test file that is loaded but filtered out
 * leaves nothing behind) and removed by `remove()`.
 */
export function tempDir(prefix: string): { readonly dir: string; remove(): void } {
  let dir: string | undefined;
  return {
    get dir() {
      dir ??= mkdtempSync(path.join(os.tmpdir(), `arbor-${prefix}-`));
      return dir;
    },
    remove: () => {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
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

import { existsSync, readdirSync, statSync } from "node:fs";
import { computeAddress } from "ethers";
import { responseBinding, verifyAttestationDocument } from "../../lib/attestation";
import { AUTH_HEADERS, canonicalRequest, type AuthKey } from "../../lib/identity";
import { DEFAULT_SERVICE_NAME } from "../../lib/identity/request-signing";
import { combinePoolKey } from "../../enclave-service/custody/pool-key-shares";
import { holderSealKey, openHeldShare } from "../../enclave-service/custody/held-share";
import { openRecord } from "../../enclave-service/custody/record-cipher";
import { loadOrCreateMasterKey } from "../../enclave-service/key-holder/master-key";

/** A raw HTTP exchange, optionally signed; the result is attestation-checked. */
export interface RawInput {
  method: string;
  path: string;
  body?: string | Uint8Array;
  key?: AuthKey;
  nonce?: bigint;
  timestamp?: number;
  headers?: Record<string, string>;
  /** The service name to sign for (default: the local default). */
  service?: string;
  /** Sign this body but send `body` (to test signature checks). */
  signedBody?: string;
  /** The app's Origin header on signed requests (default TEST_ORIGIN; null sends none). */
  origin?: string | null;
}

/** The app origin signed test requests come from unless they say otherwise. */
export const TEST_ORIGIN = "https://app.example";
export type RawResult = { status: number; json: Record<string, any>; headers: Headers }; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Signs a request now and returns a function that sends it, so a test can fire many pre-signed
 * requests at the same moment.
 */
export async function prepareRequest(url: string, rootPem: string, input: RawInput): Promise<() => Promise<RawResult>> {
  const body = typeof input.body === "string" ? Buffer.from(input.body, "utf8") : Buffer.from(input.body ?? new Uint8Array(0));
  const attestationNonce = randomBytes(8);
  const headers: Record<string, string> = { "x-attestation-nonce": attestationNonce.toString("hex"), ...(input.body !== undefined ? { "content-type": "application/json" } : {}) };
  if (input.key) {
    const nonce = input.nonce ?? BigInt(Date.now()) * 1000n + BigInt(Math.floor(Math.random() * 1000));
    const timestamp = input.timestamp ?? Date.now();
    headers[AUTH_HEADERS.key] = input.key.id;
    headers[AUTH_HEADERS.nonce] = nonce.toString();
    headers[AUTH_HEADERS.timestamp] = String(timestamp);
    headers[AUTH_HEADERS.signature] = await input.key.sign(
      canonicalRequest({ service: input.service ?? DEFAULT_SERVICE_NAME, method: input.method, path: input.path, body: input.signedBody ?? body, nonce, timestamp }),
    );
  }
  const origin = input.origin === undefined ? (input.key ? TEST_ORIGIN : null) : input.origin;
  if (origin !== null) headers.origin = origin;
  Object.assign(headers, input.headers ?? {});
  return async () => {
    const res = await fetch(url + input.path, { method: input.method, headers, body: input.method === "GET" ? undefined : body });
    const responseBody = new Uint8Array(await res.arrayBuffer());
    const doc = res.headers.get("x-attestation-document");
    if (!doc) throw new Error(`no X-Attestation-Document on ${res.status} ${Buffer.from(responseBody).toString()}`);
    // Every response, errors included, must be attested over these exact bytes. A body over the
    // limit never reaches the enclave, so its 413 binds an empty request body (README.md).
    verifyAttestationDocument(new Uint8Array(Buffer.from(doc, "base64")), {
      roots: [rootPem],
      nonce: headers["x-attestation-nonce"] === attestationNonce.toString("hex") ? new Uint8Array(attestationNonce) : undefined,
      userData: responseBinding({ method: input.method, path: input.path, requestBody: res.status === 413 ? new Uint8Array(0) : body, status: res.status, responseBody }),
    });
    return { status: res.status, json: JSON.parse(Buffer.from(responseBody).toString("utf8")), headers: res.headers };
  };
}

/** Signs and sends at once. */
export async function rawRequest(url: string, rootPem: string, input: RawInput): Promise<RawResult> {
  return (await prepareRequest(url, rootPem, input))();
}

/**
 * The first needle found in `haystack`, or undefined. One pass over the haystack with a set of
 * 4-byte needle prefixes, so scanning tens of megabytes of database files for hundreds of secret
 * encodings takes a second, not minutes.
 */
export function findAny(haystack: Buffer, needles: { label: string; bytes: Buffer }[]): string | undefined {
  const byPrefix = new Map<number, { label: string; bytes: Buffer }[]>();
  for (const n of needles) {
    if (n.bytes.length < 4) throw new Error("needles must be at least 4 bytes");
    const p = n.bytes.readUInt32LE(0);
    byPrefix.set(p, [...(byPrefix.get(p) ?? []), n]);
  }
  for (let i = 0; i + 4 <= haystack.length; i++) {
    const candidates = byPrefix.get(haystack.readUInt32LE(i));
    if (!candidates) continue;
    for (const c of candidates) {
      if (i + c.bytes.length <= haystack.length && haystack.compare(c.bytes, 0, c.bytes.length, i, i + c.bytes.length) === 0) return c.label;
    }
  }
  return undefined;
}

/**
 * Every secret the service's data protects, recovered offline the way only all key holders
 * together could: their master keys unwrap the shares in the database, the shares rebuild the pool
 * keys, the pool keys open the records. The no-plaintext test then searches for these.
 */
export async function recoverSecretsOffline(dataDir: string, db: Pick<Database, "query">): Promise<{ label: string; bytes: Uint8Array }[]> {
  const masters = [1, 2, 3].map((i) => loadOrCreateMasterKey(path.join(dataDir, `key-holder-${i}`), i));
  const secrets: { label: string; bytes: Uint8Array }[] = [];
  const poolKeys = new Map<string, Uint8Array>();
  for (const row of (await db.query("SELECT * FROM cipher_keys")).rows) {
    const id = String(row.id);
    const generation = Number(row.generation);
    const keyCheck = row.key_check as Uint8Array;
    const shares = [1, 2, 3].map((i) => openHeldShare(holderSealKey(masters[i - 1].privateKey), row[`share_${i}`] as Uint8Array, { keyId: id, generation, shareIndex: i, keyCheck }));
    shares.forEach((s, i) => secrets.push({ label: `share ${i + 1} of ${id}`, bytes: s }));
    const key = await combinePoolKey(shares.slice(0, 2), id, generation, keyCheck);
    poolKeys.set(id, key);
    secrets.push({ label: `pool key ${id}`, bytes: key });
  }
  for (const row of (await db.query("SELECT * FROM identity_signers")).rows) {
    const key = openRecord(poolKeys.get(String(row.cipher_key_id))!, row.ciphertext as Uint8Array, {
      table: "identity_signers",
      rowKey: String(row.identity_id),
      scope: String(row.ecosystem),
      cipherKeyId: String(row.cipher_key_id),
    });
    if (computeAddress("0x" + Buffer.from(key).toString("hex")) !== row.address) throw new Error("offline recovery produced a wrong signer key");
    secrets.push({ label: `signer key of ${row.address}`, bytes: key });
  }
  return secrets;
}

/** The ways a secret could show up in text or binary: raw, hex, 0x-hex, base64, base64url. */
export function secretForms(bytes: Uint8Array): Buffer[] {
  const b = Buffer.from(bytes);
  return [b, Buffer.from(b.toString("hex")), Buffer.from(b.toString("hex").toUpperCase()), Buffer.from(b.toString("base64").replace(/=+$/, "")), Buffer.from(b.toString("base64url"))];
}

/** Every regular file below `dir` (for scanning raw database files and logs). */
export function filesBelow(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    const st = statSync(full);
    if (st.isDirectory()) out.push(...filesBelow(full));
    else if (st.isFile()) out.push(full);
  }
  return out;
}

import { SMTPServer } from "smtp-server";

/** A received email, as the SMTP sink saw it. */
export interface SunkMail {
  to: string[];
  raw: string;
  /** Whether the session was TLS when the message came in. */
  secure: boolean;
}

/**
 * A real SMTP server on 127.0.0.1 that accepts every message and keeps it: the test's stand-in for
 * the user's mailbox. With `tls`, it serves STARTTLS (`mode: "starttls"`) or implicit TLS
 * (`"implicit"`) with the given certificate; without, plain SMTP (loopback only).
 */
export async function startSmtpSink(
  options: { tls?: { mode: "starttls" | "implicit"; key: string; cert: string }; delayMs?: (to: string[]) => number } = {},
): Promise<{
  url: string;
  host: string;
  port: number;
  mails: SunkMail[];
  codeFor(to: string): string;
  close(): Promise<void>;
}> {
  const mails: SunkMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: options.tls ? ["AUTH"] : ["STARTTLS", "AUTH"],
    secure: options.tls?.mode === "implicit",
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const to = session.envelope.rcptTo.map((r) => r.address);
        mails.push({ to, raw: Buffer.concat(chunks).toString("utf8"), secure: session.secure });
        // A slow mail server answers the DATA command late (the finding-7 test).
        const delay = options.delayMs?.(to) ?? 0;
        if (delay > 0) setTimeout(() => callback(), delay);
        else callback();
      });
    },
  });
  // A TLS client that gives up mid-handshake is an expected event in the hostile-host tests.
  server.on("error", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `${options.tls?.mode === "implicit" ? "smtps" : "smtp"}://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    mails,
    codeFor(to: string) {
      const mine = mails.filter((m) => m.to.includes(to));
      if (mine.length === 0) throw new Error(`no mail to ${to}`);
      const match = /login code is (\d{6})/.exec(mine[mine.length - 1].raw.replace(/=\r?\n/g, ""));
      if (!match) throw new Error(`no code in the mail to ${to}`);
      return match[1];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Awaits `p`, which must fail with an `IdentityClientError` (and, when `code` is given, with that
 * code); returns the error for further checks.
 */
export async function refusal(p: Promise<unknown>, code?: string): Promise<IdentityClientError> {
  try {
    await p;
  } catch (err) {
    expect(err).to.be.instanceOf(IdentityClientError);
    if (code !== undefined) expect((err as IdentityClientError).code, (err as Error).message).to.equal(code);
    return err as IdentityClientError;
  }
  return expect.fail(code === undefined ? "expected a refusal" : `expected ${code}`);
}
