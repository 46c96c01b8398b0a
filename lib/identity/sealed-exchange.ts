import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { extract, expand } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Aes128Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from "@hpke/core";
import { IdentityClientError } from "./identity-client-error";

/**
 * Sealed exchanges (SEALED.md): a request encrypted with HPKE (RFC 9180, base mode,
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-128-GCM) to the enclave's key, which the
 * attestation document carries, and a response encrypted back under a key exported from the same
 * HPKE context, the way Oblivious HTTP (RFC 9458 section 4.4) does it. The host relays both and
 * can neither read nor alter them. One source of truth for the client and the enclave.
 */
export const SEALED_PATH = "/v1/sealed";
export const SEALED_REQUEST_TYPE = "application/vnd.arbor.sealed-request";
export const SEALED_RESPONSE_TYPE = "application/vnd.arbor.sealed-response";
/** Envelope version byte. */
export const SEALED_VERSION = 1;
const INFO = new TextEncoder().encode("arbor.sealed.v1 request");
const RESPONSE_LABEL = new TextEncoder().encode("arbor.sealed.v1 response");
const KEY_ID_BYTES = 8;
const ENC_BYTES = 32;
/** AES-128-GCM: Nk = 16, Nn = 12; the response nonce is max(Nn, Nk) bytes (RFC 9458). */
const NK = 16;
const NN = 12;
const RESPONSE_NONCE_BYTES = 16;
const TAG_BYTES = 16;

/** What travels inside: the request exactly as it would be sent in clear, headers lower case. */
export interface InnerRequest {
  method: string;
  /** Path and query. */
  target: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** What comes back inside: status, headers (the attestation document among them), exact body bytes. */
export interface InnerResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** An envelope that does not open: tampered, truncated, for another key, or not an envelope. */
export class SealedExchangeError extends Error {
  override readonly name = "SealedExchangeError" as const;
  constructor(
    readonly code: "sealed-request-invalid" | "sealed-key-unknown" | "sealed-response-invalid",
    message: string,
  ) {
    super(message);
  }
}

const suite = () => new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });

/** First 8 bytes of SHA-256 of the raw X25519 public key: which key an envelope is for. */
export function sealedKeyId(publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(publicKey).digest().subarray(0, KEY_ID_BYTES));
}

function encodeInner(value: InnerRequest | InnerResponse): Uint8Array {
  const { body, ...rest } = value;
  return new TextEncoder().encode(JSON.stringify({ ...rest, body: Buffer.from(body).toString("base64") }));
}

function decodeInner(bytes: Uint8Array, kind: "request" | "response"): Record<string, unknown> {
  const v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)) as Record<string, unknown>;
  if (v === null || typeof v !== "object" || typeof v.body !== "string" || typeof v.headers !== "object" || v.headers === null) {
    throw new Error(`not a sealed ${kind}`);
  }
  for (const h of Object.values(v.headers as Record<string, unknown>)) if (typeof h !== "string") throw new Error("header values must be strings");
  return { ...v, body: new Uint8Array(Buffer.from(v.body, "base64")) };
}

/** The response key and nonce for one exchange (RFC 9458 section 4.4 with our labels). */
function responseKey(secret: Uint8Array, enc: Uint8Array, responseNonce: Uint8Array): { key: Buffer; iv: Buffer } {
  const salt = new Uint8Array([...enc, ...responseNonce]);
  const prk = extract(sha256, secret, salt);
  return { key: Buffer.from(expand(sha256, prk, new TextEncoder().encode("key"), NK)), iv: Buffer.from(expand(sha256, prk, new TextEncoder().encode("nonce"), NN)) };
}

/**
 * Client side: seals `inner` to the enclave's `publicKey`. Returns the envelope bytes
 * (version ‖ key id ‖ enc ‖ ciphertext) and `open`, which opens the matching response envelope.
 *
 * @example
 * const { envelope, open } = await sealRequest(pinnedKey, { method: "POST", target: "/v1/auth/initiate", headers, body });
 * const inner = open(new Uint8Array(await (await fetch(url + SEALED_PATH, { method: "POST", body: envelope })).arrayBuffer()));
 */
export async function sealRequest(publicKey: Uint8Array, inner: InnerRequest): Promise<{ envelope: Uint8Array; open(response: Uint8Array): InnerResponse }> {
  const s = suite();
  const header = new Uint8Array([SEALED_VERSION, ...sealedKeyId(publicKey)]);
  const sender = await s.createSenderContext({ recipientPublicKey: await s.kem.deserializePublicKey(publicKey), info: INFO });
  // The header is associated data: a host that swaps the key id or version breaks the seal.
  const ct = new Uint8Array(await sender.seal(encodeInner(inner), header));
  const enc = new Uint8Array(sender.enc);
  const secret = new Uint8Array(await sender.export(RESPONSE_LABEL, NK));
  return {
    envelope: new Uint8Array([...header, ...enc, ...ct]),
    open(response) {
      try {
        if (response.length < RESPONSE_NONCE_BYTES + TAG_BYTES) throw new Error("too short");
        const nonce = response.subarray(0, RESPONSE_NONCE_BYTES);
        const { key, iv } = responseKey(secret, enc, nonce);
        const d = createDecipheriv("aes-128-gcm", key, iv);
        d.setAuthTag(Buffer.from(response.subarray(response.length - TAG_BYTES)));
        const plain = Buffer.concat([d.update(response.subarray(RESPONSE_NONCE_BYTES, response.length - TAG_BYTES)), d.final()]);
        const v = decodeInner(plain, "response");
        if (!Number.isInteger(v.status)) throw new Error("no status");
        return v as unknown as InnerResponse;
      } catch (err) {
        throw new SealedExchangeError("sealed-response-invalid", `the sealed response does not open: ${(err as Error).message}`);
      }
    },
  };
}

/** The enclave's HPKE key pair. */
export interface SealedKeyPair {
  publicKey: Uint8Array;
  keyId: Uint8Array;
  /** Opaque to callers. */
  readonly pair: CryptoKeyPair;
}

/** A fresh X25519 key pair for sealed exchanges (the enclave makes one at start; it never leaves memory). */
export async function generateSealedKeyPair(): Promise<SealedKeyPair> {
  const s = suite();
  const pair = await s.kem.generateKeyPair();
  const publicKey = new Uint8Array(await s.kem.serializePublicKey(pair.publicKey));
  return { publicKey, keyId: sealedKeyId(publicKey), pair };
}

/**
 * Enclave side: opens a request envelope. Returns the inner request and `seal`, which seals the
 * response to the same exchange.
 *
 * @dev Throws SealedExchangeError `sealed-key-unknown` for an envelope to another key (another
 *      enclave, or one from before a restart) and `sealed-request-invalid` for anything that does
 *      not open (a flipped byte, a truncation, not an envelope).
 */
export async function openRequest(keys: SealedKeyPair, envelope: Uint8Array): Promise<{ inner: InnerRequest; seal(response: InnerResponse): Uint8Array }> {
  if (envelope.length < 1 + KEY_ID_BYTES + ENC_BYTES + TAG_BYTES || envelope[0] !== SEALED_VERSION) {
    throw new SealedExchangeError("sealed-request-invalid", "not a version 1 sealed request");
  }
  const header = envelope.subarray(0, 1 + KEY_ID_BYTES);
  if (!Buffer.from(header.subarray(1)).equals(Buffer.from(keys.keyId))) {
    throw new SealedExchangeError("sealed-key-unknown", "the request is sealed to another key: fetch this enclave's key again");
  }
  const enc = envelope.slice(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + ENC_BYTES);
  const s = suite();
  let inner: InnerRequest;
  let secret: Uint8Array;
  try {
    const recipient = await s.createRecipientContext({ recipientKey: keys.pair, enc, info: INFO });
    const plain = new Uint8Array(await recipient.open(envelope.subarray(1 + KEY_ID_BYTES + ENC_BYTES), header));
    const v = decodeInner(plain, "request");
    if (typeof v.method !== "string" || typeof v.target !== "string" || !v.target.startsWith("/")) throw new Error("no method or target");
    inner = v as unknown as InnerRequest;
    secret = new Uint8Array(await recipient.export(RESPONSE_LABEL, NK));
  } catch (err) {
    throw new SealedExchangeError("sealed-request-invalid", `the sealed request does not open: ${(err as Error).message}`);
  }
  return {
    inner,
    seal(response) {
      const nonce = new Uint8Array(randomBytes(RESPONSE_NONCE_BYTES));
      const { key, iv } = responseKey(secret, enc, nonce);
      const c = createCipheriv("aes-128-gcm", key, iv);
      const ct = Buffer.concat([c.update(encodeInner(response)), c.final()]);
      return new Uint8Array(Buffer.concat([nonce, ct, c.getAuthTag()]));
    },
  };
}

/** For IdentityClient: a SealedExchangeError as the client's error class. */
export function clientError(err: SealedExchangeError, status?: number): IdentityClientError {
  return new IdentityClientError(err.code, err.message, {}, status, err);
}
