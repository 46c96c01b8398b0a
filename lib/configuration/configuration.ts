/**
 * `Configuration`: the immutable, validated view of one wallet configuration (threshold,
 * checkpoint, leaves) with its tree, root and image hash, proofs, updates, and the versioned JSON
 * format. A thin layer over the pure functions of ./tree, ./leaves and ./image-hash, in the manner
 * of OpenZeppelin's `StandardMerkleTree`.
 */
import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, MAX_UINT256, normalizeBytes32, parseDecimal, type Hex } from "../hex";
import { imageHash } from "./image-hash";
import {
  leafFromJson,
  leafHashBytes,
  leafToJson,
  leafWeight,
  normalizeLeaf,
  weightedSignerAddress,
  type Leaf,
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

/** The version tag of the JSON format written by {@link Configuration.dump}. */
export const CONFIGURATION_FORMAT = "arbor-configuration-v1";

/** Input of {@link Configuration.of}. Numbers are bigint. */
export interface ConfigurationInput {
  threshold: bigint;
  checkpoint: bigint;
  leaves: readonly Leaf[];
}

/** JSON form of a configuration: numbers as decimal strings, leaves in ascending hash order. */
export interface ConfigurationJson {
  format: typeof CONFIGURATION_FORMAT;
  threshold: string;
  checkpoint: string;
  leaves: Record<string, string | boolean>[];
}

/** A multiproof of configuration leaves: leaves and their hashes in ascending hash order. */
export interface LeafMultiProof {
  leaves: Leaf[];
  leafHashes: Hex[];
  proof: Hex[];
  proofFlags: boolean[];
}

/** Changes applied by {@link Configuration.update}, in this order: remove, replace, add, threshold, checkpoint. */
export interface ConfigurationUpdate {
  remove?: readonly Leaf[];
  replace?: readonly { from: Leaf; to: Leaf }[];
  add?: readonly Leaf[];
  threshold?: bigint;
  checkpoint?: bigint;
}

/** A leaf with its hash and the path to name it by in errors. */
interface Entry {
  leaf: Leaf;
  hash: Hex;
  field: string;
}

function hashEntry(leaf: unknown, field: string, fromJson = false): Entry {
  const normalized = fromJson ? leafFromJson(leaf, field) : normalizeLeaf(leaf, field);
  return { leaf: normalized, hash: bytesToHex(leafHashBytes(normalized)), field };
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
 *     { kind: "recovery-key", signer: carol, timelock: 86400n },
 *   ],
 * });
 * config.imageHash; // what the wallet is bound to
 * const next = config.addLeaf({ kind: "guard", guard: dave, weight: 1n }).bumpCheckpoint();
 */
export class Configuration {
  readonly threshold: bigint;
  readonly checkpoint: bigint;
  readonly root: Hex;
  readonly imageHash: Hex;
  /** Sum of the weights of the weighted signer leaves. */
  readonly totalWeight: bigint;
  private readonly entries: readonly Entry[];
  private readonly tree: MerkleTree;

  private constructor(threshold: bigint, checkpoint: bigint, sortedEntries: readonly Entry[], tree: MerkleTree) {
    this.threshold = threshold;
    this.checkpoint = checkpoint;
    // Fields name the leaf by its sorted position, the order `leaves` and `dump()` show.
    this.entries = sortedEntries.map((e, k) => ({ ...e, field: `leaves[${k}]` }));
    this.tree = tree;
    this.root = treeRoot(tree);
    this.imageHash = imageHash(this.root, threshold, checkpoint);
    this.totalWeight = sortedEntries.reduce((sum, e) => sum + leafWeight(e.leaf), 0n);
  }

  /**
   * Validates and builds a configuration. Throws {@link InvalidArgumentError} naming the field:
   * `threshold` (below 1, or above the total signer weight), `checkpoint`, `leaves` (empty),
   * `leaves[i]...` (an invalid field, a duplicate leaf, a signer address used twice).
   *
   * @example
   * Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer, weight: 1n }] })
   */
  static of(input: ConfigurationInput): Configuration {
    if (typeof input !== "object" || input === null) {
      throw new InvalidArgumentError("INVALID_CONFIGURATION", "", "expected {threshold, checkpoint, leaves}");
    }
    const checkpoint = checkUint(input.checkpoint, "checkpoint");
    const threshold = checkUint(input.threshold, "threshold");
    if (!Array.isArray(input.leaves)) throw new InvalidArgumentError("INVALID_ARRAY", "leaves", "expected an array of leaves");
    const entries = input.leaves.map((leaf, i) => hashEntry(leaf, `leaves[${i}]`));
    return Configuration.build(threshold, checkpoint, entries);
  }

  /**
   * Reads the JSON written by {@link Configuration.dump} (an object or its string), validating
   * everything and naming the offending field, e.g. `leaves[3].signer`.
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
    if (obj.format !== CONFIGURATION_FORMAT) {
      throw new InvalidArgumentError("UNSUPPORTED_FORMAT", "format", `expected "${CONFIGURATION_FORMAT}"`, {
        details: { value: obj.format },
      });
    }
    for (const key of Object.keys(obj)) {
      if (!["format", "threshold", "checkpoint", "leaves"].includes(key)) {
        throw new InvalidArgumentError("UNKNOWN_FIELD", key, "not a field of " + CONFIGURATION_FORMAT);
      }
    }
    const threshold = parseDecimal(obj.threshold, "threshold");
    const checkpoint = parseDecimal(obj.checkpoint, "checkpoint");
    if (!Array.isArray(obj.leaves)) throw new InvalidArgumentError("INVALID_ARRAY", "leaves", "expected an array of leaves");
    const entries = obj.leaves.map((leaf: unknown, i: number) => hashEntry(leaf, `leaves[${i}]`, true));
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

  /** Checks the rules of ENCODING.md ("A configuration") on normalized entries and builds. */
  private static build(threshold: bigint, checkpoint: bigint, entries: Entry[], tree?: MerkleTree): Configuration {
    if (entries.length === 0) throw new InvalidArgumentError("EMPTY_CONFIGURATION", "leaves", "a configuration needs at least one leaf");
    const sorted = entries.slice().sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].hash === sorted[i - 1].hash) {
        const [first, second] = [sorted[i - 1], sorted[i]].sort((a, b) => entries.indexOf(a) - entries.indexOf(b));
        throw new InvalidArgumentError("DUPLICATE_LEAF", second.field, `same leaf as ${first.field}`, {
          details: { leafHash: second.hash, first: first.field },
        });
      }
    }
    const signers = new Map<string, string>();
    let totalWeight = 0n;
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
      totalWeight += leafWeight(entry.leaf);
    }
    if (threshold < 1n) throw new InvalidArgumentError("THRESHOLD_TOO_LOW", "threshold", "must be at least 1", { details: { threshold } });
    if (threshold > totalWeight) {
      throw new InvalidArgumentError("THRESHOLD_UNREACHABLE", "threshold", `exceeds the total signer weight ${totalWeight}`, {
        details: { threshold, totalWeight },
      });
    }
    return new Configuration(threshold, checkpoint, sorted, tree ?? makeTree(sorted.map((e) => e.hash)));
  }

  /**
   * The trees of the configuration's tiers, tier 0 first (ENCODING.md, "The tree"); what
   * `pruneToWalk` walks. Read only: the trees are shared with this configuration.
   */
  get tierTrees(): readonly MerkleTree[] {
    return [this.tree];
  }

  /** Leaves in ascending leaf-hash order (the tree's and the signature's order). */
  get leaves(): Leaf[] {
    return this.entries.map((e) => ({ ...e.leaf }));
  }

  /** Leaf hashes, ascending. */
  get leafHashes(): Hex[] {
    return this.entries.map((e) => e.hash);
  }

  /**
   * The leaf with this hash, or undefined.
   *
   * @example
   * config.leafByHash(config.leafHashes[0])
   */
  leafByHash(hash: Hex | string): Leaf | undefined {
    const k = findLeaf(this.tree, hash);
    return k < 0 ? undefined : { ...this.entries[k].leaf };
  }

  /**
   * Whether the configuration holds this leaf.
   *
   * @example
   * config.has({ kind: "ecdsa-signer", signer: alice, weight: 1n }) // true
   */
  has(leaf: Leaf): boolean {
    return findLeaf(this.tree, hashEntry(leaf, "leaf").hash) >= 0;
  }

  private indexOf(leaf: Leaf, field: string): number {
    const entry = hashEntry(leaf, field);
    const k = findLeaf(this.tree, entry.hash);
    if (k < 0) {
      throw new InvalidArgumentError("LEAF_NOT_FOUND", field, "the configuration has no such leaf", {
        details: { leafHash: entry.hash },
      });
    }
    return k;
  }

  /**
   * Merkle proof of one leaf (OpenZeppelin `MerkleProof.verify` format).
   *
   * @example
   * const proof = config.proof(leaf); // Hex[]
   */
  proof(leaf: Leaf): Hex[] {
    return getProof(this.tree, this.indexOf(leaf, "leaf"));
  }

  /**
   * Multiproof of several distinct leaves (OpenZeppelin `multiProofVerify` format); the returned
   * leaves are in ascending hash order: the multiproof's leaf order, and the canonical order of
   * signature parts.
   *
   * @example
   * const { leaves, proof, proofFlags } = config.multiProof([alice, bob]);
   */
  multiProof(leaves: readonly Leaf[]): LeafMultiProof {
    const indices = leaves.map((leaf, i) => this.indexOf(leaf, `leaves[${i}]`));
    const seen = new Map<number, number>();
    indices.forEach((k, i) => {
      const first = seen.get(k);
      if (first !== undefined) {
        throw new InvalidArgumentError("DUPLICATE_LEAF", `leaves[${i}]`, `same leaf as leaves[${first}]`);
      }
      seen.set(k, i);
    });
    const mp = getMultiProof(this.tree, indices);
    const ascending = indices.slice().sort((a, b) => a - b);
    return {
      leaves: ascending.map((k) => ({ ...this.entries[k].leaf })),
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
   * remove, replace, add, then threshold and checkpoint; the result is validated as a whole.
   * Note: a wallet accepts an update only with a higher checkpoint; set `checkpoint` or call
   * {@link bumpCheckpoint}.
   *
   * @example
   * const next = config.update({ add: [newSigner], threshold: 2n, checkpoint: config.checkpoint + 1n });
   */
  update(changes: ConfigurationUpdate): Configuration {
    const threshold = changes.threshold === undefined ? this.threshold : checkUint(changes.threshold, "threshold");
    const checkpoint = changes.checkpoint === undefined ? this.checkpoint : checkUint(changes.checkpoint, "checkpoint");
    const remove = changes.remove ?? [];
    const replace = changes.replace ?? [];
    const add = changes.add ?? [];

    // Only threshold/checkpoint change: the tree is the same.
    if (remove.length === 0 && replace.length === 0 && add.length === 0) {
      return Configuration.build(threshold, checkpoint, this.entries.slice(), this.tree);
    }

    const entries: (Entry | undefined)[] = this.entries.slice();
    const drop = (leaf: Leaf, field: string): number => {
      const k = this.indexOf(leaf, field);
      if (entries[k] === undefined) throw new InvalidArgumentError("LEAF_NOT_FOUND", field, "this leaf was already removed or replaced");
      entries[k] = undefined;
      return k;
    };
    remove.forEach((leaf, i) => drop(leaf, `remove[${i}]`));
    const replacements = replace.map((r, i) => {
      const k = drop(r.from, `replace[${i}].from`);
      return { k, entry: hashEntry(r.to, `replace[${i}].to`) };
    });
    const added = add.map((leaf, i) => hashEntry(leaf, `add[${i}]`));
    const result: Entry[] = [];
    entries.forEach((e) => e && result.push(e));
    replacements.forEach((r) => result.push(r.entry));
    result.push(...added);

    // One leaf swapped for another: recompute only the affected part of the tree.
    let tree: MerkleTree | undefined;
    if (remove.length === 0 && add.length === 0 && replacements.length === 1) {
      tree = replaceTreeLeaf(this.tree, replacements[0].k, replacements[0].entry.hash).tree;
    }
    return Configuration.build(threshold, checkpoint, result, tree);
  }

  /** New configuration with one more leaf. @example config.addLeaf({ kind: "guard", guard, weight: 1n }) */
  addLeaf(leaf: Leaf): Configuration {
    return this.update({ add: [leaf] });
  }

  /** New configuration without `leaf` (which must be present). @example config.removeLeaf(oldSigner) */
  removeLeaf(leaf: Leaf): Configuration {
    return this.update({ remove: [leaf] });
  }

  /** New configuration with `from` replaced by `to`. @example config.replaceLeaf(oldKey, newKey) */
  replaceLeaf(from: Leaf, to: Leaf): Configuration {
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
    if (this.checkpoint === MAX_UINT256) {
      throw new InvalidArgumentError("INTEGER_TOO_LARGE", "checkpoint", "the checkpoint is already the largest uint256");
    }
    return this.update({ checkpoint: this.checkpoint + 1n });
  }

  /**
   * The versioned JSON form (`arbor-configuration-v1`), leaves in ascending hash order.
   *
   * @example
   * fs.writeFileSync("wallet.json", JSON.stringify(config.dump(), null, 2));
   */
  dump(): ConfigurationJson {
    return {
      format: CONFIGURATION_FORMAT,
      threshold: this.threshold.toString(10),
      checkpoint: this.checkpoint.toString(10),
      leaves: this.entries.map((e) => leafToJson(e.leaf)),
    };
  }

  /** `JSON.stringify(config)` writes the dump format. */
  toJSON(): ConfigurationJson {
    return this.dump();
  }
}
