/**
 * Tree walks: a configuration tree pruned to the leaves a signature proves, written as a post-order
 * (reverse Polish) program that recomputes the root (lib/configuration/ENCODING.md, "Tree walks").
 *
 * - `{op: "leaf", hash}`: a proven leaf; the verifier pushes the hash it computes from the leaf's
 *   fields (the walk's `hash` is what the library expects it to be).
 * - `{op: "hash", hash}`: the root of a subtree that holds no proven leaf; pushed as given.
 * - `{op: "node"}`: pops two hashes and pushes their sorted-pair hash.
 *
 * An inner node on the path to a proven leaf emits its two children, the child whose hash is
 * smaller first, then `node`. Sorted-pair hashing makes the order irrelevant to the root; fixing it
 * makes the walk of one set of proven leaves unique, so a signature has one encoding.
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, compareWords, normalizeBytes32, type Hex } from "../hex";
import { hashPairInto } from "../keccak";
import { findLeaf, paddedLeafCount, treeRoot, type MerkleTree } from "./tree";

/** One step of a tree walk; see the module comment. */
export type WalkStep = { op: "leaf"; hash: Hex } | { op: "hash"; hash: Hex } | { op: "node" };

/**
 * What {@link pruneToWalk} needs of a configuration: its tier trees, tier 0 first. Tier t's tree
 * holds tier t's leaf hashes and, for every tier but the last, the root of tier t + 1 as one more
 * leaf (ENCODING.md, "The tree"). `Configuration` provides it.
 */
export interface TieredTrees {
  readonly tierTrees: readonly MerkleTree[];
}

/**
 * Node index of the tree leaf at sorted position k (the layout of ./tree: node m + n - 2 - k).
 */
function leafNode(tree: MerkleTree, k: number): number {
  return paddedLeafCount(tree.leafCount) + tree.leafCount - 2 - k;
}

/**
 * The walk that recomputes `configuration.root` from the leaves whose hashes are `proven` (in any
 * order). Every subtree without a proven leaf is one `hash` step, so a walk has one `leaf` step per
 * proven leaf and one `node` step per inner node on their paths.
 *
 * Throws {@link InvalidArgumentError}: `EMPTY_PROVEN_LEAVES` (field `proven`) for an empty list,
 * `INVALID_BYTES32` for a malformed hash, `LEAF_NOT_FOUND` (field `proven[i]`) for a hash that is
 * not a leaf of the configuration (the root of a deeper tier is not a leaf either), and
 * `DUPLICATE_LEAF` (field `proven[i]`) for a hash given twice.
 *
 * @example
 * const steps = pruneToWalk(config, [aliceLeafHash, bobLeafHash]);
 * evaluateWalk(steps) === config.root
 */
export function pruneToWalk(configuration: TieredTrees, proven: readonly Hex[]): WalkStep[] {
  if (!Array.isArray(proven)) throw new InvalidArgumentError("INVALID_ARRAY", "proven", "expected an array of leaf hashes");
  if (proven.length === 0) {
    throw new InvalidArgumentError("EMPTY_PROVEN_LEAVES", "proven", "a walk proves at least one leaf");
  }
  const trees = configuration.tierTrees;
  // touched[t] holds the node indices of tier t's tree that lie on the path to a proven leaf (or
  // to the entry that carries tier t + 1's root, when that tier holds one).
  const touched = trees.map(() => new Set<number>());
  const provenNodes = trees.map(() => new Set<number>());
  const firstField = new Map<string, string>();
  const deeperRoots = trees.map((_, t) => (t + 1 < trees.length ? treeRoot(trees[t + 1]) : undefined));
  proven.forEach((value, i) => {
    const field = `proven[${i}]`;
    const hash = normalizeBytes32(value, field);
    const previous = firstField.get(hash);
    if (previous !== undefined) {
      throw new InvalidArgumentError("DUPLICATE_LEAF", field, `same leaf hash as ${previous}`, { details: { leafHash: hash, first: previous } });
    }
    firstField.set(hash, field);
    const tier = trees.findIndex((tree, t) => hash !== deeperRoots[t] && findLeaf(tree, hash) >= 0);
    if (tier < 0) {
      throw new InvalidArgumentError("LEAF_NOT_FOUND", field, "not a leaf hash of this configuration", { details: { leafHash: hash } });
    }
    const node = leafNode(trees[tier], findLeaf(trees[tier], hash));
    provenNodes[tier].add(node);
    markPath(touched, trees, deeperRoots, tier, node);
  });
  const steps: WalkStep[] = [];
  emitTier(steps, trees, deeperRoots, touched, provenNodes, 0);
  return steps;
}

/** Marks the path from `node` up to tier 0's root, through the entries carrying deeper roots. */
function markPath(touched: Set<number>[], trees: readonly MerkleTree[], deeperRoots: readonly (Hex | undefined)[], tier: number, node: number): void {
  for (let t = tier, i = node; ; ) {
    for (let j = i; ; j = (j - 1) >> 1) {
      if (touched[t].has(j)) return; // the rest of the path is marked already
      touched[t].add(j);
      if (j === 0) break;
    }
    if (t === 0) return;
    t--;
    i = leafNode(trees[t], findLeaf(trees[t], deeperRoots[t]!));
  }
}

function emitTier(
  steps: WalkStep[],
  trees: readonly MerkleTree[],
  deeperRoots: readonly (Hex | undefined)[],
  touched: readonly Set<number>[],
  provenNodes: readonly Set<number>[],
  tier: number,
): void {
  const tree = trees[tier];
  const m = paddedLeafCount(tree.leafCount);
  const deeperNode = deeperRoots[tier] === undefined ? -1 : leafNode(tree, findLeaf(tree, deeperRoots[tier]!));
  const emit = (i: number): void => {
    if (!touched[tier].has(i)) {
      steps.push({ op: "hash", hash: bytesToHex(tree.nodes, i * 32, 32) });
    } else if (i >= m - 1) {
      // A touched tree leaf is either a proven leaf or the entry that carries the deeper tier.
      if (provenNodes[tier].has(i)) steps.push({ op: "leaf", hash: bytesToHex(tree.nodes, i * 32, 32) });
      else if (i === deeperNode) emitTier(steps, trees, deeperRoots, touched, provenNodes, tier + 1);
    } else {
      const [first, second] = compareWords(tree.nodes, (2 * i + 1) * 32, tree.nodes, (2 * i + 2) * 32) <= 0 ? [2 * i + 1, 2 * i + 2] : [2 * i + 2, 2 * i + 1];
      emit(first);
      emit(second);
      steps.push({ op: "node" });
    }
  };
  emit(0);
}

/**
 * Reference evaluator of a walk, for tests and off-chain checks: runs the steps on a stack and
 * returns the one hash left. `leafHash` maps each `leaf` step (and its position among the leaf
 * steps) to the hash to push, as a verifier computes it from the leaf's fields; by default the
 * step's own hash.
 *
 * Throws {@link InvalidArgumentError}: `EMPTY_WALK`, `WALK_STACK_UNDERFLOW` (a `node` step with
 * fewer than two hashes on the stack), `WALK_NOT_CANONICAL` (a `node` whose first child hash is
 * greater than its second), `WALK_UNBALANCED` (more than one hash left), `INVALID_WALK_STEP`.
 *
 * @example
 * evaluateWalk(pruneToWalk(config, [leafHashA])) === config.root
 */
export function evaluateWalk(steps: readonly WalkStep[], leafHash: (hash: Hex, leafIndex: number) => Hex = (hash) => hash): Hex {
  if (!Array.isArray(steps) || steps.length === 0) throw new InvalidArgumentError("EMPTY_WALK", "steps", "a walk has at least one step");
  const stack: Uint8Array[] = [];
  let leaves = 0;
  steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    switch (step?.op) {
      case "leaf":
        stack.push(Buffer.from(normalizeBytes32(leafHash(normalizeBytes32(step.hash, `${field}.hash`), leaves++), `${field}.hash`).slice(2), "hex"));
        break;
      case "hash":
        stack.push(Buffer.from(normalizeBytes32(step.hash, `${field}.hash`).slice(2), "hex"));
        break;
      case "node": {
        if (stack.length < 2) {
          throw new InvalidArgumentError("WALK_STACK_UNDERFLOW", field, "a node step needs two hashes on the stack", { details: { depth: stack.length } });
        }
        const b = stack.pop()!;
        const a = stack.pop()!;
        if (compareWords(a, 0, b, 0) > 0) {
          throw new InvalidArgumentError("WALK_NOT_CANONICAL", field, "the smaller child hash must come first", { details: { first: bytesToHex(a), second: bytesToHex(b) } });
        }
        const out = new Uint8Array(32);
        hashPairInto(a, 0, b, 0, out, 0);
        stack.push(out);
        break;
      }
      default:
        throw new InvalidArgumentError("INVALID_WALK_STEP", `${field}.op`, 'expected "leaf", "hash" or "node"', { details: { value: (step as { op?: unknown })?.op } });
    }
  });
  if (stack.length !== 1) {
    throw new InvalidArgumentError("WALK_UNBALANCED", "steps", "a walk must leave exactly one hash", { details: { depth: stack.length } });
  }
  return bytesToHex(stack[0]);
}
