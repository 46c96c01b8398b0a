/**
 * Configuration leaves: the eight kinds of lib/configuration/ENCODING.md ("Leaves"), their domain
 * tags, validation with field paths, the JSON form used by `Configuration.dump`, and leaf hashing:
 *
 *     leafHash = keccak256(abi.encode(TAG, field1, field2, ...))
 *
 * Every field is one 32-byte ABI word, so the encoding is written word by word here (no ABI coder
 * on the hot path); the tests check it against ethers' AbiCoder for every kind.
 */
import { InvalidArgumentError } from "../errors";
import {
  bytesToHex,
  checkUint,
  MAX_UINT256,
  normalizeAddress,
  normalizeBytes32,
  parseDecimal,
  writeHex,
  writeUint256,
  type Hex,
} from "../hex";
import { keccak256, keccak256Utf8 } from "../keccak";

/** EOA signer; proved by signature part kinds 0x01 (ECDSA) and 0x02 (EIP-2098 compact). */
export interface EcdsaSignerLeaf {
  kind: "ecdsa-signer";
  signer: Hex;
  weight: bigint;
}

/** Contract signer checked with ERC-1271 `isValidSignature`; signature part kind 0x03. */
export interface Erc1271SignerLeaf {
  kind: "erc1271-signer";
  signer: Hex;
  weight: bigint;
}

/** P-256 / WebAuthn public key (x, y as 32-byte big-endian coordinates). */
export interface PasskeySignerLeaf {
  kind: "passkey-signer";
  x: Hex;
  y: Hex;
  requireUserVerification: boolean;
  weight: bigint;
}

/** Explicit session: a session key with limits and a permissions hash (see {@link permissionsHash}). */
export interface SessionPermissionsLeaf {
  kind: "session-permissions";
  sessionSigner: Hex;
  chainId: bigint;
  valueLimit: bigint;
  deadline: bigint;
  permissionsHash: Hex;
}

/** Key that signs session attestations (lib/sessions/ATTESTATION.md). */
export interface IdentitySignerLeaf {
  kind: "identity-signer";
  signer: Hex;
}

/** Timelocked recovery key; `timelock` in seconds. */
export interface RecoveryKeyLeaf {
  kind: "recovery-key";
  signer: Hex;
  timelock: bigint;
}

/** Co-signing guard. */
export interface GuardLeaf {
  kind: "guard";
  guard: Hex;
  weight: bigint;
}

/** A payload digest that counts as fully signed; signature part kind 0x04. */
export interface PreapprovedDigestLeaf {
  kind: "preapproved-digest";
  digest: Hex;
}

/** Any configuration leaf. Addresses are checksummed, bytes32 lowercase, numbers bigint. */
export type Leaf =
  | EcdsaSignerLeaf
  | Erc1271SignerLeaf
  | PasskeySignerLeaf
  | SessionPermissionsLeaf
  | IdentitySignerLeaf
  | RecoveryKeyLeaf
  | GuardLeaf
  | PreapprovedDigestLeaf;

/** The `kind` of a leaf. */
export type LeafKind = Leaf["kind"];

/** Every leaf kind, in the order of the spec's table. */
export const LEAF_KINDS: readonly LeafKind[] = [
  "ecdsa-signer",
  "erc1271-signer",
  "passkey-signer",
  "session-permissions",
  "identity-signer",
  "recovery-key",
  "guard",
  "preapproved-digest",
];

/**
 * Domain tag of each leaf kind: `keccak256("arbor.leaf." + kind)`.
 *
 * @example
 * LEAF_TAGS["ecdsa-signer"] === keccak256Utf8("arbor.leaf.ecdsa-signer")
 */
export const LEAF_TAGS: Readonly<Record<LeafKind, Hex>> = Object.freeze(
  Object.fromEntries(LEAF_KINDS.map((kind) => [kind, keccak256Utf8(`arbor.leaf.${kind}`)])) as Record<LeafKind, Hex>,
);

/** Kinds whose `weight` counts towards the threshold (weight must be at least 1). */
export const WEIGHTED_LEAF_KINDS: readonly LeafKind[] = ["ecdsa-signer", "erc1271-signer", "passkey-signer", "guard"];

/** A leaf's field names, in encoding order, and their ABI word type. */
type FieldType = "address" | "uint256" | "bytes32" | "bool";
const FIELDS: Readonly<Record<LeafKind, readonly (readonly [string, FieldType])[]>> = {
  "ecdsa-signer": [["signer", "address"], ["weight", "uint256"]],
  "erc1271-signer": [["signer", "address"], ["weight", "uint256"]],
  "passkey-signer": [["x", "bytes32"], ["y", "bytes32"], ["requireUserVerification", "bool"], ["weight", "uint256"]],
  "session-permissions": [
    ["sessionSigner", "address"],
    ["chainId", "uint256"],
    ["valueLimit", "uint256"],
    ["deadline", "uint256"],
    ["permissionsHash", "bytes32"],
  ],
  "identity-signer": [["signer", "address"]],
  "recovery-key": [["signer", "address"], ["timelock", "uint256"]],
  guard: [["guard", "address"], ["weight", "uint256"]],
  "preapproved-digest": [["digest", "bytes32"]],
};

/**
 * The fields of a leaf kind, in the order they are hashed, with their Solidity types: what a
 * parity test or another implementation needs to encode the same leaf.
 *
 * @example
 * leafFields("guard") // [["guard", "address"], ["weight", "uint256"]]
 */
export function leafFields(kind: LeafKind): readonly (readonly [string, FieldType])[] {
  return FIELDS[kind];
}

function checkKind(value: unknown, field: string): LeafKind {
  if (typeof value !== "string" || !(LEAF_KINDS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError("UNKNOWN_LEAF_KIND", field, `expected one of ${LEAF_KINDS.join(", ")}`, {
      details: { value },
    });
  }
  return value as LeafKind;
}

function checkObject(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError("INVALID_LEAF", field, "expected an object", { details: { value } });
  }
  return value as Record<string, unknown>;
}

function checkNoExtraKeys(obj: Record<string, unknown>, kind: LeafKind, field: string): void {
  const allowed = new Set(["kind", ...FIELDS[kind].map(([name]) => name)]);
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) {
      throw new InvalidArgumentError("UNKNOWN_LEAF_FIELD", `${field}.${key}`, `a ${kind} leaf has no field "${key}"`);
    }
  }
}

/**
 * Validates a leaf given in memory form (numbers as bigint) and returns it normalized
 * (checksummed addresses, lowercase bytes32). Errors name the field, under `field`.
 *
 * @example
 * normalizeLeaf({ kind: "ecdsa-signer", signer: "0x...", weight: 0n }, "leaves[2]")
 * // throws InvalidArgumentError { field: "leaves[2].weight", code: "INTEGER_TOO_SMALL" }
 */
export function normalizeLeaf(value: unknown, field = "leaf"): Leaf {
  return readLeaf(value, field, false);
}

/**
 * Reads a leaf from its JSON form (numbers as decimal strings), validating every field.
 *
 * @example
 * leafFromJson({ kind: "recovery-key", signer: "0x...", timelock: "86400" }, "leaves[0]")
 */
export function leafFromJson(value: unknown, field = "leaf"): Leaf {
  return readLeaf(value, field, true);
}

function readLeaf(value: unknown, field: string, fromJson: boolean): Leaf {
  const obj = checkObject(value, field);
  const kind = checkKind(obj.kind, `${field}.kind`);
  checkNoExtraKeys(obj, kind, field);
  const out: Record<string, unknown> = { kind };
  for (const [name, type] of FIELDS[kind]) {
    const path = `${field}.${name}`;
    const raw = obj[name];
    if (raw === undefined) throw new InvalidArgumentError("MISSING_LEAF_FIELD", path, `a ${kind} leaf needs "${name}"`);
    switch (type) {
      case "address":
        out[name] = normalizeAddress(raw, path);
        break;
      case "bytes32":
        out[name] = normalizeBytes32(raw, path);
        break;
      case "bool":
        if (typeof raw !== "boolean") {
          throw new InvalidArgumentError("INVALID_BOOLEAN", path, "expected true or false", { details: { value: raw } });
        }
        out[name] = raw;
        break;
      case "uint256": {
        const min = name === "weight" ? 1n : 0n;
        out[name] = fromJson ? parseDecimal(raw, path, min, MAX_UINT256) : checkUint(raw, path, min, MAX_UINT256);
        break;
      }
    }
  }
  return out as unknown as Leaf;
}

/**
 * The JSON form of a leaf: same fields, numbers as decimal strings.
 *
 * @example
 * leafToJson({ kind: "guard", guard: "0x...", weight: 2n }) // { kind: "guard", guard: "0x...", weight: "2" }
 */
export function leafToJson(leaf: Leaf): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = { kind: leaf.kind };
  const fields = leaf as unknown as Record<string, unknown>;
  for (const [name] of FIELDS[leaf.kind]) {
    const v = fields[name];
    out[name] = typeof v === "bigint" ? v.toString(10) : (v as string | boolean);
  }
  return out;
}

/**
 * The ABI words `abi.encode(TAG, fields...)` of an already-normalized leaf.
 *
 * @example
 * bytesToHex(encodeLeaf(leaf)) // what Solidity's abi.encode gives for the same values
 */
export function encodeLeaf(leaf: Leaf): Uint8Array {
  const fields = FIELDS[leaf.kind];
  const out = new Uint8Array(32 * (1 + fields.length));
  writeHex(out, 0, LEAF_TAGS[leaf.kind]);
  const values = leaf as unknown as Record<string, unknown>;
  fields.forEach(([name, type], i) => {
    const offset = 32 * (i + 1);
    const v = values[name];
    switch (type) {
      case "address":
        writeHex(out, offset + 12, v as string);
        break;
      case "bytes32":
        writeHex(out, offset, v as string);
        break;
      case "bool":
        out[offset + 31] = v ? 1 : 0;
        break;
      case "uint256":
        writeUint256(out, offset, v as bigint);
        break;
    }
  });
  return out;
}

/**
 * The leaf hash `keccak256(abi.encode(TAG, fields...))`. The leaf is validated first.
 *
 * @example
 * leafHash({ kind: "ecdsa-signer", signer: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", weight: 1n })
 */
export function leafHash(leaf: Leaf): Hex {
  return bytesToHex(keccak256(encodeLeaf(normalizeLeaf(leaf))));
}

/**
 * The leaf hash as raw bytes, for a leaf that is already normalized (no validation: internal
 * fast path for trees of many leaves).
 */
export function leafHashBytes(normalized: Leaf): Uint8Array {
  return keccak256(encodeLeaf(normalized));
}

/**
 * The address that a leaf makes a signer of the wallet, for the "no signer address twice"
 * rule, or undefined when the leaf is not an address-bearing weighted signer.
 */
export function weightedSignerAddress(leaf: Leaf): Hex | undefined {
  switch (leaf.kind) {
    case "ecdsa-signer":
    case "erc1271-signer":
      return leaf.signer;
    case "guard":
      return leaf.guard;
    default:
      return undefined;
  }
}

/** The weight a leaf adds towards the threshold (0 for kinds without weight). */
export function leafWeight(leaf: Leaf): bigint {
  return "weight" in leaf ? leaf.weight : 0n;
}
