/**
 * What changed between two configurations: the summary a wallet UI shows before a signer
 * approves an update.
 */
import type { Configuration } from "./configuration";
import type { Leaf } from "./leaves";

/** Result of {@link diffConfigurations}. Leaves are in ascending leaf-hash order. */
export interface ConfigurationDiff {
  added: Leaf[];
  removed: Leaf[];
  /** Leaves in both whose tier changed (ascending leaf-hash order). */
  moved: { leaf: Leaf; from: number; to: number }[];
  threshold?: { from: bigint; to: bigint };
  checkpoint?: { from: bigint; to: bigint };
}

/**
 * Leaves added and removed (compared by leaf hash, so a changed weight shows as one removal and
 * one addition), leaves that moved to another tier, and the threshold and checkpoint when they differ.
 *
 * @example
 * diffConfigurations(current, current.addLeaf(guard).bumpCheckpoint())
 * // { added: [guard], removed: [], checkpoint: { from: 0n, to: 1n } }
 */
export function diffConfigurations(a: Configuration, b: Configuration): ConfigurationDiff {
  const aTiers = new Map(a.tieredLeaves.map((l, i) => [a.leafHashes[i], l.tier]));
  const bHashes = new Set(b.leafHashes);
  const diff: ConfigurationDiff = {
    added: b.leaves.filter((_, i) => !aTiers.has(b.leafHashes[i])),
    removed: a.leaves.filter((_, i) => !bHashes.has(a.leafHashes[i])),
    moved: [],
  };
  b.tieredLeaves.forEach(({ tier, ...leaf }, i) => {
    const from = aTiers.get(b.leafHashes[i]);
    if (from !== undefined && from !== tier) diff.moved.push({ leaf: leaf as Leaf, from, to: tier });
  });
  if (a.threshold !== b.threshold) diff.threshold = { from: a.threshold, to: b.threshold };
  if (a.checkpoint !== b.checkpoint) diff.checkpoint = { from: a.checkpoint, to: b.checkpoint };
  return diff;
}
