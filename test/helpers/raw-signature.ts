/**
 * Signatures over configurations the library refuses to build (the same address twice, weights
 * near 2^256): the adversarial tests need them to show the contract defends itself anyway.
 * Built from the library's core functions, not from `Configuration`.
 */
import type { Wallet as EthersWallet } from "ethers";
import { leafHash, type Leaf } from "../../lib/configuration/leaves";
import { findLeaf, getMultiProof, makeTree, treeRoot } from "../../lib/configuration/tree";
import { imageHash } from "../../lib/configuration/image-hash";
import { encodeSignature } from "../../lib/signature/encode-signature";
import type { SignaturePart } from "../../lib/signature/types";
import type { Hex } from "../../lib/hex";

export interface RawConfiguration {
  leaves: Leaf[];
  threshold: bigint;
  checkpoint: bigint;
  root: Hex;
  imageHash: Hex;
}

export function rawConfiguration(leaves: Leaf[], threshold: bigint, checkpoint = 0n): RawConfiguration {
  const root = treeRoot(makeTree(leaves.map(leafHash)));
  return { leaves, threshold, checkpoint, root, imageHash: imageHash(root, threshold, checkpoint) };
}

/** Signs `digest` with `signing`: each entry is a leaf of the configuration and the key that signs for it. */
export function rawSign(
  configuration: RawConfiguration,
  digest: Hex,
  signing: { leaf: Leaf; key: EthersWallet }[],
): Hex {
  const tree = makeTree(configuration.leaves.map(leafHash));
  const entries = signing
    .map(({ leaf, key }) => ({ leaf, key, hash: leafHash(leaf) }))
    .sort((a, b) => (BigInt(a.hash) < BigInt(b.hash) ? -1 : 1));
  const multiProof = getMultiProof(
    tree,
    entries.map((e) => findLeaf(tree, e.hash)),
  );
  const parts: SignaturePart[] = entries.map(({ leaf, key }) => {
    const sig = key.signingKey.sign(digest);
    return { kind: "ecdsa", weight: "weight" in leaf ? leaf.weight : 0n, r: sig.r as Hex, s: sig.s as Hex, v: sig.v };
  });
  return encodeSignature({
    chainIdZero: false,
    threshold: configuration.threshold,
    checkpoint: configuration.checkpoint,
    parts,
    proof: multiProof.proof,
    proofFlags: multiProof.proofFlags,
  });
}
