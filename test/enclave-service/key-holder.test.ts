import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { startKeyHolder } from "../../enclave-service/key-holder/key-holder-server";
import { loadOrCreateMasterKey } from "../../enclave-service/key-holder/master-key";
import { createLocalAttestor, type Attestor } from "../../enclave-service/enclave/attestor";
import { RELEASE_INFO, WRAP_INFO, shareAad } from "../../enclave-service/custody/pool-key-shares";
import { holderSealKey, openHeldShare } from "../../enclave-service/custody/held-share";
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
  const generation = 1;
  const keyCheck = new Uint8Array(randomBytes(32));
  const share = new Uint8Array(randomBytes(33));
  let wrapped: Uint8Array;
  let held: Uint8Array;

  type Tweak = {
    doc?: (d: Uint8Array) => Uint8Array;
    by?: Attestor;
    shareIndex?: number;
    share?: Uint8Array;
    bindTo?: Uint8Array;
    bindPurpose?: "seal" | "release";
    publicKey?: Uint8Array | null;
    generation?: number;
    url?: string;
    delayMs?: number;
  };

  /** A seal or release request as the enclave builds it; `tweak` lets a test break one part. */
  async function send(purpose: "seal" | "release", tweak: Tweak = {}) {
    const eph = generateX25519KeyPair();
    const shareIndex = tweak.shareIndex ?? 2;
    const s = tweak.share ?? (purpose === "seal" ? wrapped : held);
    const gen = tweak.generation ?? generation;
    const userData = unwrapRequestBinding({ purpose: tweak.bindPurpose ?? purpose, holder: 2, keyId, generation: gen, shareIndex, keyCheck, share: tweak.bindTo ?? s });
    const publicKey = tweak.publicKey === null ? undefined : tweak.publicKey ?? (purpose === "release" ? eph.publicKey : undefined);
    let doc = await (tweak.by ?? attestor).document({ userData, publicKey });
    if (tweak.doc) doc = tweak.doc(doc);
    if (tweak.delayMs) await new Promise((r) => setTimeout(r, tweak.delayMs));
    const res = await fetch(`${tweak.url ?? holder.url}/v1/${purpose}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        keyId,
        generation: gen,
        shareIndex,
        keyCheck: Buffer.from(keyCheck).toString("base64"),
        [purpose === "seal" ? "wrappedShare" : "heldShare"]: Buffer.from(s).toString("base64"),
        attestationDocument: Buffer.from(doc).toString("base64"),
      }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any>, eph }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  before(async () => {
    attestor = await createLocalAttestor(PCR0);
    foreign = await createLocalAttestor(OTHER_PCR0);
    dir = tempDir("holder");
    holder = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0], maxDocumentAgeMs: 60_000 });
    wrapped = sealToPublicKey(holder.publicKey, share, WRAP_INFO, shareAad(keyId, 2));
    const sealed = await send("seal");
    expect(sealed.status, JSON.stringify(sealed.body)).to.equal(200);
    held = new Uint8Array(Buffer.from(sealed.body.heldShare, "base64"));
  });
  after(async () => {
    await holder?.close();
    dir?.remove();
  });

  describe("POST /v1/seal", () => {
    it("returns a held share that only this holder's own key opens when the enclave is attested and allowed", () => {
      const sealKey = holderSealKey(loadOrCreateMasterKey(dir.dir, 2).privateKey);
      expect(Buffer.from(openHeldShare(sealKey, held, { keyId, generation, shareIndex: 2, keyCheck })).equals(Buffer.from(share))).to.equal(true);
      expect(Buffer.from(held).includes(Buffer.from(share))).to.equal(false);
    });

    it("refuses with share-unwrap-failed when the share was boxed for another holder", async () => {
      const foreignWrap = sealToPublicKey(generateX25519KeyPair().publicKey, share, WRAP_INFO, shareAad(keyId, 2));
      const { status, body } = await send("seal", { share: foreignWrap });
      expect(status).to.equal(422);
      expect(body.code).to.equal("share-unwrap-failed");
    });

    it("refuses with measurement-not-allowed when the document comes from an enclave not on the allow list", async () => {
      const h = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [foreign.rootPem], allowedMeasurements: [PCR0] });
      try {
        const { status, body } = await send("seal", { by: foreign, url: h.url });
        expect(status).to.equal(403);
        expect(body.code).to.equal("measurement-not-allowed");
      } finally {
        await h.close();
      }
    });

    it("refuses with attestation-invalid when the document was made for a release request", async () => {
      const { status, body } = await send("seal", { bindPurpose: "release" });
      expect(status).to.equal(403);
      expect(body.details.attestationCode).to.equal("user-data-mismatch");
    });
  });

  describe("POST /v1/release", () => {
    it("releases the share sealed to the document's public key when the enclave is attested and allowed", async () => {
      const { status, body, eph } = await send("release");
      expect(status).to.equal(200);
      const released = new Uint8Array(Buffer.from(body.releasedShare, "base64"));
      // What travels back is not the share: only the ephemeral key opens it.
      expect(Buffer.from(released).includes(Buffer.from(share))).to.equal(false);
      expect(Buffer.from(openWithPrivateKey(eph.privateKey, released, RELEASE_INFO, shareAad(keyId, 2))).equals(Buffer.from(share))).to.equal(true);
    });

    it("refuses with share-not-held when the share was only boxed to its public key (what the host can make)", async () => {
      const { status, body } = await send("release", { share: wrapped });
      expect(status).to.equal(422);
      expect(body.code).to.equal("share-not-held");
    });

    it("refuses with share-not-held when a held share is presented for another generation", async () => {
      const { status, body } = await send("release", { generation: 2 });
      expect(status).to.equal(422);
      expect(body.code).to.equal("share-not-held");
    });

    it("refuses with measurement-not-allowed when the enclave's PCR0 is not on the allow list", async () => {
      const h = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [foreign.rootPem], allowedMeasurements: [PCR0] });
      try {
        const { status, body } = await send("release", { by: foreign, url: h.url });
        expect(status).to.equal(403);
        expect(body.code).to.equal("measurement-not-allowed");
        expect(body.details.measurement).to.equal(OTHER_PCR0);
      } finally {
        await h.close();
      }
    });

    it("refuses with attestation-invalid when the document chains to a root it does not trust", async () => {
      const { status, body } = await send("release", { by: foreign });
      expect(status).to.equal(403);
      expect(body.code).to.equal("attestation-invalid");
      expect(body.details.attestationCode).to.equal("root-not-pinned");
    });

    it("refuses with attestation-invalid when a byte of the document is altered", async () => {
      const { status, body } = await send("release", {
        doc: (d) => {
          const bad = new Uint8Array(d);
          bad[bad.length - 10] ^= 0x01; // inside the signature
          return bad;
        },
      });
      expect(status).to.equal(403);
      expect(body.code).to.equal("attestation-invalid");
    });

    it("refuses with attestation-invalid when the document is bound to another request or purpose", async () => {
      expect((await send("release", { bindTo: new Uint8Array(randomBytes(60)) })).body.details.attestationCode).to.equal("user-data-mismatch");
      expect((await send("release", { bindPurpose: "seal" })).body.details.attestationCode).to.equal("user-data-mismatch");
    });

    it("refuses with attestation-invalid when the document carries no public key to release to", async () => {
      const { status, body } = await send("release", { publicKey: null });
      expect(status).to.equal(403);
      expect(body.details.attestationCode).to.equal("public-key-missing");
    });

    it("refuses with attestation-stale when the document is older than the holder accepts", async () => {
      const strict = await startKeyHolder({ holder: 2, dataDir: dir.dir, roots: [attestor.rootPem], allowedMeasurements: [PCR0], maxDocumentAgeMs: 1 });
      try {
        const { status, body } = await send("release", { url: strict.url, delayMs: 20 });
        expect(status).to.equal(403);
        expect(body.code).to.equal("attestation-stale");
      } finally {
        await strict.close();
      }
    });

    it("refuses with wrong-holder when asked for another holder's share", async () => {
      const { status, body } = await send("release", { shareIndex: 1 });
      expect(status).to.equal(403);
      expect(body.code).to.equal("wrong-holder");
    });

    it("answers invalid-request, body-too-large and not-found when the request is malformed", async () => {
      const bad = await fetch(`${holder.url}/v1/release`, { method: "POST", body: "{not json" });
      expect(bad.status).to.equal(400);
      expect(((await bad.json()) as { code: string }).code).to.equal("invalid-request");
      const missing = await fetch(`${holder.url}/v1/release`, { method: "POST", body: JSON.stringify({ keyId }) });
      expect(((await missing.json()) as { code: string }).code).to.equal("invalid-request");
      const noGeneration = await fetch(`${holder.url}/v1/release`, { method: "POST", body: JSON.stringify({ keyId, generation: 0, shareIndex: 2 }) });
      expect(((await noGeneration.json()) as { details: { field: string } }).details.field).to.equal("generation");
      const big = await fetch(`${holder.url}/v1/release`, { method: "POST", body: "x".repeat(70_000) });
      expect(big.status).to.equal(413);
      expect(((await big.json()) as { code: string }).code).to.equal("body-too-large");
      const nowhere = await fetch(`${holder.url}/v1/other`, { method: "POST", body: "{}" });
      expect(nowhere.status).to.equal(404);
    });
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
