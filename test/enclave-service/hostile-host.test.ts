import { expect } from "chai";
import http from "node:http";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { decodeAttestationDocument } from "../../lib/attestation";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { openPostgresDatabase } from "../../enclave-service/storage/postgres-database";
import type { Database } from "../../enclave-service/storage/database";
import { RELEASE_INFO, WRAP_INFO, poolKeyCheck, shareAad, splitPoolKey } from "../../enclave-service/custody/pool-key-shares";
import { sealRecord } from "../../enclave-service/custody/record-cipher";
import { sealToPublicKey } from "../../enclave-service/custody/x25519-box";
import { readMasterPublicKey } from "../../enclave-service/key-holder/master-key";
import { createTestCa } from "./test-ca";
import { POSTGRES_URL, dropSchema, freshSchema, postgresAvailable, rawRequest, sleep, startSmtpSink, tempDir, refusal } from "./helpers";

const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";

/**
 * Issue 12's attacks, replayed against the running service by a root user on the host: direct SQL on
 * its PostgreSQL schema, and a key holder port taken over. Each attack must now be refused with its
 * named code, and the victim's wallet must stay unharmed: no attestation is signed for the attacker
 * with the victim's signer, and no signer record is re-sealed under a key the host knows.
 */
describe("hostile host (root on the host: SQL on the database, relayed key holders)", function () {
  let service: RunningIdentityService;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let db: Database;
  const schema = freshSchema();
  const data = tempDir("hostile");

  const client = (authKey: AuthKey) =>
    new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] } });

  async function login(email: string, authKey: AuthKey = secp256k1AuthKey()) {
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    return { c, authKey, started, login: await c.completeOtp(started, smtp.codeFor(email)) };
  }


  const ask = (c: IdentityClient) => c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
  const row = async (sql: string, params: unknown[]) => (await db.query(sql, params)).rows[0] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

  before(async function () {
    this.timeout(180_000);
    if (!(await postgresAvailable())) {
      console.log(`    (PostgreSQL at ${POSTGRES_URL} is unreachable: skipping)`);
      this.skip();
    }
    // SMTP with STARTTLS under a CA made here: the enclave speaks TLS to it through the host's relay.
    const ca = await createTestCa("Arbor hostile-host test CA");
    smtp = await startSmtpSink({ tls: { mode: "starttls", ...(await ca.issue(["127.0.0.1"])) } });
    service = await startIdentityService({
      dataDir: data.dir,
      databaseUrl: POSTGRES_URL,
      databaseSchema: schema,
      smtpUrl: smtp.url,
      caPem: [ca.pem],
      // No pool key stays in memory: every decryption goes to the key holders.
      // Logins last 3 days, under the 7-day attestation cap, so the cap by the login shows on its own.
      enclave: { pool: { cacheMs: 0, size: 2 }, otp: { maxAttempts: 3 }, reencryptIntervalMs: 0, rateLimit: { perSecond: 1000, burst: 1000 }, authKeyLifetimeMs: 3 * 86400_000 },
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

  describe("finding 1: forged binding and commitment rows", () => {
    it("refuses with row-forged when the host binds its own auth key to the victim's identity with a foreign audience and a 10-year expiry", async () => {
      const victim = await login("victim-binding@example.com");
      const attacker = secp256k1AuthKey();
      const stolen = await row("SELECT * FROM auth_keys WHERE auth_key = $1", [victim.authKey.id]);
      const tenYears = Date.now() + 10 * 365 * 86400_000;
      // 1. a row written from scratch: plain columns of the host's choosing, bytes it made up.
      await db.query(
        `INSERT INTO auth_keys (auth_key, ecosystem, identity_id, version, expires_at_ms, cipher_key_id, sealed, created_at_ms) VALUES ($1, $2, $3, 1, $4, $5, $6, $7)`,
        [attacker.id, ECOSYSTEM, victim.login.identity.id, tenYears, stolen.cipher_key_id, randomBytes(200), Date.now()],
      );
      const forged = await refusal(ask(client(attacker)));
      expect(forged.code).to.equal("row-forged");
      expect(forged.status).to.equal(500);
      // 2. the victim's genuine sealed binding copied onto the attacker's key.
      await db.query("UPDATE auth_keys SET cipher_key_id = $2, sealed = $3 WHERE auth_key = $1", [attacker.id, stolen.cipher_key_id, stolen.sealed]);
      expect((await refusal(ask(client(attacker)))).code).to.equal("row-forged");
      expect((await refusal(client(attacker).identity())).code).to.equal("row-forged");
      // The victim is unharmed: still signs with the same signer.
      expect((await ask(victim.c)).signer).to.equal(victim.login.signer);
      expect(service.logs("host")).to.match(/row-forged/);
    });

    it("refuses with row-forged when the host writes a commitment with an answer hash of its choosing", async () => {
      const attacker = secp256k1AuthKey();
      const c = client(attacker);
      // The attacker starts a login for the victim's address with its own key; the host cannot read the
      // code's hash, so it swaps in a sealed value of its own making (any bytes: it has no pool key).
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "victim-commitment@example.com" });
      const genuine = await row("SELECT * FROM auth_commitments WHERE id = $1", [started.commitmentId]);
      await db.query("UPDATE auth_commitments SET sealed = $2 WHERE id = $1", [started.commitmentId, randomBytes(genuine.sealed.length)]);
      const err = await refusal(c.completeOtp(started, "123456"));
      expect(err.code).to.equal("row-forged");
      // And a commitment inserted from nothing, naming the attacker's key:
      const id = randomBytes(16).toString("hex");
      await db.query(
        `INSERT INTO auth_commitments (id, ecosystem, auth_key, version, expires_at_ms, cipher_key_id, sealed, created_at_ms) VALUES ($1, $2, $3, 1, $4, $5, $6, $7)`,
        [id, ECOSYSTEM, attacker.id, Date.now() + 600_000, genuine.cipher_key_id, randomBytes(300), Date.now()],
      );
      expect((await refusal(c.completeOtp({ commitmentId: id, challenge: "00" }, "123456"))).code).to.equal("row-forged");
      expect((await refusal(ask(c))).code).to.equal("not-authenticated");
    });

    it("refuses with row-rolled-back when the host resets an attempt counter or restores a consumed commitment", async () => {
      const attacker = secp256k1AuthKey();
      const c = client(attacker);
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "victim-attempts@example.com" });
      const fresh = await row("SELECT cipher_key_id, sealed FROM auth_commitments WHERE id = $1", [started.commitmentId]);
      const code = smtp.codeFor("victim-attempts@example.com");
      const wrong = code === "000000" ? "111111" : "000000";
      expect((await refusal(c.completeOtp(started, wrong))).code).to.equal("wrong-answer");
      expect((await refusal(c.completeOtp(started, wrong))).code).to.equal("wrong-answer");
      // The host puts back the row from before the two wrong answers (a genuine, older sealed row).
      await db.query("UPDATE auth_commitments SET version = 1, cipher_key_id = $2, sealed = $3 WHERE id = $1", [started.commitmentId, fresh.cipher_key_id, fresh.sealed]);
      expect((await refusal(c.completeOtp(started, wrong))).code).to.equal("row-rolled-back");

      // A consumed commitment restored: the legitimate user logs in, the host restores the row.
      const user = secp256k1AuthKey();
      const u = client(user);
      const s2 = await u.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "victim-consumed@example.com" });
      const unconsumed = await row("SELECT cipher_key_id, sealed FROM auth_commitments WHERE id = $1", [s2.commitmentId]);
      const codeB = smtp.codeFor("victim-consumed@example.com");
      await u.completeOtp(s2, codeB);
      await db.query("UPDATE auth_commitments SET version = 1, cipher_key_id = $2, sealed = $3 WHERE id = $1", [s2.commitmentId, unconsumed.cipher_key_id, unconsumed.sealed]);
      expect((await refusal(u.completeOtp(s2, codeB))).code).to.equal("row-rolled-back");
    });

    it("refuses with stale-nonce when the host deletes the nonce row and replays a captured request", async () => {
      const victim = await login("victim-nonce@example.com");
      const nonce = BigInt(Date.now()) * 1000n + 7n;
      const body = JSON.stringify({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
      const first = await rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/attestations", key: victim.authKey, nonce, body });
      expect(first.status).to.equal(200);
      await db.query("DELETE FROM auth_key_nonces WHERE auth_key = $1", [victim.authKey.id]);
      const replay = await rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/attestations", key: victim.authKey, nonce, body });
      expect(replay.json.code).to.equal("stale-nonce");
    });
  });

  describe("finding 3: a planted signer address", () => {
    it("refuses with row-forged, and hands out no address, when the host pre-inserts a signer row for a new email", async () => {
      const hostWallet = Wallet.createRandom();
      // The identity id of a user who has not logged in yet is public (a hash of the address).
      const { identityId } = await import("../../enclave-service/enclave/identity-id");
      const id = identityId(ECOSYSTEM, "email", "email", "newcomer@example.com");
      const someKey = await row("SELECT id FROM cipher_keys ORDER BY id LIMIT 1", []);
      // Sealed under a key the host chose: the best it can do without a pool key.
      const ciphertext = sealRecord(new Uint8Array(randomBytes(32)), new Uint8Array(Buffer.from(hostWallet.privateKey.slice(2), "hex")), {
        table: "identity_signers",
        rowKey: id,
        scope: ECOSYSTEM,
        cipherKeyId: someKey.id,
      });
      await db.query("INSERT INTO identity_signers (ecosystem, identity_id, address, cipher_key_id, ciphertext, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)", [
        ECOSYSTEM,
        id,
        hostWallet.address,
        someKey.id,
        ciphertext,
        Date.now(),
      ]);
      const c = client(secp256k1AuthKey());
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "newcomer@example.com" });
      const err = await refusal(c.completeOtp(started, smtp.codeFor("newcomer@example.com")));
      expect(err.code).to.equal("row-forged");
      expect(JSON.stringify(err.details)).to.not.include(hostWallet.address);
      expect((await row("SELECT count(*)::int AS n FROM auth_keys WHERE identity_id = $1", [id])).n).to.equal(0);
    });

    it("returns the address of the decrypted key when the host rewrites the address column", async () => {
      const victim = await login("victim-address@example.com");
      await db.query("UPDATE identity_signers SET address = $2 WHERE identity_id = $1", [victim.login.identity.id, Wallet.createRandom().address]);
      expect((await victim.c.identity()).signer).to.equal(victim.login.signer);
      expect((await ask(victim.c)).signer).to.equal(victim.login.signer);
      const again = await login("victim-address@example.com");
      expect(again.login.signer).to.equal(victim.login.signer);
    });
  });

  describe("bindings the host restores or extends", () => {
    it("refuses with row-rolled-back when the host restores a revoked binding, and with not-authenticated after it", async () => {
      const victim = await login("victim-revoke@example.com");
      const phone = await login("victim-revoke@example.com");
      const live = await row("SELECT * FROM auth_keys WHERE auth_key = $1", [phone.authKey.id]);
      // The user revokes the lost phone's key from the laptop.
      const revoked = await victim.c.revoke(phone.authKey.id);
      expect(revoked.revoked).to.equal(phone.authKey.id);
      expect((await refusal(ask(phone.c))).code).to.equal("not-authenticated");
      await db.query("UPDATE auth_keys SET version = $2, cipher_key_id = $3, sealed = $4 WHERE auth_key = $1", [phone.authKey.id, live.version, live.cipher_key_id, live.sealed]);
      expect((await refusal(ask(phone.c))).code).to.equal("row-rolled-back");
      expect((await ask(victim.c)).signer).to.equal(victim.login.signer);
    });

    it("refuses with binding-not-found when revoking an auth key of another identity, and invalid-request for a malformed id", async () => {
      const a = await login("revoker-a@example.com");
      const b = await login("revoker-b@example.com");
      expect((await refusal(a.c.revoke(b.authKey.id))).code).to.equal("binding-not-found");
      expect((await ask(b.c)).signer).to.equal(b.login.signer);
      expect((await refusal(a.c.revoke("secp256k1:0xnot-a-key"))).code).to.equal("invalid-request");
    });

    it("keeps the sealed expiry when the host rewrites expires_at_ms, and caps the attestation's lifetime by it", async () => {
      const victim = await login("victim-expiry@example.com");
      await db.query("UPDATE auth_keys SET expires_at_ms = $2 WHERE auth_key = $1", [victim.authKey.id, Date.now() + 10 * 365 * 86400_000]);
      // A minute past the sealed expiry, well within the service's 7-day cap.
      const lifetimeSeconds = Math.floor((victim.login.authKeyExpiresAt - Date.now()) / 1000) + 60;
      const tooLong = await refusal(victim.c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds }));
      expect(tooLong.code).to.equal("lifetime-too-long");
      expect(Number(tooLong.details.authKeyExpiresAt)).to.equal(victim.login.authKeyExpiresAt);
    });
  });

  describe("a request signed for another service", () => {
    it("refuses with bad-signature naming this service when the request was signed for another deployment", async () => {
      const victim = await login("victim-service@example.com");
      const body = JSON.stringify({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
      const elsewhere = await rawRequest(service.url, service.rootPem, { method: "POST", path: "/v1/attestations", key: victim.authKey, body, service: "other-deployment.example" });
      expect(elsewhere.json.code).to.equal("bad-signature");
      expect(elsewhere.json.details.service).to.equal("arbor-identity-local");
      expect((await victim.c.health()).service).to.equal("arbor-identity-local");
    });
  });

  describe("IdentityClient under concurrent use", () => {
    it("completes 40 concurrent calls of one client without stale-nonce", async function () {
      this.timeout(120_000);
      const victim = await login("concurrent@example.com");
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => ask(victim.c)));
      const failed = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason.code);
      expect(failed, failed.join()).to.deep.equal([]);
    });
  });

  describe("finding 2: a forged pool generation", () => {
    it("refuses with pool-key-forged, seals nothing under the host's key and moves no signer record", async function () {
      this.timeout(120_000);
      const victim = await login("victim-pool@example.com");
      const signersBefore = (await db.query("SELECT identity_id, cipher_key_id, ciphertext FROM identity_signers ORDER BY identity_id")).rows;
      // The host makes a key, splits it, boxes the shares to the holders' public keys (that needs no
      // holder) and commits to it: everything the v1 schema asked for.
      const hostKey = new Uint8Array(randomBytes(32));
      const generation = Number((await row("SELECT max(generation)::int AS g FROM cipher_generations", [])).g) + 1;
      const keyId = `g${generation}k0-host`;
      const shares = await splitPoolKey(hostKey);
      const boxed = shares.map((s, i) =>
        sealToPublicKey(readMasterPublicKey(path.join(data.dir, `key-holder-${i + 1}`), i + 1), s, WRAP_INFO, shareAad(keyId, i + 1)),
      );
      const active = await row("SELECT generation FROM cipher_generations WHERE state = 'active'", []);
      await db.query("UPDATE cipher_generations SET state = 'retiring' WHERE generation = $1", [active.generation]);
      await db.query("INSERT INTO cipher_generations (generation, state, created_at_ms) VALUES ($1, 'active', $2)", [generation, Date.now()]);
      await db.query("INSERT INTO cipher_keys (id, generation, key_check, share_1, share_2, share_3, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
        keyId,
        generation,
        poolKeyCheck(hostKey, keyId, generation),
        boxed[0],
        boxed[1],
        boxed[2],
        Date.now(),
      ]);
      try {
        // The next request would re-seal the victim's signer under the host's key: refused instead.
        const err = await refusal(ask(victim.c));
        expect(err.code).to.equal("pool-key-forged");
        const holders = (err.details.holders as { holder: number; code: string }[]).map((h) => `${h.holder}:${h.code}`).sort();
        expect(holders).to.deep.equal(["1:share-not-held", "2:share-not-held", "3:share-not-held"]);
        // So is the re-encryption job.
        const pass = await rawRequest(service.url, service.rootPem, { method: "POST", path: "/admin/v1/reencrypt", body: "{}", headers: { authorization: `Bearer ${service.adminToken}` } });
        expect(pass.json.code).to.equal("pool-key-forged");
        const signersAfter = (await db.query("SELECT identity_id, cipher_key_id, ciphertext FROM identity_signers ORDER BY identity_id")).rows;
        expect(signersAfter).to.deep.equal(signersBefore);
        for (const table of ["identity_signers", "auth_commitments", "auth_keys", "auth_key_nonces"]) {
          expect((await row(`SELECT count(*)::int AS n FROM ${table} WHERE cipher_key_id = $1`, [keyId])).n, table).to.equal(0);
        }
        expect(service.logs("host")).to.match(/pool-key-forged/);
      } finally {
        await db.query("DELETE FROM cipher_keys WHERE id = $1", [keyId]);
        await db.query("DELETE FROM cipher_generations WHERE generation = $1", [generation]);
        await db.query("UPDATE cipher_generations SET state = 'active' WHERE generation = $1", [active.generation]);
      }
      expect((await ask(victim.c)).signer).to.equal(victim.login.signer);
    });
  });

  describe("finding 4: one lying key holder", () => {
    it("keeps releasing with the two honest holders and names the liar in a holder-lied log line", async function () {
      this.timeout(120_000);
      const victim = await login("victim-liar@example.com");
      // Root on the host takes over key holder 2's port: every release gets a well-formed share of
      // random bytes, sealed to the document's public key exactly like a real release.
      const port = Number(new URL(String(service.processes.get("key-holder-2")!.ready.url)).port);
      await service.stop("key-holder-2");
      const liar = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          const input = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { keyId: string; attestationDocument: string };
          const doc = decodeAttestationDocument(new Uint8Array(Buffer.from(input.attestationDocument, "base64")));
          const lie = sealToPublicKey(doc.publicKey!, new Uint8Array(randomBytes(33)), RELEASE_INFO, shareAad(input.keyId, 2));
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ releasedShare: Buffer.from(lie).toString("base64") }));
        });
      });
      await new Promise<void>((resolve) => liar.listen(port, "127.0.0.1", () => resolve()));
      try {
        let ok = 0;
        for (let i = 0; i < 10; i++) if ((await ask(victim.c)).signer === victim.login.signer) ok++;
        expect(ok).to.equal(10);
        await sleep(200);
        expect(service.logs("host")).to.match(/holder-lied[^\n]*"holder":2/);
        expect(service.logs("host")).to.not.match(/holder-lied[^\n]*"holder":[13]/);
      } finally {
        liar.closeAllConnections();
        await new Promise<void>((resolve) => liar.close(() => resolve()));
        await service.start("key-holder-2");
      }
    });
  });
});

describe("identity/IdentityClient", () => {
  describe("constructor", () => {
    it("refuses with invalid-argument when no measurement is pinned, unless the local-development opt-out is named", () => {
      const authKey = secp256k1AuthKey();
      for (const attestation of [{ roots: ["pem"] }, { roots: ["pem"], measurements: [] }, { roots: ["pem"], anyMeasurement: "yes" as never }]) {
        expect(() => new IdentityClient({ url: "http://127.0.0.1:1", authKey, attestation })).to.throw(IdentityClientError).with.property("code", "invalid-argument");
      }
      expect(
        () => new IdentityClient({ url: "http://127.0.0.1:1", authKey, attestation: { roots: ["pem"], anyMeasurement: "insecure-local-development", production: true } }),
      ).to.throw(IdentityClientError).with.property("code", "invalid-argument");
      expect(new IdentityClient({ url: "http://127.0.0.1:1", authKey, attestation: { roots: ["pem"], anyMeasurement: "insecure-local-development" } }).authKeyId).to.equal(authKey.id);
    });
  });
});
