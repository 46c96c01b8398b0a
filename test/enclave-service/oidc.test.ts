import { expect } from "chai";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { IDENTITY_TYPE, hashIssuer } from "../../lib/sessions";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Attestation } from "../../lib/sessions";
import type { Hex } from "../../lib/hex";
import { APP_ORIGIN, checkNext, deploySessionsFixture, ownedConfiguration, playData, send, signBatch, walletFor } from "../sessions/fixture";
import { tempDir, refusal } from "./helpers";
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, signInAtProvider as signIn, startOidcProvider } from "./oidc-peer";
import { createTestCa, type TestCa } from "./test-ca";

const ECOSYSTEM = "oidc-eco";
// The audience the sessions fixture's app contract accepts.
const AUDIENCE = APP_ORIGIN;

describe("enclave-service OpenID Connect login against a real provider (oidc-provider over HTTPS on loopback)", function () {
  let ca: TestCa;
  const signInAtProvider = (url: string, subject: string) => signIn(url, subject, ca.pem);
  let idp: Awaited<ReturnType<typeof startOidcProvider>>;
  let service: RunningIdentityService;
  const data = tempDir("oidc");

  const client = (authKey: AuthKey) => new IdentityClient({ url: service.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] } });


  before(async function () {
    this.timeout(180_000);
    ca = await createTestCa("Arbor OIDC test CA");
    idp = await startOidcProvider(await ca.issue(["127.0.0.1"]));
    service = await startIdentityService({
      dataDir: data.dir,
      ecosystems: {
        [ECOSYSTEM]: {
          origins: [AUDIENCE],
          oidc: [
            { issuer: idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
            // Configured, but nothing listens there.
            { issuer: "https://127.0.0.1:9", clientId: "x", clientSecret: "y", redirectUri: REDIRECT_URI },
          ],
        },
      },
      caPem: [ca.pem],
      enclave: { reencryptIntervalMs: 0 },
    });
  });

  after(async function () {
    this.timeout(60_000);
    await service?.stopAll();
    await idp?.close();
    data.remove();
  });

  describe("initiate + complete", () => {
    let firstSigner = "";

    it("logs in with authorization code + PKCE and binds the identity (oidc, iss, sub)", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const authUrl = new URL(started.authorizationUrl!);
      expect(authUrl.searchParams.get("code_challenge_method")).to.equal("S256");
      expect(authUrl.searchParams.get("code_challenge")).to.equal(started.codeChallenge);
      // The verifier and the client secret stay inside the service.
      expect(JSON.stringify(started)).to.not.include(CLIENT_SECRET);
      expect(authUrl.searchParams.has("code_verifier")).to.equal(false);

      const { code, state } = await signInAtProvider(started.authorizationUrl!, "user-42");
      expect(state).to.equal(started.state);
      const login = await c.completeOidc({ commitmentId: started.commitmentId, code, state });
      expect(login.identity).to.include({ type: "oidc", issuer: idp.issuer });
      expect(login.signerCreated).to.equal(true);
      firstSigner = login.signer;

      const signed = await c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
      expect(signed.attestation.identityType).to.equal(IDENTITY_TYPE.oidc);
      expect(signed.attestation.issuerHash).to.equal(hashIssuer(idp.issuer));
      expect(signed.signer).to.equal(login.signer);
    });

    it("returns the same signer when the same subject logs in with another auth key", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const back = await signInAtProvider(started.authorizationUrl!, "user-42");
      const login = await c.completeOidc({ commitmentId: started.commitmentId, ...back });
      expect(login.signer).to.equal(firstSigner);
      expect(login.signerCreated).to.equal(false);
    });

    it("gives another subject another signer", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const login = await c.completeOidc({ commitmentId: started.commitmentId, ...(await signInAtProvider(started.authorizationUrl!, "user-43")) });
      expect(login.signer).to.not.equal(firstSigner);
    });
  });

  describe("refusals", () => {
    it("refuses with state-mismatch when the redirect carries another state, and counts the attempt", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const back = await signInAtProvider(started.authorizationUrl!, "user-50");
      const err = await refusal(c.completeOidc({ commitmentId: started.commitmentId, code: back.code, state: "forged" }), "state-mismatch");
      expect(err.details.attemptsLeft).to.equal(2);
      // The real state still works afterwards.
      const login = await c.completeOidc({ commitmentId: started.commitmentId, ...back });
      expect(login.identity.type).to.equal("oidc");
    });

    it("refuses with id-token-invalid when the code was issued for another login (the PKCE verifier does not match)", async () => {
      const c = client(secp256k1AuthKey());
      const a = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const b = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const codeForB = await signInAtProvider(b.authorizationUrl!, "user-51");
      const err = await refusal(c.completeOidc({ commitmentId: a.commitmentId, code: codeForB.code, state: a.state! }), "id-token-invalid");
      expect(err.details.providerError).to.equal("invalid_grant");
    });

    it("refuses with id-token-invalid when the code is made up, and with commitment-consumed when a used code is replayed", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      await refusal(c.completeOidc({ commitmentId: started.commitmentId, code: "made-up-code", state: started.state! }), "id-token-invalid");
      const back = await signInAtProvider(started.authorizationUrl!, "user-52");
      await c.completeOidc({ commitmentId: started.commitmentId, ...back });
      await refusal(c.completeOidc({ commitmentId: started.commitmentId, ...back }), "commitment-consumed");
    });

    it("refuses with wrong-auth-key when another auth key completes the login", async () => {
      const owner = client(secp256k1AuthKey());
      const started = await owner.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const back = await signInAtProvider(started.authorizationUrl!, "user-53");
      await refusal(client(secp256k1AuthKey()).completeOidc({ commitmentId: started.commitmentId, ...back }), "wrong-auth-key");
      expect((await owner.completeOidc({ commitmentId: started.commitmentId, ...back })).identity.type).to.equal("oidc");
    });

    it("refuses with unknown-provider for an issuer the ecosystem does not configure, and idp-unavailable for one that does not answer", async () => {
      const c = client(secp256k1AuthKey());
      await refusal(c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: "https://accounts.google.com" }), "unknown-provider");
      const err = await refusal(c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: "https://127.0.0.1:9" }), "idp-unavailable");
      expect(err.status).to.equal(502);
    });
  });

  describe("the signed attestation on-chain", () => {
    /** Logs in as `subject` and has the service attest a fresh session key for the app. */
    async function attestedSessionKey(subject: string) {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateOidc({ ecosystem: ECOSYSTEM, audience: AUDIENCE, issuer: idp.issuer });
      const login = await c.completeOidc({ commitmentId: started.commitmentId, ...(await signInAtProvider(started.authorizationUrl!, subject)) });
      const sessionKey = Wallet.createRandom();
      const signed = await c.signAttestation({ approvedSigner: sessionKey.address, applicationData: "0x01", lifetimeSeconds: 3600 });
      const attestation: Attestation = { ...signed.attestation, issuedAt: BigInt(signed.attestation.issuedAt), expiresAt: BigInt(signed.attestation.expiresAt) };
      return { login, sessionKey, attestation, attestationSignature: signed.signature as Hex };
    }

    /** The next block's time: inside the attestation's window whatever earlier tests did to the clock. */
    async function nextBlockWithin(attestation: Attestation): Promise<bigint> {
      const latest = BigInt(await time.latest());
      const issuedAt = BigInt(attestation.issuedAt);
      const ts = latest + 1n > issuedAt ? latest + 1n : issuedAt + 1n;
      if (ts >= BigInt(attestation.expiresAt)) throw new Error("the test chain's clock is past the attestation's window");
      await time.setNextBlockTimestamp(ts);
      return ts;
    }

    it("runs a session call on a wallet whose configuration holds the identity signer", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const { login, sessionKey, attestation, attestationSignature } = await attestedSessionKey("chain-user");
      const configuration = ownedConfiguration(f, [{ kind: "identity-signer", signer: login.signer as Hex }]);
      const { wallet, address } = await walletFor(f, configuration);
      const batch = await signBatch(wallet, configuration, [{ target: f.appAddress, data: playData(7n) }], [{ attestation, attestationSignature, key: sessionKey }]);
      const { result: check } = await checkNext(f, wallet, configuration, batch, await nextBlockWithin(attestation));
      expect(check.ok, check.ok ? "" : check.error.message).to.equal(true);
      await (await send(wallet, batch)).wait();
      expect(await f.app.scores(address)).to.equal(7n);
    });

    it("is rejected on-chain (ImageHashMismatch) by a wallet whose configuration holds another identity signer", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const { login, sessionKey, attestation, attestationSignature } = await attestedSessionKey("chain-user-2");
      const theirs = ownedConfiguration(f, [{ kind: "identity-signer", signer: Wallet.createRandom().address as Hex }]);
      const { wallet } = await walletFor(f, theirs);
      // Signed against a configuration that does hold the service's signer, sent to a wallet that does not.
      const ours = ownedConfiguration(f, [{ kind: "identity-signer", signer: login.signer as Hex }]);
      const batch = await signBatch(wallet, ours, [{ target: f.appAddress, data: playData(1n) }], [{ attestation, attestationSignature, key: sessionKey }]);
      await nextBlockWithin(attestation);
      await expect(send(wallet, batch)).to.be.revertedWithCustomError(wallet, "ImageHashMismatch");
    });
  });
});
