import http from "node:http";
import { readFileSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { AttestationError, isLocalAttestationRoot, verifyAttestationDocument } from "../../lib/attestation";
import { openWithPrivateKey, sealToPublicKey } from "../custody/x25519-box";
import { RELEASE_INFO, WRAP_INFO, shareAad } from "../custody/pool-key-shares";
import { unwrapRequestBinding } from "../custody/unwrap-request";
import { CustodyError } from "../custody/custody-error";
import { readBody } from "../http/read-body";
import { loadOrCreateMasterKey } from "./master-key";
import { holderSealKey, openHeldShare, sealHeldShare } from "../custody/held-share";

/** A key holder's configuration. */
export interface KeyHolderConfig {
  /** 1, 2 or 3: which share this holder keeps. */
  holder: number;
  dataDir: string;
  /** Loopback port; 0 picks a free one. */
  port?: number;
  /** Attestation roots it trusts (PEM)... */
  roots?: string[];
  /**
   * ...or a file of PEM roots, re-read when it changes. Locally the attestation root is created by
   * each enclave start (its CA keys cannot leave that process), so the launcher rewrites this file.
   */
  rootsFile?: string;
  /** Enclave measurements (PCR0, hex) it releases shares to... */
  allowedMeasurements?: string[];
  /** ...or a file with one measurement per line, re-read when it changes. */
  allowedMeasurementsFile?: string;
  /** Production policy: only the AWS root, no debug enclaves (passed to the verifier). */
  production?: boolean;
  /** How old an attestation document may be, in ms (default 5 minutes). */
  maxDocumentAgeMs?: number;
}

/** Stable error codes of the key holder API, with their HTTP status. */
export const KEY_HOLDER_ERRORS = {
  "invalid-request": 400,
  "body-too-large": 413,
  "not-found": 404,
  "attestation-invalid": 403,
  "measurement-not-allowed": 403,
  "attestation-stale": 403,
  "wrong-holder": 403,
  "share-unwrap-failed": 422,
  "share-not-held": 422,
  "internal-error": 500,
} as const;
type KeyHolderErrorCode = keyof typeof KEY_HOLDER_ERRORS;

class KeyHolderRefusal extends Error {
  override readonly name = "KeyHolderRefusal" as const;
  constructor(
    readonly code: KeyHolderErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const MAX_BODY = 64 * 1024;

/**
 * Starts a key holder: HTTP on 127.0.0.1, two routes for an attested enclave: `POST /v1/seal` seals a
 * share of a pool key the enclave made under this holder's own key (a held share), `POST /v1/release`
 * opens a held share and releases it. The share is opened with the master key and immediately sealed to the
 * public key inside the attestation document, so whoever relays the response (the host) only ever
 * carries ciphertext, as with AWS KMS and a Nitro RecipientInfo.
 *
 * @example
 * const kh = await startKeyHolder({ holder: 1, dataDir, roots: [rootPem], allowedMeasurements: [pcr0] });
 * console.log(kh.url); await kh.close();
 */
export async function startKeyHolder(config: KeyHolderConfig): Promise<{ url: string; publicKey: Uint8Array; close(): Promise<void> }> {
  if (![1, 2, 3].includes(config.holder)) throw new RangeError(`holder must be 1, 2 or 3, got ${config.holder}`);
  if ((config.allowedMeasurements ?? []).length === 0 && config.allowedMeasurementsFile === undefined) {
    throw new RangeError("a key holder needs allowed measurements (a list or a file)");
  }
  const master = loadOrCreateMasterKey(config.dataDir, config.holder);
  const allowedFile = watchedFile(config.allowedMeasurementsFile, (text) => text.split(/\s+/).filter((l) => l.length > 0));
  function allowedMeasurements(): Set<string> {
    const list = config.allowedMeasurements ?? allowedFile();
    return new Set(list.map((m) => m.toLowerCase().replace(/^0x/, "")));
  }
  const maxAge = config.maxDocumentAgeMs ?? 5 * 60_000;
  if (config.roots === undefined && config.rootsFile === undefined) throw new RangeError("a key holder needs roots or rootsFile");
  const rootsFile = watchedFile(config.rootsFile, (text) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []);
  function trustedRoots(): string[] {
    return config.roots ?? rootsFile();
  }
  if (config.production === true && trustedRoots().some((r) => isLocalAttestationRoot(r))) {
    throw new RangeError("production key holder refuses a LOCAL attestation root");
  }

  const sealKey = holderSealKey(master.privateKey);

  /** Parses and checks the fields both routes share, and verifies the request's attestation document. */
  function verifiedRequest(body: Uint8Array, purpose: "seal" | "release", shareField: "wrappedShare" | "heldShare") {
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.from(body).toString("utf8"));
    } catch {
      throw new KeyHolderRefusal("invalid-request", "body is not JSON");
    }
    if (input === null || typeof input !== "object" || Array.isArray(input)) throw new KeyHolderRefusal("invalid-request", "body must be a JSON object");
    const { keyId, generation, shareIndex, keyCheck, attestationDocument } = input;
    const shareText = input[shareField];
    if (typeof keyId !== "string" || keyId.length === 0 || keyId.length > 128) {
      throw new KeyHolderRefusal("invalid-request", "keyId must be a non-empty string", { field: "keyId" });
    }
    if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 1) {
      throw new KeyHolderRefusal("invalid-request", "generation must be a positive integer", { field: "generation" });
    }
    if (typeof shareIndex !== "number" || !Number.isInteger(shareIndex)) {
      throw new KeyHolderRefusal("invalid-request", "shareIndex must be an integer", { field: "shareIndex" });
    }
    if (typeof keyCheck !== "string" || typeof shareText !== "string" || typeof attestationDocument !== "string") {
      throw new KeyHolderRefusal("invalid-request", `keyCheck, ${shareField} and attestationDocument must be base64 strings`);
    }
    if (shareIndex !== config.holder) {
      throw new KeyHolderRefusal("wrong-holder", `this is key holder ${config.holder}; share ${shareIndex} is not ours`, {
        holder: config.holder,
        shareIndex,
      });
    }
    const share = new Uint8Array(Buffer.from(shareText, "base64"));
    const check = new Uint8Array(Buffer.from(keyCheck, "base64"));
    const docBytes = new Uint8Array(Buffer.from(attestationDocument, "base64"));
    const expectedUserData = unwrapRequestBinding({ purpose, holder: config.holder, keyId, generation, shareIndex, keyCheck: check, share });

    const roots = trustedRoots();
    if (roots.length === 0) {
      throw new KeyHolderRefusal("attestation-invalid", "this key holder has no trusted attestation root yet", { attestationCode: "no-trusted-root" });
    }
    let doc;
    try {
      doc = verifyAttestationDocument(docBytes, {
        roots,
        production: config.production === true,
        userData: expectedUserData,
      });
    } catch (err) {
      if (err instanceof AttestationError) {
        throw new KeyHolderRefusal("attestation-invalid", `attestation document refused: ${err.message}`, {
          attestationCode: err.code,
        });
      }
      throw err;
    }
    const pcr0 = doc.pcrs.get(0);
    const measurement = pcr0 === undefined ? "" : Buffer.from(pcr0).toString("hex");
    if (!allowedMeasurements().has(measurement)) {
      throw new KeyHolderRefusal("measurement-not-allowed", "the enclave's measurement (PCR0) is not on this holder's allow list", {
        measurement,
      });
    }
    const age = Date.now() - doc.timestamp;
    if (age > maxAge || age < -60_000) {
      throw new KeyHolderRefusal("attestation-stale", `attestation document is ${Math.round(age / 1000)} s old`, { ageMs: age });
    }
    return { keyId, generation, shareIndex, keyCheck: check, share, doc };
  }

  /**
   * Generation creation: the enclave boxed a share of a key it made to this holder's public key; the
   * holder opens it and seals it under its own key. Only a held share is ever released, so a share
   * boxed to the public key by anyone else (the host) is worthless.
   */
  function seal(body: Uint8Array): { heldShare: string } {
    const r = verifiedRequest(body, "seal", "wrappedShare");
    let share: Uint8Array;
    try {
      share = openWithPrivateKey(master.privateKey, r.share, WRAP_INFO, shareAad(r.keyId, r.shareIndex));
    } catch (err) {
      if (err instanceof CustodyError) {
        throw new KeyHolderRefusal("share-unwrap-failed", "the wrapped share does not open with this holder's master key", { keyId: r.keyId });
      }
      throw err;
    }
    const held = sealHeldShare(sealKey, share, { keyId: r.keyId, generation: r.generation, shareIndex: r.shareIndex, keyCheck: r.keyCheck });
    share.fill(0);
    return { heldShare: Buffer.from(held).toString("base64") };
  }

  function release(body: Uint8Array): { releasedShare: string } {
    const r = verifiedRequest(body, "release", "heldShare");
    if (r.doc.publicKey === null || r.doc.publicKey.length !== 32) {
      throw new KeyHolderRefusal("attestation-invalid", "attestation document carries no 32-byte X25519 public_key to release to", {
        attestationCode: "public-key-missing",
      });
    }
    let share: Uint8Array;
    try {
      share = openHeldShare(sealKey, r.share, { keyId: r.keyId, generation: r.generation, shareIndex: r.shareIndex, keyCheck: r.keyCheck });
    } catch (err) {
      if (err instanceof CustodyError) {
        // Logged: someone (the host) brought a share this holder never sealed, or moved one.
        console.error(`key holder ${config.holder}: refused share-not-held for ${r.keyId} (generation ${r.generation})`);
        throw new KeyHolderRefusal("share-not-held", "this key holder did not seal this share for this key, generation and key check", { keyId: r.keyId });
      }
      throw err;
    }
    const released = sealToPublicKey(r.doc.publicKey, share, RELEASE_INFO, shareAad(r.keyId, r.shareIndex));
    share.fill(0);
    return { releasedShare: Buffer.from(released).toString("base64") };
  }

  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      const bytes = Buffer.from(JSON.stringify(body));
      res.writeHead(status, { "content-type": "application/json", "content-length": bytes.length });
      res.end(bytes);
    };
    try {
      const url = new URL(req.url ?? "/", "http://holder");
      if (req.method === "GET" && url.pathname === "/v1/public-key") {
        return send(200, { holder: config.holder, publicKey: Buffer.from(master.publicKey).toString("base64") });
      }
      if (req.method !== "POST" || (url.pathname !== "/v1/release" && url.pathname !== "/v1/seal")) {
        throw new KeyHolderRefusal("not-found", `no route ${req.method} ${url.pathname}`);
      }
      const { body, tooLarge } = await readBody(req, MAX_BODY);
      if (tooLarge) throw new KeyHolderRefusal("body-too-large", `body exceeds ${MAX_BODY} bytes`, { limit: MAX_BODY });
      send(200, url.pathname === "/v1/seal" ? seal(body) : release(body));
    } catch (err) {
      if (err instanceof KeyHolderRefusal) {
        send(KEY_HOLDER_ERRORS[err.code], { code: err.code, message: err.message, details: err.details });
      } else {
        send(500, { code: "internal-error", message: "internal error" });
        console.error(`key holder ${config.holder}:`, err);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    publicKey: master.publicKey,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A file parsed into a list, re-read only when its modification time changes; missing = empty. */
function watchedFile(file: string | undefined, parse: (text: string) => string[]): () => string[] {
  let cached: { stamp: string; items: string[] } | undefined;
  return () => {
    if (file === undefined) return [];
    let stamp: string;
    try {
      const st = statSync(file);
      stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    } catch {
      return [];
    }
    if (cached?.stamp !== stamp) cached = { stamp, items: parse(readFileSync(file, "utf8")) };
    return cached.items;
  };
}
