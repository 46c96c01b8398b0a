import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { startSmtpSink, tempDir, refusal } from "./helpers";
import { startHostileRelay, type HostileRelay } from "./hostile-relay";
import { REDIRECT_URI, signInAtProvider, startOidcProvider } from "./oidc-peer";
import { createTestCa, type ServerCredentials, type TestCa } from "./test-ca";

const ECOSYSTEM = "tls-eco";
const AUDIENCE = "https://app.example";


/**
 * Outbound TLS ends in the enclave: real peers (oidc-provider over HTTPS, smtp-server with
 * STARTTLS and with implicit TLS) under a CA made here, reached through the host's TCP relay and a
 * relay in front of each peer that can turn hostile. That relay stands where the host's relay
 * output goes, so it can do whatever a root user on the host can do to the bytes.
 */
describe("enclave-service outbound TLS (ends in the enclave, the host relays bytes)", function () {
  let ca: TestCa;
  let otherCa: TestCa;
  let wrongName: ServerCredentials;
  let fromOtherCa: ServerCredentials;

  before(async () => {
    ca = await createTestCa("Arbor transport test CA");
    otherCa = await createTestCa("Not the configured CA");
    wrongName = await ca.issue(["other.example"]);
    fromOtherCa = await otherCa.issue(["127.0.0.1"]);
  });

  describe("OpenID Connect and email over STARTTLS", () => {
    let idp: Awaited<ReturnType<typeof startOidcProvider>>;
    let idpRelay: HostileRelay;
    let smtpRelay: HostileRelay;
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    let service: RunningIdentityService;
    const data = tempDir("tls-starttls");
    const client = (authKey: AuthKey = secp256k1AuthKey()) =>
      new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] } });

    before(async function () {
      this.timeout(180_000);
      let idpPort = 0;
      idpRelay = await startHostileRelay(() => idpPort);
      idp = await startOidcProvider(await ca.issue(["127.0.0.1"]), async () => idpRelay.port);
      idpPort = idp.port;
      smtp = await startSmtpSink({ tls: { mode: "starttls", ...(await ca.issue(["127.0.0.1"])) } });
      smtpRelay = await startHostileRelay(() => smtp.port);
      service = await startIdentityService({
        dataDir: data.dir,
        ecosystems: {
          [ECOSYSTEM]: { origins: [AUDIENCE], oidc: [{ issuer: idp.issuer, clientId: "arbor-identity", clientSecret: "s3cret-only-the-enclave-knows", redirectUri: REDIRECT_URI }] },
        },
        smtpUrl: `smtp://127.0.0.1:${smtpRelay.port}`,
        caPem: [ca.pem],
        enclave: { reencryptIntervalMs: 0 },
      });
    });

    after(async function () {
      this.timeout(60_000);
      await service?.stopAll();
      await Promise.all([idp?.close(), smtp?.close(), idpRelay?.close(), smtpRelay?.close()]);
      data.remove();
    });

    beforeEach(() => {
      idpRelay.mode = { kind: "pass" };
      smtpRelay.mode = { kind: "pass" };
      idpRelay.clear();
      smtpRelay.clear();
    });

    it("delivers the code over STARTTLS, and the relayed bytes hold neither the code nor the address", async () => {
      const email = "starttls-user@example.com";
      const c = client();
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
      const mail = smtp.mails.find((m) => m.to.includes(email))!;
      expect(mail.secure).to.equal(true);
      const code = smtp.codeFor(email);
      const relayed = smtpRelay.seen();
      expect(relayed.length).to.be.greaterThan(500);
      expect(relayed.includes(Buffer.from(code))).to.equal(false);
      expect(relayed.includes(Buffer.from(email))).to.equal(false);
      // What the host does see: the plaintext greeting and the STARTTLS exchange, nothing after.
      expect(relayed.toString("latin1")).to.include("STARTTLS");
      const login = await c.completeOtp(started, code);
      expect(login.identity.type).to.equal("email");
    });

    it("logs in over OIDC with discovery, JWKS and the token exchange on TLS the enclave verifies", async () => {
      const c = client();
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const back = await signInAtProvider(started.authorizationUrl!, "tls-user", ca.pem);
      idpRelay.clear();
      const login = await c.completeOidc({ commitmentId: started.commitmentId, ...back });
      expect(login.identity.type).to.equal("oidc");
      // The token exchange went through the relay, and none of it is readable there.
      const relayed = idpRelay.seen();
      expect(relayed.length).to.be.greaterThan(1000);
      expect(relayed.includes(Buffer.from("s3cret-only-the-enclave-knows"))).to.equal(false);
      expect(relayed.includes(Buffer.from(Buffer.from("arbor-identity:s3cret-only-the-enclave-knows").toString("base64")))).to.equal(false);
      expect(relayed.includes(Buffer.from(back.code))).to.equal(false);
    });

    describe("hostile host", () => {
      /** Starts an OIDC login and signs in while the relay is honest; the test then turns it. */
      async function signedIn(subject: string) {
        const c = client();
        const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
        return { c, started, back: await signInAtProvider(started.authorizationUrl!, subject, ca.pem) };
      }

      it("hostile host that rewrites the token endpoint's bytes gets upstream-tls-failed, and nothing is signed", async () => {
        const { c, started, back } = await signedIn("flip-user");
        idpRelay.mode = { kind: "flip" };
        await refusal(c.completeOidc({ commitmentId: started.commitmentId, ...back }), "upstream-tls-failed");
        await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "not-authenticated");
        // The failure did not count as an attempt nor consume the commitment: an honest relay completes it.
        idpRelay.mode = { kind: "pass" };
        expect((await c.completeOidc({ commitmentId: started.commitmentId, ...back })).identity.type).to.equal("oidc");
      });

      it("hostile host that presents a certificate from another CA gets upstream-tls-failed, and nothing is signed", async () => {
        const { c, started, back } = await signedIn("other-ca-user");
        idpRelay.mode = { kind: "impostor", credentials: fromOtherCa };
        const err = await refusal(c.completeOidc({ commitmentId: started.commitmentId, ...back }), "upstream-tls-failed");
        expect(err.status).to.equal(502);
        await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "not-authenticated");
        // The impostor never saw the request: the handshake failed before any byte of it.
        expect(idpRelay.seen().includes(Buffer.from(back.code))).to.equal(false);
      });

      it("hostile host that presents a certificate for another name gets upstream-tls-failed, and nothing is signed", async () => {
        const { c, started, back } = await signedIn("wrong-name-user");
        idpRelay.mode = { kind: "impostor", credentials: wrongName };
        const err = await refusal(c.completeOidc({ commitmentId: started.commitmentId, ...back }), "upstream-tls-failed");
        expect(String(err.details.reason)).to.match(/ALTNAME|HOSTNAME|IP/i);
        await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "not-authenticated");
      });

      it("hostile host that strips STARTTLS from the SMTP greeting gets no plaintext: the enclave starts TLS anyway", async () => {
        const email = "downgrade@example.com";
        smtpRelay.mode = { kind: "strip-starttls" };
        await client().initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
        expect(smtp.mails.find((m) => m.to.includes(email))!.secure).to.equal(true);
        const relayed = smtpRelay.seen();
        expect(relayed.includes(Buffer.from(email))).to.equal(false);
        expect(relayed.includes(Buffer.from(smtp.codeFor(email)))).to.equal(false);
      });

      it("hostile host that refuses STARTTLS gets upstream-tls-failed, and the code never goes out in clear", async () => {
        const email = "refused-tls@example.com";
        const c = client();
        smtpRelay.mode = { kind: "refuse-starttls" };
        await refusal(c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email }), "upstream-tls-failed");
        expect(smtp.mails.some((m) => m.to.includes(email))).to.equal(false);
        await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "not-authenticated");
        const relayed = smtpRelay.seen().toString("latin1");
        expect(relayed).to.not.include("RCPT TO");
        expect(relayed).to.not.include(email);
      });
    });
  });

  describe("email over implicit TLS", () => {
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    let relay: HostileRelay;
    let service: RunningIdentityService;
    const data = tempDir("tls-implicit");
    const client = () => new IdentityClient({ url: service.url, origin: AUDIENCE, authKey: secp256k1AuthKey(), attestation: { roots: [service.rootPem], measurements: [service.measurement] } });

    before(async function () {
      this.timeout(180_000);
      smtp = await startSmtpSink({ tls: { mode: "implicit", ...(await ca.issue(["127.0.0.1"])) } });
      relay = await startHostileRelay(() => smtp.port);
      service = await startIdentityService({
        dataDir: data.dir,
        ecosystems: { [ECOSYSTEM]: { origins: [AUDIENCE] } },
        smtpUrl: `smtps://127.0.0.1:${relay.port}`,
        caPem: [ca.pem],
        enclave: { reencryptIntervalMs: 0 },
      });
    });

    after(async function () {
      this.timeout(60_000);
      await service?.stopAll();
      await Promise.all([smtp?.close(), relay?.close()]);
      data.remove();
    });

    beforeEach(() => {
      relay.mode = { kind: "pass" };
      relay.clear();
    });

    it("delivers the code over implicit TLS, and the relayed bytes hold neither the code nor the address", async () => {
      const email = "smtps-user@example.com";
      const c = client();
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
      const code = smtp.codeFor(email);
      const relayed = relay.seen();
      expect(relayed.includes(Buffer.from(code))).to.equal(false);
      expect(relayed.includes(Buffer.from(email))).to.equal(false);
      expect(relayed.toString("latin1")).to.not.include("EHLO");
      expect((await c.completeOtp(started, code)).identity.type).to.equal("email");
    });

    it("hostile host that presents a certificate from another CA to the SMTP client gets upstream-tls-failed, and no mail goes out", async () => {
      const email = "smtps-impostor@example.com";
      relay.mode = { kind: "impostor", credentials: fromOtherCa };
      await refusal(client().initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email }), "upstream-tls-failed");
      expect(smtp.mails.some((m) => m.to.includes(email))).to.equal(false);
      expect(relay.seen().includes(Buffer.from(email))).to.equal(false);
    });

    it("hostile host that rewrites the SMTP server's bytes gets upstream-tls-failed, and no mail goes out", async () => {
      const email = "smtps-flip@example.com";
      relay.mode = { kind: "flip" };
      await refusal(client().initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email }), "upstream-tls-failed");
      expect(smtp.mails.some((m) => m.to.includes(email))).to.equal(false);
    });
  });
});
