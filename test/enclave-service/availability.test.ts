import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { codeFromOutbox, sleep, tempDir } from "./helpers";

const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";

/**
 * Availability with real processes on PGlite (issue 12, findings 5 and the launcher's supervision):
 * an enclave killed under load leaves no transaction holding PGlite's one connection, and every
 * process the launcher started comes back by itself when it dies.
 */
describe("enclave-service availability (PGlite)", function () {
  let service: RunningIdentityService;
  const data = tempDir("availability");
  const users: { email: string; authKey: AuthKey; signer: string }[] = [];

  const client = (authKey: AuthKey) =>
    new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: service.roots(), measurements: [service.measurement] } });

  async function login(email: string) {
    const authKey = secp256k1AuthKey();
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    const result = await c.completeOtp(started, codeFromOutbox(service.outboxFile, email));
    users.push({ email, authKey, signer: result.signer });
  }

  /** Tries to sign for `user` until it works; returns the ms it took. */
  async function firstSignature(user: (typeof users)[number], limitMs: number): Promise<number> {
    const started = Date.now();
    let last: unknown;
    while (Date.now() - started < limitMs) {
      try {
        const signed = await client(user.authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
        expect(signed.signer).to.equal(user.signer);
        return Date.now() - started;
      } catch (err) {
        last = err;
        await sleep(100);
      }
    }
    throw new Error(`no signature within ${limitMs} ms; last error: ${(last as Error)?.message}`);
  }

  before(async function () {
    this.timeout(180_000);
    service = await startIdentityService({
      dataDir: data.dir,
      // No pool key cached: every signature asks the key holders inside its transaction, so with
      // four clients there are always transactions open and BEGINs queued behind them.
      enclave: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 }, reencryptIntervalMs: 0, pool: { cacheMs: 0 } },
    });
    for (let i = 0; i < 4; i++) await login(`available-${i}@example.com`);
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stopAll();
    data.remove();
  });

  describe("host I/O session", () => {
    it("signs again within seconds of a restart when the enclave is SIGKILLed under load from 4 clients", async function () {
      this.timeout(180_000);
      let stop = false;
      let served = 0;
      // Four clients sending back to back, so transactions are open and BEGINs are queued when the kill lands.
      const load = users.map(async (u) => {
        while (!stop) {
          try {
            await client(u.authKey).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
            served++;
          } catch {
            await sleep(20);
          }
        }
      });
      while (served < 8) await sleep(20);
      await service.stop("enclave", "SIGKILL");
      await sleep(300);
      await service.start("enclave");
      const ms = await firstSignature(users[0], 15_000);
      stop = true;
      await Promise.all(load);
      // Finding 5 measured 612 s here before transactions were tied to the connection.
      expect(ms).to.be.below(15_000);
      expect(service.logs("host")).to.match(/"event":"enclave-disconnected"/);
    });
  });

  describe("launcher supervision", () => {
    for (const name of ["host", "enclave", "key-holder-1"]) {
      it(`restarts the ${name} when it is killed, and the service signs again`, async function () {
        this.timeout(180_000);
        const before = service.restarts(name);
        const victim = service.processes.get(name)!;
        victim.child.kill("SIGKILL");
        await service.waitForRestart(name, before + 1, 120_000);
        expect(service.processes.get(name)!.child.pid).to.not.equal(victim.child.pid);
        expect(service.logs(name)).to.match(new RegExp(`\\[launcher\\] ${name} exited \\(SIGKILL\\)`));
        await firstSignature(users[1], 30_000);
      });
    }

    it("does not restart a process the caller stopped", async function () {
      this.timeout(60_000);
      const before = service.restarts("key-holder-2");
      await service.stop("key-holder-2");
      await sleep(1_500);
      expect(service.processes.has("key-holder-2")).to.equal(false);
      expect(service.restarts("key-holder-2")).to.equal(before);
      await service.start("key-holder-2");
    });
  });

  describe("startIdentityService", () => {
    it("refuses with a RangeError when more than one instance is asked for on PGlite", async () => {
      const saved = process.env.DATABASE_URL;
      delete process.env.DATABASE_URL;
      try {
        await startIdentityService({ dataDir: data.dir + "-x", instances: 2 }).then(
          () => expect.fail("started two instances on PGlite"),
          (err: Error) => {
            expect(err).to.be.instanceOf(RangeError);
            expect(err.message).to.match(/PostgreSQL/);
          },
        );
      } finally {
        if (saved !== undefined) process.env.DATABASE_URL = saved;
      }
    });
  });
});
