import { InvalidArgumentError, SignatureError } from "../errors";
import { bytesToHex, compareWords, hexToBytes, normalizeBytes32, type Hex } from "../hex";
import { hashPairInto } from "../keccak";
import { imageHash } from "../configuration/image-hash";
import { leafHashBytes, type Leaf } from "../configuration/leaves";
import { readSignatureHeader, readSignatureStep } from "./decode-signature";
import { tryRecoverEcdsa, tryRecoverEcdsaCompact } from "./ecdsa";
import { MAX_WALK_DEPTH, SIGNATURE_HEADER_LENGTH, type Erc1271Checker, type RecoveredSignature, type RecoveredSigner } from "./types";

/** Options of {@link recoverSignature}. */
export interface RecoverOptions {
  /** Accept flag bit 0 (chain id 0): only for a `ConfigUpdate` digest. Default false, as the contract. */
  allowChainIdZero?: boolean;
  /** Checks ERC-1271 parts; required when the signature has any (see `erc1271Checker`). */
  isValidErc1271?: Erc1271Checker;
}

/**
 * Does off-chain exactly what the wallet contract does with a signature
 * (`WalletSignature.recover`, lib/signature/ENCODING.md "Verification"): one pass over the walk,
 * with the same checks, in the same order, failing with a {@link SignatureError} named after the
 * same Solidity error: the header (`SignatureTruncated`, `UnsupportedSignatureFlags`,
 * `ChainIdZeroNotAllowed`), then per step `SignatureTruncated`, `UnknownSignatureStep`,
 * `SignatureWalkPrunable`, `SignatureWalkUnderflow`,
 * `InvalidECDSASignature`, `InvalidERC1271Signature`, `DuplicateSigner`, `SignatureWalkTooDeep`,
 * then `EmptySignature`, `SignatureWalkUnbalanced`, `ThresholdNotMet`. A node whose children are
 * out of order is returned in `unsorted`, not thrown: like the contract, `checkSignature` reports
 * it (`SignatureWalkUnsorted`) only after the image hash matched.
 *
 * `digest` must be the digest the contract computes: with chain id 0 when flag bit 0 is set.
 * It does not compare the image hash with a wallet's: see `checkSignature` / `verifySignature`.
 *
 * @example
 * const { imageHash, weight, signers } = await recoverSignature(digest, signature);
 */
export async function recoverSignature(
  digest: Hex | string,
  signature: Hex | string | Uint8Array,
  options: RecoverOptions = {},
): Promise<RecoveredSignature> {
  const message = normalizeBytes32(digest, "digest");
  const bytes = signature instanceof Uint8Array ? signature : hexToBytes(signature, "signature");
  const header = readSignatureHeader(bytes, options.allowChainIdZero === true);

  const stack: Uint8Array[] = [];
  const signers: RecoveredSigner[] = [];
  const seen = new Set<string>();
  let total = 0n;
  let preapproved = false;
  let hashRun = 0;
  let unsorted: RecoveredSignature["unsorted"];
  const push = (hash: Uint8Array, offset: number): void => {
    if (stack.length === MAX_WALK_DEPTH) throw new SignatureError("SignatureWalkTooDeep", [BigInt(offset)], `the walk's stack holds at most ${MAX_WALK_DEPTH} hashes`);
    stack.push(hash);
  };

  for (let cursor = SIGNATURE_HEADER_LENGTH; cursor < bytes.length; ) {
    const offset = BigInt(cursor);
    const { step, next } = readSignatureStep(bytes, cursor);
    if (step.op === "node") {
      if (hashRun === 2) throw new SignatureError("SignatureWalkPrunable", [offset], "a node of two pruned hashes must itself be one pruned hash");
      hashRun = 0;
      if (stack.length < 2) throw new SignatureError("SignatureWalkUnderflow", [offset], "a node needs two hashes on the stack");
      const second = stack.pop()!;
      const first = stack.pop()!;
      if (compareWords(first, 0, second, 0) >= 0 && unsorted === undefined) {
        // Reported by checkSignature once the image hash matches, as the contract does.
        unsorted = { offset, first: bytesToHex(first), second: bytesToHex(second) };
      }
      const parent = new Uint8Array(32);
      hashPairInto(first, 0, second, 0, parent, 0);
      stack.push(parent);
    } else if (step.op === "hash") {
      push(hexToBytes(step.hash, "hash"), cursor);
      hashRun = hashRun === 0 ? 1 : 2;
    } else {
      const part = step.part;
      let leaf: Leaf;
      let address: Hex | undefined;
      let weight = 0n;
      switch (part.kind) {
        case "ecdsa":
        case "ecdsa-compact": {
          const recovered = part.kind === "ecdsa" ? tryRecoverEcdsa(message, part.v, part.r, part.s) : tryRecoverEcdsaCompact(message, part.r, part.yParityAndS);
          if (recovered === undefined) throw new SignatureError("InvalidECDSASignature", [offset], `the part at byte ${cursor} does not recover`);
          address = recovered;
          weight = part.weight;
          leaf = { kind: "ecdsa-signer", signer: recovered, weight };
          break;
        }
        case "erc1271": {
          if (typeof options.isValidErc1271 !== "function") {
            throw new InvalidArgumentError("ERC1271_CHECKER_REQUIRED", "isValidErc1271", `the part at byte ${cursor} is an ERC-1271 signature: pass a checker`);
          }
          if (!(await options.isValidErc1271(part.signer, message, part.signature))) {
            throw new SignatureError("InvalidERC1271Signature", [offset, part.signer], `${part.signer} did not accept the signature`);
          }
          address = part.signer;
          weight = part.weight;
          leaf = { kind: "erc1271-signer", signer: part.signer, weight };
          break;
        }
        case "preapproved-digest":
          preapproved = true;
          leaf = { kind: "preapproved-digest", digest: message };
          break;
      }
      if (address !== undefined) {
        if (seen.has(address)) throw new SignatureError("DuplicateSigner", [offset, address], `${address} signs twice`);
        seen.add(address);
      }
      total += weight;
      const hash = leafHashBytes(leaf);
      signers.push({ kind: part.kind, address, weight, leaf, leafHash: bytesToHex(hash) });
      hashRun = 0;
      push(hash, cursor);
    }
    cursor = next;
  }

  if (signers.length === 0) throw new SignatureError("EmptySignature", [], "a signature needs at least one signing part");
  if (stack.length !== 1) throw new SignatureError("SignatureWalkUnbalanced", [BigInt(stack.length)], "a walk must leave exactly one hash, the root");
  const root = bytesToHex(stack[0]);
  if (!preapproved && total < header.threshold) {
    throw new SignatureError("ThresholdNotMet", [total, header.threshold], "the signers' weight is below the threshold");
  }
  return {
    weight: total,
    threshold: header.threshold,
    checkpoint: header.checkpoint,
    root,
    imageHash: imageHash(root, header.threshold, header.checkpoint),
    chainIdZero: header.chainIdZero,
    preapproved,
    signers,
    unsorted,
  };
}
