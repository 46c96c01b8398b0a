import { randomBytes } from "node:crypto";
import { AttestationError, responseBinding, verifyAttestationDocument, type VerifiedAttestationDocument } from "../attestation";
import { recoverAttestationSigner } from "../sessions/attestation";
import type { AuthKey } from "./auth-key";
import { IdentityClientError } from "./identity-client-error";
import { otpAnswer } from "./otp-answer";
import { AUTH_HEADERS, canonicalRequest } from "./request-signing";
import { SEALED_PATH, SEALED_REQUEST_TYPE, SEALED_RESPONSE_TYPE, SealedExchangeError, sealRequest, type InnerResponse } from "./sealed-exchange";
import type { IdentityInfo, InitiateResponse, LoginResult, ServiceErrorBody, SignedAttestation, WireAttestation } from "./types";

/** How the client decides whether a response really came from the enclave. */
export interface AttestationPolicy {
  /** Pinned roots (PEM). Production: AWS_NITRO_ROOT_PEM; locally: the root `arbor enclave start` prints. */
  roots: string[];
  /**
   * Accepted PCR0 values (hex). Required: without them any enclave code would be believed. The only
   * way around it is the explicit opt-out below.
   */
  measurements?: string[];
  /**
   * Accept any PCR0. Only for local development against an enclave whose measurement changes on
   * every edit; the name says what it is. Refused together with `production`.
   */
  anyMeasurement?: "insecure-local-development";
  /** Production policy of lib/attestation: refuses LOCAL roots and debug enclaves. */
  production?: boolean;
}

export interface IdentityClientOptions {
  /** Base URL of the host, e.g. "http://127.0.0.1:8787". */
  url: string;
  authKey: AuthKey;
  attestation: AttestationPolicy;
  /**
   * The app's web origin, sent as `Origin` on every request. The service lets an origin ask only
   * for the audiences its ecosystem lists for that app. In a browser, leave it out: the browser
   * sets `Origin` itself and a page cannot change it.
   */
  origin?: string;
  /**
   * Seal signed requests with HPKE to the enclave's attested key (default true): the host relays
   * them but can neither read nor alter them, nor the responses. `false` sends them in clear.
   */
  sealed?: boolean;
  /**
   * First request nonce. Default: unix ms × 1000, so a client restarted with the same auth key
   * still sends increasing nonces (up to 1000 requests per millisecond).
   */
  firstNonce?: bigint;
  /**
   * The service name requests are signed for. Default: the name the service announces in its
   * attested GET /v1/health (read once, after the document is verified).
   */
  service?: string;
}

/** A raw, verified exchange: status, parsed body, and the verified attestation document. */
export interface VerifiedResponse<T> {
  status: number;
  body: T;
  attestation: VerifiedAttestationDocument;
}

/**
 * Typed client for the identity service (OpenAPI: GET /openapi.json). Signs every request with the
 * auth key, sends a fresh X-Attestation-Nonce, and verifies every response's attestation document
 * (chain to a pinned root, PCR0, nonce, and the binding of the exact request and response bytes)
 * before reading it. Error responses are verified too, then thrown as IdentityClientError.
 *
 * @example
 * const client = new IdentityClient({ url, authKey: secp256k1AuthKey(), attestation: { roots: [rootPem], measurements: [pcr0] } });
 * const started = await client.initiateEmail({ ecosystem: "demo", audience: "https://app.example", email: "a@b.c" });
 * const login = await client.completeOtp(started, codeFromEmail);
 * const signed = await client.signAttestation({ approvedSigner: sessionKey.address, lifetimeSeconds: 3600 });
 */
export class IdentityClient {
  private nonce: bigint;
  /** The enclave's sealing key, taken from a verified attestation document (see {@link sealedKey}). */
  private pinnedKey?: Promise<Uint8Array>;
  /** Every enclave key seen in a verified document (hex of the key -> key). */
  private readonly knownKeys = new Map<string, Uint8Array>();
  /** Signed exchanges run one at a time, so nonces reach the service in the order they were taken. */
  private queue: Promise<unknown> = Promise.resolve();
  private service?: string;

  constructor(private readonly options: IdentityClientOptions) {
    if (!options.attestation || !Array.isArray(options.attestation.roots) || options.attestation.roots.length === 0) {
      throw new IdentityClientError("invalid-argument", "attestation.roots must pin at least one root");
    }
    const { measurements, anyMeasurement, production } = options.attestation;
    const pinned = Array.isArray(measurements) && measurements.length > 0;
    if (!pinned && anyMeasurement !== "insecure-local-development") {
      throw new IdentityClientError(
        "invalid-argument",
        'attestation.measurements must list the accepted PCR0 values (or set anyMeasurement: "insecure-local-development" while developing)',
      );
    }
    if (anyMeasurement !== undefined && (anyMeasurement !== "insecure-local-development" || production === true)) {
      throw new IdentityClientError("invalid-argument", 'anyMeasurement is only "insecure-local-development", and never with production');
    }
    this.nonce = options.firstNonce ?? BigInt(Date.now()) * 1000n;
  }

  get authKeyId(): string {
    return this.options.authKey.id;
  }

  /** Starts an email OTP login; the code goes to `email`. */
  initiateEmail(input: { ecosystem: string; audience: string; email: string }): Promise<InitiateResponse> {
    return this.call("POST", "/v1/auth/initiate", { identityType: "email", ...input });
  }

  /** Starts a phone OTP login; the code goes to `phone` (E.164). */
  initiatePhone(input: { ecosystem: string; audience: string; phone: string }): Promise<InitiateResponse> {
    return this.call("POST", "/v1/auth/initiate", { identityType: "phone", ...input });
  }

  /** Starts an OpenID Connect login; send the user to `authorizationUrl`. */
  initiateOidc(input: { ecosystem: string; audience: string; issuer: string }): Promise<InitiateResponse> {
    return this.call("POST", "/v1/auth/initiate", { identityType: "oidc", ...input });
  }

  /** Completes an OTP login with the code the user received. */
  completeOtp(initiated: { commitmentId: string; challenge?: string }, code: string): Promise<LoginResult> {
    if (!initiated.challenge) throw new IdentityClientError("invalid-argument", "an OTP completion needs the challenge from initiate");
    return this.call("POST", "/v1/auth/complete", { commitmentId: initiated.commitmentId, answer: otpAnswer(initiated.challenge, code) });
  }

  /** Completes an OpenID Connect login with the `code` and `state` from the redirect. */
  completeOidc(input: { commitmentId: string; code: string; state: string }): Promise<LoginResult> {
    return this.call("POST", "/v1/auth/complete", input);
  }

  /**
   * Revokes a login: this auth key's own (no argument), or another auth key bound to the same
   * identity (a lost device). The revoked key gets `not-authenticated` from then on.
   */
  revoke(authKey?: string): Promise<{ revoked: string; revokedAt: number }> {
    return this.call("POST", "/v1/auth/revoke", authKey === undefined ? {} : { authKey });
  }

  /** The auth key's current login. */
  identity(): Promise<IdentityInfo> {
    return this.call("GET", "/v1/identity");
  }

  /**
   * Asks the identity signer for a session attestation, and checks that the returned signature
   * recovers to the returned signer over the returned attestation.
   */
  async signAttestation(input: { approvedSigner: string; applicationData?: string; lifetimeSeconds: number }): Promise<SignedAttestation> {
    const wire = await this.call<Omit<SignedAttestation, "attestation"> & { attestation: WireAttestation }>("POST", "/v1/attestations", input);
    let signed: SignedAttestation;
    let recovered: string;
    try {
      signed = { ...wire, attestation: { ...wire.attestation, issuedAt: BigInt(wire.attestation.issuedAt), expiresAt: BigInt(wire.attestation.expiresAt) } };
      recovered = recoverAttestationSigner(signed.attestation, signed.signature);
    } catch (cause) {
      throw new IdentityClientError("invalid-response", "the attestation signature does not parse", {}, undefined, cause);
    }
    if (recovered !== signed.signer) {
      throw new IdentityClientError("invalid-response", "the attestation signature does not recover to the returned signer", { recovered, signer: signed.signer });
    }
    return signed;
  }

  health(): Promise<{ status: string; measurement: string; service: string }> {
    return this.request<{ status: string; measurement: string; service: string }>("GET", "/v1/health", undefined, false).then((r) => r.body);
  }

  openApi(): Promise<Record<string, unknown>> {
    return this.request<Record<string, unknown>>("GET", "/openapi.json", undefined, false).then((r) => r.body);
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    return (await this.request<T>(method, path, body, true)).body;
  }

  /**
   * The enclave's HPKE public key, read from the attestation document of a verified response (the
   * same checks as every response: pinned root, PCR0, nonce, binding), then kept. An enclave that
   * restarted has a new key; it answers `sealed-key-unknown` and the client fetches it once more.
   */
  sealedKey(): Promise<Uint8Array> {
    this.pinnedKey ??= this.request<unknown>("GET", "/v1/health", undefined, false, {}, false).then(({ attestation }) => {
      if (!attestation.publicKey || attestation.publicKey.length !== 32) {
        throw new IdentityClientError("attestation-invalid", "the attestation document carries no 32-byte sealing key", { attestationCode: "no-public-key" });
      }
      const key = new Uint8Array(attestation.publicKey);
      this.knownKeys.set(Buffer.from(key).toString("hex"), key);
      return key;
    });
    this.pinnedKey.catch(() => (this.pinnedKey = undefined));
    return this.pinnedKey;
  }

  /**
   * One exchange. Throws IdentityClientError with the service's code for a verified error
   * response, or a client code when the response cannot be trusted.
   */
  async request<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    signed: boolean,
    extraHeaders: Record<string, string> = {},
    sealed = signed && this.options.sealed !== false,
  ): Promise<VerifiedResponse<T>> {
    if (!signed) return this.exchange<T>(method, path, body, false, extraHeaders, sealed);
    // The service takes an auth key's nonces only in increasing order: concurrent calls would race
    // on the network and arrive out of order (stale-nonce), so signed calls queue.
    const run = this.queue.then(() => this.exchange<T>(method, path, body, true, extraHeaders, sealed));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange<T>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    signed: boolean,
    extraHeaders: Record<string, string>,
    sealed: boolean,
  ): Promise<VerifiedResponse<T>> {
    const requestBody = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(JSON.stringify(body), "utf8"));
    const attestationNonce = new Uint8Array(randomBytes(16));
    const headers: Record<string, string> = { "x-attestation-nonce": Buffer.from(attestationNonce).toString("hex"), ...extraHeaders };
    if (this.options.origin !== undefined && headers.origin === undefined) headers.origin = this.options.origin;
    if (body !== undefined) headers["content-type"] = "application/json";
    if (signed) {
      if (this.service === undefined) {
        const announced = this.options.service ?? (await this.health()).service;
        if (typeof announced !== "string" || announced.length === 0) throw new IdentityClientError("invalid-response", "the service announced no name to sign requests for");
        this.service = announced;
      }
      const nonce = (this.nonce += 1n);
      const timestamp = Date.now();
      const canonical = canonicalRequest({ service: this.service, method, path, body: requestBody, nonce, timestamp });
      headers[AUTH_HEADERS.key] = this.options.authKey.id;
      headers[AUTH_HEADERS.nonce] = nonce.toString();
      headers[AUTH_HEADERS.timestamp] = String(timestamp);
      headers[AUTH_HEADERS.signature] = await this.options.authKey.sign(canonical);
    }
    let status: number;
    let responseHeaders: (name: string) => string | null;
    let responseBody: Uint8Array;
    if (sealed) {
      ({ status, header: responseHeaders, body: responseBody } = await this.sealedExchange(method, path, headers, requestBody));
    } else {
      let res: Response;
      try {
        res = await fetch(new URL(path, this.options.url), { method, headers, body: body === undefined ? undefined : requestBody });
      } catch (cause) {
        throw new IdentityClientError("network-error", `${method} ${path} failed: ${(cause as Error).message}`, {}, undefined, cause);
      }
      responseBody = new Uint8Array(await res.arrayBuffer());
      status = res.status;
      responseHeaders = (name) => res.headers.get(name);
    }
    const attestation = this.verify(status, responseHeaders, method, path, requestBody, responseBody, attestationNonce);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(responseBody).toString("utf8"));
    } catch {
      throw new IdentityClientError("invalid-response", "the service answered with a body that is not JSON", {}, status);
    }
    if (status !== 200) {
      const e = parsed as ServiceErrorBody;
      throw new IdentityClientError(typeof e.code === "string" ? e.code : "invalid-response", e.message ?? `HTTP ${status}`, e.details ?? {}, status);
    }
    return { status, body: parsed as T, attestation };
  }

  /**
   * Sends the request sealed to the enclave (POST /v1/sealed) and opens the sealed response: what
   * comes back is the inner response, verified by the caller like a plain one. A refusal of the
   * envelope itself comes in clear and attested over the envelope bytes.
   */
  private async sealedExchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    requestBody: Uint8Array,
    attempt = 1,
    keyOverride?: Uint8Array,
    lastRefuser?: string,
  ): Promise<InnerResponse & { header(name: string): string | null }> {
    const key = keyOverride ?? (await this.sealedKey());
    const { envelope, open } = await sealRequest(key, { method, target: path, headers, body: requestBody });
    const outerNonce = new Uint8Array(randomBytes(16));
    const outerHeaders: Record<string, string> = { "content-type": SEALED_REQUEST_TYPE, "x-attestation-nonce": Buffer.from(outerNonce).toString("hex") };
    if (this.options.origin !== undefined) outerHeaders.origin = this.options.origin;
    let res: Response;
    try {
      res = await fetch(new URL(SEALED_PATH, this.options.url), { method: "POST", headers: outerHeaders, body: Buffer.from(envelope) });
    } catch (cause) {
      throw new IdentityClientError("network-error", `${method} ${path} (sealed) failed: ${(cause as Error).message}`, {}, undefined, cause);
    }
    const outerBody = new Uint8Array(await res.arrayBuffer());
    if (res.status === 200 && res.headers.get("content-type") === SEALED_RESPONSE_TYPE) {
      let inner: InnerResponse;
      try {
        inner = open(outerBody);
      } catch (err) {
        if (err instanceof SealedExchangeError) throw new IdentityClientError(err.code, err.message, {}, res.status, err);
        throw err;
      }
      if (keyOverride) this.pinnedKey = Promise.resolve(keyOverride);
      const lower = Object.fromEntries(Object.entries(inner.headers).map(([k, v]) => [k.toLowerCase(), v]));
      return { ...inner, header: (name) => lower[name.toLowerCase()] ?? null };
    }
    // In clear: the enclave refused the envelope (or something else answered). Verified like any response.
    let bound = true;
    let refusalDoc: VerifiedAttestationDocument | undefined;
    try {
      refusalDoc = this.verify(res.status, (n) => res.headers.get(n), "POST", SEALED_PATH, envelope, outerBody, outerNonce);
    } catch (err) {
      // A host that alters the envelope makes the enclave's refusal bind the bytes it got, not ours.
      // Such a document is still checked (root, PCR0, nonce) and is only ever read as a refusal.
      if (!(err instanceof IdentityClientError) || err.details.attestationCode !== "user-data-mismatch") throw err;
      this.verify(res.status, (n) => res.headers.get(n), "POST", SEALED_PATH, envelope, outerBody, outerNonce, false);
      bound = false;
    }
    let e: ServiceErrorBody;
    try {
      e = JSON.parse(Buffer.from(outerBody).toString("utf8")) as ServiceErrorBody;
    } catch {
      throw new IdentityClientError("invalid-response", "the service answered a sealed request with a body that is not JSON", {}, res.status);
    }
    if (!bound) {
      const code = e.code === "sealed-request-invalid" || e.code === "sealed-key-unknown" ? e.code : "attestation-invalid";
      throw new IdentityClientError(code, "the sealed request was altered on the way; the enclave refused it", { ...(e.details ?? {}), requestAltered: true }, res.status);
    }
    if (e.code === "sealed-key-unknown" && attempt < 4 && refusalDoc?.publicKey?.length === 32) {
      // Another enclave answered (several instances behind a balancer, or a restart). Its verified
      // refusal carries its key: try that one first (a sticky balancer sends us back to it), then
      // any other key already seen (a round-robin one sends the next attempt elsewhere).
      const refuser = new Uint8Array(refusalDoc.publicKey);
      const refuserId = Buffer.from(refuser).toString("hex");
      this.knownKeys.set(refuserId, refuser);
      const next =
        refuserId !== lastRefuser && attempt === 1 ? refuser : ([...this.knownKeys].find(([id]) => id !== refuserId)?.[1] ?? refuser);
      return this.sealedExchange(method, path, headers, requestBody, attempt + 1, next, refuserId);
    }
    throw new IdentityClientError(typeof e.code === "string" ? e.code : "invalid-response", e.message ?? `HTTP ${res.status}`, e.details ?? {}, res.status);
  }

  private verify(
    status: number,
    getHeader: (name: string) => string | null,
    method: string,
    path: string,
    requestBody: Uint8Array,
    responseBody: Uint8Array,
    nonce: Uint8Array,
    bind = true,
  ): VerifiedAttestationDocument {
    const header = getHeader("x-attestation-document");
    if (!header) {
      let code: unknown;
      try {
        code = JSON.parse(Buffer.from(responseBody).toString("utf8")).code;
      } catch {
        code = undefined;
      }
      throw new IdentityClientError("attestation-missing", `response ${status} carries no X-Attestation-Document`, { serviceCode: code }, status);
    }
    const policy = this.options.attestation;
    let doc: VerifiedAttestationDocument;
    try {
      doc = verifyAttestationDocument(new Uint8Array(Buffer.from(header, "base64")), {
        roots: policy.roots,
        production: policy.production === true,
        nonce,
        // A body over the host's limit never reaches the enclave: its 413 binds an empty request body.
        userData: !bind ? undefined : responseBinding({ method, path, requestBody: status === 413 ? new Uint8Array(0) : requestBody, status: status, responseBody }),
      });
    } catch (err) {
      if (err instanceof AttestationError) {
        throw new IdentityClientError("attestation-invalid", `attestation document refused: ${err.message}`, { attestationCode: err.code }, status, err);
      }
      throw err;
    }
    const pcr0 = Buffer.from(doc.pcrs.get(0) ?? new Uint8Array()).toString("hex");
    if (policy.anyMeasurement !== "insecure-local-development" && !(policy.measurements ?? []).map((m) => m.toLowerCase().replace(/^0x/, "")).includes(pcr0)) {
      throw new IdentityClientError("attestation-invalid", "the enclave's measurement (PCR0) is not one this client accepts", { attestationCode: "pcr-mismatch", measurement: pcr0 }, status);
    }
    return doc;
  }
}
