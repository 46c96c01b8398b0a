import { createHash, randomBytes } from "node:crypto";
import { createLocalJWKSet, jwtVerify, type JWTPayload } from "jose";
import { bindIdentity, type LoginResult } from "./bind-identity";
import { failAttempt, insertCommitment, type Commitment } from "./commitments";
import { identityId } from "./identity-id";
import type { OidcProviderConfig } from "./enclave-config";
import { requireApp, requireEcosystemAndAudience, requireString, type RequestContext } from "./request-context";
import { ServiceError } from "./service-error";
/** Signature algorithms accepted on ID tokens: never "none", never HMAC with the client secret. */
const ASYMMETRIC = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** The nonce sent to the provider, derived from the auth key so the ID token is bound to it. */
function oidcNonce(authKey: string, commitmentId: string, salt: string): string {
  return createHash("sha256").update(`arbor.oidc.nonce.v1\n${authKey}\n${commitmentId}\n${salt}`, "utf8").digest("base64url");
}

function findProvider(ctx: RequestContext, ecosystem: string, issuer: string): OidcProviderConfig {
  const p = (ctx.config.ecosystems[ecosystem].oidc ?? []).find((x) => x.issuer === issuer);
  if (!p) throw new ServiceError("unknown-provider", `ecosystem ${ecosystem} has no OpenID provider ${issuer}`, { ecosystem, issuer });
  return p;
}

/**
 * Starts an OpenID Connect login (authorization code + PKCE, RFC 7636). The enclave generates and
 * keeps the code verifier (sealed in the commitment), and returns the authorization URL carrying
 * only the S256 challenge, a state, and a nonce derived from the auth key.
 */
export async function initiateOidc(ctx: RequestContext, body: Record<string, unknown>) {
  const { ecosystem, audience } = requireEcosystemAndAudience(ctx.config, body);
  requireApp(ctx, ecosystem, audience);
  const issuer = requireString(body, "issuer", { max: 512 });
  const provider = findProvider(ctx, ecosystem, issuer);
  const meta = await ctx.oidc.provider(issuer);
  const id = randomBytes(16).toString("hex");
  const codeVerifier = randomBytes(32).toString("base64url");
  const codeChallenge = createHash("sha256").update(codeVerifier).digest("base64url");
  const state = randomBytes(16).toString("base64url");
  const nonceSalt = randomBytes(16).toString("base64url");
  const nonce = oidcNonce(ctx.authKey, id, nonceSalt);
  const expiresAt = ctx.now + (ctx.config.oidc?.ttlMs ?? 10 * 60_000);
  const maxAttempts = ctx.config.oidc?.maxAttempts ?? 3;
  await insertCommitment(ctx, {
    id,
    ecosystem,
    authKey: ctx.authKey,
    identityType: "oidc",
    issuer,
    identityId: null,
    audience,
    answerHash: null,
    secret: { codeVerifier, state, nonceSalt },
    attempts: 0,
    maxAttempts,
    expiresAt,
    consumedAt: null,
    createdAt: ctx.now,
    version: 1,
  });
  const url = new URL(meta.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", provider.clientId);
  url.searchParams.set("redirect_uri", provider.redirectUri);
  url.searchParams.set("scope", (provider.scopes ?? ["openid", "email"]).join(" "));
  url.searchParams.set("state", state);
  url.searchParams.set("nonce", nonce);
  url.searchParams.set("code_challenge", codeChallenge);
  url.searchParams.set("code_challenge_method", "S256");
  return { commitmentId: id, identityType: "oidc", authorizationUrl: url.toString(), state, nonce, codeChallenge, expiresAt, maxAttempts };
}

/**
 * Completes an OpenID Connect login: checks the state, exchanges the code with the kept verifier
 * and the client secret, verifies the ID token (signature against the provider's JWKS, issuer,
 * audience, expiry, nonce bound to this auth key), then binds the identity (oidc, iss, sub).
 * A failed exchange or a bad token counts an attempt.
 */
export async function completeOidc(ctx: RequestContext, commitment: Commitment, body: Record<string, unknown>): Promise<LoginResult> {
  const code = requireString(body, "code", { max: 2048 });
  const state = requireString(body, "state", { max: 256 });
  const ecosystem = commitment.ecosystem;
  const issuer = commitment.issuer;
  const provider = findProvider(ctx, ecosystem, issuer);
  const secret = commitment.secret;
  if (secret === null) throw new ServiceError("commitment-consumed", "this commitment holds no OpenID secrets", { commitmentId: commitment.id });
  if (state !== secret.state) await failAttempt(ctx, commitment, "state-mismatch", "state does not match the one this login started with");

  const meta = await ctx.oidc.provider(issuer);
  const form = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: provider.redirectUri, code_verifier: secret.codeVerifier });
  // client_secret_basic (RFC 6749 section 2.3.1): id and secret are form-encoded before base64.
  const basic = Buffer.from(`${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`).toString("base64");
  let res;
  try {
    res = await ctx.upstream.fetch({
      url: meta.token_endpoint,
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${basic}`, accept: "application/json" },
      body: new Uint8Array(Buffer.from(form.toString(), "utf8")),
    });
  } catch (err) {
    if (err instanceof ServiceError && err.code !== "upstream-unavailable") throw err;
    throw new ServiceError("idp-unavailable", `token endpoint unreachable: ${(err as Error).message}`, { issuer });
  }
  let token: { id_token?: unknown; error?: unknown };
  try {
    token = JSON.parse(Buffer.from(res.body).toString("utf8"));
  } catch {
    throw new ServiceError("idp-unavailable", "token endpoint answered with invalid JSON", { issuer, status: res.status });
  }
  if (res.status !== 200 || typeof token.id_token !== "string") {
    await failAttempt(ctx, commitment, "id-token-invalid", "the provider did not exchange the code for an ID token", {
      status: res.status,
      providerError: typeof token.error === "string" ? token.error : undefined,
    });
  }
  const payload = await verifyIdToken(ctx, commitment, issuer, provider.clientId, String(token.id_token));
  const expectedNonce = oidcNonce(ctx.authKey, String(commitment.id), secret.nonceSalt);
  if (payload.nonce !== expectedNonce) await failAttempt(ctx, commitment, "id-token-invalid", "ID token nonce is not the one bound to this auth key");
  if (typeof payload.sub !== "string" || payload.sub.length === 0) await failAttempt(ctx, commitment, "id-token-invalid", "ID token has no subject");
  const sub = String(payload.sub);
  return bindIdentity(ctx, commitment, { id: identityId(ecosystem, "oidc", issuer, sub), type: "oidc", issuer });
}

async function verifyIdToken(ctx: RequestContext, commitment: Commitment, issuer: string, clientId: string, idToken: string): Promise<JWTPayload> {
  const meta = await ctx.oidc.provider(issuer);
  const algorithms = (meta.id_token_signing_alg_values_supported ?? ["RS256"]).filter((a) => ASYMMETRIC.includes(a));
  const attempt = async (refresh: boolean) =>
    jwtVerify(idToken, createLocalJWKSet(await ctx.oidc.jwks(issuer, refresh)), {
      issuer,
      audience: clientId,
      algorithms,
      clockTolerance: 30,
      // A token without exp never expires, and one issued long ago was not made for this login.
      requiredClaims: ["exp", "iat"],
      maxTokenAge: ctx.config.oidc?.maxTokenAgeSeconds ?? 600,
    });
  try {
    let result;
    try {
      result = await attempt(false);
    } catch (err) {
      // Providers rotate keys: a token signed by a key we have not seen gets one fresh look.
      if ((err as { code?: string }).code !== "ERR_JWKS_NO_MATCHING_KEY") throw err;
      result = await attempt(true);
    }
    const aud = result.payload.aud;
    if (Array.isArray(aud) && aud.length > 1 && result.payload.azp !== clientId) throw new Error("azp is not this client");
    return result.payload;
  } catch (err) {
    if (err instanceof ServiceError) throw err;
    return failAttempt(ctx, commitment, "id-token-invalid", `ID token refused: ${(err as Error).message}`, {
      reason: (err as { code?: string }).code,
    });
  }
}
