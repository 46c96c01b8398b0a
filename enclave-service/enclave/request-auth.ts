import { AUTH_HEADERS, DEFAULT_SERVICE_NAME, canonicalRequest, parseAuthKeyId, verifyRequestSignature } from "../../lib/identity/request-signing";
import type { Queryable } from "./host-link";
import type { KeyPool } from "./key-pool";
import type { MonotonicState } from "./monotonic-state";
import { header, type ForwardedRequest } from "./http-types";
import { ServiceError } from "./service-error";

const UINT64_MAX = (1n << 64n) - 1n;
const NONCES = "auth_key_nonces";

/**
 * Checks a request's auth-key signature (enclave-service/README.md, "Request signing"): headers
 * present and well formed, timestamp within `clockSkewMs` of the enclave clock, signature valid
 * over the canonical encoding of the exact bytes received. Pure: touches no storage.
 *
 * @throws ServiceError auth-required | invalid-auth-key | invalid-request | stale-timestamp | bad-signature
 */
export function checkRequestSignature(req: ForwardedRequest, clockSkewMs: number, now = Date.now(), service = DEFAULT_SERVICE_NAME): { authKey: string; nonce: string; timestamp: number } {
  const authKey = header(req, AUTH_HEADERS.key);
  const nonce = header(req, AUTH_HEADERS.nonce);
  const timestamp = header(req, AUTH_HEADERS.timestamp);
  const signature = header(req, AUTH_HEADERS.signature);
  if (authKey === undefined || nonce === undefined || timestamp === undefined || signature === undefined) {
    throw new ServiceError("auth-required", "sign the request: X-Arbor-Auth-Key, X-Arbor-Nonce, X-Arbor-Timestamp and X-Arbor-Signature are required", {
      missing: Object.values(AUTH_HEADERS).filter((h) => header(req, h) === undefined),
    });
  }
  if (!parseAuthKeyId(authKey)) {
    throw new ServiceError("invalid-auth-key", "X-Arbor-Auth-Key must be secp256k1:<checksummed address> or p256:0x04<x><y>", { authKey });
  }
  if (!/^[0-9]{1,20}$/.test(nonce) || BigInt(nonce) > UINT64_MAX || BigInt(nonce) === 0n) {
    throw new ServiceError("invalid-request", "X-Arbor-Nonce must be a decimal integer in 1..2^64-1", { nonce });
  }
  if (!/^[0-9]{1,15}$/.test(timestamp)) {
    throw new ServiceError("invalid-request", "X-Arbor-Timestamp must be unix milliseconds", { timestamp });
  }
  const skew = Math.abs(now - Number(timestamp));
  if (skew > clockSkewMs) {
    throw new ServiceError("stale-timestamp", `request timestamp is ${Math.round(skew / 1000)} s away from the service clock`, {
      timestamp: Number(timestamp),
      now,
      maxSkewMs: clockSkewMs,
    });
  }
  // The service name comes from the enclave's configuration, never from the request: a request
  // signed for another deployment does not verify here.
  const canonical = canonicalRequest({ service, method: req.method, path: req.target, body: req.body, nonce, timestamp });
  if (!verifyRequestSignature(authKey, canonical, signature)) {
    throw new ServiceError("bad-signature", `X-Arbor-Signature is not this auth key's signature of the request for service ${service}`, { authKey, service });
  }
  return { authKey, nonce: BigInt(nonce).toString(), timestamp: Number(timestamp) };
}

/**
 * Records `nonce` as the auth key's latest, atomically: the row is only updated when the new nonce
 * is strictly greater, so of two requests racing with the same nonce exactly one wins. The stored
 * nonce is sealed (bound to the auth key), so the host cannot write a nonce of its choosing; an
 * older authentic row put back is caught by the enclave's in-memory claim (`claimNonce`).
 *
 * @throws ServiceError stale-nonce; CustodyError row-forged
 */
export async function consumeNonce(tx: Queryable, pool: KeyPool, authKey: string, nonce: string): Promise<void> {
  const r = await tx.query("SELECT cipher_key_id, sealed FROM auth_key_nonces WHERE auth_key = $1 FOR UPDATE", [authKey]);
  let last = 0n;
  if (r.rows.length > 0) {
    const { value } = await pool.openRow<{ authKey: string; lastNonce: string }>(
      tx,
      { table: NONCES, rowKey: authKey, scope: "", cipherKeyId: String(r.rows[0].cipher_key_id) },
      r.rows[0].sealed,
    );
    last = BigInt(value.lastNonce);
  }
  if (BigInt(nonce) <= last) throw new ServiceError("stale-nonce", "X-Arbor-Nonce must be greater than this auth key's last nonce", { nonce, lastNonce: last.toString() });
  const { cipherKeyId, sealed } = await pool.sealRow(tx, { table: NONCES, rowKey: authKey, scope: "" }, { authKey, lastNonce: nonce });
  const w = await tx.query(
    `INSERT INTO auth_key_nonces (auth_key, last_nonce, cipher_key_id, sealed, updated_at_ms) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (auth_key) DO UPDATE SET last_nonce = EXCLUDED.last_nonce, cipher_key_id = EXCLUDED.cipher_key_id, sealed = EXCLUDED.sealed,
       updated_at_ms = EXCLUDED.updated_at_ms
       WHERE auth_key_nonces.last_nonce < EXCLUDED.last_nonce
     RETURNING last_nonce`,
    [authKey, nonce, cipherKeyId, sealed, Date.now()],
  );
  if (w.rows.length === 0) throw new ServiceError("stale-nonce", "X-Arbor-Nonce must be greater than this auth key's last nonce", { nonce });
}

/**
 * The in-memory half of replay protection: a nonce must be greater than every nonce this enclave
 * process has seen in a correctly signed request of the auth key, whatever became of that request
 * (refused requests included) and whatever the database says. Monotonic state the host cannot
 * roll back while the process lives; remembered for the timestamp window, after which a captured
 * request is `stale-timestamp` anyway.
 *
 * @throws ServiceError stale-nonce
 */
export function claimNonce(guard: MonotonicState, authKey: string, nonce: string, until: number): void {
  const n = BigInt(nonce);
  const known = guard.known("request-nonce", authKey);
  if (known !== undefined && n <= known) {
    throw new ServiceError("stale-nonce", "X-Arbor-Nonce must be greater than this auth key's last nonce (this request or a later one was already seen)", {
      nonce,
      lastNonce: known.toString(),
    });
  }
  guard.saw("request-nonce", authKey, n, until);
}

/**
 * Refuses a nonce that is not above the auth key's last one, without storing anything. Run before
 * a request's outside calls (a login code sent, a token fetched), so that a replayed request is
 * refused before it causes any; {@link consumeNonce} in the transaction stays the atomic check.
 *
 * @throws ServiceError stale-nonce
 */
export async function checkNonceFresh(db: Queryable, pool: KeyPool, authKey: string, nonce: string): Promise<void> {
  const r = await db.query("SELECT cipher_key_id, sealed FROM auth_key_nonces WHERE auth_key = $1", [authKey]);
  if (r.rows.length === 0) return;
  // The sealed value, not the operators' copy: the host cannot lower it to get a replay past here.
  const { value } = await pool.openRow<{ authKey: string; lastNonce: string }>(
    db,
    { table: NONCES, rowKey: authKey, scope: "", cipherKeyId: String(r.rows[0].cipher_key_id) },
    r.rows[0].sealed,
  );
  if (BigInt(value.lastNonce) >= BigInt(nonce)) {
    throw new ServiceError("stale-nonce", "X-Arbor-Nonce must be greater than this auth key's last nonce", { nonce, lastNonce: value.lastNonce });
  }
}
