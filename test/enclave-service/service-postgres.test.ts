import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, otpAnswer, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { openPostgresDatabase } from "../../enclave-service/storage/postgres-database";
import type { Database } from "../../enclave-service/storage/database";
import { createTestCa } from "./test-ca";
import { POSTGRES_URL, dropSchema, freshSchema, postgresAvailable, rawRequest, sleep, snapshot, startSmtpSink, tempDir, refusal } from "./helpers";

const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";
const OTP_TTL_MS = 8_000;

/**
 * The service on PostgreSQL (DATABASE_URL), with email over real SMTP into a sink. Direct access to
 * the same schema lets these tests check what is stored: refusals change nothing, a wrong answer
 * changes exactly its counter, concurrent first logins make one signer, tampered rows are caught.
 */
describe("enclave-service on PostgreSQL with email over SMTP (STARTTLS from the enclave)", function () {
  let service: RunningIdentityService;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let db: Database;
  const schema = freshSchema();
  const data = tempDir("pg");

  const client = (authKey: AuthKey, firstNonce?: bigint) =>
    new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] }, firstNonce });

  async function login(email: string, authKey: AuthKey = secp256k1AuthKey()) {
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    return { c, authKey, started, login: await c.completeOtp(started, smtp.codeFor(email)) };
  }


  before(async function () {
    this.timeout(180_000);
    if (!(await postgresAvailable())) {
      console.log(`    (PostgreSQL at ${POSTGRES_URL} is unreachable: skipping)`);
      this.skip();
    }
    // SMTP with STARTTLS under a CA made here: the enclave speaks TLS to it through the host's relay.
    const ca = await createTestCa("Arbor PostgreSQL test CA");
    smtp = await startSmtpSink({ tls: { mode: "starttls", ...(await ca.issue(["127.0.0.1"])) } });
    service = await startIdentityService({
      caPem: [ca.pem],
      dataDir: data.dir,
      databaseUrl: POSTGRES_URL,
      databaseSchema: schema,
      smtpUrl: smtp.url,
      // No pool key stays in memory: every decryption goes to the key holders.
      enclave: { pool: { cacheMs: 0, size: 2 }, otp: { ttlMs: OTP_TTL_MS, maxAttempts: 3 }, reencryptIntervalMs: 0 },
    });
    db = await openPostgresDatabase(POSTGRES_URL, schema);
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stopAll();
    await db?.close();
    await smtp?.close();
    if (await postgresAvailable()) await dropSchema(schema);
    data.remove();
  });

  describe("email OTP over SMTP", () => {
    it("delivers the code to the SMTP server and logs in when it is answered", async () => {
      const { login: result } = await login("smtp-user@example.com");
      expect(smtp.mails.some((m) => m.to.includes("smtp-user@example.com"))).to.equal(true);
      expect(result.identity.type).to.equal("email");
      const rows = await db.query("SELECT address FROM identity_signers");
      expect(rows.rows.map((r) => r.address)).to.include(result.signer);
    });

    it("refuses with commitment-expired when the code is answered after the commitment's lifetime", async function () {
      this.timeout(60_000);
      const c = client(secp256k1AuthKey());
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "late@example.com" });
      await sleep(OTP_TTL_MS + 500);
      const before = await snapshot(db);
      expect((await refusal(c.completeOtp(started, smtp.codeFor("late@example.com")))).code).to.equal("commitment-expired");
      expect(withoutNonces(await snapshot(db))).to.deep.equal(withoutNonces(before));
    });
  });

  describe("refusals", () => {
    it("change nothing stored but the auth key's nonce when any request is refused", async () => {
      const { c, authKey, started } = await login("owner@example.com");
      const stranger = secp256k1AuthKey();
      const strangerClient = client(stranger);
      const pending = await strangerClient.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "pending@example.com" });
      const attempts: [string, () => Promise<unknown>][] = [
        ["invalid-json", () => rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/auth/initiate", key: authKey, body: "{" }).then((r) => Promise.reject(r.json))],
        ["bad-signature", () => rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/attestations", key: authKey, body: "{}", signedBody: '{"x":1}' }).then((r) => Promise.reject(r.json))],
        ["body-too-large", () => rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/attestations", key: authKey, body: JSON.stringify({ x: "y".repeat(80_000) }) }).then((r) => Promise.reject(r.json))],
        ["commitment-consumed", () => c.completeOtp(started, smtp.codeFor("owner@example.com"))],
        ["wrong-auth-key", () => client(secp256k1AuthKey()).completeOtp(pending, smtp.codeFor("pending@example.com"))],
        ["origin-not-allowed", () => strangerClient.initiateEmail({ ecosystem: ECOSYSTEM, audience: "https://evil.example", email: "a@b.example" })],
        ["unknown-ecosystem", () => strangerClient.initiateEmail({ ecosystem: "nope", audience: AUDIENCE, email: "a@b.example" })],
        ["lifetime-too-long", () => c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 10 ** 9 })],
        ["not-authenticated", () => strangerClient.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 })],
        ["stale-nonce", () => client(authKey, 5n).identity()],
        ["commitment-not-found", () => strangerClient.completeOtp({ commitmentId: "f".repeat(32), challenge: "x" }, "123456")],
      ];
      for (const [code, attempt] of attempts) {
        const before = await snapshot(db);
        const err = await attempt().then(
          () => expect.fail(`${code}: expected a refusal`),
          (e: { code?: string }) => e,
        );
        expect(err.code, code).to.equal(code);
        // The one write a refusal makes: its nonce is used up, so the request cannot be replayed later.
        expect(withoutNonces(await snapshot(db)), `${code} changed the database`).to.deep.equal(withoutNonces(before));
      }
    });

    it("stores exactly one more attempt (and the nonce) when an answer is wrong", async () => {
      const key = secp256k1AuthKey();
      const c = client(key);
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "counted@example.com" });
      const code = smtp.codeFor("counted@example.com");
      const before = await snapshot(db);
      const err = await refusal(c.completeOtp(started, code === "000000" ? "111111" : "000000"));
      expect(err.code).to.equal("wrong-answer");
      const after = await snapshot(db);
      // The attempt count is sealed; each write of the commitment bumps its version by one.
      const row = (s: typeof before) => (s.auth_commitments as { id: string; version: number; sealed: string }[]).find((r) => r.id === started.commitmentId)!;
      expect(row(after).version).to.equal(row(before).version + 1);
      expect(row(after).sealed).to.not.equal(row(before).sealed);
      expect({ ...after, auth_commitments: [], auth_key_nonces: [] }).to.deep.equal({ ...before, auth_commitments: [], auth_key_nonces: [] });
      expect(after.auth_commitments.filter((r) => (r as { id: string }).id !== started.commitmentId)).to.deep.equal(
        before.auth_commitments.filter((r) => (r as { id: string }).id !== started.commitmentId),
      );
    });

    it("counts at most maxAttempts when ten wrong guesses race on PostgreSQL", async () => {
      const key = secp256k1AuthKey();
      const c = client(key);
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "racer@example.com" });
      const code = smtp.codeFor("racer@example.com");
      const wrong = otpAnswer(started.challenge!, code === "000000" ? "111111" : "000000");
      const base = BigInt(Date.now()) * 1000n + 5000n;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/auth/complete", key, nonce: base + BigInt(i), body: JSON.stringify({ commitmentId: started.commitmentId, answer: wrong }) }),
        ),
      );
      const counted = results.filter((r) => r.json.code === "wrong-answer").length;
      const stored = await db.query("SELECT version FROM auth_commitments WHERE id = $1", [started.commitmentId]);
      expect(counted).to.be.at.most(3);
      // Version 1 at creation, +1 per counted attempt (the count itself is sealed).
      expect(Number(stored.rows[0].version) - 1).to.equal(counted);
    });
  });

  describe("first login", () => {
    it("creates exactly one identity signer when six first logins of one email complete at once", async () => {
      const email = "crowd@example.com";
      const pending = [];
      for (let i = 0; i < 6; i++) {
        const c = client(secp256k1AuthKey());
        const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
        pending.push({ c, started, code: smtp.codeFor(email) });
      }
      const logins = await Promise.all(pending.map((p) => p.c.completeOtp(p.started, p.code)));
      expect(new Set(logins.map((l) => l.signer)).size).to.equal(1);
      expect(logins.filter((l) => l.signerCreated).length).to.equal(1);
      const rows = await db.query("SELECT count(*)::int AS n FROM identity_signers WHERE identity_id = $1", [logins[0].identity.id]);
      expect(rows.rows[0].n).to.equal(1);
      const bound = await db.query("SELECT count(*)::int AS n FROM auth_keys WHERE identity_id = $1", [logins[0].identity.id]);
      expect(bound.rows[0].n).to.equal(6);
    });
  });

  describe("tampered storage", () => {
    it("answers row-forged and changes nothing but the nonce when a signer's ciphertext is altered or moved to another row", async () => {
      const a = await login("tamper-a@example.com");
      const b = await login("tamper-b@example.com");
      const row = async (id: string) => (await db.query("SELECT cipher_key_id, ciphertext FROM identity_signers WHERE identity_id = $1", [id])).rows[0];
      const original = await row(a.login.identity.id);
      const other = await row(b.login.identity.id);
      const ask = () => a.c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });

      const flipped = new Uint8Array(original.ciphertext as Uint8Array);
      flipped[20] ^= 1;
      for (const [what, keyId, bytes] of [["flipped bit", original.cipher_key_id, flipped], ["row moved from another identity", other.cipher_key_id, other.ciphertext]] as const) {
        await db.query("UPDATE identity_signers SET cipher_key_id = $2, ciphertext = $3 WHERE identity_id = $1", [a.login.identity.id, keyId, bytes]);
        const before = await snapshot(db);
        const err = await refusal(ask());
        expect(err.code, what).to.equal("row-forged");
        expect(err.status).to.equal(500);
        expect(withoutNonces(await snapshot(db)), what).to.deep.equal(withoutNonces(before));
      }
      await db.query("UPDATE identity_signers SET cipher_key_id = $2, ciphertext = $3 WHERE identity_id = $1", [a.login.identity.id, original.cipher_key_id, original.ciphertext]);
      const signed = await ask();
      expect(signed.signer).to.equal(a.login.signer);
    });

    it("still decrypts when one held share is altered, and answers pool-key-forged naming the holders when two are", async () => {
      const a = await login("shares@example.com");
      const keyId = (await db.query("SELECT cipher_key_id FROM identity_signers WHERE identity_id = $1", [a.login.identity.id])).rows[0].cipher_key_id;
      const shares = (await db.query("SELECT share_1, share_2 FROM cipher_keys WHERE id = $1", [keyId])).rows[0];
      const flip = (b: Uint8Array) => {
        const c = new Uint8Array(b);
        c[c.length - 1] ^= 1;
        return c;
      };
      const ask = () => a.c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
      try {
        await db.query("UPDATE cipher_keys SET share_1 = $2 WHERE id = $1", [keyId, flip(shares.share_1 as Uint8Array)]);
        expect((await ask()).signer).to.equal(a.login.signer);
        await db.query("UPDATE cipher_keys SET share_2 = $2 WHERE id = $1", [keyId, flip(shares.share_2 as Uint8Array)]);
        const err = await refusal(ask());
        // Two holders say they never sealed these shares: to the enclave that is a key the host made.
        expect(err.code).to.equal("pool-key-forged");
        expect(err.status).to.equal(500);
        const holders = (err.details.holders as { holder: number; code: string }[]).map((h) => `${h.holder}:${h.code}`).sort();
        expect(holders).to.deep.equal(["1:share-not-held", "2:share-not-held"]);
      } finally {
        await db.query("UPDATE cipher_keys SET share_1 = $2, share_2 = $3 WHERE id = $1", [keyId, shares.share_1, shares.share_2]);
      }
      expect((await ask()).signer).to.equal(a.login.signer);
    });
  });
});

/** A snapshot without the nonce table: the one table a refused request writes (its nonce is used up). */
function withoutNonces(s: Record<string, unknown[]>): Record<string, unknown[]> {
  return { ...s, auth_key_nonces: [] };
}
