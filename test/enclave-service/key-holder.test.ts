import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startKeyHolder } from "../../enclave-service/key-holder/key-holder-server";
import { createLocalAttestor, type Attestor } from "../../enclave-service/enclave/attestor";
import { RELEASE_INFO, WRAP_INFO, shareAad } from "../../enclave-service/custody/pool-key-shares";
import { generateX25519KeyPair, openWithPrivateKey, sealToPublicKey } from "../../enclave-service/custody/x25519-box";
import { unwrapRequestBinding } from "../../enclave-service/custody/unwrap-request";
import { tempDir } from "./helpers";

const PCR0 = "ab".repeat(48);
const OTHER_PCR0 = "cd".repeat(48);

describe("key-holder/startKeyHolder", function () {
  let attestor: Attestor;
  let foreign: Attestor;
  let holder: Awaited<ReturnType<typeof startKeyHolder>>;
  let dir: ReturnType<typeof tempDir>;
  const keyId = "g1k0-test";
  const share = new Uint8Array(randomBytes(33));
  let wrapped: Uint8Array;

  before(async () => {
    attestor = await createLocalAttestor(PCR0);
    foreign = await createLocalAttestor(OTHER_PCR0);
    dir = tempDir("holder");
    holder = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0], maxDocumentAgeMs: 60_000 });
    wrapped = sealToPublicKey(holder.publicKey, share, WRAP_INFO, shareAad(keyId, 2));
  });
  after(async () => {
    await holder?.close();
    dir?.remove();
  });

  /** A release request as the enclave builds it; `tweak` lets a test break one part. */
  async function release(tweak: { doc?: (d: Uint8Array) => Uint8Array; by?: Attestor; shareIndex?: number; wrapped?: Uint8Array; bindTo?: Uint8Array; publicKey?: Uint8Array | null; timestamp?: number } = {}) {
    const eph = generateX25519KeyPair();
    const shareIndex = tweak.shareIndex ?? 2;
    const w = tweak.wrapped ?? wrapped;
    const userData = unwrapRequestBinding({ holder: 2, keyId, shareIndex, wrappedShare: tweak.bindTo ?? w });
    let doc = await (tweak.by ?? attestor).document({ userData, publicKey: tweak.publicKey === null ? undefined : tweak.publicKey ?? eph.publicKey });
    if (tweak.doc) doc = tweak.doc(doc);
    const res = await fetch(`${holder.url}/v1/release`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ keyId, shareIndex, wrappedShare: Buffer.from(w).toString("base64"), attestationDocument: Buffer.from(doc).toString("base64") }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any>, eph }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it("releases the share sealed to the document's public key when the enclave is attested and allowed", async () => {
    const { status, body, eph } = await release();
    expect(status).to.equal(200);
    const released = new Uint8Array(Buffer.from(body.releasedShare, "base64"));
    // What travels back is not the share: only the ephemeral key opens it.
    expect(Buffer.from(released).includes(Buffer.from(share))).to.equal(false);
    expect(Buffer.from(openWithPrivateKey(eph.privateKey, released, RELEASE_INFO, shareAad(keyId, 2))).equals(Buffer.from(share))).to.equal(true);
  });

  it("refuses with measurement-not-allowed when the enclave's PCR0 is not on the allow list", async () => {
    const other = await createLocalAttestor(OTHER_PCR0);
    const h = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [other.rootPem], allowedMeasurements: [PCR0] });
    try {
      const eph = generateX25519KeyPair();
      const doc = await other.document({ userData: unwrapRequestBinding({ holder: 2, keyId, shareIndex: 2, wrappedShare: wrapped }), publicKey: eph.publicKey });
      const res = await fetch(`${h.url}/v1/release`, {
        method: "POST",
        body: JSON.stringify({ keyId, shareIndex: 2, wrappedShare: Buffer.from(wrapped).toString("base64"), attestationDocument: Buffer.from(doc).toString("base64") }),
      });
      const body = (await res.json()) as { code: string; details: { measurement: string } };
      expect(res.status).to.equal(403);
      expect(body.code).to.equal("measurement-not-allowed");
      expect(body.details.measurement).to.equal(OTHER_PCR0);
    } finally {
      await h.close();
    }
  });

  it("refuses with attestation-invalid when the document chains to a root it does not trust", async () => {
    const { status, body } = await release({ by: foreign });
    expect(status).to.equal(403);
    expect(body.code).to.equal("attestation-invalid");
    expect(body.details.attestationCode).to.equal("root-not-pinned");
  });

  it("refuses with attestation-invalid when a byte of the document is altered", async () => {
    const { status, body } = await release({
      doc: (d) => {
        const bad = new Uint8Array(d);
        bad[bad.length - 10] ^= 0x01; // inside the signature
        return bad;
      },
    });
    expect(status).to.equal(403);
    expect(body.code).to.equal("attestation-invalid");
  });

  it("refuses with attestation-invalid when the document is bound to another request", async () => {
    const { status, body } = await release({ bindTo: new Uint8Array(randomBytes(60)) });
    expect(status).to.equal(403);
    expect(body.details.attestationCode).to.equal("user-data-mismatch");
  });

  it("refuses with attestation-invalid when the document carries no public key to release to", async () => {
    const { status, body } = await release({ publicKey: null });
    expect(status).to.equal(403);
    expect(body.details.attestationCode).to.equal("public-key-missing");
  });

  it("refuses with attestation-stale when the document is older than the holder accepts", async () => {
    const strict = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0], maxDocumentAgeMs: 1 });
    try {
      const eph = generateX25519KeyPair();
      const doc = await attestor.document({ userData: unwrapRequestBinding({ holder: 2, keyId, shareIndex: 2, wrappedShare: wrapped }), publicKey: eph.publicKey });
      await new Promise((r) => setTimeout(r, 20));
      const res = await fetch(`${strict.url}/v1/release`, {
        method: "POST",
        body: JSON.stringify({ keyId, shareIndex: 2, wrappedShare: Buffer.from(wrapped).toString("base64"), attestationDocument: Buffer.from(doc).toString("base64") }),
      });
      expect(res.status).to.equal(403);
      expect(((await res.json()) as { code: string }).code).to.equal("attestation-stale");
    } finally {
      await strict.close();
    }
  });

  it("refuses with wrong-holder when asked for another holder's share", async () => {
    const { status, body } = await release({ shareIndex: 1 });
    expect(status).to.equal(403);
    expect(body.code).to.equal("wrong-holder");
  });

  it("refuses with share-unwrap-failed when the share was wrapped for another holder", async () => {
    const otherHolder = generateX25519KeyPair();
    const foreignWrap = sealToPublicKey(otherHolder.publicKey, share, WRAP_INFO, shareAad(keyId, 2));
    const { status, body } = await release({ wrapped: foreignWrap });
    expect(status).to.equal(422);
    expect(body.code).to.equal("share-unwrap-failed");
  });

  it("answers invalid-request, body-too-large and not-found when the request is malformed", async () => {
    const bad = await fetch(`${holder.url}/v1/release`, { method: "POST", body: "{not json" });
    expect(bad.status).to.equal(400);
    expect(((await bad.json()) as { code: string }).code).to.equal("invalid-request");
    const missing = await fetch(`${holder.url}/v1/release`, { method: "POST", body: JSON.stringify({ keyId }) });
    expect(((await missing.json()) as { code: string }).code).to.equal("invalid-request");
    const big = await fetch(`${holder.url}/v1/release`, { method: "POST", body: "x".repeat(70_000) });
    expect(big.status).to.equal(413);
    expect(((await big.json()) as { code: string }).code).to.equal("body-too-large");
    const nowhere = await fetch(`${holder.url}/v1/other`, { method: "POST", body: "{}" });
    expect(nowhere.status).to.equal(404);
  });

  it("keeps its master key across restarts when started again on the same data directory", async () => {
    const again = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0] });
    try {
      expect(Buffer.from(again.publicKey).equals(Buffer.from(holder.publicKey))).to.equal(true);
    } finally {
      await again.close();
    }
  });

  it("refuses to start when the data directory belongs to another holder number", async () => {
    try {
      await startKeyHolder({ holder: 3, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0] });
      expect.fail("should refuse");
    } catch (err) {
      expect((err as Error).message).to.match(/belongs to key holder 2/);
    }
  });
});
