import { InvalidArgumentError, SignatureError } from "../errors";
import { bytesToHex, MAX_UINT256, normalizeBytes32, type Hex } from "../hex";
import { imageHash } from "../configuration/image-hash";
import { leafHashBytes, type Leaf } from "../configuration/leaves";
import { processMultiProof } from "../configuration/tree";
import { decodeSignature } from "./decode-signature";
import { tryRecoverEcdsa, tryRecoverEcdsaCompact } from "./ecdsa";
import type { Erc1271Checker, RecoveredSignature, RecoveredSigner, SignaturePart } from "./types";

/** Options of {@link recoverSignature}. */
export interface RecoverOptions {
  /** Accept flag bit 0 (chain id 0): only for a `ConfigUpdate` digest. Default false, as the contract. */
  allowChainIdZero?: boolean;
  /** Checks ERC-1271 parts; required when the signature has any (see `erc1271Checker`). */
  isValidErc1271?: Erc1271Checker;
}

const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * Does off-chain exactly what the wallet contract does with a signature
 * (`WalletSignature.recover`, lib/signature/ENCODING.md "Verification"), with the same checks, in
 * the same order, failing with a {@link SignatureError} named after the same Solidity error:
 * structure (see `decodeSignature`), then per part `InvalidECDSASignature(index)`,
 * `InvalidERC1271Signature(index, signer)`, `DuplicateLeaf(index, leaf)`,
 * `DuplicateSigner(index, signer)`, `WeightOverflow(index, total, weight)`, then
 * `MerkleProofInvalidMultiproof()`, then `ThresholdNotMet(weight, threshold)`.
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
  const decoded = decodeSignature(signature, { allowChainIdZero: options.allowChainIdZero === true });

  const leafHashes: Hex[] = [];
  const signers: RecoveredSigner[] = [];
  const seen = new Set<string>();
  let total = 0n;
  let preapproved = false;

  for (let i = 0; i < decoded.parts.length; i++) {
    const index = BigInt(i);
    const part: SignaturePart = decoded.parts[i];
    let leaf: Leaf;
    let address: Hex | undefined;
    let weight = 0n;
    switch (part.kind) {
      case "ecdsa":
      case "ecdsa-compact": {
        const recovered = part.kind === "ecdsa" ? tryRecoverEcdsa(message, part.v, part.r, part.s) : tryRecoverEcdsaCompact(message, part.r, part.yParityAndS);
        if (recovered === undefined) throw new SignatureError("InvalidECDSASignature", [index], `part ${i} does not recover`);
        address = recovered;
        weight = part.weight;
        leaf = { kind: "ecdsa-signer", signer: recovered, weight };
        break;
      }
      case "erc1271": {
        if (typeof options.isValidErc1271 !== "function") {
          throw new InvalidArgumentError("ERC1271_CHECKER_REQUIRED", "isValidErc1271", `part ${i} is an ERC-1271 signature: pass a checker`);
        }
        if (!(await options.isValidErc1271(part.signer, message, part.signature))) {
          throw new SignatureError("InvalidERC1271Signature", [index, part.signer], `${part.signer} did not accept the signature`);
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
    // Insertion into ascending order, as the contract does: the multiproof's leaf order. Leaf
    // hashes are fixed-length lowercase hex, so string order is numeric order.
    const hash = bytesToHex(leafHashBytes(leaf));
    let j = leafHashes.length;
    while (j !== 0 && leafHashes[j - 1] > hash) j--;
    if (j !== 0 && leafHashes[j - 1] === hash) throw new SignatureError("DuplicateLeaf", [index, hash], `part ${i} proves the same leaf as an earlier part`);
    leafHashes.splice(j, 0, hash);

    if (address !== undefined && address !== ZERO_ADDRESS) {
      if (seen.has(address)) throw new SignatureError("DuplicateSigner", [index, address], `${address} signs twice`);
      seen.add(address);
    }
    if (weight > MAX_UINT256 - total) throw new SignatureError("WeightOverflow", [index, total, weight], "the summed weight overflows uint256");
    total += weight;
    signers.push({ kind: part.kind, address, weight, leaf, leafHash: hash });
  }

  // The contract checks that the flags describe a well-formed multiproof before handing it to
  // OpenZeppelin, whose processMultiProof would otherwise panic or read unset memory.
  const leafCount = leafHashes.length;
  let taken = 0;
  let merges = 0;
  decoded.proofFlags.forEach((merge, j) => {
    if (merge) merges++;
    taken += merge ? 2 : 1;
    if (taken > leafCount + j) throw new SignatureError("MerkleProofInvalidMultiproof", [], `flag ${j} takes more values than the queue holds`);
  });
  if (merges !== leafCount - 1) {
    throw new SignatureError("MerkleProofInvalidMultiproof", [], `expected ${leafCount - 1} merge flags, got ${merges}`);
  }
  const root = processMultiProof({ leaves: leafHashes, proof: decoded.proof, proofFlags: decoded.proofFlags });

  if (!preapproved && total < decoded.threshold) {
    throw new SignatureError("ThresholdNotMet", [total, decoded.threshold], "the signers' weight is below the threshold");
  }
  return {
    weight: total,
    threshold: decoded.threshold,
    checkpoint: decoded.checkpoint,
    root,
    imageHash: imageHash(root, decoded.threshold, decoded.checkpoint),
    chainIdZero: decoded.chainIdZero,
    preapproved,
    signers,
  };
}
