/**
 * Session attestations, exactly as lib/sessions/ATTESTATION.md specifies them: an identity signer
 * says "this session key belongs to a verified identity, for this app, for this time window".
 * The identity service signs these bytes and the wallet contracts verify the same bytes, so every
 * function here follows the spec field by field and rejects anything the ABI would not encode
 * unambiguously.
 */
import { AbiCoder, getAddress, getBytes, hexlify, isHexString, keccak256, toUtf8Bytes } from "ethers";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { AttestationEncodingError } from "./attestation-error";

export { AttestationEncodingError } from "./attestation-error";

/** `keccak256("arbor.attestation.v1")`: the domain tag that starts every attestation preimage. */
export const ATTESTATION_TAG = keccak256(toUtf8Bytes("arbor.attestation.v1"));

/** `identityType` values from ATTESTATION.md. */
export const IDENTITY_TYPE = {
  email: "0x00000001",
  phone: "0x00000002",
  oidc: "0x00000003",
} as const;

/** The seven fields an identity signer attests to (ATTESTATION.md, "Attestation"). */
export interface Attestation {
  /** The session key that will sign payloads (20-byte address). */
  approvedSigner: string;
  /** bytes4, one of {@link IDENTITY_TYPE}; other values encode but no wallet should accept them. */
  identityType: string;
  /** keccak256(utf8(issuer)): "email", "phone" or the OIDC `iss`; see {@link hashIssuer}. */
  issuerHash: string;
  /** keccak256(utf8(app origin)); see {@link hashAudience}. */
  audienceHash: string;
  /** Opaque to the wallet, any length (hex). */
  applicationData: string;
  /** Unix seconds. */
  issuedAt: bigint | number;
  /** Unix seconds; the attestation is valid while issuedAt <= now < expiresAt. */
  expiresAt: bigint | number;
}

const UINT64_MAX = (1n << 64n) - 1n;
const SECP256K1_N = secp256k1.Point.CURVE().n;
const HALF_N = SECP256K1_N >> 1n;

/**
 * `keccak256(utf8(issuer))`, the value of `issuerHash`.
 *
 * @example
 * hashIssuer("email") // 0x...
 */
export function hashIssuer(issuer: string): string {
  return keccak256(toUtf8Bytes(issuer));
}

/**
 * `keccak256(utf8(origin))`, the value of `audienceHash`, e.g. for "https://app.example".
 *
 * @example
 * hashAudience("https://app.example")
 */
export function hashAudience(origin: string): string {
  return keccak256(toUtf8Bytes(origin));
}

/**
 * The ABI preimage of an attestation's hash:
 * `abi.encode(ATTESTATION_TAG, approvedSigner, identityType, issuerHash, audienceHash,
 * keccak256(applicationData), issuedAt, expiresAt)`: 8 words, 256 bytes.
 *
 * @throws AttestationEncodingError `invalid-attestation-field` naming the bad field.
 * @example
 * const bytes = encodeAttestation({ approvedSigner, identityType: IDENTITY_TYPE.email,
 *   issuerHash: hashIssuer("email"), audienceHash: hashAudience("https://app.example"),
 *   applicationData: "0x", issuedAt: 1_700_000_000n, expiresAt: 1_700_003_600n });
 */
export function encodeAttestation(attestation: Attestation): string {
  const a = checkAttestation(attestation);
  return AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "address", "bytes4", "bytes32", "bytes32", "bytes32", "uint64", "uint64"],
    [
      ATTESTATION_TAG,
      a.approvedSigner,
      a.identityType,
      a.issuerHash,
      a.audienceHash,
      keccak256(a.applicationData),
      a.issuedAt,
      a.expiresAt,
    ],
  );
}

/**
 * `attestationHash` from ATTESTATION.md: the 32 bytes an identity signer signs.
 *
 * @example
 * const digest = hashAttestation(attestation);
 */
export function hashAttestation(attestation: Attestation): string {
  return keccak256(encodeAttestation(attestation));
}

/**
 * Signs `hashAttestation(attestation)` directly (no EIP-191 prefix) with secp256k1:
 * 65 bytes `r ‖ s ‖ v`, low `s`, `v` in {27, 28}, as the contracts expect.
 *
 * @example
 * const signature = signAttestation(attestation, "0x" + "11".repeat(32));
 */
export function signAttestation(attestation: Attestation, privateKey: string | Uint8Array): string {
  const key = toPrivateKey(privateKey);
  const digest = getBytes(hashAttestation(attestation));
  // noble's "recovered" format is recovery ‖ r ‖ s; the contracts want r ‖ s ‖ v.
  const recovered = secp256k1.sign(digest, key, { prehash: false, lowS: true, format: "recovered" });
  const out = new Uint8Array(65);
  out.set(recovered.subarray(1, 65), 0);
  out[64] = 27 + recovered[0];
  return hexlify(out);
}

/**
 * The address whose key produced `signature` over this attestation. Applies the same rules as the
 * contracts (OpenZeppelin ECDSA): exactly 65 bytes, `v` in {27, 28}, low `s`, r and s in range.
 *
 * @throws AttestationEncodingError `invalid-attestation-signature`.
 * @example
 * recoverAttestationSigner(attestation, signAttestation(attestation, key)) === new Wallet(key).address
 */
export function recoverAttestationSigner(attestation: Attestation, signature: string | Uint8Array): string {
  const digest = getBytes(hashAttestation(attestation));
  let sig: Uint8Array;
  try {
    sig = getBytes(signature);
  } catch (cause) {
    throw new AttestationEncodingError("invalid-attestation-signature", "signature is not hex bytes", {
      field: "signature",
      value: signature,
      cause,
    });
  }
  if (sig.length !== 65) {
    throw new AttestationEncodingError("invalid-attestation-signature", `signature must be 65 bytes, got ${sig.length}`, {
      field: "signature",
      value: hexlify(sig),
    });
  }
  const v = sig[64];
  if (v !== 27 && v !== 28) {
    throw new AttestationEncodingError("invalid-attestation-signature", `signature v must be 27 or 28, got ${v}`, {
      field: "signature",
      value: hexlify(sig),
    });
  }
  const r = BigInt(hexlify(sig.subarray(0, 32)));
  const s = BigInt(hexlify(sig.subarray(32, 64)));
  if (r === 0n || r >= SECP256K1_N || s === 0n || s > HALF_N) {
    throw new AttestationEncodingError("invalid-attestation-signature", "signature r or s out of range (s must be low)", {
      field: "signature",
      value: hexlify(sig),
    });
  }
  const recovered = new Uint8Array(65);
  recovered[0] = v - 27;
  recovered.set(sig.subarray(0, 64), 1);
  let publicKey: Uint8Array;
  try {
    publicKey = secp256k1.recoverPublicKey(recovered, digest, { prehash: false });
  } catch (cause) {
    throw new AttestationEncodingError("invalid-attestation-signature", "no public key recovers from this signature", {
      field: "signature",
      value: hexlify(sig),
      cause,
    });
  }
  return publicKeyToAddress(publicKey);
}

/** Ethereum address of a secp256k1 public key (compressed or not). */
export function publicKeyToAddress(publicKey: Uint8Array): string {
  const uncompressed = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return getAddress("0x" + keccak256(uncompressed.subarray(1)).slice(-40));
}

function checkAttestation(a: Attestation): Required<Attestation> & { issuedAt: bigint; expiresAt: bigint } {
  if (a === null || typeof a !== "object") {
    throw new AttestationEncodingError("invalid-attestation-field", "attestation must be an object", { value: a });
  }
  const approvedSigner = checkAddress(a.approvedSigner);
  const identityType = checkFixedHex("identityType", a.identityType, 4);
  const issuerHash = checkFixedHex("issuerHash", a.issuerHash, 32);
  const audienceHash = checkFixedHex("audienceHash", a.audienceHash, 32);
  if (typeof a.applicationData !== "string" || !isHexString(a.applicationData, true)) {
    throw new AttestationEncodingError("invalid-attestation-field", "applicationData must be 0x-prefixed hex bytes", {
      field: "applicationData",
      value: a.applicationData,
    });
  }
  const issuedAt = checkUint64("issuedAt", a.issuedAt);
  const expiresAt = checkUint64("expiresAt", a.expiresAt);
  return {
    approvedSigner,
    identityType,
    issuerHash,
    audienceHash,
    applicationData: a.applicationData,
    issuedAt,
    expiresAt,
  };
}

function checkAddress(value: unknown): string {
  if (typeof value !== "string" || !isHexString(value, 20)) {
    throw new AttestationEncodingError("invalid-attestation-field", "approvedSigner must be a 20-byte hex address", {
      field: "approvedSigner",
      value,
    });
  }
  try {
    return getAddress(value);
  } catch (cause) {
    // A mixed-case address with a wrong checksum is almost always a typo: refuse it.
    throw new AttestationEncodingError("invalid-attestation-field", "approvedSigner has a bad EIP-55 checksum", {
      field: "approvedSigner",
      value,
      cause,
    });
  }
}

function checkFixedHex(field: string, value: unknown, length: number): string {
  if (typeof value !== "string" || !isHexString(value, length)) {
    throw new AttestationEncodingError("invalid-attestation-field", `${field} must be ${length} bytes of 0x-prefixed hex`, {
      field,
      value,
    });
  }
  return value.toLowerCase();
}

function checkUint64(field: string, value: unknown): bigint {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else {
    throw new AttestationEncodingError("invalid-attestation-field", `${field} must be an integer (bigint or safe number)`, {
      field,
      value,
    });
  }
  if (n < 0n || n > UINT64_MAX) {
    throw new AttestationEncodingError("invalid-attestation-field", `${field} must fit in uint64`, { field, value });
  }
  return n;
}

function toPrivateKey(privateKey: string | Uint8Array): Uint8Array {
  let key: Uint8Array;
  try {
    key = typeof privateKey === "string" ? getBytes(privateKey) : privateKey;
  } catch (cause) {
    throw new AttestationEncodingError("invalid-private-key", "private key must be 32 bytes of hex", { cause });
  }
  if (!(key instanceof Uint8Array) || key.length !== 32 || !secp256k1.utils.isValidSecretKey(key)) {
    // Never echo the key itself into an error.
    throw new AttestationEncodingError("invalid-private-key", "private key must be a valid 32-byte secp256k1 scalar");
  }
  return key;
}
