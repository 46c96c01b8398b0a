import { SignatureError } from "../errors";
import { bytesToHex, hexToBytes, normalizeAddress, type Hex } from "../hex";
import { FLAG_CHAIN_ID_ZERO, SIGNATURE_HEADER_LENGTH, STEP_OPS, type SignatureStep, type WalletSignature } from "./types";

/** Options of {@link decodeSignature}. */
export interface DecodeOptions {
  /**
   * Whether flag bit 0 (chain id 0) is acceptable: true only for a `ConfigUpdate`. Default true,
   * since decoding alone does not know the payload; `recoverSignature` defaults it to false.
   */
  allowChainIdZero?: boolean;
}

/** The header of a signature, checked in the contract's order: length, flags, chain id 0. */
export function readSignatureHeader(bytes: Uint8Array, allowChainIdZero: boolean): { chainIdZero: boolean; threshold: bigint; checkpoint: bigint } {
  const length = bytes.length;
  if (length < SIGNATURE_HEADER_LENGTH) {
    throw new SignatureError("SignatureTruncated", [BigInt(SIGNATURE_HEADER_LENGTH), BigInt(length)], `a field ends at byte ${SIGNATURE_HEADER_LENGTH}`);
  }
  const flags = bytes[0];
  if ((flags & ~FLAG_CHAIN_ID_ZERO) !== 0) {
    throw new SignatureError("UnsupportedSignatureFlags", [BigInt(flags)], "only bit 0 (chain id 0) may be set");
  }
  const chainIdZero = (flags & FLAG_CHAIN_ID_ZERO) !== 0;
  if (chainIdZero && !allowChainIdZero) {
    throw new SignatureError("ChainIdZeroNotAllowed", [], "only a configuration update may be signed for chain id 0");
  }
  let checkpoint = 0n;
  for (let i = 3; i < 11; i++) checkpoint = (checkpoint << 8n) | BigInt(bytes[i]);
  return { chainIdZero, threshold: BigInt((bytes[1] << 8) | bytes[2]), checkpoint };
}

/**
 * Reads the step whose opcode is at `cursor`; returns it and where the next one starts. Throws
 * `SignatureTruncated(needed, length)` when its body runs past the end and
 * `UnknownSignatureStep(offset, op)` for an opcode not in the spec.
 */
export function readSignatureStep(bytes: Uint8Array, cursor: number): { step: SignatureStep; next: number } {
  const length = bytes.length;
  const need = (end: number): void => {
    if (end > length) throw new SignatureError("SignatureTruncated", [BigInt(end), BigInt(length)], `a field ends at byte ${end}`);
  };
  const op = bytes[cursor];
  switch (op) {
    case STEP_OPS.node:
      return { step: { op: "node" }, next: cursor + 1 };
    case STEP_OPS.hash:
      need(cursor + 33);
      return { step: { op: "hash", hash: bytesToHex(bytes, cursor + 1, 32) }, next: cursor + 33 };
    case STEP_OPS.ecdsa:
      need(cursor + 67);
      return {
        step: { op: "part", part: { kind: "ecdsa", weight: BigInt(bytes[cursor + 1]), r: bytesToHex(bytes, cursor + 2, 32), s: bytesToHex(bytes, cursor + 34, 32), v: bytes[cursor + 66] } },
        next: cursor + 67,
      };
    case STEP_OPS["ecdsa-compact"]:
      need(cursor + 66);
      return {
        step: { op: "part", part: { kind: "ecdsa-compact", weight: BigInt(bytes[cursor + 1]), r: bytesToHex(bytes, cursor + 2, 32), yParityAndS: bytesToHex(bytes, cursor + 34, 32) } },
        next: cursor + 66,
      };
    case STEP_OPS.erc1271: {
      need(cursor + 25);
      const innerLength = (bytes[cursor + 22] << 16) | (bytes[cursor + 23] << 8) | bytes[cursor + 24];
      need(cursor + 25 + innerLength);
      return {
        step: {
          op: "part",
          part: { kind: "erc1271", signer: normalizeAddress(bytesToHex(bytes, cursor + 1, 20), "signer"), weight: BigInt(bytes[cursor + 21]), signature: bytesToHex(bytes, cursor + 25, innerLength) },
        },
        next: cursor + 25 + innerLength,
      };
    }
    case STEP_OPS["preapproved-digest"]:
      return { step: { op: "part", part: { kind: "preapproved-digest" } }, next: cursor + 1 };
    default:
      throw new SignatureError("UnknownSignatureStep", [BigInt(cursor), BigInt(op)], `step at byte ${cursor} has opcode 0x${op.toString(16).padStart(2, "0")}`);
  }
}

/**
 * Decodes a signature's bytes into its fields (lib/signature/ENCODING.md). Checks only the
 * syntax: `SignatureTruncated(needed, length)`, `UnsupportedSignatureFlags(flags)`,
 * `ChainIdZeroNotAllowed()`, `UnknownSignatureStep(offset, op)`. Whether the walk is well formed
 * (and which error the contract reports first on a signature that is wrong in several ways) is
 * `recoverSignature`'s business: the contract checks the walk as it reads it.
 *
 * @example
 * const { threshold, walk } = decodeSignature(signatureHex);
 */
export function decodeSignature(signature: Hex | string | Uint8Array, options: DecodeOptions = {}): WalletSignature {
  const bytes = signature instanceof Uint8Array ? signature : hexToBytes(signature, "signature");
  const header = readSignatureHeader(bytes, options.allowChainIdZero !== false);
  const walk: SignatureStep[] = [];
  for (let cursor = SIGNATURE_HEADER_LENGTH; cursor < bytes.length; ) {
    const { step, next } = readSignatureStep(bytes, cursor);
    walk.push(step);
    cursor = next;
  }
  return { ...header, walk };
}
