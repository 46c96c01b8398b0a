import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Wallet } from "ethers";
import pg from "pg";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { POSTGRES_URL, dropSchema, freshSchema, postgresAvailable, sleep, startSmtpSink, tempDir } from "./helpers";
import { createTestCa } from "./test-ca";

const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";
const PER_DESTINATION = 6;
const MAX_ATTEMPTS = 3;

/**
 * A round-robin HTTP load balancer on loopback: each request goes to the next backend; a backend
 * that refuses the connection is skipped, as a load balancer's health check would. Counts what
 * each backend served, so the tests can show both pairs did work.
 */
async function startRoundRobin(backends: () => string[]): Promise<{ url: string; served: Map<string, number>; close(): Promise<void> }> {
  let next = 0;
  const served = new Map<string, number>();
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, tries: number) => {
    const list = backends();
    const target = new URL(list[next++ % list.length]);
    const out = http.request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false },
      (answer) => {
        served.set(target.origin, (served.get(target.origin) ?? 0) + 1);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on("error", () => {
      if (tries + 1 < list.length * 2) forward(req, body, res, tries + 1);
      else {
        res.writeHead(502);
        res.end();
      }
    });
    out.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => forward(req, Buffer.concat(chunks), res, 0));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Two enclave+host pairs on one PostgreSQL (issue 12, "more than one machine"): each pair has its
 * own enclave with its own attestation root, both share the key holders, the pool generation and
 * every row. Clients talk to a round-robin balancer in front of both.
 */
describe("enclave-service two instances on one PostgreSQL behind a round-robin balancer", function () {
  let service: RunningIdentityService;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let balancer: Awaited<ReturnType<typeof startRoundRobin>>;
  let db: pg.Client;
  const schema = freshSchema();
  const data = tempDir("instances");
  const users: { email: string; authKey: AuthKey; signer: string }[] = [];

  const client = (authKey: AuthKey, url = balancer.url, firstNonce?: bigint) =>
    new IdentityClient({ url, origin: AUDIENCE, authKey, attestation: { roots: service.roots(), measurements: [service.measurement] }, firstNonce });

  async function login(email: string, authKey = secp256k1AuthKey()) {
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    const result = await c.completeOtp(started, smtp.codeFor(email));
    users.push({ email, authKey, signer: result.signer });
    return result;
  }

  async function everyoneSigns(): Promise<void> {
    await Promise.all(
      users.map(async (u) => {
        const signed = await client(u.authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
        expect(signed.signer, u.email).to.equal(u.signer);
      }),
    );
  }

  before(async function () {
    this.timeout(240_000);
    if (!(await postgresAvailable())) {
      console.log(`    (PostgreSQL at ${POSTGRES_URL} is unreachable: skipping)`);
      this.skip();
    }
    const ca = await createTestCa("Arbor instances test CA");
    smtp = await startSmtpSink({ tls: { mode: "starttls", ...(await ca.issue(["127.0.0.1"])) } });
    service = await startIdentityService({
      dataDir: data.dir,
      databaseUrl: POSTGRES_URL,
      databaseSchema: schema,
      smtpUrl: smtp.url,
      caPem: [ca.pem],
      instances: 2,
      enclave: {
        otp: { maxAttempts: MAX_ATTEMPTS, perDestination: { max: PER_DESTINATION, windowMs: 3_600_000 } },
        rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
        reencryptIntervalMs: 0,
      },
    });
    balancer = await startRoundRobin(() => service.instances.map((i) => i.url));
    db = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await db.connect();
  });

  after(async function () {
    this.timeout(60_000);
    await balancer?.close();
    await service?.stopAll();
    await db?.end().catch(() => undefined);
    await smtp?.close();
    if (await postgresAvailable()) await dropSchema(schema);
    data.remove();
  });

  it("runs two pairs with their own attestation roots under one pool generation", async () => {
    expect(service.instances).to.have.length(2);
    expect(service.instances[0].rootPem).to.not.equal(service.instances[1].rootPem);
    const generations = await db.query("SELECT generation, state FROM cipher_generations ORDER BY generation");
    expect(generations.rows).to.deep.equal([{ generation: 1, state: "active" }]);
  });

  it("completes a login on one instance that was started on the other", async () => {
    const authKey = secp256k1AuthKey();
    const email = "cross-pair@example.com";
    const started = await client(authKey, service.instances[0].url).initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    // A fresh client starts its nonces later than the first one's, as one device's clock would.
    const done = await client(authKey, service.instances[1].url).completeOtp(started, smtp.codeFor(email));
    users.push({ email, authKey, signer: done.signer });
    const signed = await client(authKey, service.instances[0].url).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
    expect(signed.signer).to.equal(done.signer);
  });

  it("creates one signer per identity when first logins race across instances", async function () {
    this.timeout(120_000);
    const email = "racing-instances@example.com";
    // Started one after another (each code is then the newest mail); completed all at once.
    const starts: { authKey: AuthKey; started: Awaited<ReturnType<IdentityClient["initiateEmail"]>>; code: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const authKey = secp256k1AuthKey();
      const started = await client(authKey).initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
      starts.push({ authKey, started, code: smtp.codeFor(email) });
    }
    const results = await Promise.all(starts.map((s) => client(s.authKey).completeOtp(s.started, s.code)));
    const signers = new Set(results.map((r) => r.signer));
    expect(signers.size).to.equal(1);
    expect(results.filter((r) => r.signerCreated)).to.have.length(1);
    const rows = await db.query("SELECT count(*)::int AS n FROM identity_signers WHERE address = $1", [[...signers][0]]);
    expect(rows.rows[0].n).to.equal(1);
  });

  it("counts attempts across instances when wrong answers arrive concurrently", async function () {
    this.timeout(60_000);
    const authKey = secp256k1AuthKey();
    const email = "guessed@example.com";
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    const right = smtp.codeFor(email);
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    // Rounds of five concurrent guesses, each with its own nonce (one request per client): requests
    // that lose the nonce race are refused with stale-nonce; the others are counted, on either pair.
    let base = BigInt(Date.now()) * 1000n + 10_000n;
    const outcomes: string[] = [];
    for (let round = 0; round < 6 && !outcomes.includes("too-many-attempts"); round++) {
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          client(authKey, balancer.url, base + BigInt(i)).completeOtp(started, wrong).then(() => "logged-in", (e: IdentityClientError) => e.code),
        ),
      );
      base += 100n;
      outcomes.push(...answers);
    }
    expect(outcomes).to.not.include("logged-in");
    expect(outcomes.filter((o) => o === "wrong-answer")).to.have.length(MAX_ATTEMPTS);
    expect(outcomes).to.include("too-many-attempts");
    // The attempt count is sealed: version 1 at creation, +1 per counted attempt.
    const stored = await db.query("SELECT version FROM auth_commitments WHERE id = $1", [started.commitmentId]);
    expect(Number(stored.rows[0].version) - 1).to.equal(MAX_ATTEMPTS);
    const after = await client(authKey, balancer.url, base + 1000n).completeOtp(started, right).then(() => "logged-in", (e: IdentityClientError) => e.code);
    expect(after).to.equal("too-many-attempts");
  });

  it("applies the per-destination limit across instances", async function () {
    this.timeout(60_000);
    const email = "limited-everywhere@example.com";
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () =>
        client(secp256k1AuthKey())
          .initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email })
          .then(() => "started", (e: IdentityClientError) => e.code),
      ),
    );
    // Exactly the budget is handed out across both pairs. A start that fails after taking its unit
    // (a lost nonce race under load, for instance) still used it, so "started" can only be fewer.
    expect(outcomes.filter((o) => o === "destination-rate-limited"), outcomes.join(",")).to.have.length(20 - PER_DESTINATION);
    expect(outcomes.filter((o) => o === "started").length, outcomes.join(",")).to.be.within(1, PER_DESTINATION);
    expect(smtp.mails.filter((m) => m.to.includes(email)).length).to.be.at.most(PER_DESTINATION);
    for (const url of service.instances.map((i) => i.url)) expect(balancer.served.get(new URL(url).origin) ?? 0).to.be.above(0);
  });

  it("survives its PostgreSQL sessions being terminated under load, and serves again", async function () {
    this.timeout(120_000);
    await login("pg-restart@example.com");
    const hostPids = service.instances.map((i) => service.processes.get(i.host)!.child.pid);
    let stop = false;
    let ok = 0;
    let failed = 0;
    const load = users.slice(0, 4).map(async (u) => {
      while (!stop) {
        await client(u.authKey)
          .signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 })
          .then(() => ok++, () => failed++);
      }
    });
    while (ok < 10) await sleep(20);
    // What a PostgreSQL restart does to the hosts' sessions, without disturbing anyone else's.
    const killed = await db.query("SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = $1", [`arbor-host:${schema}`]);
    expect(killed.rows.length).to.be.above(0);
    const okAtKill = ok;
    await sleep(1_000);
    const deadline = Date.now() + 20_000;
    while (ok < okAtKill + 20 && Date.now() < deadline) await sleep(50);
    stop = true;
    await Promise.all(load);
    expect(ok, `served after the terminations (${failed} refused meanwhile)`).to.be.at.least(okAtKill + 20);
    // Same host processes: nothing died and nothing had to be restarted.
    expect(service.instances.map((i) => service.processes.get(i.host)!.child.pid)).to.deep.equal(hostPids);
    for (const i of service.instances) expect(service.restarts(i.host)).to.equal(0);
  });

  it("loses nothing when one instance is killed: the other serves every user", async function () {
    this.timeout(180_000);
    await login("before-kill@example.com");
    const second = service.instances[1];
    await service.stop(second.host, "SIGKILL");
    await service.stop(second.enclave, "SIGKILL");
    await everyoneSigns();
    await login("during-outage@example.com");
    await service.start(second.enclave);
    await service.start(second.host);
    for (let i = 0; i < 100 && (await fetch(`${second.url}/v1/health`)).status !== 200; i++) await sleep(100);
    // Through the revived pair alone: it reads what the other wrote while it was down.
    for (const u of users) {
      const signed = await client(u.authKey, second.url).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 });
      expect(signed.signer, u.email).to.equal(u.signer);
    }
  });
});
