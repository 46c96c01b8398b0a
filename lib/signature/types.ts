/**
 * Signature types (lib/signature/ENCODING.md). A decoded signature is exactly what the bytes say;
 * what it proves comes from `recoverSignature`.
 */
import type { Hex } from "../hex";
import type { Leaf } from "../configuration/leaves";

/** Part kind bytes. */
export const PART_KINDS = {
  ecdsa: 0x01,
  "ecdsa-compact": 0x02,
  erc1271: 0x03,
  "preapproved-digest": 0x04,
} as const;

/** Flag bit 0: the digest was computed with chain id 0 (configuration updates only). */
export const FLAG_CHAIN_ID_ZERO = 0x01;

/** 0x01: ECDSA `r ‖ s ‖ v` over the digest; proves `ecdsa-signer(ecrecover(digest), weight)`. */
export interface EcdsaPart {
  kind: "ecdsa";
  weight: bigint;
  r: Hex;
  s: Hex;
  v: number;
}

/** 0x02: EIP-2098 compact ECDSA, `yParityAndS` = s with the y parity in the top bit. */
export interface EcdsaCompactPart {
  kind: "ecdsa-compact";
  weight: bigint;
  r: Hex;
  yParityAndS: Hex;
}

/** 0x03: an ERC-1271 contract signer and the signature bytes its `isValidSignature` checks. */
export interface Erc1271Part {
  kind: "erc1271";
  signer: Hex;
  weight: bigint;
  signature: Hex;
}

/** 0x04: proves `preapproved-digest(digest)`; counts as the whole threshold. */
export interface PreapprovedDigestPart {
  kind: "preapproved-digest";
}

/** One signing part. */
export type SignaturePart = EcdsaPart | EcdsaCompactPart | Erc1271Part | PreapprovedDigestPart;

/** A signature, field by field. `proofFlags.length` is always `parts.length + proof.length - 1`. */
export interface WalletSignature {
  chainIdZero: boolean;
  threshold: bigint;
  checkpoint: bigint;
  parts: SignaturePart[];
  proof: Hex[];
  proofFlags: boolean[];
}

/** A part once recovered: who signed, which leaf it proves, with what weight. */
export interface RecoveredSigner {
  kind: SignaturePart["kind"];
  /** The recovered (ECDSA) or claimed and checked (ERC-1271) address; undefined for a pre-approved digest. */
  address?: Hex;
  weight: bigint;
  leaf: Leaf;
  leafHash: Hex;
}

/** What a valid signature proves; the caller compares `imageHash` with the wallet's. */
export interface RecoveredSignature {
  weight: bigint;
  threshold: bigint;
  checkpoint: bigint;
  root: Hex;
  imageHash: Hex;
  chainIdZero: boolean;
  /** Whether a pre-approved digest part made the threshold irrelevant. */
  preapproved: boolean;
  signers: RecoveredSigner[];
}

/**
 * Checks an ERC-1271 signature as OpenZeppelin's `SignatureChecker.isValidERC1271SignatureNow`
 * does: true only when `signer.isValidSignature(digest, signature)` returns the magic value.
 */
export type Erc1271Checker = (signer: Hex, digest: Hex, signature: Hex) => Promise<boolean>;
