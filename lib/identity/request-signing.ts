import { createHash, createPublicKey, verify as verifySignature } from "node:crypto";
import { getAddress, getBytes, hashMessage } from "ethers";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { publicKeyToAddress } from "../sessions/attestation";
import { IdentityClientError } from "./identity-client-error";

/**
 * Request signing with an auth key (spec: enclave-service/README.md, "Request signing").
 *
 *     canonical = "arbor.request.v2\n" + service + "\n" + METHOD + "\n" + path-and-query + "\n"
 *               + hex(sha256(body)) + "\n" + nonce + "\n" + timestamp
 *
 * service: the service's name (its configuration's `serviceName`, announced by the attested
 * `GET /v1/health`), so a request signed for one deployment is refused by every other.
 * nonce: decimal uint64, strictly increasing per auth key; timestamp: unix milliseconds, decimal.
 * Auth key ids:
 * - `secp256k1:<checksummed address>`: EIP-191 personal_sign of the canonical string (what a
 *   browser wallet or ethers `signMessage` produces), 65 bytes r ‖ s ‖ v, hex.
 * - `p256:<0x04 ‖ x ‖ y, lowercase hex>`: ECDSA P-256 with SHA-256 over the UTF-8 canonical string
 *   (WebCrypto `sign({name: "ECDSA", hash: "SHA-256"})`), 64 bytes r ‖ s, hex.
 */
export const REQUEST_SIGNING_TAG = "arbor.request.v2";
/** The service name of a deployment that does not configure one (local development only). */
export const DEFAULT_SERVICE_NAME = "arbor-identity-local";

const SECP256K1_HALF_N = BigInt("0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
/** The P-256 group order, and half of it: a signature (r, s) and its twin (r, n - s) both verify, only low s is taken. */
export const P256_N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
const P256_HALF_N = P256_N >> 1n;

/** Header names, lowercase as node delivers them. */
export const AUTH_HEADERS = {
  key: "x-arbor-auth-key",
  nonce: "x-arbor-nonce",
  timestamp: "x-arbor-timestamp",
  signature: "x-arbor-signature",
} as const;

export interface SignedRequestFields {
  /** The service the request is for (see DEFAULT_SERVICE_NAME); one line, no newline. */
  service: string;
  method: string;
  /** Path and query exactly as sent on the request line. */
  path: string;
  body: Uint8Array | string;
  nonce: bigint | string;
  timestamp: number | string;
}

/**
 * The canonical string an auth key signs for one request.
 *
 * @example
 * canonicalRequest({ service: "arbor-identity-local", method: "POST", path: "/v1/auth/initiate", body, nonce: 1n, timestamp: Date.now() })
 */
export function canonicalRequest(fields: SignedRequestFields): string {
  if (typeof fields.service !== "string" || fields.service.length === 0 || /[\r\n]/.test(fields.service)) {
    throw new IdentityClientError("invalid-argument", "the service name must be one non-empty line", { service: fields.service });
  }
  const body = typeof fields.body === "string" ? Buffer.from(fields.body, "utf8") : fields.body;
  const bodyHash = createHash("sha256").update(body).digest("hex");
  return [REQUEST_SIGNING_TAG, fields.service, fields.method.toUpperCase(), fields.path, bodyHash, String(fields.nonce), String(fields.timestamp)].join("\n");
}

/** The kind of an auth key id, or undefined when it is not a well-formed id. */
export function parseAuthKeyId(id: string): { kind: "secp256k1"; address: string } | { kind: "p256"; publicKey: Uint8Array } | undefined {
  if (typeof id !== "string" || id.length > 200) return undefined;
  if (id.startsWith("secp256k1:")) {
    const address = id.slice("secp256k1:".length);
    if (!/^0x[0-9a-fA-F]{40}$/.test(address)) return undefined;
    try {
      // The id must be exactly the checksummed form, so one key has exactly one id.
      return getAddress(address) === address ? { kind: "secp256k1", address } : undefined;
    } catch {
      return undefined;
    }
  }
  if (id.startsWith("p256:")) {
    const hex = id.slice("p256:".length);
    if (!/^0x04[0-9a-f]{128}$/.test(hex)) return undefined;
    const publicKey = new Uint8Array(Buffer.from(hex.slice(2), "hex"));
    try {
      p256KeyObject(publicKey);
    } catch {
      return undefined; // not a point on the curve
    }
    return { kind: "p256", publicKey };
  }
  return undefined;
}

function p256KeyObject(publicKey: Uint8Array) {
  return createPublicKey({
    key: {
      kty: "EC",
      crv: "P-256",
      x: Buffer.from(publicKey.subarray(1, 33)).toString("base64url"),
      y: Buffer.from(publicKey.subarray(33, 65)).toString("base64url"),
    },
    format: "jwk",
  });
}

/**
 * Whether `signature` is `authKeyId`'s signature of `canonical`. Returns false for any malformed
 * signature; throws only for a malformed key id.
 *
 * @throws IdentityClientError `invalid-auth-key`
 * @example
 * verifyRequestSignature("secp256k1:0xAb...", canonical, "0x...") // true | false
 */
export function verifyRequestSignature(authKeyId: string, canonical: string, signature: string): boolean {
  const key = parseAuthKeyId(authKeyId);
  if (!key) throw new IdentityClientError("invalid-auth-key", "auth key id is not secp256k1:<address> or p256:0x04<x><y>", { authKeyId });
  if (typeof signature !== "string") return false;
  if (key.kind === "secp256k1") {
    if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return false;
    try {
      const bytes = getBytes(signature);
      const v = bytes[64];
      if (v !== 27 && v !== 28) return false;
      // A low s only, so one request has exactly one valid signature.
      if (BigInt("0x" + signature.slice(66, 130)) > SECP256K1_HALF_N) return false;
      const recovered = new Uint8Array(65);
      recovered[0] = v - 27;
      recovered.set(bytes.subarray(0, 64), 1);
      // noble directly: about twice as fast as ethers' recoverAddress, and this runs on every request.
      const publicKey = secp256k1.recoverPublicKey(recovered, getBytes(hashMessage(canonical)), { prehash: false });
      return publicKeyToAddress(publicKey) === key.address;
    } catch {
      return false;
    }
  }
  if (!/^0x[0-9a-fA-F]{128}$/.test(signature)) return false;
  // A low s only (as for secp256k1), so a captured request has no second valid signature.
  if (BigInt("0x" + signature.slice(66, 130)) > P256_HALF_N) return false;
  try {
    return verifySignature(
      "sha256",
      Buffer.from(canonical, "utf8"),
      { key: p256KeyObject(key.publicKey), dsaEncoding: "ieee-p1363" },
      Buffer.from(signature.slice(2), "hex"),
    );
  } catch {
    return false;
  }
}
