import { randomBytes } from "node:crypto";
import { AttestationError, responseBinding, verifyAttestationDocument, type VerifiedAttestationDocument } from "../attestation";
import { recoverAttestationSigner } from "../sessions/attestation";
import type { AuthKey } from "./auth-key";
import { IdentityClientError } from "./identity-client-error";
import { otpAnswer } from "./otp-answer";
import { AUTH_HEADERS, canonicalRequest } from "./request-signing";
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
   * One exchange. Throws IdentityClientError with the service's code for a verified error
   * response, or a client code when the response cannot be trusted.
   */
  async request<T>(method: "GET" | "POST", path: string, body: unknown, signed: boolean, extraHeaders: Record<string, string> = {}): Promise<VerifiedResponse<T>> {
    if (!signed) return this.exchange<T>(method, path, body, false, extraHeaders);
    // The service takes an auth key's nonces only in increasing order: concurrent calls would race
    // on the network and arrive out of order (stale-nonce), so signed calls queue.
    const run = this.queue.then(() => this.exchange<T>(method, path, body, true, extraHeaders));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async exchange<T>(method: "GET" | "POST", path: string, body: unknown, signed: boolean, extraHeaders: Record<string, string>): Promise<VerifiedResponse<T>> {
    const requestBody = body === undefined ? new Uint8Array(0) : new Uint8Array(Buffer.from(JSON.stringify(body), "utf8"));
    const attestationNonce = new Uint8Array(randomBytes(16));
    const headers: Record<string, string> = { "x-attestation-nonce": Buffer.from(attestationNonce).toString("hex"), ...extraHeaders };
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
    let res: Response;
    try {
      res = await fetch(new URL(path, this.options.url), { method, headers, body: body === undefined ? undefined : requestBody });
    } catch (cause) {
      throw new IdentityClientError("network-error", `${method} ${path} failed: ${(cause as Error).message}`, {}, undefined, cause);
    }
    const responseBody = new Uint8Array(await res.arrayBuffer());
    const attestation = this.verify(res, method, path, requestBody, responseBody, attestationNonce);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(responseBody).toString("utf8"));
    } catch {
      throw new IdentityClientError("invalid-response", "the service answered with a body that is not JSON", {}, res.status);
    }
    if (res.status !== 200) {
      const e = parsed as ServiceErrorBody;
      throw new IdentityClientError(typeof e.code === "string" ? e.code : "invalid-response", e.message ?? `HTTP ${res.status}`, e.details ?? {}, res.status);
    }
    return { status: res.status, body: parsed as T, attestation };
  }

  private verify(res: Response, method: string, path: string, requestBody: Uint8Array, responseBody: Uint8Array, nonce: Uint8Array): VerifiedAttestationDocument {
    const header = res.headers.get("x-attestation-document");
    if (!header) {
      let code: unknown;
      try {
        code = JSON.parse(Buffer.from(responseBody).toString("utf8")).code;
      } catch {
        code = undefined;
      }
      throw new IdentityClientError("attestation-missing", `response ${res.status} carries no X-Attestation-Document`, { serviceCode: code }, res.status);
    }
    const policy = this.options.attestation;
    let doc: VerifiedAttestationDocument;
    try {
      doc = verifyAttestationDocument(new Uint8Array(Buffer.from(header, "base64")), {
        roots: policy.roots,
        production: policy.production === true,
        nonce,
        // A body over the host's limit never reaches the enclave: its 413 binds an empty request body.
        userData: responseBinding({ method, path, requestBody: res.status === 413 ? new Uint8Array(0) : requestBody, status: res.status, responseBody }),
      });
    } catch (err) {
      if (err instanceof AttestationError) {
        throw new IdentityClientError("attestation-invalid", `attestation document refused: ${err.message}`, { attestationCode: err.code }, res.status, err);
      }
      throw err;
    }
    const pcr0 = Buffer.from(doc.pcrs.get(0) ?? new Uint8Array()).toString("hex");
    if (policy.anyMeasurement !== "insecure-local-development" && !(policy.measurements ?? []).map((m) => m.toLowerCase().replace(/^0x/, "")).includes(pcr0)) {
      throw new IdentityClientError("attestation-invalid", "the enclave's measurement (PCR0) is not one this client accepts", { attestationCode: "pcr-mismatch", measurement: pcr0 }, res.status);
    }
    return doc;
  }
}
