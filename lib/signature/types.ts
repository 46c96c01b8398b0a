/**
 * Signature types (lib/signature/ENCODING.md). A decoded signature is exactly what the bytes say;
 * what it proves comes from `recoverSignature`.
 */
import type { Hex } from "../hex";
import type { Leaf } from "../configuration/leaves";

/** Opcode bytes of the tree walk's steps (lib/signature/ENCODING.md, "Steps"). */
export const STEP_OPS = {
  node: 0x00,
  hash: 0x01,
  ecdsa: 0x02,
  "ecdsa-compact": 0x03,
  erc1271: 0x04,
  "preapproved-digest": 0x05,
} as const;

/** Part kinds, keyed like the opcodes of the steps that carry them. */
export const PART_KINDS = {
  ecdsa: STEP_OPS.ecdsa,
  "ecdsa-compact": STEP_OPS["ecdsa-compact"],
  erc1271: STEP_OPS.erc1271,
  "preapproved-digest": STEP_OPS["preapproved-digest"],
} as const;

/** Header bytes: flags (1), threshold (2), checkpoint (8). */
export const SIGNATURE_HEADER_LENGTH = 11;
/** Most hashes the walk's stack may hold (the contract's `MAX_DEPTH`). */
export const MAX_WALK_DEPTH = 64;
/** Ranges of the header fields and of a part's weight. */
export const MAX_SIGNATURE_THRESHOLD = 0xffffn;
export const MAX_SIGNATURE_CHECKPOINT = (1n << 64n) - 1n;
export const MAX_PART_WEIGHT = 255n;

/** Flag bit 0: the digest was computed with chain id 0 (configuration updates only). */
export const FLAG_CHAIN_ID_ZERO = 0x01;

/** 0x02: ECDSA `r ‖ s ‖ v` over the digest; proves `ecdsa-signer(ecrecover(digest), weight)`. */
export interface EcdsaPart {
  kind: "ecdsa";
  weight: bigint;
  r: Hex;
  s: Hex;
  v: number;
}

/** 0x03: EIP-2098 compact ECDSA, `yParityAndS` = s with the y parity in the top bit. */
export interface EcdsaCompactPart {
  kind: "ecdsa-compact";
  weight: bigint;
  r: Hex;
  yParityAndS: Hex;
}

/** 0x04: an ERC-1271 contract signer and the signature bytes its `isValidSignature` checks. */
export interface Erc1271Part {
  kind: "erc1271";
  signer: Hex;
  weight: bigint;
  signature: Hex;
}

/** 0x05: proves `preapproved-digest(digest)`; counts as the whole threshold. */
export interface PreapprovedDigestPart {
  kind: "preapproved-digest";
}

/** One signing part. */
export type SignaturePart = EcdsaPart | EcdsaCompactPart | Erc1271Part | PreapprovedDigestPart;

/**
 * One step of a signature's tree walk (post-order): a signing part (pushes the leaf it proves),
 * a pruned subtree's hash (pushed as given), or a node (pops two, pushes their sorted-pair hash;
 * the smaller child hash must come first).
 */
export type SignatureStep = { op: "part"; part: SignaturePart } | { op: "hash"; hash: Hex } | { op: "node" };

/** A signature, field by field. */
export interface WalletSignature {
  chainIdZero: boolean;
  /** uint16: 1 to 65,535. */
  threshold: bigint;
  /** uint64. */
  checkpoint: bigint;
  walk: SignatureStep[];
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
  /** The first node step whose children are out of order (a non-canonical walk), if any. */
  unsorted?: { offset: bigint; first: Hex; second: Hex };
}

/**
 * Checks an ERC-1271 signature as OpenZeppelin's `SignatureChecker.isValidERC1271SignatureNow`
 * does: true only when `signer.isValidSignature(digest, signature)` returns the magic value.
 */
export type Erc1271Checker = (signer: Hex, digest: Hex, signature: Hex) => Promise<boolean>;
