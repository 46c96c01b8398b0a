import { expect } from "chai";
import fc from "fast-check";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Wallet } from "ethers";
import { IdentityClient, IdentityClientError, otpAnswer, secp256k1AuthKey, type AuthKey } from "../../lib/identity";
import { SEALED_PATH, SealedExchangeError, generateSealedKeyPair, openRequest, sealRequest, type InnerRequest } from "../../lib/identity/sealed-exchange";
import { startIdentityService, type RunningIdentityService } from "../../enclave-service/launcher";
import { codeFromOutbox, tempDir, refusal } from "./helpers";

const AUDIENCE = "https://app.example";

function expectSealedError(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(SealedExchangeError);
    expect((err as SealedExchangeError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

const innerRequest = fc.record({
  method: fc.constantFrom("GET", "POST"),
  target: fc.webPath().map((p) => "/" + p.replace(/^\/+/, "")),
  headers: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 40 })),
  body: fc.uint8Array({ maxLength: 300 }),
});

describe("lib/identity sealed-exchange", () => {
  describe("sealRequest / openRequest", () => {
    it("round-trips any request and its response when nothing is altered", async () => {
      const keys = await generateSealedKeyPair();
      await fc.assert(
        fc.asyncProperty(innerRequest, fc.integer({ min: 100, max: 599 }), fc.uint8Array({ maxLength: 300 }), async (inner: InnerRequest, status, resBody) => {
          const { envelope, open } = await sealRequest(keys.publicKey, inner);
          const opened = await openRequest(keys, envelope);
          expect(opened.inner.method).to.equal(inner.method);
          expect(opened.inner.target).to.equal(inner.target);
          expect(opened.inner.headers).to.deep.equal(inner.headers);
          expect(Buffer.from(opened.inner.body).equals(Buffer.from(inner.body))).to.equal(true);
          const back = open(opened.seal({ status, headers: { "x-a": "b" }, body: resBody }));
          expect(back.status).to.equal(status);
          expect(Buffer.from(back.body).equals(Buffer.from(resBody))).to.equal(true);
        }),
        { numRuns: 40 },
      );
    });

    it("refuses with sealed-request-invalid (or sealed-key-unknown in the key id) when any byte of the request is flipped", async () => {
      const keys = await generateSealedKeyPair();
      const { envelope } = await sealRequest(keys.publicKey, { method: "POST", target: "/v1/attestations", headers: {}, body: new Uint8Array([1, 2, 3]) });
      for (let i = 0; i < envelope.length; i++) {
        const bad = Uint8Array.from(envelope);
        bad[i] ^= 0x01;
        const err = await openRequest(keys, bad).then(() => undefined, (e: unknown) => e as SealedExchangeError);
        expect(err, `byte ${i}`).to.be.instanceOf(SealedExchangeError);
        expect(err!.code, `byte ${i}`).to.equal(i >= 1 && i <= 8 ? "sealed-key-unknown" : "sealed-request-invalid");
      }
    });

    it("refuses with sealed-response-invalid when any byte of the response is flipped, or it is opened by another exchange", async () => {
      const keys = await generateSealedKeyPair();
      const a = await sealRequest(keys.publicKey, { method: "GET", target: "/v1/identity", headers: {}, body: new Uint8Array() });
      const b = await sealRequest(keys.publicKey, { method: "GET", target: "/v1/identity", headers: {}, body: new Uint8Array() });
      const response = (await openRequest(keys, a.envelope)).seal({ status: 200, headers: {}, body: new Uint8Array(Buffer.from("{}")) });
      for (let i = 0; i < response.length; i++) {
        const bad = Uint8Array.from(response);
        bad[i] ^= 0x80;
        expectSealedError(() => a.open(bad), "sealed-response-invalid");
      }
      expectSealedError(() => b.open(response), "sealed-response-invalid");
    });

    it("refuses with sealed-key-unknown when the request is sealed to another enclave's key", async () => {
      const mine = await generateSealedKeyPair();
      const other = await generateSealedKeyPair();
      const { envelope } = await sealRequest(other.publicKey, { method: "GET", target: "/", headers: {}, body: new Uint8Array() });
      const err = await openRequest(mine, envelope).then(() => undefined, (e: unknown) => e as SealedExchangeError);
      expect(err?.code).to.equal("sealed-key-unknown");
    });
  });
});

/** An HTTP relay in front of the host that records every byte and can flip one: a hostile host's HTTP side. */
async function hostileFront(target: string) {
  const state = { seen: [] as Buffer[], flipRequest: false, flipResponse: false };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks);
    state.seen.push(Buffer.from(JSON.stringify(req.headers)), body);
    const sealed = req.url === SEALED_PATH;
    if (sealed && state.flipRequest && body.length > 0) body[body.length - 1] ^= 0x01;
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !["host", "content-length", "connection"].includes(k))) as Record<string, string>;
    const upstream = await fetch(target + req.url, { method: req.method, headers, body: req.method === "GET" ? undefined : body });
    let out = Buffer.from(await upstream.arrayBuffer());
    state.seen.push(out);
    if (sealed && state.flipResponse && upstream.status === 200) out[out.length - 1] ^= 0x01;
    const outHeaders: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (!["content-length", "connection", "keep-alive", "transfer-encoding"].includes(k)) outHeaders[k] = v;
    });
    res.writeHead(upstream.status, { ...outHeaders, "content-length": out.length });
    res.end(out);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    seen: () => Buffer.concat(state.seen),
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

describe("enclave-service sealed requests (HPKE to the attested key)", function () {
  let service: RunningIdentityService;
  let front: Awaited<ReturnType<typeof hostileFront>>;
  const data = tempDir("sealed");
  const client = (authKey: AuthKey = secp256k1AuthKey()) =>
    new IdentityClient({ url: front.url, origin: AUDIENCE, authKey, attestation: { roots: [service.rootPem], measurements: [service.measurement] } });


  before(async function () {
    this.timeout(180_000);
    service = await startIdentityService({ dataDir: data.dir, enclave: { reencryptIntervalMs: 0 } });
    front = await hostileFront(service.url);
  });

  after(async function () {
    this.timeout(60_000);
    await front?.close();
    await service?.stopAll();
    data.remove();
  });

  beforeEach(() => {
    front.state.seen = [];
    front.state.flipRequest = false;
    front.state.flipResponse = false;
  });

  async function loggedIn(email: string) {
    const c = client();
    const started = await c.initiateEmail({ ecosystem: "demo", audience: AUDIENCE, email });
    const code = codeFromOutbox(service.outboxFile, email);
    const login = await c.completeOtp(started, code);
    return { c, started, code, login };
  }

  describe("hostile host", () => {
    it("hostile host relaying a login sees neither the email address nor the OTP answer", async () => {
      const email = "private-person@example.com";
      const { started, code } = await loggedIn(email);
      const seen = front.seen();
      expect(seen.length).to.be.greaterThan(1000);
      expect(seen.includes(Buffer.from(email))).to.equal(false);
      expect(seen.includes(Buffer.from(otpAnswer(started.challenge!, code)))).to.equal(false);
      expect(seen.includes(Buffer.from(started.challenge!))).to.equal(false);
      expect(seen.includes(Buffer.from("/v1/auth/complete"))).to.equal(false);
      // The host process itself: its log has request lines for /v1/sealed and no address.
      const hostLog = service.logs("host");
      expect(hostLog).to.include(SEALED_PATH);
      expect(hostLog).to.not.include("/v1/auth/initiate");
    });

    it("hostile host that flips a byte of a sealed request gets sealed-request-invalid, and nothing is signed", async () => {
      const { c } = await loggedIn("flip-request@example.com");
      front.state.flipRequest = true;
      const err = await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "sealed-request-invalid");
      expect(err.status).to.equal(400);
      // Nothing was signed: the enclave never saw a request (the nonce is unused, the next call works).
      front.state.flipRequest = false;
      const signed = await c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 });
      expect(signed.audience).to.equal(AUDIENCE);
    });

    it("hostile host that flips a byte of a sealed response gets sealed-response-invalid from the client", async () => {
      const { c } = await loggedIn("flip-response@example.com");
      front.state.flipResponse = true;
      await refusal(c.signAttestation({ approvedSigner: Wallet.createRandom().address, lifetimeSeconds: 600 }), "sealed-response-invalid");
      await refusal(c.identity(), "sealed-response-invalid");
    });
  });

  describe("IdentityClient", () => {
    it("pins the key the attestation document carries and still refuses a response whose inner document is for another request", async () => {
      const c = client();
      const key = await c.sealedKey();
      expect(key.length).to.equal(32);
      expect(Buffer.from(await c.sealedKey()).equals(Buffer.from(key))).to.equal(true);
      await refusal(c.identity(), "not-authenticated");
    });
  });
});
