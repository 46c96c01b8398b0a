import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { readFileSync } from "node:fs";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, otpAnswer, p256AuthKey, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { IDENTITY_TYPE, hashAudience, hashIssuer, recoverAttestationSigner } from "../../lib/sessions";
import { ERROR_STATUS } from "../../enclave-service/enclave/service-error";
import { openPgliteDatabase } from "../../enclave-service/storage/pglite-database";
import { codeFromOutbox, filesBelow, findAny, prepareRequest, rawRequest, recoverSecretsOffline, secretForms, tempDir } from "./helpers";

const REPO = path.resolve(__dirname, "..", "..");
const ECOSYSTEM = "demo";
const AUDIENCE = "https://app.example";

/**
 * The whole service as a user starts it: `arbor enclave start` on embedded defaults (PGlite, dev
 * outbox), five real processes, driven over HTTP. Every response is attestation-checked.
 */
describe("enclave-service started by `arbor enclave start` (PGlite, dev outbox)", function () {
  let cli: ChildProcess;
  let output = "";
  let url = "";
  let rootPem = "";
  let measurement = "";
  const data = tempDir("cli");
  let outbox = "";

  function client(authKey: AuthKey): IdentityClient {
    return new IdentityClient({ url, origin: AUDIENCE, authKey, attestation: { roots: [rootPem], measurements: [measurement] } });
  }

  async function loginByEmail(email: string, authKey: AuthKey = secp256k1AuthKey()) {
    const c = client(authKey);
    const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email });
    const login = await c.completeOtp(started, codeFromOutbox(outbox, email.toLowerCase()));
    return { c, login, authKey };
  }

  async function expectRefusal(p: Promise<unknown>, code: string): Promise<IdentityClientError> {
    try {
      await p;
    } catch (err) {
      expect(err, String(err)).to.be.instanceOf(IdentityClientError);
      expect((err as IdentityClientError).code, (err as Error).message).to.equal(code);
      expect((err as IdentityClientError).status).to.equal(ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
      return err as IdentityClientError;
    }
    return expect.fail(`expected ${code}`);
  }

  before(async function () {
    this.timeout(180_000);
    outbox = path.join(data.dir, "outbox.jsonl");
    cli = spawn(process.execPath, [path.join(REPO, "bin", "arbor.js"), "enclave", "start", "--data-dir", data.dir, "--port", "0"], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    cli.stdout!.on("data", (c: Buffer) => (output += c.toString()));
    cli.stderr!.on("data", (c: Buffer) => (output += c.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (/Ctrl-C stops everything/.test(output)) {
          clearInterval(timer);
          resolve();
        }
      }, 100);
      cli.once("exit", (code) => {
        clearInterval(timer);
        reject(new Error(`arbor enclave start exited with ${code}:\n${output}`));
      });
    });
    url = /identity service: (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1];
    measurement = /enclave measurement \(PCR0\): ([0-9a-f]{96})/.exec(output)![1];
    // The PEM printed under the banner (child processes also echo it, JSON-escaped, earlier).
    const banner = output.slice(output.indexOf("LOCAL attestation root (pin this"));
    rootPem = /-----BEGIN CERTIFICATE-----\n[\s\S]+?-----END CERTIFICATE-----/.exec(banner)![0];
  });

  after(async function () {
    this.timeout(60_000);
    if (cli && cli.exitCode === null) {
      cli.kill("SIGINT");
      await new Promise((r) => cli.once("exit", r));
    }
    data.remove();
  });

  describe("arbor enclave start", () => {
    it("prints the URL, the enclave measurement and a LOCAL attestation root when everything is up", () => {
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(rootPem).to.include("BEGIN CERTIFICATE");
      expect(output).to.include("not AWS");
    });
  });

  describe("GET /openapi.json", () => {
    it("describes every route and every error code when fetched (and is attested like every response)", async () => {
      const doc = (await client(secp256k1AuthKey()).openApi()) as { paths: Record<string, unknown>; components: { schemas: { Error: { properties: { code: { enum: string[] } } } } } };
      expect(Object.keys(doc.paths)).to.include.members(["/v1/auth/initiate", "/v1/auth/complete", "/v1/identity", "/v1/attestations", "/admin/v1/rotate"]);
      expect(doc.components.schemas.Error.properties.code.enum).to.have.members(Object.keys(ERROR_STATUS));
    });
  });

  describe("email OTP", () => {
    it("binds the auth key and creates the identity signer when the code from the dev outbox is answered", async () => {
      const { c, login } = await loginByEmail("Alice@Example.com");
      expect(login.identity.type).to.equal("email");
      expect(login.signerCreated).to.equal(true);
      expect(login.audience).to.equal(AUDIENCE);
      const me = await c.identity();
      expect(me.signer).to.equal(login.signer);
      // The console copy of the outbox is there too (the demo reads either).
      expect(output).to.match(/\[outbox\] email to alice@example\.com/);
    });

    it("returns the same signer when the same email logs in again with a P-256 auth key", async () => {
      const first = await loginByEmail("bob@example.com");
      const second = await loginByEmail("BOB@example.com", await p256AuthKey());
      expect(second.login.signer).to.equal(first.login.signer);
      expect(second.login.signerCreated).to.equal(false);
    });

    it("refuses with commitment-consumed when a completed commitment is answered again", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "carol@example.com" });
      const code = codeFromOutbox(outbox, "carol@example.com");
      await c.completeOtp(started, code);
      await expectRefusal(c.completeOtp(started, code), "commitment-consumed");
    });

    it("refuses with wrong-auth-key when another auth key answers the commitment, even with the right code", async () => {
      const owner = client(secp256k1AuthKey());
      const started = await owner.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "dave@example.com" });
      const code = codeFromOutbox(outbox, "dave@example.com");
      await expectRefusal(client(secp256k1AuthKey()).completeOtp(started, code), "wrong-auth-key");
      // The refusal changed nothing: the owner still completes.
      const login = await owner.completeOtp(started, code);
      expect(login.identity.type).to.equal("email");
    });

    it("counts wrong answers and refuses with too-many-attempts after the fifth, even for the right code", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "erin@example.com" });
      const code = codeFromOutbox(outbox, "erin@example.com");
      const wrong = code === "000000" ? "111111" : "000000";
      for (let left = 4; left >= 0; left--) {
        const err = await expectRefusal(c.completeOtp(started, wrong), "wrong-answer");
        expect(err.details.attemptsLeft).to.equal(left);
      }
      await expectRefusal(c.completeOtp(started, code), "too-many-attempts");
    });

    it("lets at most five of ten parallel guesses count when they are sent at once", async () => {
      const key = secp256k1AuthKey();
      const c = client(key);
      const started = await c.initiateEmail({ ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "frank@example.com" });
      const code = codeFromOutbox(outbox, "frank@example.com");
      const wrong = code === "000000" ? "111111" : "000000";
      const base = BigInt(Date.now()) * 1000n + 500n;
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          rawRequest(url, rootPem, {
            method: "POST",
            path: "/v1/auth/complete",
            key,
            nonce: base + BigInt(i),
            body: JSON.stringify({ commitmentId: started.commitmentId, answer: otpAnswer(started.challenge!, wrong) }),
          }),
        ),
      );
      const codes = results.map((r) => r.json.code);
      expect(codes.filter((x) => x === "wrong-answer").length).to.be.at.most(5);
      expect(codes.every((x) => ["wrong-answer", "too-many-attempts", "stale-nonce"].includes(x)), codes.join()).to.equal(true);
      // Whatever got through, the right code cannot win once five wrong answers were counted.
      const later = new IdentityClient({ url, origin: AUDIENCE, authKey: key, attestation: { roots: [rootPem], measurements: [measurement] }, firstNonce: base + 1000n });
      if (codes.filter((x) => x === "wrong-answer").length === 5) await expectRefusal(later.completeOtp(started, code), "too-many-attempts");
    });
  });

  describe("phone OTP", () => {
    it("logs in when the SMS code from the dev outbox is answered", async () => {
      const c = client(secp256k1AuthKey());
      const started = await c.initiatePhone({ ecosystem: ECOSYSTEM, audience: AUDIENCE, phone: "+41 79 123 45 67" });
      const login = await c.completeOtp(started, codeFromOutbox(outbox, "+41791234567"));
      expect(login.identity).to.include({ type: "phone", issuer: "phone" });
    });
  });

  describe("request checks", () => {
    const key = secp256k1AuthKey();
    const initiate = JSON.stringify({ identityType: "email", ecosystem: ECOSYSTEM, audience: AUDIENCE, email: "x@example.com" });
    const cases: [string, () => Promise<{ status: number; json: Record<string, unknown> }>, string][] = [
      ["the body is not JSON", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: "{oops" }), "invalid-json"],
      ["the body is a JSON array", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: "[1]" }), "invalid-request"],
      ["the body is over 64 KiB", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: JSON.stringify({ pad: "x".repeat(70_000) }) }), "body-too-large"],
      ["the route does not exist", () => rawRequest(url, rootPem, { method: "GET", path: "/v1/nothing" }), "not-found"],
      ["the method is wrong", () => rawRequest(url, rootPem, { method: "DELETE", path: "/v1/attestations" }), "method-not-allowed"],
      ["the body is not application/json", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate, headers: { "content-type": "text/plain" } }), "unsupported-media-type"],
      ["the request is unsigned", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", body: initiate }), "auth-required"],
      ["the signature covers another body", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate, signedBody: initiate.replace("x@", "y@") }), "bad-signature"],
      ["the auth key id is malformed", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate, headers: { "x-arbor-auth-key": "secp256k1:0xnothex" } }), "invalid-auth-key"],
      ["the timestamp is ten minutes old", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate, timestamp: Date.now() - 600_000 }), "stale-timestamp"],
      ["the attestation nonce is not hex", () => rawRequest(url, rootPem, { method: "GET", path: "/v1/health", headers: { "x-attestation-nonce": "zz" } }), "invalid-attestation-nonce"],
      ["the ecosystem is unknown", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate.replace('"demo"', '"nope"') }), "unknown-ecosystem"],
      ["the audience is not an origin of the ecosystem", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate.replace(AUDIENCE, "https://evil.example") }), "origin-not-allowed"],
      ["the email is not an address", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate.replace("x@example.com", "not-an-email") }), "invalid-request"],
      ["the identity type is unknown", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/initiate", key, body: initiate.replace('"email",', '"carrier-pigeon",') }), "invalid-request"],
      ["the commitment id is unknown", () => rawRequest(url, rootPem, { method: "POST", path: "/v1/auth/complete", key, body: JSON.stringify({ commitmentId: "0".repeat(32), answer: "0".repeat(64) }) }), "commitment-not-found"],
    ];
    for (const [when, send, code] of cases) {
      it(`answers ${code} (attested) when ${when}`, async () => {
        const { status, json } = await send();
        expect(json.code, JSON.stringify(json)).to.equal(code);
        expect(status).to.equal(ERROR_STATUS[code as keyof typeof ERROR_STATUS]);
      });
    }

    it("answers stale-nonce when a signed request is replayed, also after it was refused", async () => {
      const nonce = BigInt(Date.now()) * 1000n + 999n;
      const first = await rawRequest(url, rootPem, { method: "GET", path: "/v1/identity", key, nonce });
      expect(first.json.code).to.equal("not-authenticated"); // signed fine, just not logged in
      const replay = await rawRequest(url, rootPem, { method: "GET", path: "/v1/identity", key, nonce });
      // A refused request uses up its nonce too: replayed once the cause is gone, it is still refused.
      expect(replay.json.code).to.equal("stale-nonce");
      const { authKey } = await loginByEmail("nonce@example.com", key);
      const later = BigInt(Date.now()) * 1000n + 999_999n;
      const ok = await rawRequest(url, rootPem, { method: "GET", path: "/v1/identity", key: authKey, nonce: later });
      expect(ok.status).to.equal(200);
      const again = await rawRequest(url, rootPem, { method: "GET", path: "/v1/identity", key: authKey, nonce: later });
      expect(again.json.code).to.equal("stale-nonce");
      expect(again.json.details.lastNonce).to.equal(later.toString());
    });
  });

  describe("POST /v1/attestations", () => {
    it("signs the ATTESTATION.md encoding with the identity signer, issuer and audience from the login", async () => {
      const { c, login } = await loginByEmail("grace@example.com");
      const session = Wallet.createRandom();
      const signed = await c.signAttestation({ approvedSigner: session.address, applicationData: "0xc0ffee", lifetimeSeconds: 3600 });
      const a = signed.attestation;
      expect(a.identityType).to.equal(IDENTITY_TYPE.email);
      expect(a.issuerHash).to.equal(hashIssuer("email"));
      expect(a.audienceHash).to.equal(hashAudience(AUDIENCE));
      expect(BigInt(a.expiresAt) - BigInt(a.issuedAt)).to.equal(3600n);
      expect(recoverAttestationSigner({ ...a, issuedAt: BigInt(a.issuedAt), expiresAt: BigInt(a.expiresAt) }, signed.signature)).to.equal(login.signer);
    });

    it("refuses with lifetime-too-long, invalid-request and not-authenticated when asked for too much, a zero signer, or without a login", async () => {
      const { c } = await loginByEmail("heidi@example.com");
      await expectRefusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 365 * 24 * 3600 }), "lifetime-too-long");
      await expectRefusal(c.signAttestation({ approvedSigner: "0x" + "00".repeat(20), lifetimeSeconds: 60 }), "invalid-request");
      await expectRefusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, applicationData: "0xabc", lifetimeSeconds: 60 }), "invalid-request");
      await expectRefusal(client(secp256k1AuthKey()).signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 60 }), "not-authenticated");
    });

    it("answers rate-limited when one auth key sends more than its burst at once", async () => {
      const { authKey } = await loginByEmail("ivan@example.com");
      const base = BigInt(Date.now()) * 1000n + 1_000_000n;
      // Signed first, sent together: the burst (40) must be exceeded within a few milliseconds.
      const sends = [];
      for (let i = 0; i < 60; i++) sends.push(await prepareRequest(url, rootPem, { method: "GET", path: "/v1/identity", key: authKey, nonce: base + BigInt(i) }));
      const results = await Promise.all(sends.map((send) => send()));
      const limited = results.filter((r) => r.json.code === "rate-limited");
      expect(limited.length, results.map((r) => r.json.code ?? r.status).join()).to.be.at.least(4);
      expect(limited[0].status).to.equal(429);
      expect(limited[0].json.details.retryAfterMs).to.be.a("number");
    });
  });

  describe("X-Attestation-Document", () => {
    /** A man in the middle that alters responses on their way to the client. */
    async function tamperingProxy(alter: (headers: Record<string, string>, body: Buffer) => { headers: Record<string, string>; body: Buffer }) {
      const server = http.createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const upstream = await fetch(url + req.url, { method: req.method, headers: req.headers as Record<string, string>, body: req.method === "GET" ? undefined : Buffer.concat(chunks) });
        const out = alter(Object.fromEntries([...(upstream.headers as unknown as Iterable<[string, string]>)]), Buffer.from(await upstream.arrayBuffer()));
        delete out.headers["content-length"];
        delete out.headers["transfer-encoding"];
        res.writeHead(upstream.status, out.headers);
        res.end(out.body);
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
    }

    for (const [what, alter] of [
      ["a byte of the document is flipped", (h: Record<string, string>, b: Buffer) => {
        const doc = Buffer.from(h["x-attestation-document"], "base64");
        doc[doc.length - 5] ^= 1;
        return { headers: { ...h, "x-attestation-document": doc.toString("base64") }, body: b };
      }],
      ["the body is altered", (h: Record<string, string>, b: Buffer) => ({ headers: h, body: Buffer.from(b.toString().replace("ok", "OK")) })],
      ["the document is dropped", (h: Record<string, string>, b: Buffer) => {
        const { ["x-attestation-document"]: _dropped, ...rest } = h;
        return { headers: rest, body: b };
      }],
    ] as const) {
      it(`makes the client refuse the response when ${what} on the way`, async () => {
        const proxy = await tamperingProxy(alter);
        try {
          const c = new IdentityClient({ url: proxy.url, origin: AUDIENCE, authKey: secp256k1AuthKey(), attestation: { roots: [rootPem], measurements: [measurement] } });
          const err = await c.health().then(() => undefined, (e: unknown) => e as IdentityClientError);
          expect(err).to.be.instanceOf(IdentityClientError);
          expect(["attestation-invalid", "attestation-missing"]).to.include(err!.code);
        } finally {
          await proxy.close();
        }
      });
    }

    it("makes the client refuse the response when it pins another measurement", async () => {
      const c = new IdentityClient({ url, origin: AUDIENCE, authKey: secp256k1AuthKey(), attestation: { roots: [rootPem], measurements: ["00".repeat(48)] } });
      const err = await c.health().then(() => undefined, (e: unknown) => e as IdentityClientError);
      expect(err?.code).to.equal("attestation-invalid");
      expect(err?.details.attestationCode).to.equal("pcr-mismatch");
    });
  });

  describe("after Ctrl-C", () => {
    let secrets: { label: string; bytes: Uint8Array }[] = [];
    let dumped = "";

    before(async function () {
      this.timeout(90_000);
      cli.kill("SIGINT");
      await new Promise((r) => cli.once("exit", r));
      const db = await openPgliteDatabase(path.join(data.dir, "db"));
      try {
        secrets = await recoverSecretsOffline(data.dir, db);
        for (const t of ["cipher_generations", "cipher_keys", "identity_signers", "auth_commitments", "auth_keys", "auth_key_nonces"]) {
          const rows = await db.query(`SELECT * FROM ${t}`);
          dumped += JSON.stringify(rows.rows, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v));
        }
      } finally {
        await db.close();
      }
    });

    it("stops every process when the CLI gets SIGINT", () => {
      expect(cli.exitCode).to.equal(0);
      expect(output).to.include("stopping...");
    });

    it("leaves no plaintext key in the database dump, the database files or the host's logs after the flows above", () => {
      // Offline recovery (all three holders' master keys) found the signers of every login above.
      expect(secrets.filter((s) => s.label.startsWith("signer key")).length).to.be.at.least(8);
      expect(secrets.filter((s) => s.label.startsWith("pool key")).length).to.be.at.least(4);
      const haystacks: [string, Buffer][] = [
        ["database dump", Buffer.from(dumped)],
        ["host log", readFileSync(path.join(data.dir, "logs", "host.log"))],
        ["CLI output", Buffer.from(output)],
        ...filesBelow(path.join(data.dir, "db")).map((f) => [`db file ${path.relative(data.dir, f)}`, readFileSync(f)] as [string, Buffer]),
      ];
      const needles = secrets.flatMap((s) => secretForms(s.bytes).map((bytes) => ({ label: s.label, bytes })));
      for (const [where, hay] of haystacks) expect(findAny(hay, needles), `secret found in ${where}`).to.equal(undefined);
      // The scan itself works: a secret planted in a copy of the dump is found.
      expect(findAny(Buffer.concat([Buffer.from(dumped), needles[7].bytes]), needles)).to.equal(needles[7].label);
      // ...and a secret's first bytes at the very end of a file are not a match (nor a crash).
      expect(findAny(Buffer.concat([Buffer.from(dumped), needles[7].bytes.subarray(0, 6)]), needles)).to.equal(undefined);
    });
  });
});
