/**
 * `Configuration`: the immutable, validated view of one wallet configuration (threshold,
 * checkpoint, leaves) with its tree, root and image hash, proofs, updates, and the versioned JSON
 * format. A thin layer over the pure functions of ./tree, ./leaves and ./image-hash, in the manner
 * of OpenZeppelin's `StandardMerkleTree`.
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, normalizeBytes32, parseDecimal, type Hex } from "../hex";
import { imageHash } from "./image-hash";
import {
  leafFromJson,
  leafHashBytes,
  leafToJson,
  leafWeight,
  normalizeLeaf,
  weightedSignerAddress,
  type Leaf,
  type LeafKind,
} from "./leaves";
import {
  findLeaf,
  getMultiProof,
  getProof,
  makeTree,
  processMultiProof,
  processProof,
  replaceLeaf as replaceTreeLeaf,
  treeRoot,
  type MerkleTree,
} from "./tree";

/** The version tag of the JSON format written by {@link Configuration.dump}: leaves carry their `tier`. */
export const CONFIGURATION_FORMAT = "arbor-configuration-v2";
/** The first JSON format (no tiers: every leaf at tier 0), still read by {@link Configuration.load}. */
export const CONFIGURATION_FORMAT_V1 = "arbor-configuration-v1";

/** The largest leaf weight: the compact signature encoding gives a weight one byte. */
export const MAX_WEIGHT = 255n;
/** The largest threshold: two bytes in the compact signature encoding. */
export const MAX_THRESHOLD = 65_535n;
/** The largest checkpoint: eight bytes in the compact signature encoding. */
export const MAX_CHECKPOINT = 2n ** 64n - 1n;

/**
 * Leaf kinds whose weight a wallet can collect today (signature part kinds 0x01-0x03). Passkey
 * and guard leaves carry a weight but have no signature part yet, so they cannot reach a threshold.
 */
export const SIGNABLE_LEAF_KINDS: readonly LeafKind[] = ["ecdsa-signer", "erc1271-signer"];

/** A leaf as {@link Configuration.of} takes it: any leaf, optionally with its tier (default 0). */
export type TieredLeaf = Leaf & { tier?: number };

/** Input of {@link Configuration.of}. Numbers are bigint. */
export interface ConfigurationInput {
  threshold: bigint;
  checkpoint: bigint;
  leaves: readonly TieredLeaf[];
}

/** JSON form of a configuration: numbers as decimal strings, leaves in ascending hash order, each with its tier. */
export interface ConfigurationJson {
  format: typeof CONFIGURATION_FORMAT;
  threshold: string;
  checkpoint: string;
  leaves: Record<string, string | boolean | number>[];
}

/** A multiproof of configuration leaves: leaves and their hashes in ascending hash order. */
export interface LeafMultiProof {
  leaves: Leaf[];
  leafHashes: Hex[];
  proof: Hex[];
  proofFlags: boolean[];
}

/**
 * Changes applied by {@link Configuration.update}, in this order: remove, replace, add, move,
 * threshold, checkpoint. A replacement keeps the tier of the leaf it replaces unless `to.tier` is
 * given; an added leaf goes to `tier` (default 0).
 */
export interface ConfigurationUpdate {
  remove?: readonly Leaf[];
  replace?: readonly { from: Leaf; to: TieredLeaf }[];
  add?: readonly TieredLeaf[];
  move?: readonly { leaf: Leaf; tier: number }[];
  threshold?: bigint;
  checkpoint?: bigint;
}

/** A leaf with its hash, its tier and the path to name it by in errors. */
interface Entry {
  leaf: Leaf;
  hash: Hex;
  tier: number;
  field: string;
}

/** One tier: its entries ascending, its tree, and where the next tier's root sits in it (-1: none). */
interface Tier {
  entries: Entry[];
  tree: MerkleTree;
  deeperPosition: number;
}

/** Where a leaf hash sits: its tier, its sorted position in that tier's tree, its entry. */
interface Location {
  tier: number;
  position: number;
  entry: Entry;
}

function checkTier(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError("INVALID_TIER", field, "expected an integer >= 0", { details: { value } });
  }
  return value;
}

/**
 * Splits off the `tier` of an input leaf (it places the leaf; it is not part of its hash). With
 * `fromJson` the tier is a JSON number; `allowTier` is false for the v1 format, which has none.
 */
function hashEntry(leaf: unknown, field: string, fromJson = false, allowTier = true, defaultTier = 0): Entry {
  let tier = defaultTier;
  let fields = leaf;
  if (allowTier && typeof leaf === "object" && leaf !== null && !Array.isArray(leaf) && "tier" in leaf) {
    const { tier: raw, ...rest } = leaf as Record<string, unknown>;
    if (raw !== undefined) tier = checkTier(raw, `${field}.tier`);
    fields = rest;
  }
  const normalized = fromJson ? leafFromJson(fields, field) : normalizeLeaf(fields, field);
  return { leaf: normalized, hash: bytesToHex(leafHashBytes(normalized)), tier, field };
}

const byHash = (a: Entry, b: Entry): number => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);

/**
 * Builds the tier trees bottom up (ENCODING.md, "The tree"): the last tier's tree over its leaf
 * hashes, every other tier's over its leaf hashes plus the root of the tier below it.
 */
function buildTiers(byTier: Entry[][]): Tier[] {
  const tiers: Tier[] = new Array(byTier.length);
  let deeperRoot: Hex | undefined;
  for (let t = byTier.length - 1; t >= 0; t--) {
    const hashes = byTier[t].map((e) => e.hash);
    if (deeperRoot !== undefined) hashes.push(deeperRoot);
    const tree = makeTree(hashes);
    tiers[t] = { entries: byTier[t], tree, deeperPosition: deeperRoot === undefined ? -1 : findLeaf(tree, deeperRoot) };
    deeperRoot = treeRoot(tree);
  }
  return tiers;
}

/**
 * A validated, immutable wallet configuration.
 *
 * @example
 * const config = Configuration.of({
 *   threshold: 2n,
 *   checkpoint: 0n,
 *   leaves: [
 *     { kind: "ecdsa-signer", signer: alice, weight: 1n },
 *     { kind: "ecdsa-signer", signer: bob, weight: 1n },
 *     { kind: "recovery-key", signer: carol, timelock: 86400n, tier: 1 },
 *   ],
 * });
 * config.imageHash; // what the wallet is bound to
 * const next = config.addLeaf({ kind: "ecdsa-signer", signer: dave, weight: 1n }).bumpCheckpoint();
 */
export class Configuration {
  readonly threshold: bigint;
  readonly checkpoint: bigint;
  readonly root: Hex;
  readonly imageHash: Hex;
  /** Sum of the weights of the weighted signer leaves (passkeys and guards included). */
  readonly totalWeight: bigint;
  /** Sum of the weights of the leaves that can sign today ({@link SIGNABLE_LEAF_KINDS}). */
  readonly signableWeight: bigint;
  private readonly entries: readonly Entry[];
  private readonly tiers: readonly Tier[];

  private constructor(threshold: bigint, checkpoint: bigint, sortedEntries: readonly Entry[], tiers: readonly Tier[], totals: { total: bigint; signable: bigint }) {
    this.threshold = threshold;
    this.checkpoint = checkpoint;
    this.entries = sortedEntries;
    this.tiers = tiers;
    this.root = treeRoot(tiers[0].tree);
    this.imageHash = imageHash(this.root, threshold, checkpoint);
    this.totalWeight = totals.total;
    this.signableWeight = totals.signable;
  }

  /**
   * Validates and builds a configuration. Throws {@link InvalidArgumentError} naming the field:
   * `threshold` (below 1, above 65,535, or above what the signable leaves can reach),
   * `checkpoint` (above 2^64 - 1), `leaves` (empty), `leaves[i]...` (an invalid field, a weight
   * outside 1..255, a duplicate leaf, a signer address used twice), `leaves[i].tier` (not an
   * integer >= 0, a gap in the tiers, a last tier of one leaf).
   *
   * @example
   * Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer, weight: 1n }] })
   */
  static of(input: ConfigurationInput): Configuration {
    if (typeof input !== "object" || input === null) {
      throw new InvalidArgumentError("INVALID_CONFIGURATION", "", "expected {threshold, checkpoint, leaves}");
    }
    const checkpoint = checkUint(input.checkpoint, "checkpoint", 0n, MAX_CHECKPOINT);
    const threshold = checkUint(input.threshold, "threshold", 0n, MAX_THRESHOLD);
    if (!Array.isArray(input.leaves)) throw new InvalidArgumentError("INVALID_ARRAY", "leaves", "expected an array of leaves");
    const entries = input.leaves.map((leaf, i) => hashEntry(leaf, `leaves[${i}]`));
    return Configuration.build(threshold, checkpoint, entries);
  }

  /**
   * Reads the JSON written by {@link Configuration.dump} (an object or its string), validating
   * everything and naming the offending field, e.g. `leaves[3].signer`. Reads both
   * `arbor-configuration-v2` (leaves carry a `tier`, default 0) and `arbor-configuration-v1`
   * (no tiers).
   *
   * @example
   * const config = Configuration.load(JSON.parse(fs.readFileSync("wallet.json", "utf8")));
   */
  static load(json: unknown): Configuration {
    let value = json;
    if (typeof value === "string") {
      try {
        value = JSON.parse(value);
      } catch (cause) {
        throw new InvalidArgumentError("INVALID_JSON", "", "not valid JSON", { cause });
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InvalidArgumentError("INVALID_CONFIGURATION", "", "expected a JSON object");
    }
    const obj = value as Record<string, unknown>;
    if (obj.format !== CONFIGURATION_FORMAT && obj.format !== CONFIGURATION_FORMAT_V1) {
      throw new InvalidArgumentError("UNSUPPORTED_FORMAT", "format", `expected "${CONFIGURATION_FORMAT}" or "${CONFIGURATION_FORMAT_V1}"`, {
        details: { value: obj.format },
      });
    }
    for (const key of Object.keys(obj)) {
      if (!["format", "threshold", "checkpoint", "leaves"].includes(key)) {
        throw new InvalidArgumentError("UNKNOWN_FIELD", key, "not a field of " + obj.format);
      }
    }
    const threshold = parseDecimal(obj.threshold, "threshold", 0n, MAX_THRESHOLD);
    const checkpoint = parseDecimal(obj.checkpoint, "checkpoint", 0n, MAX_CHECKPOINT);
    if (!Array.isArray(obj.leaves)) throw new InvalidArgumentError("INVALID_ARRAY", "leaves", "expected an array of leaves");
    const tiered = obj.format === CONFIGURATION_FORMAT;
    const entries = obj.leaves.map((leaf: unknown, i: number) => hashEntry(leaf, `leaves[${i}]`, true, tiered));
    return Configuration.build(threshold, checkpoint, entries);
  }

  /**
   * Whether `proof` proves `leaf` under `root` (no configuration needed).
   *
   * @example
   * Configuration.verify(config.root, leaf, config.proof(leaf)) // true
   */
  static verify(root: Hex | string, leaf: Leaf, proof: readonly (Hex | string)[]): boolean {
    return processProof(hashEntry(leaf, "leaf").hash, proof) === normalizeBytes32(root, "root");
  }

  /**
   * Checks the rules of ENCODING.md ("A configuration") on normalized entries and builds. `trees`
   * (one per tier) skips the tree build when the caller already has them.
   */
  private static build(threshold: bigint, checkpoint: bigint, entries: Entry[], trees?: readonly MerkleTree[]): Configuration {
    if (entries.length === 0) throw new InvalidArgumentError("EMPTY_CONFIGURATION", "leaves", "a configuration needs at least one leaf");
    const sorted = entries.slice().sort(byHash);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].hash === sorted[i - 1].hash) {
        const [first, second] = [sorted[i - 1], sorted[i]].sort((a, b) => entries.indexOf(a) - entries.indexOf(b));
        throw new InvalidArgumentError("DUPLICATE_LEAF", second.field, `same leaf as ${first.field}`, {
          details: { leafHash: second.hash, first: first.field },
        });
      }
    }
    const signers = new Map<string, string>();
    let total = 0n;
    let signable = 0n;
    let deepest = 0;
    for (const entry of entries) {
      const address = weightedSignerAddress(entry.leaf);
      if (address !== undefined) {
        const previous = signers.get(address);
        if (previous !== undefined) {
          throw new InvalidArgumentError("DUPLICATE_SIGNER", entry.field, `signer ${address} already appears in ${previous}`, {
            details: { signer: address, first: previous },
          });
        }
        signers.set(address, entry.field);
      }
      const weight = leafWeight(entry.leaf);
      if (weight > MAX_WEIGHT) {
        throw new InvalidArgumentError("INTEGER_TOO_LARGE", `${entry.field}.weight`, `expected an integer in [1, ${MAX_WEIGHT}], got ${weight}`, {
          details: { value: weight, min: 1n, max: MAX_WEIGHT },
        });
      }
      total += weight;
      if (SIGNABLE_LEAF_KINDS.includes(entry.leaf.kind)) signable += weight;
      if (entry.tier > deepest) deepest = entry.tier;
    }
    if (threshold < 1n) throw new InvalidArgumentError("THRESHOLD_TOO_LOW", "threshold", "must be at least 1", { details: { threshold } });
    if (threshold > MAX_THRESHOLD) {
      throw new InvalidArgumentError("INTEGER_TOO_LARGE", "threshold", `expected an integer in [1, ${MAX_THRESHOLD}], got ${threshold}`, {
        details: { value: threshold, min: 1n, max: MAX_THRESHOLD },
      });
    }
    if (checkpoint > MAX_CHECKPOINT) {
      throw new InvalidArgumentError("INTEGER_TOO_LARGE", "checkpoint", `expected an integer in [0, ${MAX_CHECKPOINT}], got ${checkpoint}`, {
        details: { value: checkpoint, min: 0n, max: MAX_CHECKPOINT },
      });
    }
    if (threshold > signable) {
      throw new InvalidArgumentError(
        "THRESHOLD_UNREACHABLE",
        "threshold",
        `exceeds the weight ${signable} of the leaves that can sign (${SIGNABLE_LEAF_KINDS.join(", ")}); passkey and guard weights do not count yet`,
        { details: { threshold, signableWeight: signable, totalWeight: total } },
      );
    }
    // Fields name the leaf by its sorted position, the order `leaves` and `dump()` show; copies, as
    // the input entries may belong to another configuration. The tier lists share the copies.
    const named = sorted.map((e, k): Entry => ({ ...e, field: `leaves[${k}]` }));
    const byTier = Configuration.splitTiers(sorted, named, deepest);
    const tiers =
      trees === undefined
        ? buildTiers(byTier)
        : byTier.map((tierEntries, t): Tier => ({
            entries: tierEntries,
            tree: trees[t],
            deeperPosition: t + 1 < trees.length ? findLeaf(trees[t], treeRoot(trees[t + 1])) : -1,
          }));
    return new Configuration(threshold, checkpoint, named, tiers, { total, signable });
  }

  /**
   * The sorted entries of each tier, checking that the tiers are 0..deepest without a gap (so one
   * set of tiered leaves has one layout) and that a last tier below tier 0 holds at least two
   * leaves (a last tier of one leaf is the same tree as that leaf one tier up: refused, so each
   * tree has one tier layout).
   */
  private static splitTiers(sorted: Entry[], named: Entry[], deepest: number): Entry[][] {
    if (deepest === 0) return [named];
    if (deepest >= sorted.length) {
      const entry = sorted.find((e) => e.tier === deepest)!;
      throw new InvalidArgumentError("TIER_GAP", `${entry.field}.tier`, `tier ${deepest} needs every tier above it filled, and there are only ${sorted.length} leaves`, {
        details: { tier: deepest },
      });
    }
    // Original entries (their fields name the input) for the errors, copies for the tiers.
    const byTier: Entry[][] = Array.from({ length: deepest + 1 }, () => []);
    const firstOf: Entry[][] = Array.from({ length: deepest + 1 }, () => []);
    sorted.forEach((e, k) => {
      byTier[e.tier].push(named[k]);
      firstOf[e.tier].push(e);
    });
    for (let t = 0; t <= deepest; t++) {
      if (byTier[t].length === 0) {
        const below = firstOf.slice(t + 1).find((list) => list.length > 0)![0];
        throw new InvalidArgumentError("TIER_GAP", `${below.field}.tier`, `tier ${below.tier} is used but tier ${t} holds no leaf`, {
          details: { tier: below.tier, missingTier: t },
        });
      }
    }
    if (byTier[deepest].length === 1) {
      const lone = firstOf[deepest][0];
      throw new InvalidArgumentError(
        "LONE_LAST_TIER",
        `${lone.field}.tier`,
        `the last tier ${deepest} holds one leaf, which makes the same tree as that leaf at tier ${deepest - 1}: put it there`,
        { details: { tier: deepest } },
      );
    }
    return byTier;
  }

  /** Number of tiers (1 for a configuration whose leaves all sit at tier 0). */
  get tierCount(): number {
    return this.tiers.length;
  }

  /**
   * The trees of the configuration's tiers, tier 0 first (ENCODING.md, "The tree"); what
   * `pruneToWalk` walks. Read only: the trees are shared with this configuration.
   */
  get tierTrees(): readonly MerkleTree[] {
    return this.tiers.map((t) => t.tree);
  }

  /** Leaves in ascending leaf-hash order (the order of `dump()`), without their tiers. */
  get leaves(): Leaf[] {
    return this.entries.map((e) => ({ ...e.leaf }));
  }

  /** Leaves in ascending leaf-hash order, each with its `tier`: what {@link Configuration.of} takes back. */
  get tieredLeaves(): (Leaf & { tier: number })[] {
    return this.entries.map((e) => ({ ...e.leaf, tier: e.tier }));
  }

  /** Leaf hashes, ascending. */
  get leafHashes(): Hex[] {
    return this.entries.map((e) => e.hash);
  }

  /** Where a leaf hash sits, or undefined. A deeper tier's root is not a leaf. */
  private locate(hash: Hex | string): Location | undefined {
    for (let t = 0; t < this.tiers.length; t++) {
      const { tree, entries, deeperPosition } = this.tiers[t];
      const position = findLeaf(tree, hash);
      if (position < 0 || position === deeperPosition) continue;
      return { tier: t, position, entry: entries[deeperPosition >= 0 && position > deeperPosition ? position - 1 : position] };
    }
    return undefined;
  }

  /**
   * The leaf with this hash, or undefined.
   *
   * @example
   * config.leafByHash(config.leafHashes[0])
   */
  leafByHash(hash: Hex | string): Leaf | undefined {
    const location = this.locate(hash);
    return location === undefined ? undefined : { ...location.entry.leaf };
  }

  /**
   * Whether the configuration holds this leaf.
   *
   * @example
   * config.has({ kind: "ecdsa-signer", signer: alice, weight: 1n }) // true
   */
  has(leaf: Leaf): boolean {
    return this.locate(hashEntry(leaf, "leaf").hash) !== undefined;
  }

  /**
   * The tier a leaf sits at. Throws `LEAF_NOT_FOUND` for a leaf the configuration does not hold.
   *
   * @example
   * config.tierOf(recoveryLeaf) // 1
   */
  tierOf(leaf: Leaf): number {
    return this.find(leaf, "leaf").tier;
  }

  private find(leaf: Leaf, field: string): Location {
    const entry = hashEntry(leaf, field);
    const location = this.locate(entry.hash);
    if (location === undefined) {
      throw new InvalidArgumentError("LEAF_NOT_FOUND", field, "the configuration has no such leaf", {
        details: { leafHash: entry.hash },
      });
    }
    return location;
  }

  /** Sibling hashes from the root of `tier` up to the configuration root, through each tier's entry for the one below. */
  private pathAbove(tier: number): Hex[] {
    const path: Hex[] = [];
    for (let t = tier - 1; t >= 0; t--) path.push(...getProof(this.tiers[t].tree, this.tiers[t].deeperPosition));
    return path;
  }

  /**
   * Merkle proof of one leaf (OpenZeppelin `MerkleProof.verify` format), at any tier: the proof
   * inside the leaf's tier, then the proof of that tier's root inside each tier above.
   *
   * @example
   * const proof = config.proof(leaf); // Hex[]
   */
  proof(leaf: Leaf): Hex[] {
    const { tier, position } = this.find(leaf, "leaf");
    return [...getProof(this.tiers[tier].tree, position), ...this.pathAbove(tier)];
  }

  /**
   * Multiproof of several distinct leaves (OpenZeppelin `multiProofVerify` format); the returned
   * leaves are in ascending hash order: the multiproof's leaf order, and the canonical order of
   * signature parts. The leaves must sit in one tier (`MULTIPROOF_ACROSS_TIERS` otherwise):
   * OpenZeppelin's multiproof consumes its leaves before any hash it computes, so leaves at
   * different depths cannot share one in ascending order; `pruneToWalk` covers that case.
   *
   * @example
   * const { leaves, proof, proofFlags } = config.multiProof([alice, bob]);
   */
  multiProof(leaves: readonly Leaf[]): LeafMultiProof {
    const located = leaves.map((leaf, i) => this.find(leaf, `leaves[${i}]`));
    const seen = new Map<number, number>();
    located.forEach((l, i) => {
      if (l.tier !== located[0].tier) {
        throw new InvalidArgumentError("MULTIPROOF_ACROSS_TIERS", `leaves[${i}]`, `sits at tier ${l.tier}, leaves[0] at tier ${located[0].tier}; use pruneToWalk`, {
          details: { tier: l.tier, firstTier: located[0].tier },
        });
      }
      const first = seen.get(l.position);
      if (first !== undefined) {
        throw new InvalidArgumentError("DUPLICATE_LEAF", `leaves[${i}]`, `same leaf as leaves[${first}]`);
      }
      seen.set(l.position, i);
    });
    const tier = located.length === 0 ? 0 : located[0].tier;
    const mp = getMultiProof(this.tiers[tier].tree, located.map((l) => l.position));
    if (located.length > 0) {
      // The tier's multiproof ends with its root as the last queued hash; each further step
      // (flag false) pairs that hash with the next sibling on the way up.
      const above = this.pathAbove(tier);
      mp.proof.push(...above);
      mp.proofFlags.push(...above.map(() => false));
    } else {
      mp.proof[0] = this.root;
    }
    return {
      leaves: mp.leaves.map((h) => ({ ...this.locate(h)!.entry.leaf })),
      leafHashes: mp.leaves,
      proof: mp.proof,
      proofFlags: mp.proofFlags,
    };
  }

  /**
   * Whether `proof` proves `leaf` under this configuration's root.
   *
   * @example
   * config.verify(leaf, config.proof(leaf)) // true
   */
  verify(leaf: Leaf, proof: readonly (Hex | string)[]): boolean {
    return Configuration.verify(this.root, leaf, proof);
  }

  /**
   * Whether a multiproof proves its leaves (given in ascending hash order) under this root.
   * A malformed multiproof throws `MultiProofError`, as OpenZeppelin's `multiProofVerify` reverts.
   *
   * @example
   * config.verifyMultiProof(config.multiProof([alice, bob])) // true
   */
  verifyMultiProof(multiProof: { leaves: readonly Leaf[]; proof: readonly (Hex | string)[]; proofFlags: readonly boolean[] }): boolean {
    const leafHashes = multiProof.leaves.map((leaf, i) => hashEntry(leaf, `leaves[${i}]`).hash);
    const root = processMultiProof({ leaves: leafHashes, proof: [...multiProof.proof] as Hex[], proofFlags: [...multiProof.proofFlags] });
    return root === this.root;
  }

  /**
   * Applies changes and returns the new configuration (this one is unchanged). The order is:
   * remove, replace, add, move, then threshold and checkpoint; the result is validated as a whole.
   * Tiers stay as they are unless a change says otherwise (see {@link ConfigurationUpdate}).
   * Note: a wallet accepts an update only with a higher checkpoint; set `checkpoint` or call
   * {@link bumpCheckpoint}.
   *
   * @example
   * const next = config.update({ add: [newSigner], move: [{ leaf: spareKey, tier: 1 }], checkpoint: config.checkpoint + 1n });
   */
  update(changes: ConfigurationUpdate): Configuration {
    const threshold = changes.threshold === undefined ? this.threshold : checkUint(changes.threshold, "threshold", 0n, MAX_THRESHOLD);
    const checkpoint = changes.checkpoint === undefined ? this.checkpoint : checkUint(changes.checkpoint, "checkpoint", 0n, MAX_CHECKPOINT);
    const remove = changes.remove ?? [];
    const replace = changes.replace ?? [];
    const add = changes.add ?? [];
    const move = changes.move ?? [];

    // Only threshold/checkpoint change: the trees are the same.
    if (remove.length === 0 && replace.length === 0 && add.length === 0 && move.length === 0) {
      return Configuration.build(threshold, checkpoint, this.entries.slice(), this.tierTrees);
    }

    const entries: (Entry | undefined)[] = this.entries.slice();
    const indexOf = (hash: Hex): number => {
      let lo = 0;
      let hi = this.entries.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.entries[mid].hash < hash) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const drop = (leaf: Leaf, field: string): { k: number; location: Location } => {
      const location = this.find(leaf, field);
      const k = indexOf(location.entry.hash);
      if (entries[k] === undefined) throw new InvalidArgumentError("LEAF_NOT_FOUND", field, "this leaf was already removed, replaced or moved");
      entries[k] = undefined;
      return { k, location };
    };
    remove.forEach((leaf, i) => drop(leaf, `remove[${i}]`));
    const replacements = replace.map((r, i) => {
      const { location } = drop(r.from, `replace[${i}].from`);
      return { location, entry: hashEntry(r.to, `replace[${i}].to`, false, true, location.tier) };
    });
    const added = add.map((leaf, i) => hashEntry(leaf, `add[${i}]`));
    const moved = move.map((m, i) => {
      const { location } = drop(m.leaf, `move[${i}].leaf`);
      return { ...location.entry, tier: checkTier(m.tier, `move[${i}].tier`), field: `move[${i}]` };
    });
    const result: Entry[] = [];
    entries.forEach((e) => e && result.push(e));
    replacements.forEach((r) => result.push(r.entry));
    result.push(...added, ...moved);

    // One leaf swapped for another in the same tier: rehash one path in that tier, then the
    // entry of each tier above that carries the changed root.
    let trees: MerkleTree[] | undefined;
    if (remove.length === 0 && add.length === 0 && move.length === 0 && replacements.length === 1 && replacements[0].entry.tier === replacements[0].location.tier) {
      const { location, entry } = replacements[0];
      trees = this.tierTrees.slice();
      let changed = replaceTreeLeaf(trees[location.tier], location.position, entry.hash).tree;
      trees[location.tier] = changed;
      for (let t = location.tier - 1; t >= 0; t--) {
        changed = replaceTreeLeaf(trees[t], this.tiers[t].deeperPosition, treeRoot(changed)).tree;
        trees[t] = changed;
      }
    }
    return Configuration.build(threshold, checkpoint, result, trees);
  }

  /** New configuration with `leaf` moved to `tier`. @example config.moveLeaf(spareKey, 1) */
  moveLeaf(leaf: Leaf, tier: number): Configuration {
    return this.update({ move: [{ leaf, tier }] });
  }

  /** New configuration with one more leaf. @example config.addLeaf({ kind: "guard", guard, weight: 1n }) */
  addLeaf(leaf: TieredLeaf): Configuration {
    return this.update({ add: [leaf] });
  }

  /** New configuration without `leaf` (which must be present). @example config.removeLeaf(oldSigner) */
  removeLeaf(leaf: Leaf): Configuration {
    return this.update({ remove: [leaf] });
  }

  /** New configuration with `from` replaced by `to`. @example config.replaceLeaf(oldKey, newKey) */
  replaceLeaf(from: Leaf, to: TieredLeaf): Configuration {
    return this.update({ replace: [{ from, to }] });
  }

  /** New configuration with another threshold. @example config.withThreshold(2n) */
  withThreshold(threshold: bigint): Configuration {
    return this.update({ threshold });
  }

  /** New configuration with another checkpoint. @example config.withCheckpoint(7n) */
  withCheckpoint(checkpoint: bigint): Configuration {
    return this.update({ checkpoint });
  }

  /** New configuration with checkpoint + 1. @example config.bumpCheckpoint().checkpoint === config.checkpoint + 1n */
  bumpCheckpoint(): Configuration {
    if (this.checkpoint === MAX_CHECKPOINT) {
      throw new InvalidArgumentError("INTEGER_TOO_LARGE", "checkpoint", `the checkpoint is already the largest (${MAX_CHECKPOINT})`);
    }
    return this.update({ checkpoint: this.checkpoint + 1n });
  }

  /**
   * The versioned JSON form (`arbor-configuration-v2`), leaves in ascending hash order, each
   * with its `tier` (a JSON number).
   *
   * @example
   * fs.writeFileSync("wallet.json", JSON.stringify(config.dump(), null, 2));
   */
  dump(): ConfigurationJson {
    return {
      format: CONFIGURATION_FORMAT,
      threshold: this.threshold.toString(10),
      checkpoint: this.checkpoint.toString(10),
      leaves: this.entries.map((e) => ({ ...leafToJson(e.leaf), tier: e.tier })),
    };
  }

  /** `JSON.stringify(config)` writes the dump format. */
  toJSON(): ConfigurationJson {
    return this.dump();
  }
}
