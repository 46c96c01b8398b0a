import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { codeFromOutbox, tempDir, refusal } from "./helpers";
import { readFileSync } from "node:fs";

const ECOSYSTEM = "apps";
const A = "https://a.example";
const B = "https://b.example";


/** Finding 8: the audience is no longer whatever the caller writes; the app's Origin decides it. */
describe("enclave-service audience (apps: Origin -> allowed audiences)", function () {
  let service: RunningIdentityService;
  const data = tempDir("audience");
  const client = (origin: string | undefined, authKey: AuthKey = secp256k1AuthKey(), firstNonce?: bigint) =>
    new IdentityClient({ url: service.url, origin, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] }, firstNonce });
  const mailsTo = (to: string) =>
    readFileSync(service.outboxFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { to: string; text: string }).filter((m) => m.to === to);

  before(async function () {
    this.timeout(180_000);
    service = await startIdentityService({
      dataDir: data.dir,
      ecosystems: {
        [ECOSYSTEM]: {
          origins: [A, B],
          apps: [
            { name: "App A", origin: A, audiences: [A] },
            { name: "App B", origin: B, audiences: [B] },
          ],
        },
      },
      enclave: { reencryptIntervalMs: 0 },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stopAll();
    data.remove();
  });

  describe("initiate", () => {
    it("names the app and the audience in the code email when the app asks for its own audience", async () => {
      const email = "alice@example.com";
      const c = client(A);
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: A, email });
      const [mail] = mailsTo(email);
      expect(mail.text).to.include("App A (https://a.example)");
      expect(mail.text).to.include(`for the audience ${A}`);
      expect((await c.completeOtp(started, codeFromOutbox(service.outboxFile, email))).audience).to.equal(A);
    });

    it("refuses with audience-not-allowed when app A asks for app B's audience, and sends nothing", async () => {
      const email = "victim@example.com";
      const err = await refusal(client(A).initiateEmail({ ecosystem: ECOSYSTEM, audience: B, email }), "audience-not-allowed");
      expect(err.status).to.equal(403);
      expect(err.details).to.include({ origin: A, audience: B });
      expect(mailsTo(email)).to.have.length(0);
    });

    it("refuses with unknown-app when the Origin is no app of the ecosystem, and origin-required without one", async () => {
      await refusal(client("https://evil.example").initiateEmail({ ecosystem: ECOSYSTEM, audience: A, email: "x@example.com" }), "unknown-app");
      await refusal(client(undefined).initiateEmail({ ecosystem: ECOSYSTEM, audience: A, email: "x@example.com" }), "origin-required");
    });
  });

  describe("attestations", () => {
    it("refuses with audience-not-allowed when app B asks for an attestation with a login made for app A", async () => {
      const key = secp256k1AuthKey();
      const email = "shared-device@example.com";
      const a = client(A, key);
      const started = await a.initiateEmail({ ecosystem: ECOSYSTEM, audience: A, email });
      await a.completeOtp(started, codeFromOutbox(service.outboxFile, email));
      // The same auth key (say, a key both apps' pages can reach), asking from B's origin.
      const fromB = client(B, key, BigInt(Date.now()) * 1000n + 100n);
      await refusal(fromB.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "audience-not-allowed");
      await refusal(client(undefined, key, BigInt(Date.now()) * 1000n + 200n).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "origin-required");
      // A refused request uses up its nonce, so the next call comes from a client with a later nonce base.
      const signed = await client(A, key, BigInt(Date.now()) * 1000n + 500n).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
      expect(signed.audience).to.equal(A);
    });
  });
});
