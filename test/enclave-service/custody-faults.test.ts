import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { codeFromOutbox, rawRequest, sleep, tempDir } from "./helpers";

const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";

/**
 * Key custody under faults, with real processes: key holders stopped and restarted, the enclave
 * killed in the middle of a re-encryption pass. Pool keys are never cached (cacheMs 0), so every
 * decryption really asks the key holders.
 */
describe("enclave-service key custody under faults (PGlite)", function () {
  let service: RunningIdentityService;
  const data = tempDir("faults");
  const users: { email: string; authKey: AuthKey; signer: string }[] = [];

  const client = (authKey: AuthKey) => new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] } });

  async function login(email: string) {
    const authKey = secp256k1AuthKey();
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    const result = await c.completeOtp(started, codeFromOutbox(service.outboxFile, email));
    users.push({ email, authKey, signer: result.signer });
    return result;
  }

  /** Every user's signer still signs: nothing was lost. */
  async function everyoneSigns(): Promise<void> {
    for (const u of users) {
      const signed = await client(u.authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
      expect(signed.signer, u.email).to.equal(u.signer);
    }
  }

  async function admin(method: "GET" | "POST", path: string, body?: unknown) {
    return rawRequest(service.url, service.rootPem, {
      method,
      path,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { authorization: `Bearer ${service.adminToken}` },
    });
  }

  async function generations(): Promise<{ generation: number; state: string; keys: number; records: number; signers: number }[]> {
    const r = await admin("GET", "/admin/v1/custody");
    expect(r.status).to.equal(200);
    return r.json.generations;
  }

  async function refused(p: Promise<unknown>): Promise<IdentityClientError> {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(IdentityClientError);
      return err as IdentityClientError;
    }
    return expect.fail("expected a refusal");
  }

  before(async function () {
    this.timeout(180_000);
    service = await startIdentityService({ dataDir: data.dir, enclave: { pool: { cacheMs: 0, size: 2 }, reencryptIntervalMs: 0 } });
    for (let i = 0; i < 5; i++) await login(`user${i}@example.com`);
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stopAll();
    data.remove();
  });

  describe("key holders", () => {
    it("keeps signing and logging in when one key holder is down", async () => {
      await service.stop("key-holder-3");
      await everyoneSigns();
      await login("while-one-down@example.com");
    });

    it("refuses with custody-unavailable naming both holders when two are down", async () => {
      await service.stop("key-holder-2");
      const err = await refused(client(users[0].authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 }));
      expect(err.code).to.equal("custody-unavailable");
      expect(err.status).to.equal(503);
      expect(err.message).to.match(/key holders 2 and 3 did not/);
      const holders = err.details.holders as { holder: number; code: string }[];
      expect(holders.map((h) => h.holder).sort()).to.deep.equal([2, 3]);
      expect(holders.every((h) => h.code === "holder-unreachable")).to.equal(true);
      // Every signed request needs a pool key (its nonce, like every row with authority, is sealed):
      // a new login is refused the same way, and nothing half-done is left.
      const c = client(secp256k1AuthKey());
      const loginErr = await refused(c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "while-two-down@example.com" }));
      expect(loginErr.code).to.equal("custody-unavailable");
    });

    it("loses nothing when the two holders come back", async function () {
      this.timeout(120_000);
      await Promise.all([service.start("key-holder-2"), service.start("key-holder-3")]);
      await everyoneSigns();
    });

    it("keeps every record readable when the enclave restarts (with a new attestation root)", async function () {
      this.timeout(120_000);
      const oldRoot = service.rootPem;
      await service.stop("enclave");
      await service.start("enclave");
      expect(service.rootPem).to.not.equal(oldRoot);
      await waitForEnclave();
      await everyoneSigns();
    });
  });

  async function waitForEnclave(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${service.url}/v1/health`);
      if (res.status === 200) return;
      await sleep(100);
    }
    throw new Error("the host did not reconnect to the enclave");
  }

  describe("pool rotation", () => {
    it("starts a new generation, and re-encrypts a record when it is read", async () => {
      const r = await admin("POST", "/admin/v1/rotate", {});
      expect(r.status).to.equal(200);
      expect(r.json).to.deep.equal({ generation: 2, previous: 1 });
      const gens = await generations();
      expect(gens.map((g) => [g.generation, g.state])).to.deep.equal([[1, "retiring"], [2, "active"]]);
      const oldRecords = gens[0].signers;
      expect(oldRecords).to.equal(users.length);
      await client(users[0].authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
      expect((await generations())[0].signers).to.equal(oldRecords - 1);
      const fresh = await login("after-rotation@example.com");
      expect(fresh.signerCreated).to.equal(true);
      expect((await generations())[1].signers).to.equal(2);
    });

    it("finishes the job with every record readable when the enclave is killed in the middle of a pass", async function () {
      this.timeout(180_000);
      const before = (await generations())[0].records;
      expect((await generations())[0].signers).to.be.at.least(3);
      // One record per batch, 2 s apart: as soon as the first batch is committed, SIGKILL lands in
      // the pause before the second, so the pass is certainly cut part-way.
      const pass = admin("POST", "/admin/v1/reencrypt", { batchSize: 1, pauseMs: 2_000 }).then(
        (r) => r,
        (e: Error) => ({ status: 0, json: { code: "no-attested-answer", message: e.message } }),
      );
      for (let i = 0; i < 200 && (await generations())[0].records === before; i++) await sleep(50);
      await service.stop("enclave", "SIGKILL");
      const interrupted = await pass;
      expect(interrupted.status, JSON.stringify(interrupted.json)).to.not.equal(200);

      await service.start("enclave");
      await waitForEnclave();
      const mid = await generations();
      expect(mid[0].records, "part of the pass was done").to.be.below(before);
      expect(mid[0].records, "part of the pass was not").to.be.above(0);
      await everyoneSigns();

      const done = await admin("POST", "/admin/v1/reencrypt", {});
      expect(done.status).to.equal(200);
      expect(done.json.retiredGenerations).to.deep.equal([1]);
      const after = await generations();
      expect(after[0]).to.deep.include({ generation: 1, state: "retired", keys: 0, records: 0 });
      expect(after[1]).to.deep.include({ generation: 2, state: "active", keys: 2, signers: users.length });
      await everyoneSigns();
    });

    it("refuses admin routes with admin-unauthorized when the token is wrong, and bad job parameters with invalid-request", async () => {
      const wrong = await rawRequest(service.url, service.rootPem, { method: "POST", path: "/admin/v1/rotate", body: "{}", headers: { authorization: "Bearer nope" } });
      expect(wrong.json.code).to.equal("admin-unauthorized");
      expect(wrong.status).to.equal(401);
      const bad = await admin("POST", "/admin/v1/reencrypt", { batchSize: -1 });
      expect(bad.json.code).to.equal("invalid-request");
      expect((await generations()).length).to.equal(2);
    });
  });
});
