/**
 * Signatures over configurations the library refuses to build (the same address twice, weights
 * near 2^256): the adversarial tests need them to show the contract defends itself anyway.
 * Built from the library's core functions, not from `Configuration`.
 */
import type { Wallet as EthersWallet } from "ethers";
import { leafHash, type Leaf } from "../../lib/configuration/leaves";
import { findLeaf, makeTree, paddedLeafCount, treeRoot } from "../../lib/configuration/tree";
import { bytesToHex, compareWords } from "../../lib/hex";
import { imageHash } from "../../lib/configuration/image-hash";
import { encodeSignature } from "../../lib/signature/encode-signature";
import type { SignaturePart, SignatureStep } from "../../lib/signature/types";
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
  const m = paddedLeafCount(tree.leafCount);
  const parts = new Map<number, SignaturePart>();
  const touched = new Set<number>();
  for (const { leaf, key } of signing) {
    const node = m + tree.leafCount - 2 - findLeaf(tree, leafHash(leaf));
    const sig = key.signingKey.sign(digest);
    parts.set(node, { kind: "ecdsa", weight: "weight" in leaf ? leaf.weight : 0n, r: sig.r as Hex, s: sig.s as Hex, v: sig.v });
    for (let j = node; !touched.has(j); j = (j - 1) >> 1) {
      touched.add(j);
      if (j === 0) break;
    }
  }
  // The canonical walk of a one-tier tree, as pruneToWalk (lib/configuration/tree-walk.ts) builds it.
  const walk: SignatureStep[] = [];
  const emit = (i: number): void => {
    if (!touched.has(i)) walk.push({ op: "hash", hash: bytesToHex(tree.nodes, i * 32, 32) });
    else if (i >= m - 1) walk.push({ op: "part", part: parts.get(i)! });
    else {
      const [x, y] = compareWords(tree.nodes, (2 * i + 1) * 32, tree.nodes, (2 * i + 2) * 32) <= 0 ? [2 * i + 1, 2 * i + 2] : [2 * i + 2, 2 * i + 1];
      emit(x);
      emit(y);
      walk.push({ op: "node" });
    }
  };
  emit(0);
  return encodeSignature({ chainIdZero: false, threshold: configuration.threshold, checkpoint: configuration.checkpoint, walk });
}
