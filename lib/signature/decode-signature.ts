import { SignatureError } from "../errors";
import { bytesToHex, hexToBytes, normalizeAddress, readUint256, type Hex } from "../hex";
import { FLAG_CHAIN_ID_ZERO, PART_KINDS, type SignaturePart, type WalletSignature } from "./types";

/** flags (1) + threshold (32) + checkpoint (32) + partCount (1). */
const HEADER_LENGTH = 66;

/** Options of {@link decodeSignature}. */
export interface DecodeOptions {
  /**
   * Whether flag bit 0 (chain id 0) is acceptable: true only for a `ConfigUpdate`. Default true,
   * since decoding alone does not know the payload; `recoverSignature` defaults it to false.
   */
  allowChainIdZero?: boolean;
}

/**
 * Decodes a signature, checking its structure in exactly the order of lib/signature/ENCODING.md
 * ("Verification", step 1) and the contract's `WalletSignature._checkStructure`. Throws
 * {@link SignatureError} with the Solidity error's name and arguments:
 * `SignatureTruncated(needed, length)`, `UnsupportedSignatureFlags(flags)`,
 * `ChainIdZeroNotAllowed()`, `EmptySignature()`, `UnknownSignaturePart(index, kind)`,
 * `InvalidProofFlag(index, value)`, `SignatureTrailingBytes(consumed, length)`.
 *
 * @example
 * const { threshold, parts, proof, proofFlags } = decodeSignature(signatureHex);
 */
export function decodeSignature(signature: Hex | string | Uint8Array, options: DecodeOptions = {}): WalletSignature {
  const bytes = signature instanceof Uint8Array ? signature : hexToBytes(signature, "signature");
  const length = bytes.length;
  const need = (end: number): void => {
    if (end > length) throw new SignatureError("SignatureTruncated", [BigInt(end), BigInt(length)], `a field ends at byte ${end}`);
  };

  need(HEADER_LENGTH);
  const flags = bytes[0];
  if ((flags & ~FLAG_CHAIN_ID_ZERO) !== 0) {
    throw new SignatureError("UnsupportedSignatureFlags", [BigInt(flags)], "only bit 0 (chain id 0) may be set");
  }
  const chainIdZero = (flags & FLAG_CHAIN_ID_ZERO) !== 0;
  if (chainIdZero && options.allowChainIdZero === false) {
    throw new SignatureError("ChainIdZeroNotAllowed", [], "only a configuration update may be signed for chain id 0");
  }
  const partCount = bytes[65];
  if (partCount === 0) throw new SignatureError("EmptySignature", [], "a signature needs at least one part");

  const parts: SignaturePart[] = [];
  let cursor = HEADER_LENGTH;
  for (let i = 0; i < partCount; i++) {
    need(cursor + 1);
    const kind = bytes[cursor];
    cursor += 1;
    switch (kind) {
      case PART_KINDS.ecdsa:
        need(cursor + 97);
        parts.push({
          kind: "ecdsa",
          weight: readUint256(bytes, cursor),
          r: bytesToHex(bytes, cursor + 32, 32),
          s: bytesToHex(bytes, cursor + 64, 32),
          v: bytes[cursor + 96],
        });
        cursor += 97;
        break;
      case PART_KINDS["ecdsa-compact"]:
        need(cursor + 96);
        parts.push({
          kind: "ecdsa-compact",
          weight: readUint256(bytes, cursor),
          r: bytesToHex(bytes, cursor + 32, 32),
          yParityAndS: bytesToHex(bytes, cursor + 64, 32),
        });
        cursor += 96;
        break;
      case PART_KINDS.erc1271: {
        need(cursor + 55);
        const innerLength = (bytes[cursor + 52] << 16) | (bytes[cursor + 53] << 8) | bytes[cursor + 54];
        need(cursor + 55 + innerLength);
        parts.push({
          kind: "erc1271",
          signer: normalizeAddress(bytesToHex(bytes, cursor, 20), "signer"),
          weight: readUint256(bytes, cursor + 20),
          signature: bytesToHex(bytes, cursor + 55, innerLength),
        });
        cursor += 55 + innerLength;
        break;
      }
      case PART_KINDS["preapproved-digest"]:
        parts.push({ kind: "preapproved-digest" });
        break;
      default:
        throw new SignatureError("UnknownSignaturePart", [BigInt(i), BigInt(kind)], `part ${i} has kind 0x${kind.toString(16).padStart(2, "0")}`);
    }
  }

  need(cursor + 1);
  const proofLength = bytes[cursor];
  const flagsStart = cursor + 1 + 32 * proofLength;
  const end = flagsStart + partCount + proofLength - 1;
  need(end);
  const proof: Hex[] = [];
  for (let j = 0; j < proofLength; j++) proof.push(bytesToHex(bytes, cursor + 1 + 32 * j, 32));
  const proofFlags: boolean[] = [];
  for (let j = 0; j < end - flagsStart; j++) {
    const value = bytes[flagsStart + j];
    if (value > 1) throw new SignatureError("InvalidProofFlag", [BigInt(j), BigInt(value)], "a proof flag is 0 or 1");
    proofFlags.push(value === 1);
  }
  if (end !== length) {
    throw new SignatureError("SignatureTrailingBytes", [BigInt(end), BigInt(length)], `${length - end} bytes follow the last proof flag`);
  }
  return {
    chainIdZero,
    threshold: readUint256(bytes, 1),
    checkpoint: readUint256(bytes, 33),
    parts,
    proof,
    proofFlags,
  };
}
