import { ERROR_STATUS } from "../enclave/service-error";

const hex = (bytes?: number) => ({ type: "string", pattern: bytes === undefined ? "^0x([0-9a-fA-F]{2})*$" : `^0x[0-9a-fA-F]{${bytes * 2}}$` });

/**
 * The OpenAPI 3.1 description of the identity service's HTTP API, served at GET /openapi.json.
 * lib/identity's client is written against it; a test checks that every route the enclave serves
 * and every error code it can return appear here.
 *
 * @example
 * const doc = openApiDocument(); doc.paths["/v1/attestations"].post
 */
export function openApiDocument() {
  const errorCodes = Object.keys(ERROR_STATUS);
  const signed = [{ authKey: [], authNonce: [], authTimestamp: [], authSignature: [] }];
  const errorResponse = (description: string) => ({
    description,
    headers: { "X-Attestation-Document": { $ref: "#/components/headers/XAttestationDocument" } },
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  const ok = (schema: string, description = "OK") => ({
    description,
    headers: { "X-Attestation-Document": { $ref: "#/components/headers/XAttestationDocument" } },
    content: { "application/json": { schema: { $ref: `#/components/schemas/${schema}` } } },
  });
  const errors = {
    "400": errorResponse("invalid-request, invalid-json, invalid-attestation-nonce, unknown-ecosystem, unknown-provider, identity-type-disabled, state-mismatch, lifetime-too-long, origin-required, sealed-request-invalid"),
    "401": errorResponse("auth-required, invalid-auth-key, bad-signature, stale-timestamp, wrong-answer, id-token-invalid, not-authenticated"),
    "403": errorResponse("origin-not-allowed, unknown-app, audience-not-allowed, wrong-auth-key"),
    "421": errorResponse("sealed-key-unknown (the request is sealed to another enclave's key; the refusal's document carries this one's)"),
    "404": errorResponse("not-found, commitment-not-found"),
    "409": errorResponse("stale-nonce, commitment-consumed"),
    "410": errorResponse("commitment-expired"),
    "413": errorResponse("body-too-large"),
    "415": errorResponse("unsupported-media-type"),
    "429": errorResponse("rate-limited, destination-rate-limited (both with details.retryAfterMs and a Retry-After header), too-many-attempts"),
    "500": errorResponse("row-forged, row-rolled-back, pool-key-forged, internal-error"),
    "502": errorResponse("idp-unavailable, delivery-failed, upstream-not-allowed, upstream-unavailable, upstream-tls-failed (TLS to the IdP or SMTP server failed: wrong CA, wrong name, rewritten bytes)"),
    "503": errorResponse("custody-unavailable (details.holders names each key holder that failed), enclave-unavailable (sent by the host, unattested)"),
  };
  const nonceParam = { $ref: "#/components/parameters/XAttestationNonce" };
  const originParam = { $ref: "#/components/parameters/Origin" };
  return {
    openapi: "3.1.0",
    info: {
      title: "Arbor identity service",
      version: "1.0.0",
      description:
        "Authenticates users (email/phone OTP, OpenID Connect with PKCE), binds device auth keys, and signs session attestations " +
        "(lib/sessions/ATTESTATION.md) with a per-identity signer held only inside the enclave. Every response, errors included, " +
        "carries X-Attestation-Document. Request signing: enclave-service/README.md.",
    },
    paths: {
      "/openapi.json": { get: { operationId: "getOpenApi", parameters: [nonceParam], responses: { "200": { description: "This document" } } } },
      "/v1/health": { get: { operationId: "getHealth", parameters: [nonceParam], responses: { "200": ok("Health") } } },
      "/v1/sealed": {
        post: {
          operationId: "sealedExchange",
          description:
            "Any signed request, sealed with HPKE (RFC 9180: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM) to the key every attestation " +
            "document carries in public_key; the response is the whole inner response (status, headers with its own X-Attestation-Document, " +
            "body) sealed back under a key exported from the same context. Encoding: lib/identity/SEALED.md. The host sees neither.",
          parameters: [nonceParam, originParam],
          requestBody: { required: true, content: { "application/vnd.arbor.sealed-request": { schema: { type: "string", contentEncoding: "binary" } } } },
          responses: {
            "200": { description: "The sealed inner response", content: { "application/vnd.arbor.sealed-response": { schema: { type: "string", contentEncoding: "binary" } } } },
            ...errors,
          },
        },
      },
      "/v1/auth/initiate": {
        post: {
          operationId: "initiateAuth",
          security: signed,
          parameters: [nonceParam, originParam],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/InitiateRequest" } } } },
          responses: { "200": ok("InitiateResponse"), ...errors },
        },
      },
      "/v1/auth/complete": {
        post: {
          operationId: "completeAuth",
          security: signed,
          parameters: [nonceParam],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/CompleteRequest" } } } },
          responses: { "200": ok("LoginResult"), ...errors },
        },
      },
      "/v1/auth/revoke": {
        post: {
          operationId: "revokeBinding",
          description: "Revokes the signing auth key's login, or (authKey) another auth key's login of the same identity.",
          security: signed,
          parameters: [nonceParam],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/RevokeRequest" } } } },
          responses: { "200": ok("RevokeResult"), ...errors },
        },
      },
      "/v1/identity": { get: { operationId: "getIdentity", security: signed, parameters: [nonceParam], responses: { "200": ok("Identity"), ...errors } } },
      "/v1/attestations": {
        post: {
          operationId: "signAttestation",
          security: signed,
          parameters: [nonceParam, originParam],
          requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/AttestationRequest" } } } },
          responses: { "200": ok("SignedAttestation"), ...errors },
        },
      },
      "/admin/v1/rotate": { post: { operationId: "rotatePool", security: [{ admin: [] }], responses: { "200": { description: "New generation" }, ...errors } } },
      "/admin/v1/reencrypt": { post: { operationId: "reencrypt", security: [{ admin: [] }], responses: { "200": { description: "Pass result" }, ...errors } } },
      "/admin/v1/custody": { get: { operationId: "custodyStatus", security: [{ admin: [] }], responses: { "200": { description: "Generations" }, ...errors } } },
    },
    components: {
      securitySchemes: {
        authKey: { type: "apiKey", in: "header", name: "X-Arbor-Auth-Key", description: "secp256k1:<checksummed address> or p256:0x04<x><y>" },
        authNonce: { type: "apiKey", in: "header", name: "X-Arbor-Nonce", description: "decimal, strictly increasing per auth key" },
        authTimestamp: { type: "apiKey", in: "header", name: "X-Arbor-Timestamp", description: "unix milliseconds, within 5 minutes of the service clock" },
        authSignature: { type: "apiKey", in: "header", name: "X-Arbor-Signature", description: "signature of the canonical request (README.md, Request signing)" },
        admin: { type: "http", scheme: "bearer" },
      },
      parameters: {
        Origin: {
          name: "Origin",
          in: "header",
          required: true,
          schema: { type: "string" },
          description: "the app's web origin (browsers set it): it must be an app of the ecosystem allowed the audience (origin-required, unknown-app, audience-not-allowed)",
        },
        XAttestationNonce: { name: "X-Attestation-Nonce", in: "header", required: false, schema: { type: "string", pattern: "^(0x)?([0-9a-fA-F]{2}){1,64}$" }, description: "copied into the attestation document's nonce" },
      },
      headers: {
        XAttestationDocument: {
          description:
            "base64 COSE_Sign1 (AWS Nitro format); user_data = responseBinding(method, path, request body, status, response body); public_key = the enclave's X25519 key for /v1/sealed",
          schema: { type: "string" },
        },
      },
      schemas: {
        Error: {
          type: "object",
          required: ["code", "message"],
          properties: { code: { type: "string", enum: errorCodes }, message: { type: "string" }, details: { type: "object" } },
          "x-status": ERROR_STATUS,
        },
        Health: { type: "object", properties: { status: { const: "ok" }, measurement: { type: "string" } } },
        InitiateRequest: {
          type: "object",
          required: ["identityType", "ecosystem", "audience"],
          properties: {
            identityType: { enum: ["email", "phone", "oidc"] },
            ecosystem: { type: "string" },
            audience: { type: "string", description: "app origin, one of the ecosystem's origins" },
            email: { type: "string", description: "identityType email" },
            phone: { type: "string", description: "identityType phone, E.164" },
            issuer: { type: "string", description: "identityType oidc: a configured provider's issuer" },
          },
        },
        InitiateResponse: {
          type: "object",
          required: ["commitmentId", "identityType", "expiresAt", "maxAttempts"],
          properties: {
            commitmentId: { type: "string", pattern: "^[0-9a-f]{32}$" },
            identityType: { enum: ["email", "phone", "oidc"] },
            challenge: { type: "string", description: "OTP: answer = hex(sha256('arbor.otp.v1\\n' + challenge + '\\n' + code))" },
            authorizationUrl: { type: "string", description: "OIDC: send the user here" },
            state: { type: "string" },
            nonce: { type: "string" },
            codeChallenge: { type: "string" },
            expiresAt: { type: "integer", description: "unix ms" },
            maxAttempts: { type: "integer" },
          },
        },
        CompleteRequest: {
          type: "object",
          required: ["commitmentId"],
          properties: {
            commitmentId: { type: "string" },
            answer: { type: "string", pattern: "^[0-9a-f]{64}$", description: "OTP" },
            code: { type: "string", description: "OIDC authorization code" },
            state: { type: "string", description: "OIDC state from the redirect" },
          },
        },
        LoginResult: {
          type: "object",
          properties: {
            ecosystem: { type: "string" },
            identity: { $ref: "#/components/schemas/IdentityRef" },
            audience: { type: "string" },
            signer: hex(20),
            signerCreated: { type: "boolean" },
            authKeyExpiresAt: { type: "integer" },
          },
        },
        IdentityRef: { type: "object", properties: { id: hex(32), type: { enum: ["email", "phone", "oidc"] }, issuer: { type: "string" } } },
        RevokeRequest: { type: "object", additionalProperties: false, properties: { authKey: { type: "string" } } },
        RevokeResult: { type: "object", required: ["revoked", "revokedAt"], properties: { revoked: { type: "string" }, revokedAt: { type: "integer" } } },
        Identity: {
          type: "object",
          properties: { ecosystem: { type: "string" }, identity: { $ref: "#/components/schemas/IdentityRef" }, audience: { type: "string" }, signer: hex(20), authKeyExpiresAt: { type: "integer" } },
        },
        AttestationRequest: {
          type: "object",
          required: ["approvedSigner", "lifetimeSeconds"],
          properties: { approvedSigner: hex(20), applicationData: hex(), lifetimeSeconds: { type: "integer", minimum: 1 } },
        },
        SignedAttestation: {
          type: "object",
          properties: {
            attestation: {
              type: "object",
              properties: {
                approvedSigner: hex(20),
                identityType: hex(4),
                issuerHash: hex(32),
                audienceHash: hex(32),
                applicationData: hex(),
                issuedAt: { type: "string" },
                expiresAt: { type: "string" },
              },
            },
            attestationHash: hex(32),
            signature: hex(65),
            signer: hex(20),
            issuer: { type: "string" },
            audience: { type: "string" },
          },
        },
      },
    },
  };
}
