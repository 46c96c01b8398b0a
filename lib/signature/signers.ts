/**
 * Payload signers: who can contribute a part to a wallet signature. Every ECDSA signer signs the
 * 32-byte digest itself (what `eth_signTypedData_v4` signs), never an EIP-191 "\x19Ethereum
 * Signed Message" wrapping of it.
 */
import { computeAddress, SigningKey, TypedDataEncoder } from "ethers";
import { InvalidArgumentError } from "../errors";
import { normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import type { TypedData } from "../payload/types";

/** An EOA key. `kind` selects the part encoding: 0x01 (`r ‖ s ‖ v`) or 0x02 (EIP-2098 compact). */
export interface EcdsaPayloadSigner {
  kind: "ecdsa" | "ecdsa-compact";
  address: Hex;
  /** Returns a 65-byte `r ‖ s ‖ v` signature over `digest`. */
  signDigest(digest: Hex): Promise<Hex>;
}

/** A contract signer: `signDigest` returns the bytes its `isValidSignature(digest, bytes)` accepts. */
export interface Erc1271PayloadSigner {
  kind: "erc1271";
  address: Hex;
  signDigest(digest: Hex): Promise<Hex>;
}

/** Proves the configuration's `preapproved-digest` leaf for the digest being signed. */
export interface PreapprovedDigestPayloadSigner {
  kind: "preapproved-digest";
}

/** Anything `signPayload` accepts. */
export type PayloadSigner = EcdsaPayloadSigner | Erc1271PayloadSigner | PreapprovedDigestPayloadSigner;

/** An ethers `Wallet`, `HDNodeWallet` or anything else holding a `SigningKey`. */
export interface SigningKeyHolder {
  signingKey: SigningKey;
}

function signingKeyOf(source: Hex | string | SigningKeyHolder): SigningKey {
  if (typeof source === "string") {
    const key = normalizeBytes32(source, "privateKey");
    try {
      const signingKey = new SigningKey(key);
      // ethers checks the key's range only when the public key is first derived.
      void signingKey.publicKey;
      return signingKey;
    } catch (cause) {
      throw new InvalidArgumentError("INVALID_PRIVATE_KEY", "privateKey", "not a valid secp256k1 private key", { cause });
    }
  }
  if (typeof source === "object" && source !== null && source.signingKey instanceof SigningKey) return source.signingKey;
  throw new InvalidArgumentError(
    "UNSUPPORTED_SIGNER",
    "signer",
    "expected a private key or an object with an ethers SigningKey; for a JSON-RPC signer use typedDataEcdsaSigner",
  );
}

/**
 * An ECDSA signer from a private key or an ethers Wallet. Signs the raw digest with
 * `SigningKey.sign` (deterministic RFC 6979, low s).
 *
 * @example
 * const alice = ecdsaSigner(new Wallet(alicePrivateKey));
 * const bob = ecdsaSigner(bobPrivateKey, { compact: true });
 */
export function ecdsaSigner(source: Hex | string | SigningKeyHolder, options: { compact?: boolean } = {}): EcdsaPayloadSigner {
  const key = signingKeyOf(source);
  const address = computeAddress(key.publicKey) as Hex;
  return {
    kind: options.compact ? "ecdsa-compact" : "ecdsa",
    address,
    async signDigest(digest: Hex): Promise<Hex> {
      return key.sign(normalizeBytes32(digest, "digest")).serialized as Hex;
    },
  };
}

/** What {@link typedDataEcdsaSigner} needs from an ethers Signer (HardhatEthersSigner, JsonRpcSigner, Wallet). */
export interface TypedDataSignerLike {
  getAddress(): Promise<string>;
  signTypedData(domain: TypedData["domain"], types: TypedData["types"], value: Record<string, unknown>): Promise<string>;
}

/**
 * An ECDSA signer for a signer that cannot sign a bare digest, only typed data (a browser or
 * JSON-RPC wallet): it signs `typedData` with `eth_signTypedData_v4`, after checking that
 * `typedData` hashes to the digest being signed.
 *
 * @example
 * const td = typedDataCalls(payload, { wallet, chainId });
 * const signer = await typedDataEcdsaSigner(hardhatSigner, td);
 * await signPayload(config, hashCalls(payload, { wallet, chainId }), [signer]);
 */
export async function typedDataEcdsaSigner(
  signer: TypedDataSignerLike,
  typedData: TypedData,
  options: { compact?: boolean } = {},
): Promise<EcdsaPayloadSigner> {
  const address = normalizeAddress(await signer.getAddress(), "signer");
  const expected = TypedDataEncoder.hash(typedData.domain, typedData.types, typedData.message);
  return {
    kind: options.compact ? "ecdsa-compact" : "ecdsa",
    address,
    async signDigest(digest: Hex): Promise<Hex> {
      if (normalizeBytes32(digest, "digest") !== expected) {
        throw new InvalidArgumentError("TYPED_DATA_MISMATCH", "digest", "the typed data given to this signer hashes to another digest", {
          details: { digest, typedDataDigest: expected },
        });
      }
      return (await signer.signTypedData(typedData.domain, typedData.types, typedData.message)) as Hex;
    },
  };
}

/**
 * An ERC-1271 signer: `signDigest` produces whatever the contract's `isValidSignature` expects
 * (for a contract owned by an EOA, usually that owner's signature over the digest).
 *
 * @example
 * const vault = erc1271Signer(vaultAddress, async (digest) => ownerKey.sign(digest).serialized);
 */
export function erc1271Signer(address: Hex | string, signDigest: (digest: Hex) => Promise<Hex | string>): Erc1271PayloadSigner {
  if (typeof signDigest !== "function") throw new InvalidArgumentError("INVALID_SIGNER", "signDigest", "expected a function");
  return {
    kind: "erc1271",
    address: normalizeAddress(address, "address"),
    async signDigest(digest: Hex): Promise<Hex> {
      return (await signDigest(digest)) as Hex;
    },
  };
}

/**
 * Uses the configuration's pre-approved digest leaf for the digest being signed.
 *
 * @example
 * await signPayload(config, digest, [preapprovedDigestSigner()]);
 */
export function preapprovedDigestSigner(): PreapprovedDigestPayloadSigner {
  return { kind: "preapproved-digest" };
}
