/**
 * The session signature's bytes (lib/sessions/ENCODING.md): encoding, and decoding with exactly the
 * structural checks of `ArborSessions` step 1, in the same order, with the same errors.
 */
import { getAddress } from "ethers";
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, normalizeBytes32, readUint256, writeHex, writeUint256, type Hex } from "../hex";
import { keccak256 } from "../keccak";
import { leafHash } from "../configuration/leaves";
import type { Permission, Rule, RuleOperation } from "../configuration/permissions";
import type { Attestation } from "./attestation";
import { SessionError } from "./session-error";

/** Signature flag bit 1: a session signature (lib/signature/ENCODING.md). Every other bit is 0. */
export const SESSION_SIGNATURE_FLAGS = 0x02;

/** A `session-permissions` leaf as the signature carries it: fields plus the permissions' bytes. */
export interface SessionLeafEntry {
  kind: "session-permissions";
  sessionSigner: Hex;
  chainId: bigint;
  valueLimit: bigint;
  deadline: bigint;
  /** `abi.encode(Permission[])`; the contract hashes it into `permissionsHash`. */
  permissions: Hex;
}

/** An `identity-signer` leaf. */
export interface IdentityLeafEntry {
  kind: "identity-signer";
  signer: Hex;
}

export type SessionSignatureLeaf = SessionLeafEntry | IdentityLeafEntry;

/** An attestation with its identity signer's 65-byte `r ‖ s ‖ v` signature. */
export interface SessionSignatureAttestation {
  /** Index, in `leaves`, of the identity-signer leaf whose key signed it. */
  identityLeaf: number;
  attestation: Attestation;
  signature: Hex;
}

/** What authorises one call: a session leaf and one of its permissions, or an attestation. */
export type CallAuthorisation =
  | { kind: "explicit"; leafIndex: number; permissionIndex: number; signature: Hex }
  | { kind: "attested"; attestationIndex: number; signature: Hex };

/** Every field of a session signature, in byte order. */
export interface SessionSignature {
  threshold: bigint;
  checkpoint: bigint;
  /** Strictly ascending by leaf hash (the multiproof's order). */
  leaves: SessionSignatureLeaf[];
  attestations: SessionSignatureAttestation[];
  /** One per call of the batch, in call order. */
  calls: CallAuthorisation[];
  proof: Hex[];
  proofFlags: boolean[];
}

/** A permission read from a signature, with where it starts inside the permissions bytes. */
export interface DecodedPermission extends Permission {
  rules: Rule[];
}

/** A decoded signature with what the structure walk computes: leaf hashes and decoded permissions. */
export interface DecodedSessionSignature extends SessionSignature {
  leafHashes: Hex[];
  /** Per leaf: its permissions (empty for identity-signer leaves). */
  permissions: DecodedPermission[][];
  /** Raw proof flag bytes (each 0 or 1 after decoding). */
  proofFlagBytes: number[];
}

const HEADER_LENGTH = 66;
const SESSION_LEAF_HEAD = 119;
const ATTESTATION_HEAD = 108;
const ECDSA_LENGTH = 65;
const EXPLICIT_AUTH_LENGTH = 3 + ECDSA_LENGTH;
const ATTESTED_AUTH_LENGTH = 2 + ECDSA_LENGTH;
const PERMISSION_HEAD = 96;
const RULE_LENGTH = 160;
const LEAF_KIND = { "session-permissions": 0x01, "identity-signer": 0x02 } as const;
const AUTH_KIND = { explicit: 0x01, attested: 0x02 } as const;
const UINT24_MAX = (1 << 24) - 1;

function checkCount(value: number, field: string, max = 255): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidArgumentError("INVALID_COUNT", field, `expected an integer in [0, ${max}]`, { details: { value } });
  }
  return value;
}

function checkEcdsa(value: unknown, field: string): Uint8Array {
  const bytes = hexToBytes(value, field);
  if (bytes.length !== ECDSA_LENGTH) {
    throw new InvalidArgumentError("INVALID_SIGNATURE_LENGTH", field, "expected 65 bytes r ‖ s ‖ v", { details: { length: bytes.length } });
  }
  return bytes;
}

function checkFixed(value: unknown, field: string, length: number): Uint8Array {
  const bytes = hexToBytes(value, field);
  if (bytes.length !== length) {
    throw new InvalidArgumentError("INVALID_LENGTH", field, `expected ${length} bytes`, { details: { length: bytes.length } });
  }
  return bytes;
}

function uintBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The bytes of a session signature. Checks field ranges (counts fit a byte, lengths three bytes,
 * signatures 65 bytes) but not meaning: a signature the contract rejects can still be encoded,
 * which is what tests of the contract need.
 *
 * @example
 * const bytes = encodeSessionSignature({ threshold: 1n, checkpoint: 0n, leaves, attestations: [], calls, proof, proofFlags });
 */
export function encodeSessionSignature(signature: SessionSignature): Hex {
  const parts: Uint8Array[] = [];
  const header = new Uint8Array(HEADER_LENGTH);
  header[0] = SESSION_SIGNATURE_FLAGS;
  writeUint256(header, 1, checkUint(signature.threshold, "threshold"));
  writeUint256(header, 33, checkUint(signature.checkpoint, "checkpoint"));
  header[65] = checkCount(signature.leaves.length, "leaves.length");
  parts.push(header);

  signature.leaves.forEach((leaf, i) => {
    const field = `leaves[${i}]`;
    if (leaf.kind === "session-permissions") {
      const permissions = hexToBytes(leaf.permissions, `${field}.permissions`);
      checkCount(permissions.length, `${field}.permissions.length`, UINT24_MAX);
      const head = new Uint8Array(1 + SESSION_LEAF_HEAD);
      head[0] = LEAF_KIND["session-permissions"];
      writeHex(head, 1, normalizeAddress(leaf.sessionSigner, `${field}.sessionSigner`));
      writeUint256(head, 21, checkUint(leaf.chainId, `${field}.chainId`));
      writeUint256(head, 53, checkUint(leaf.valueLimit, `${field}.valueLimit`));
      writeUint256(head, 85, checkUint(leaf.deadline, `${field}.deadline`));
      head.set(uintBytes(BigInt(permissions.length), 3), 117);
      parts.push(head, permissions);
    } else if (leaf.kind === "identity-signer") {
      const entry = new Uint8Array(21);
      entry[0] = LEAF_KIND["identity-signer"];
      writeHex(entry, 1, normalizeAddress(leaf.signer, `${field}.signer`));
      parts.push(entry);
    } else {
      throw new InvalidArgumentError("UNKNOWN_LEAF_KIND", `${field}.kind`, "expected session-permissions or identity-signer");
    }
  });

  parts.push(Uint8Array.of(checkCount(signature.attestations.length, "attestations.length")));
  signature.attestations.forEach((entry, i) => {
    const field = `attestations[${i}]`;
    const a = entry.attestation;
    const data = hexToBytes(a.applicationData, `${field}.attestation.applicationData`);
    checkCount(data.length, `${field}.attestation.applicationData.length`, UINT24_MAX);
    const head = new Uint8Array(ATTESTATION_HEAD);
    head[0] = checkCount(entry.identityLeaf, `${field}.identityLeaf`);
    writeHex(head, 1, normalizeAddress(a.approvedSigner, `${field}.attestation.approvedSigner`));
    head.set(checkFixed(a.identityType, `${field}.attestation.identityType`, 4), 21);
    writeHex(head, 25, normalizeBytes32(a.issuerHash, `${field}.attestation.issuerHash`));
    writeHex(head, 57, normalizeBytes32(a.audienceHash, `${field}.attestation.audienceHash`));
    head.set(uintBytes(checkUint(BigInt(a.issuedAt), `${field}.attestation.issuedAt`, 0n, (1n << 64n) - 1n), 8), 89);
    head.set(uintBytes(checkUint(BigInt(a.expiresAt), `${field}.attestation.expiresAt`, 0n, (1n << 64n) - 1n), 8), 97);
    head.set(uintBytes(BigInt(data.length), 3), 105);
    parts.push(head, data, checkEcdsa(entry.signature, `${field}.signature`));
  });

  parts.push(Uint8Array.of(checkCount(signature.calls.length, "calls.length")));
  signature.calls.forEach((auth, i) => {
    const field = `calls[${i}]`;
    if (auth.kind === "explicit") {
      parts.push(
        Uint8Array.of(AUTH_KIND.explicit, checkCount(auth.leafIndex, `${field}.leafIndex`), checkCount(auth.permissionIndex, `${field}.permissionIndex`)),
        checkEcdsa(auth.signature, `${field}.signature`),
      );
    } else if (auth.kind === "attested") {
      parts.push(Uint8Array.of(AUTH_KIND.attested, checkCount(auth.attestationIndex, `${field}.attestationIndex`)), checkEcdsa(auth.signature, `${field}.signature`));
    } else {
      throw new InvalidArgumentError("UNKNOWN_AUTHORISATION", `${field}.kind`, "expected explicit or attested");
    }
  });

  parts.push(Uint8Array.of(checkCount(signature.proof.length, "proof.length")));
  signature.proof.forEach((hash, i) => parts.push(hexToBytes(normalizeBytes32(hash, `proof[${i}]`), `proof[${i}]`)));
  parts.push(Uint8Array.from(signature.proofFlags.map((flag) => (flag ? 1 : 0))));

  const length = parts.reduce((sum, p) => sum + p.length, 0);
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return bytesToHex(out);
}

/** Reads a session signature's bytes with the contract's bounds rule. */
class Reader {
  constructor(readonly bytes: Uint8Array) {}

  need(end: number): void {
    if (end > this.bytes.length) {
      throw new SessionError("SignatureTruncated", [BigInt(end), BigInt(this.bytes.length)], "a field runs past the end of the signature");
    }
  }

  byte(at: number): number {
    return this.bytes[at];
  }

  uint(at: number, length: number): bigint {
    let v = 0n;
    for (let i = 0; i < length; i++) v = (v << 8n) | BigInt(this.bytes[at + i]);
    return v;
  }

  word(at: number): bigint {
    return readUint256(this.bytes, at);
  }

  address(at: number): Hex {
    return getAddress(bytesToHex(this.bytes, at, 20)) as Hex;
  }

  hex(at: number, length: number): Hex {
    return bytesToHex(this.bytes, at, length);
  }
}

/**
 * Checks that `permissions` are exactly the canonical `abi.encode(Permission[])` and decodes them,
 * as `ArborSessions._checkPermissions` does; `SessionPermissionsMalformed(leafIndex, at)` names the
 * first bad word's offset.
 */
function decodePermissions(bytes: Uint8Array, leafIndex: number): DecodedPermission[] {
  const length = bytes.length;
  const malformed = (at: number) =>
    new SessionError("SessionPermissionsMalformed", [BigInt(leafIndex), BigInt(at)], "permissions are not the canonical abi.encode(Permission[])");
  const word = (at: number) => readUint256(bytes, at);
  if (length < 32 || word(0) !== 0x20n) throw malformed(0);
  if (length < 64) throw malformed(32);
  const countWord = word(32);
  if (countWord > BigInt(Math.floor((length - 64) / 32))) throw malformed(32);
  const count = Number(countWord);
  const permissions: DecodedPermission[] = [];
  let expected = count * 32;
  for (let p = 0; p < count; p++) {
    const head = 64 + p * 32;
    if (word(head) !== BigInt(expected)) throw malformed(head);
    const base = 64 + expected;
    if (length < PERMISSION_HEAD || base > length - PERMISSION_HEAD) throw malformed(base);
    if (word(base) >> 160n !== 0n) throw malformed(base);
    if (word(base + 32) !== 0x40n) throw malformed(base + 32);
    const ruleCountWord = word(base + 64);
    if (ruleCountWord > BigInt(Math.floor((length - base - PERMISSION_HEAD) / RULE_LENGTH))) throw malformed(base + 64);
    const ruleCount = Number(ruleCountWord);
    const rules: Rule[] = [];
    for (let r = 0; r < ruleCount; r++) {
      const at = base + PERMISSION_HEAD + r * RULE_LENGTH;
      const operation = word(at);
      if (operation > 5n) throw malformed(at);
      const cumulative = word(at + 32);
      if (cumulative > 1n) throw malformed(at + 32);
      // A length rule (4, 5) reads no word: cumulative, offset and mask must be zero, as in the contract.
      if (operation >= 4n) {
        if (cumulative !== 0n) throw malformed(at + 32);
        if (word(at + 64) !== 0n) throw malformed(at + 64);
        if (word(at + 96) !== 0n) throw malformed(at + 96);
      }
      rules.push({
        operation: Number(operation) as RuleOperation,
        cumulative: cumulative === 1n,
        offset: word(at + 64),
        mask: bytesToHex(bytes, at + 96, 32),
        value: bytesToHex(bytes, at + 128, 32),
      });
    }
    permissions.push({ target: getAddress(bytesToHex(bytes, base + 12, 20)) as Hex, rules });
    expected += PERMISSION_HEAD + ruleCount * RULE_LENGTH;
  }
  if (64 + expected !== length) throw malformed(64 + expected);
  return permissions;
}

/**
 * Decodes a session signature for a batch of `callsLength` calls, running the contract's step 1
 * (structure) checks in its order. Throws {@link SessionError} with the contract's error.
 *
 * @example
 * const decoded = decodeSessionSignature(signature, calls.length);
 * decoded.leafHashes; // what the multiproof proves
 */
export function decodeSessionSignature(signature: Hex | string | Uint8Array, callsLength: number): DecodedSessionSignature {
  const r = new Reader(signature instanceof Uint8Array ? signature : hexToBytes(signature, "signature"));
  r.need(HEADER_LENGTH);
  const flags = r.byte(0);
  if (flags !== SESSION_SIGNATURE_FLAGS) {
    throw new SessionError("UnsupportedSignatureFlags", [BigInt(flags)], "a session signature has flags 0x02 exactly");
  }
  if (callsLength === 0) throw new SessionError("SessionBatchEmpty", [], "a session signature needs at least one call");
  const leafCount = r.byte(65);
  if (leafCount === 0) throw new SessionError("EmptySessionSignature", [], "a session signature needs at least one leaf");

  const leaves: SessionSignatureLeaf[] = [];
  const leafHashes: Hex[] = [];
  const permissions: DecodedPermission[][] = [];
  let cursor = HEADER_LENGTH;
  let previous = 0n;
  for (let l = 0; l < leafCount; l++) {
    r.need(cursor + 1);
    const kind = r.byte(cursor);
    cursor++;
    let hash: Hex;
    if (kind === LEAF_KIND["session-permissions"]) {
      r.need(cursor + SESSION_LEAF_HEAD);
      const length = Number(r.uint(cursor + 116, 3));
      const start = cursor + SESSION_LEAF_HEAD;
      r.need(start + length);
      const bytes = r.bytes.subarray(start, start + length);
      permissions.push(decodePermissions(bytes, l));
      const leaf: SessionLeafEntry = {
        kind: "session-permissions",
        sessionSigner: r.address(cursor),
        chainId: r.word(cursor + 20),
        valueLimit: r.word(cursor + 52),
        deadline: r.word(cursor + 84),
        permissions: bytesToHex(bytes),
      };
      hash = leafHash({
        kind: "session-permissions",
        sessionSigner: leaf.sessionSigner,
        chainId: leaf.chainId,
        valueLimit: leaf.valueLimit,
        deadline: leaf.deadline,
        permissionsHash: bytesToHex(keccak256(bytes)),
      });
      leaves.push(leaf);
      cursor = start + length;
    } else if (kind === LEAF_KIND["identity-signer"]) {
      r.need(cursor + 20);
      const leaf: IdentityLeafEntry = { kind: "identity-signer", signer: r.address(cursor) };
      hash = leafHash({ kind: "identity-signer", signer: leaf.signer });
      leaves.push(leaf);
      permissions.push([]);
      cursor += 20;
    } else {
      throw new SessionError("UnknownSessionLeaf", [BigInt(l), BigInt(kind)], "leaf kinds are 0x01 and 0x02");
    }
    const value = BigInt(hash);
    if (value <= previous) {
      throw new SessionError("SessionLeavesNotAscending", [BigInt(l), `0x${previous.toString(16).padStart(64, "0")}`, hash], "leaves must be in strictly ascending hash order");
    }
    previous = value;
    leafHashes.push(hash);
  }

  r.need(cursor + 1);
  const attestationCount = r.byte(cursor);
  cursor++;
  const attestations: SessionSignatureAttestation[] = [];
  for (let a = 0; a < attestationCount; a++) {
    r.need(cursor + ATTESTATION_HEAD);
    const identityLeaf = r.byte(cursor);
    if (identityLeaf >= leaves.length || leaves[identityLeaf].kind !== "identity-signer") {
      throw new SessionError("NotAnIdentityLeaf", [BigInt(a), BigInt(identityLeaf)], "an attestation must name an identity-signer leaf");
    }
    const dataStart = cursor + ATTESTATION_HEAD;
    const signatureStart = dataStart + Number(r.uint(cursor + 105, 3));
    r.need(signatureStart + ECDSA_LENGTH);
    attestations.push({
      identityLeaf,
      attestation: {
        approvedSigner: r.address(cursor + 1),
        identityType: r.hex(cursor + 21, 4),
        issuerHash: r.hex(cursor + 25, 32),
        audienceHash: r.hex(cursor + 57, 32),
        applicationData: r.hex(dataStart, signatureStart - dataStart),
        issuedAt: r.uint(cursor + 89, 8),
        expiresAt: r.uint(cursor + 97, 8),
      },
      signature: r.hex(signatureStart, ECDSA_LENGTH),
    });
    cursor = signatureStart + ECDSA_LENGTH;
  }

  r.need(cursor + 1);
  const callCount = r.byte(cursor);
  cursor++;
  if (callCount !== callsLength) {
    throw new SessionError("SessionCallCountMismatch", [BigInt(callCount), BigInt(callsLength)], "one authorisation per call");
  }
  const calls: CallAuthorisation[] = [];
  for (let i = 0; i < callCount; i++) {
    r.need(cursor + 1);
    const kind = r.byte(cursor);
    if (kind === AUTH_KIND.explicit) {
      r.need(cursor + EXPLICIT_AUTH_LENGTH);
      const leafIndex = r.byte(cursor + 1);
      if (leafIndex >= leaves.length || leaves[leafIndex].kind !== "session-permissions") {
        throw new SessionError("NotASessionLeaf", [BigInt(i), BigInt(leafIndex)], "an explicit call must name a session-permissions leaf");
      }
      const permissionIndex = r.byte(cursor + 2);
      const permissionCount = permissions[leafIndex].length;
      if (permissionIndex >= permissionCount) {
        throw new SessionError("SessionPermissionIndexOutOfRange", [BigInt(i), BigInt(permissionIndex), BigInt(permissionCount)], "no such permission");
      }
      calls.push({ kind: "explicit", leafIndex, permissionIndex, signature: r.hex(cursor + 3, ECDSA_LENGTH) });
      cursor += EXPLICIT_AUTH_LENGTH;
    } else if (kind === AUTH_KIND.attested) {
      r.need(cursor + ATTESTED_AUTH_LENGTH);
      const attestationIndex = r.byte(cursor + 1);
      if (attestationIndex >= attestations.length) {
        throw new SessionError("AttestationIndexOutOfRange", [BigInt(i), BigInt(attestationIndex), BigInt(attestations.length)], "no such attestation");
      }
      calls.push({ kind: "attested", attestationIndex, signature: r.hex(cursor + 2, ECDSA_LENGTH) });
      cursor += ATTESTED_AUTH_LENGTH;
    } else {
      throw new SessionError("UnknownCallAuthorisation", [BigInt(i), BigInt(kind)], "authorisation kinds are 0x01 and 0x02");
    }
  }

  r.need(cursor + 1);
  const proofLength = r.byte(cursor);
  const flagsStart = cursor + 1 + proofLength * 32;
  const end = flagsStart + leafCount + proofLength - 1;
  r.need(end);
  const proof: Hex[] = [];
  for (let k = 0; k < proofLength; k++) proof.push(r.hex(cursor + 1 + 32 * k, 32));
  const proofFlagBytes: number[] = [];
  for (let j = 0; j < end - flagsStart; j++) {
    const value = r.byte(flagsStart + j);
    if (value > 1) throw new SessionError("InvalidProofFlag", [BigInt(j), BigInt(value)], "proof flags are 0 or 1");
    proofFlagBytes.push(value);
  }
  if (end !== r.bytes.length) {
    throw new SessionError("SignatureTrailingBytes", [BigInt(end), BigInt(r.bytes.length)], "bytes follow the last proof flag");
  }

  return {
    threshold: r.word(1),
    checkpoint: r.word(33),
    leaves,
    attestations,
    calls,
    proof,
    proofFlags: proofFlagBytes.map((f) => f === 1),
    leafHashes,
    permissions,
    proofFlagBytes,
  };
}
