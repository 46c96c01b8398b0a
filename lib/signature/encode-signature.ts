import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, normalizeBytes32, writeHex, type Hex } from "../hex";
import {
  FLAG_CHAIN_ID_ZERO,
  MAX_PART_WEIGHT,
  MAX_SIGNATURE_CHECKPOINT,
  MAX_SIGNATURE_THRESHOLD,
  STEP_OPS,
  type SignaturePart,
  type WalletSignature,
} from "./types";

const MAX_ERC1271_SIGNATURE = (1 << 24) - 1;

/**
 * Encodes a signature into the byte layout of lib/signature/ENCODING.md (v2):
 *
 *     signature := flags:uint8 threshold:uint16 checkpoint:uint64 step*
 *
 * It checks what the layout can express (threshold 1 to 65,535, checkpoint below 2^64, weights
 * 1 to 255, v a byte, an ERC-1271 signature under 2^24 bytes), not whether the walk is valid:
 * tests need to encode invalid signatures too. Throws {@link InvalidArgumentError}:
 * `THRESHOLD_OUT_OF_RANGE`, `CHECKPOINT_OUT_OF_RANGE`, `WEIGHT_OUT_OF_RANGE`, `INVALID_V`,
 * `ERC1271_SIGNATURE_TOO_LONG`, `UNKNOWN_STEP`, `UNKNOWN_PART_KIND`.
 *
 * @example
 * encodeSignature({ chainIdZero: false, threshold: 1n, checkpoint: 0n,
 *   walk: [{ op: "part", part: { kind: "preapproved-digest" } }] })
 */
export function encodeSignature(signature: WalletSignature): Hex {
  if (typeof signature?.chainIdZero !== "boolean") {
    throw new InvalidArgumentError("INVALID_BOOLEAN", "chainIdZero", "expected true or false");
  }
  const threshold = checkUint(signature.threshold, "threshold");
  if (threshold < 1n || threshold > MAX_SIGNATURE_THRESHOLD) {
    throw new InvalidArgumentError("THRESHOLD_OUT_OF_RANGE", "threshold", "a signature's threshold is a uint16 from 1 to 65,535", { details: { threshold } });
  }
  const checkpoint = checkUint(signature.checkpoint, "checkpoint");
  if (checkpoint > MAX_SIGNATURE_CHECKPOINT) {
    throw new InvalidArgumentError("CHECKPOINT_OUT_OF_RANGE", "checkpoint", "a signature's checkpoint is a uint64", { details: { checkpoint } });
  }
  if (!Array.isArray(signature.walk)) throw new InvalidArgumentError("INVALID_ARRAY", "walk", "expected an array of steps");

  const header = new Uint8Array(11);
  header[0] = signature.chainIdZero ? FLAG_CHAIN_ID_ZERO : 0;
  header[1] = Number(threshold >> 8n);
  header[2] = Number(threshold & 0xffn);
  for (let i = 0; i < 8; i++) header[3 + i] = Number((checkpoint >> BigInt(8 * (7 - i))) & 0xffn);
  const chunks: Uint8Array[] = [header];
  signature.walk.forEach((step, i) => {
    const field = `walk[${i}]`;
    switch (step?.op) {
      case "node":
        chunks.push(Uint8Array.of(STEP_OPS.node));
        break;
      case "hash": {
        const out = new Uint8Array(33);
        out[0] = STEP_OPS.hash;
        writeHex(out, 1, normalizeBytes32(step.hash, `${field}.hash`));
        chunks.push(out);
        break;
      }
      case "part":
        chunks.push(encodePart(step.part, `${field}.part`));
        break;
      default:
        throw new InvalidArgumentError("UNKNOWN_STEP", `${field}.op`, 'expected "part", "hash" or "node"');
    }
  });
  return bytesToHex(Buffer.concat(chunks));
}

function weightByte(weight: unknown, field: string): number {
  const w = checkUint(weight, field);
  if (w < 1n || w > MAX_PART_WEIGHT) {
    throw new InvalidArgumentError("WEIGHT_OUT_OF_RANGE", field, "a signing part's weight is a uint8 from 1 to 255", { details: { weight: w } });
  }
  return Number(w);
}

function encodePart(part: SignaturePart, field: string): Uint8Array {
  switch (part?.kind) {
    case "ecdsa": {
      const out = new Uint8Array(67);
      out[0] = STEP_OPS.ecdsa;
      out[1] = weightByte(part.weight, `${field}.weight`);
      writeHex(out, 2, normalizeBytes32(part.r, `${field}.r`));
      writeHex(out, 34, normalizeBytes32(part.s, `${field}.s`));
      if (!Number.isInteger(part.v) || part.v < 0 || part.v > 255) {
        throw new InvalidArgumentError("INVALID_V", `${field}.v`, "expected a byte (27 or 28 for a valid signature)");
      }
      out[66] = part.v;
      return out;
    }
    case "ecdsa-compact": {
      const out = new Uint8Array(66);
      out[0] = STEP_OPS["ecdsa-compact"];
      out[1] = weightByte(part.weight, `${field}.weight`);
      writeHex(out, 2, normalizeBytes32(part.r, `${field}.r`));
      writeHex(out, 34, normalizeBytes32(part.yParityAndS, `${field}.yParityAndS`));
      return out;
    }
    case "erc1271": {
      const inner = hexToBytes(part.signature, `${field}.signature`);
      if (inner.length > MAX_ERC1271_SIGNATURE) {
        throw new InvalidArgumentError("ERC1271_SIGNATURE_TOO_LONG", `${field}.signature`, "at most 2^24 - 1 bytes");
      }
      const out = new Uint8Array(25 + inner.length);
      out[0] = STEP_OPS.erc1271;
      writeHex(out, 1, normalizeAddress(part.signer, `${field}.signer`));
      out[21] = weightByte(part.weight, `${field}.weight`);
      out[22] = inner.length >> 16;
      out[23] = (inner.length >> 8) & 0xff;
      out[24] = inner.length & 0xff;
      out.set(inner, 25);
      return out;
    }
    case "preapproved-digest":
      return Uint8Array.of(STEP_OPS["preapproved-digest"]);
    default:
      throw new InvalidArgumentError("UNKNOWN_PART_KIND", `${field}.kind`, "expected ecdsa, ecdsa-compact, erc1271 or preapproved-digest");
  }
}
