/**
 * The tree walk a signature carries: the configuration's tree pruned to the leaves it proves, in
 * post-order, each node's smaller-hash child first (lib/signature/ENCODING.md, "Tree walk").
 *
 * INTEGRATION NOTE: `pruneToWalk` (lib/configuration/tree-walk.ts, tree-layout's tiered trees)
 * is the source of truth for walks; this module walks the one padded tree `Configuration` builds
 * today, with the same step interface, and refuses (InvariantError) a configuration whose root it
 * cannot rebuild. Once tiers land, `configurationWalk` becomes a call to `pruneToWalk`.
 */
import { InvalidArgumentError, InvariantError } from "../errors";
import { bytesToHex, compareWords, normalizeBytes32, type Hex } from "../hex";
import type { Configuration } from "../configuration/configuration";
import { findLeaf, makeTree, paddedLeafCount, treeRoot } from "../configuration/tree";

/** One step of a walk over leaf hashes (tree-layout's `WalkStep`). */
export type WalkStep = { op: "leaf"; hash: Hex } | { op: "hash"; hash: Hex } | { op: "node" };

/**
 * The walk that recomputes `configuration.root` from the leaves whose hashes are `proven`.
 * Throws {@link InvalidArgumentError}: `EMPTY_PROVEN_LEAVES`, `LEAF_NOT_FOUND`, `DUPLICATE_LEAF`.
 *
 * @example
 * configurationWalk(config, [leafHash(aliceLeaf)])
 */
export function configurationWalk(configuration: Configuration, proven: readonly Hex[]): WalkStep[] {
  if (!Array.isArray(proven) || proven.length === 0) throw new InvalidArgumentError("EMPTY_PROVEN_LEAVES", "proven", "a walk proves at least one leaf");
  const tree = makeTree(configuration.leafHashes);
  if (treeRoot(tree) !== configuration.root) throw new InvariantError("the configuration's root is not the padded tree's root", { details: { root: configuration.root } });
  const m = paddedLeafCount(tree.leafCount);
  const touched = new Set<number>();
  const leafNodes = new Set<number>();
  proven.forEach((value, i) => {
    const hash = normalizeBytes32(value, `proven[${i}]`);
    const k = findLeaf(tree, hash);
    if (k < 0) throw new InvalidArgumentError("LEAF_NOT_FOUND", `proven[${i}]`, "not a leaf hash of this configuration", { details: { leafHash: hash } });
    const node = m + tree.leafCount - 2 - k;
    if (leafNodes.has(node)) throw new InvalidArgumentError("DUPLICATE_LEAF", `proven[${i}]`, "the same leaf hash twice", { details: { leafHash: hash } });
    leafNodes.add(node);
    for (let j = node; !touched.has(j); j = (j - 1) >> 1) {
      touched.add(j);
      if (j === 0) break;
    }
  });
  const steps: WalkStep[] = [];
  const emit = (i: number): void => {
    if (!touched.has(i)) steps.push({ op: "hash", hash: bytesToHex(tree.nodes, i * 32, 32) });
    else if (i >= m - 1) steps.push({ op: "leaf", hash: bytesToHex(tree.nodes, i * 32, 32) });
    else {
      const [a, b] = compareWords(tree.nodes, (2 * i + 1) * 32, tree.nodes, (2 * i + 2) * 32) <= 0 ? [2 * i + 1, 2 * i + 2] : [2 * i + 2, 2 * i + 1];
      emit(a);
      emit(b);
      steps.push({ op: "node" });
    }
  };
  emit(0);
  return steps;
}
