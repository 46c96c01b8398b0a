import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, normalizeBytes32, writeHex, writeUint256, type Hex } from "../hex";
import { FLAG_CHAIN_ID_ZERO, PART_KINDS, type WalletSignature } from "./types";

const MAX_ERC1271_SIGNATURE = (1 << 24) - 1;

/**
 * Encodes a signature into the byte layout of lib/signature/ENCODING.md:
 *
 *     flags:uint8 threshold:uint256 checkpoint:uint256 partCount:uint8 part[partCount]
 *     proofLength:uint8 proof:bytes32[proofLength] proofFlag:uint8[partCount + proofLength - 1]
 *
 * It checks what the layout can express (counts fit a uint8, at least one part, the flag count,
 * an ERC-1271 signature under 2^24 bytes, v a byte), not whether the signature is valid: tests
 * need to encode invalid signatures too.
 *
 * @example
 * encodeSignature({ chainIdZero: false, threshold: 1n, checkpoint: 0n,
 *   parts: [{ kind: "preapproved-digest" }], proof: [], proofFlags: [] })
 */
export function encodeSignature(signature: WalletSignature): Hex {
  const { parts, proof, proofFlags } = signature;
  if (typeof signature.chainIdZero !== "boolean") {
    throw new InvalidArgumentError("INVALID_BOOLEAN", "chainIdZero", "expected true or false");
  }
  const threshold = checkUint(signature.threshold, "threshold");
  const checkpoint = checkUint(signature.checkpoint, "checkpoint");
  if (!Array.isArray(parts) || parts.length === 0 || parts.length > 255) {
    throw new InvalidArgumentError("INVALID_PART_COUNT", "parts", "expected 1 to 255 parts");
  }
  if (!Array.isArray(proof) || proof.length > 255) {
    throw new InvalidArgumentError("INVALID_PROOF_LENGTH", "proof", "expected at most 255 proof hashes");
  }
  if (!Array.isArray(proofFlags) || proofFlags.length !== parts.length + proof.length - 1) {
    throw new InvalidArgumentError("INVALID_PROOF_FLAGS", "proofFlags", "expected parts + proof - 1 flags", {
      details: { parts: parts.length, proof: proof?.length, proofFlags: proofFlags?.length },
    });
  }

  const chunks: Uint8Array[] = [];
  const header = new Uint8Array(66);
  header[0] = signature.chainIdZero ? FLAG_CHAIN_ID_ZERO : 0;
  writeUint256(header, 1, threshold);
  writeUint256(header, 33, checkpoint);
  header[65] = parts.length;
  chunks.push(header);

  parts.forEach((part, i) => {
    const field = `parts[${i}]`;
    switch (part?.kind) {
      case "ecdsa": {
        const body = new Uint8Array(98);
        body[0] = PART_KINDS.ecdsa;
        writeUint256(body, 1, checkUint(part.weight, `${field}.weight`));
        writeHex(body, 33, normalizeBytes32(part.r, `${field}.r`));
        writeHex(body, 65, normalizeBytes32(part.s, `${field}.s`));
        if (!Number.isInteger(part.v) || part.v < 0 || part.v > 255) {
          throw new InvalidArgumentError("INVALID_V", `${field}.v`, "expected a byte (27 or 28 for a valid signature)");
        }
        body[97] = part.v;
        chunks.push(body);
        break;
      }
      case "ecdsa-compact": {
        const body = new Uint8Array(97);
        body[0] = PART_KINDS["ecdsa-compact"];
        writeUint256(body, 1, checkUint(part.weight, `${field}.weight`));
        writeHex(body, 33, normalizeBytes32(part.r, `${field}.r`));
        writeHex(body, 65, normalizeBytes32(part.yParityAndS, `${field}.yParityAndS`));
        chunks.push(body);
        break;
      }
      case "erc1271": {
        const inner = hexToBytes(part.signature, `${field}.signature`);
        if (inner.length > MAX_ERC1271_SIGNATURE) {
          throw new InvalidArgumentError("ERC1271_SIGNATURE_TOO_LONG", `${field}.signature`, "at most 2^24 - 1 bytes");
        }
        const body = new Uint8Array(56 + inner.length);
        body[0] = PART_KINDS.erc1271;
        writeHex(body, 1, normalizeAddress(part.signer, `${field}.signer`));
        writeUint256(body, 21, checkUint(part.weight, `${field}.weight`));
        body[53] = inner.length >> 16;
        body[54] = (inner.length >> 8) & 0xff;
        body[55] = inner.length & 0xff;
        body.set(inner, 56);
        chunks.push(body);
        break;
      }
      case "preapproved-digest":
        chunks.push(Uint8Array.of(PART_KINDS["preapproved-digest"]));
        break;
      default:
        throw new InvalidArgumentError("UNKNOWN_PART_KIND", `${field}.kind`, `expected one of ${Object.keys(PART_KINDS).join(", ")}`);
    }
  });

  const tail = new Uint8Array(1 + 32 * proof.length + proofFlags.length);
  tail[0] = proof.length;
  proof.forEach((h, j) => writeHex(tail, 1 + 32 * j, normalizeBytes32(h, `proof[${j}]`)));
  proofFlags.forEach((flag, j) => {
    if (typeof flag !== "boolean") throw new InvalidArgumentError("INVALID_PROOF_FLAGS", `proofFlags[${j}]`, "expected a boolean");
    tail[1 + 32 * proof.length + j] = flag ? 1 : 0;
  });
  chunks.push(tail);
  return bytesToHex(Buffer.concat(chunks));
}
