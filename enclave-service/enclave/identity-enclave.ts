import { createHash, timingSafeEqual } from "node:crypto";
import { responseBinding } from "../../lib/attestation";
import { DEFAULT_SERVICE_NAME, parseAuthKeyId } from "../../lib/identity/request-signing";
import { ChannelError } from "../channel/channel-error";
import { CustodyError } from "../custody/custody-error";
import { openApiDocument } from "../api/openapi";
import type { Attestor } from "./attestor";
import type { EnclaveConfig } from "./enclave-config";
import { HostLink } from "./host-link";
import { header, type EnclaveResponse, type ForwardedRequest } from "./http-types";
import { KeyPool } from "./key-pool";
import { OidcDirectory } from "./oidc-directory";
import { completeOidc, initiateOidc } from "./oidc";
import { completeLogin, sendOtp, storeOtpCommitment, type SentOtp } from "./otp";
import { RateLimiter } from "./rate-limiter";
import { checkNonceFresh, checkRequestSignature, claimNonce, consumeNonce } from "./request-auth";
import { MonotonicState } from "./monotonic-state";
import { revokeBinding } from "./bind-identity";
import type { RequestContext } from "./request-context";
import { ServiceError } from "./service-error";
import { Upstream } from "./upstream";
import { SEALED_PATH, SEALED_REQUEST_TYPE, SEALED_RESPONSE_TYPE, SealedExchangeError, openRequest, type SealedKeyPair } from "../../lib/identity/sealed-exchange";
import { describeIdentity, signSessionAttestation } from "./sign-session-attestation";
import type { Channel } from "../channel/channel";

type Body = Record<string, unknown>;
type Route =
  | { auth: "none"; run: () => Promise<unknown> }
  | {
      auth: "auth-key";
      /**
       * Slow outside calls (a login code sent, ...), run before the transaction with autocommit
       * queries only, after a read-only nonce check; what it returns is handed to `run`.
       */
      outside?: (ctx: RequestContext, body: Body) => Promise<unknown>;
      run: (ctx: RequestContext, body: Body, outside: any) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
    }
  | { auth: "admin"; run: (body: Body) => Promise<unknown> };

const MAX_ATTESTATION_NONCE_BYTES = 64;

/**
 * The application inside the enclave: routes each forwarded HTTP request, runs it in one database
 * transaction (all or nothing), and answers with the exact response bytes plus an attestation
 * document binding the request and response (X-Attestation-Document), errors included.
 *
 * @example
 * const enclave = new IdentityEnclave(config, attestor, () => channel);
 * const response = await enclave.handle(forwardedRequest);
 */
export class IdentityEnclave {
  readonly link: HostLink;
  readonly pool: KeyPool;
  /** Monotonic state of this enclave process (rollback guard, nonce claims). */
  readonly guard = new MonotonicState();
  private readonly oidc: OidcDirectory;
  readonly upstream: Upstream;
  private readonly limiter: RateLimiter;
  private readonly routes: Record<string, Record<string, Route>>;
  private jobTimer?: NodeJS.Timeout;
  private jobRunning = false;
  private prepared?: Promise<unknown>;

  constructor(
    private readonly config: EnclaveConfig,
    private readonly attestor: Attestor,
    channel: () => Channel | undefined,
    /** The HPKE key clients seal requests to; every attestation document carries its public half. */
    private readonly sealedKeys: SealedKeyPair,
  ) {
    this.link = new HostLink(channel);
    this.pool = new KeyPool(
      this.link,
      attestor,
      config.keyHolders.map((h) => ({ holder: h.holder, publicKey: new Uint8Array(Buffer.from(h.publicKey, "base64")) })),
      { poolSize: config.pool?.size, cacheMs: config.pool?.cacheMs },
    );
    this.upstream = new Upstream(channel, config.egress);
    this.oidc = new OidcDirectory(this.upstream);
    this.limiter = new RateLimiter(config.rateLimit?.perSecond ?? 20, config.rateLimit?.burst ?? 40);
    const doc = openApiDocument();
    this.routes = {
      "/openapi.json": { GET: { auth: "none", run: async () => doc } },
      "/v1/health": {
        GET: { auth: "none", run: async () => ({ status: "ok", measurement: attestor.measurement, service: config.serviceName ?? DEFAULT_SERVICE_NAME }) },
      },
      "/v1/auth/initiate": {
        POST: {
          auth: "auth-key",
          outside: async (ctx: RequestContext, body: Body) => {
            const t = body.identityType;
            return t === "email" || t === "phone" ? sendOtp(ctx, body, t) : undefined;
          },
          run: (ctx, body, sent: SentOtp | undefined) => {
            const t = body.identityType;
            if ((t === "email" || t === "phone") && sent !== undefined) return storeOtpCommitment(ctx, sent);
            if (t === "oidc") return initiateOidc(ctx, body);
            throw new ServiceError("invalid-request", 'identityType must be "email", "phone" or "oidc"', { field: "identityType" });
          },
        },
      },
      "/v1/auth/complete": { POST: { auth: "auth-key", run: (ctx, body) => completeLogin(ctx, body, completeOidc) } },
      "/v1/identity": { GET: { auth: "auth-key", run: (ctx) => describeIdentity(ctx) } },
      "/v1/auth/revoke": {
        POST: {
          auth: "auth-key",
          run: (ctx, body) =>
            revokeBinding(ctx, body.authKey === undefined ? undefined : requireAuthKeyField(body)),
        },
      },
      "/v1/attestations": { POST: { auth: "auth-key", run: (ctx, body) => signSessionAttestation(ctx, body) } },
      "/admin/v1/rotate": { POST: { auth: "admin", run: () => this.pool.rotate() } },
      "/admin/v1/reencrypt": {
        POST: {
          auth: "admin",
          run: (body) =>
            this.pool.reencryptPass({
              batchSize: optionalInteger(body, "batchSize", 1, 1000),
              maxBatches: optionalInteger(body, "maxBatches", 1, 1_000_000),
              pauseMs: optionalInteger(body, "pauseMs", 0, 10_000),
            }),
        },
      },
      "/admin/v1/custody": { GET: { auth: "admin", run: async () => ({ generations: await this.pool.status() }) } },
    };
  }

  /** Called when a host connects: makes sure the pool has a generation, starts the background job. */
  async onHostConnected(): Promise<void> {
    this.prepared = this.pool.ensureGeneration();
    await this.prepared;
    const every = this.config.reencryptIntervalMs ?? 60_000;
    if (every > 0 && !this.jobTimer) {
      this.jobTimer = setInterval(() => void this.runJob(), every);
      this.jobTimer.unref();
    }
  }

  stop(): void {
    if (this.jobTimer) clearInterval(this.jobTimer);
    this.jobTimer = undefined;
    this.pool.clearCache();
  }

  private async runJob(): Promise<void> {
    if (this.jobRunning) return;
    this.jobRunning = true;
    try {
      const r = await this.pool.reencryptPass();
      if (r.reencrypted > 0 || r.deletedKeys > 0) this.link.log({ event: "reencrypt-pass", ...r });
    } catch (err) {
      this.link.log({ event: "reencrypt-pass-failed", code: (err as { code?: string }).code, message: (err as Error).message });
    } finally {
      this.jobRunning = false;
    }
  }

  /**
   * Handles one request; never throws: every failure becomes an attested error response. A sealed
   * request (POST /v1/sealed) is opened, handled as the request inside it, and its whole response
   * (status, headers with the attestation document, body) sealed back to the client.
   */
  async handle(req: ForwardedRequest): Promise<EnclaveResponse> {
    if (req.target === SEALED_PATH && req.method === "POST" && !req.bodyTooLarge) {
      let opened;
      try {
        if ((header(req, "content-type") ?? "") !== SEALED_REQUEST_TYPE) {
          throw new SealedExchangeError("sealed-request-invalid", `sealed requests are ${SEALED_REQUEST_TYPE}`);
        }
        opened = await openRequest(this.sealedKeys, req.body);
      } catch (err) {
        const e = err as SealedExchangeError;
        return this.handlePlain(req, new ServiceError(e.code === "sealed-key-unknown" ? "sealed-key-unknown" : "sealed-request-invalid", e.message));
      }
      const { inner, seal } = opened;
      if (inner.target.split("?")[0] === SEALED_PATH) return this.handlePlain(req, new ServiceError("sealed-request-invalid", "a sealed request cannot hold another"));
      // The Origin is the one on the outer request: a browser sets it there, and a page could write
      // anything inside. Every other header comes from inside, where the host cannot touch it.
      const headers: Record<string, string | undefined> = { ...inner.headers, origin: header(req, "origin") };
      const response = await this.handlePlain({ method: inner.method, target: inner.target, headers, body: new Uint8Array(inner.body) });
      return { status: 200, headers: { "content-type": SEALED_RESPONSE_TYPE, "cache-control": "no-store" }, body: seal(response) };
    }
    return this.handlePlain(req);
  }

  private async handlePlain(req: ForwardedRequest, refusal?: ServiceError): Promise<EnclaveResponse> {
    let status: number;
    let payload: unknown;
    try {
      if (refusal) throw refusal;
      payload = await this.route(req);
      status = 200;
    } catch (err) {
      ({ status, payload } = this.errorPayload(err));
    }
    const body = new Uint8Array(Buffer.from(JSON.stringify(payload), "utf8"));
    const headers: Record<string, string> = { "content-type": "application/json", "cache-control": "no-store" };
    const retryAfterMs = (payload as { details?: { retryAfterMs?: unknown } })?.details?.retryAfterMs;
    // Rate limits say when to come back in the standard header too (seconds, rounded up).
    if (status === 429 && typeof retryAfterMs === "number") headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    let nonce: Uint8Array | undefined;
    try {
      nonce = parseAttestationNonce(header(req, "x-attestation-nonce"));
    } catch {
      nonce = undefined; // the error response already says why; the document then has no nonce
    }
    let userData: Uint8Array | undefined;
    try {
      userData = responseBinding({ method: req.method, path: req.target, requestBody: req.body, status, responseBody: body });
    } catch {
      userData = undefined;
    }
    const document = await this.attestor.document({ userData, nonce, publicKey: this.sealedKeys.publicKey });
    headers["x-attestation-document"] = Buffer.from(document).toString("base64");
    return { status, headers, body };
  }

  private async route(req: ForwardedRequest): Promise<unknown> {
    if (req.bodyTooLarge) throw new ServiceError("body-too-large", "request body is over the limit", { limit: this.config.maxBodyBytes ?? 65536 });
    if (req.body.length > (this.config.maxBodyBytes ?? 65536)) {
      throw new ServiceError("body-too-large", "request body is over the limit", { limit: this.config.maxBodyBytes ?? 65536 });
    }
    parseAttestationNonce(header(req, "x-attestation-nonce"));
    const path = req.target.split("?")[0];
    const byMethod = Object.prototype.hasOwnProperty.call(this.routes, path) ? this.routes[path] : undefined;
    if (!byMethod) throw new ServiceError("not-found", `no route ${path}`, { path });
    const route = byMethod[req.method];
    if (!route) throw new ServiceError("method-not-allowed", `${req.method} is not allowed on ${path}`, { allowed: Object.keys(byMethod) });

    const body = req.method === "POST" ? parseJsonBody(req) : {};
    if (route.auth === "none") return route.run();
    if (route.auth === "admin") {
      this.checkAdmin(req);
      return route.run(body);
    }
    const skew = this.config.requestClockSkewMs ?? 5 * 60_000;
    const { authKey, nonce, timestamp } = checkRequestSignature(req, skew, Date.now(), this.config.serviceName ?? DEFAULT_SERVICE_NAME);
    if (timestamp < this.guard.startedAt) {
      // Requests signed before this process started may have been seen by its predecessor, whose
      // memory of nonces is gone: only requests signed after the start are taken.
      throw new ServiceError("stale-timestamp", "request was signed before the service (re)started; sign it again", {
        timestamp,
        startedAt: this.guard.startedAt,
      });
    }
    claimNonce(this.guard, authKey, nonce, timestamp + skew);
    // The first requests after a (re)connect wait for the pool to exist; a failed preparation is retried.
    await (this.prepared ?? Promise.resolve()).catch(() => (this.prepared = this.pool.ensureGeneration()));
    const wait = this.limiter.take(authKey);
    if (wait > 0) throw new ServiceError("rate-limited", "too many requests for this auth key", { retryAfterMs: wait });
    const now = Date.now();
    let nonceFresh = false;
    let nonceStored = false;
    try {
      let outside: unknown;
      if (route.outside) {
        // Finding 7: nothing slow runs while a transaction holds the database (PGlite has one
        // connection). A read-only nonce check first, so a replay is refused before it sends anything.
        await checkNonceFresh(this.link, this.pool, authKey, nonce);
        nonceFresh = true;
        outside = await route.outside(
          { config: this.config, origin: header(req, "origin"), link: this.link, pool: this.pool, guard: this.guard, oidc: this.oidc, upstream: this.upstream, authKey, now, tx: this.link },
          body,
        );
      }
      return await this.link.transaction(async (tx) => {
        await consumeNonce(tx, this.pool, authKey, nonce);
        nonceStored = true;
        const ctx: RequestContext = { config: this.config, origin: header(req, "origin"), link: this.link, pool: this.pool, guard: this.guard, oidc: this.oidc, upstream: this.upstream, authKey, now, tx };
        return route.run(ctx, body, outside);
      });
    } catch (err) {
      // A refused request still uses up its nonce (in its own transaction), so it cannot be
      // replayed later, on this or another instance, once the cause of the refusal is gone.
      const persisted = (err as { persist?: boolean }).persist === true;
      if ((nonceStored || nonceFresh) && !persisted) await this.link.transaction((tx) => consumeNonce(tx, this.pool, authKey, nonce)).catch(() => undefined);
      throw err;
    }
  }

  private checkAdmin(req: ForwardedRequest): void {
    const expected = this.config.adminTokenSha256;
    const auth = header(req, "authorization");
    const token = auth?.startsWith("Bearer ") ? auth.slice(7) : undefined;
    if (!expected || token === undefined) throw new ServiceError("admin-unauthorized", "admin routes need Authorization: Bearer <admin token>");
    const given = createHash("sha256").update(token, "utf8").digest();
    if (!timingSafeEqual(given, Buffer.from(expected, "hex"))) throw new ServiceError("admin-unauthorized", "wrong admin token");
  }

  private errorPayload(err: unknown): { status: number; payload: { code: string; message: string; details?: unknown } } {
    if (err instanceof ServiceError) {
      return { status: err.status, payload: { code: err.code, message: err.message, details: err.details } };
    }
    if (err instanceof CustodyError) {
      if (err.code === "record-tampered" || err.code === "unknown-cipher-key" || err.code === "row-forged") {
        return { status: 500, payload: { code: "row-forged", message: err.message, details: err.details } };
      }
      if (err.code === "row-rolled-back" || err.code === "pool-key-forged") {
        return { status: 500, payload: { code: err.code, message: err.message, details: err.details } };
      }
      return { status: 503, payload: { code: "custody-unavailable", message: err.message, details: err.details } };
    }
    // Logged for operators with no request data: a message and a code, never a value.
    const e = err as { code?: string; remoteCode?: string; message?: string };
    this.link.log({ event: "internal-error", code: e?.remoteCode ?? e?.code, message: e?.message });
    const channelDown = err instanceof ChannelError && (err.code === "channel-closed" || err.code === "timeout");
    return {
      status: 500,
      payload: { code: "internal-error", message: channelDown ? "the host did not complete an I/O request" : "internal error" },
    };
  }
}

function parseJsonBody(req: ForwardedRequest): Body {
  const type = header(req, "content-type") ?? "";
  if (!/^application\/json(\s*;.*)?$/i.test(type)) {
    throw new ServiceError("unsupported-media-type", "POST bodies must be application/json", { contentType: type || null });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(req.body));
  } catch {
    throw new ServiceError("invalid-json", "request body is not valid UTF-8 JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new ServiceError("invalid-request", "request body must be a JSON object");
  return parsed as Body;
}

/** X-Attestation-Nonce: hex, at most 64 bytes. */
function parseAttestationNonce(value: string | undefined): Uint8Array | undefined {
  if (value === undefined) return undefined;
  const hex = value.startsWith("0x") ? value.slice(2) : value;
  if (hex.length === 0 || hex.length % 2 !== 0 || hex.length > 2 * MAX_ATTESTATION_NONCE_BYTES || !/^[0-9a-fA-F]+$/.test(hex)) {
    throw new ServiceError("invalid-attestation-nonce", `X-Attestation-Nonce must be 1..${MAX_ATTESTATION_NONCE_BYTES} bytes of hex`);
  }
  return new Uint8Array(Buffer.from(hex, "hex"));
}

function requireAuthKeyField(body: Body): string {
  const v = body.authKey;
  if (typeof v !== "string" || !parseAuthKeyId(v)) {
    throw new ServiceError("invalid-request", "authKey must be an auth key id (secp256k1:<address> or p256:0x04...)", { field: "authKey" });
  }
  return v;
}

function optionalInteger(body: Body, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw new ServiceError("invalid-request", `${field} must be an integer in ${min}..${max}`, { field });
  }
  return v;
}
