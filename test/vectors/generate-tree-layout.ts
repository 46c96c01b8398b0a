/**
 * Generates test/vectors/tree-layout.json: frozen tiered configurations (lib/configuration/ENCODING.md,
 * "The tree") with their tier roots, root, image hash, every leaf's single proof and the walks of
 * chosen leaf sets, from fixed inputs only.
 *
 *     npx ts-node test/vectors/generate-tree-layout.ts          # prints what it would write
 *     npx ts-node test/vectors/generate-tree-layout.ts --write  # rewrites the file
 *
 * The file must never change unless the tree layout changes on purpose (then ENCODING.md changes
 * too). test/lib/configuration/tree-layout-vectors.test.ts checks that the library reproduces every
 * field and that OpenZeppelin's MerkleProof.sol accepts every proof on chain.
 */
import fs from "node:fs";
import path from "node:path";
import { keccak256, toUtf8Bytes } from "ethers";
import { Configuration, type ConfigurationJson, type TieredLeaf } from "../../lib/configuration/configuration";
import { leafHash, type Leaf } from "../../lib/configuration/leaves";
import { treeRoot } from "../../lib/configuration/tree";
import { pruneToWalk, type WalkStep } from "../../lib/configuration/tree-walk";
import type { Hex } from "../../lib/hex";

export const TREE_LAYOUT_FILE = path.join(__dirname, "tree-layout.json");

const label = (text: string): Hex => keccak256(toUtf8Bytes(text)) as Hex;
/** A fixed address from a label (not a key: these leaves are never signed with). */
const someAddress = (text: string): Hex => `0x${label(text).slice(26)}` as Hex;

interface TreeLayoutCase {
  name: string;
  configuration: ConfigurationJson;
  leafHashes: Hex[];
  tierRoots: Hex[];
  root: Hex;
  imageHash: Hex;
  proofs: { leafHash: Hex; tier: number; proof: Hex[] }[];
  walks: { proven: Hex[]; steps: WalkStep[] }[];
}

/** Each case's walks name their proven leaves by index into the case's input leaves. */
function cases(): { name: string; config: Configuration; leaves: TieredLeaf[]; walks: number[][] }[] {
  const signer = (name: string, tier: number, weight = 1n): TieredLeaf => ({ kind: "ecdsa-signer", signer: someAddress(name), weight, tier });
  const realistic: TieredLeaf[] = [
    signer("daily key", 0),
    signer("laptop", 1),
    signer("phone", 1),
    { kind: "erc1271-signer", signer: someAddress("co-signer contract"), weight: 1n, tier: 1 },
    { kind: "passkey-signer", x: label("passkey x"), y: label("passkey y"), requireUserVerification: true, weight: 1n, tier: 1 },
    { kind: "guard", guard: someAddress("guard"), weight: 1n, tier: 1 },
    { kind: "identity-signer", signer: someAddress("identity signer"), tier: 1 },
    ...Array.from({ length: 5 }, (_, i): TieredLeaf => ({
      kind: "session-permissions",
      sessionSigner: someAddress(`session ${i}`),
      chainId: 31337n,
      valueLimit: 10n ** 17n,
      deadline: 1_900_000_000n + BigInt(i),
      permissionsHash: label(`permissions ${i}`),
      tier: 1,
    })),
    { kind: "recovery-key", signer: someAddress("recovery key"), timelock: 604_800n, tier: 1 },
    signer("spare device 1", 1),
    signer("spare device 2", 1),
    { kind: "preapproved-digest", digest: label("preapproved"), tier: 1 },
  ];
  const threeTiers: TieredLeaf[] = [
    signer("hot a", 0, 2n),
    signer("hot b", 0),
    signer("warm a", 1),
    signer("warm b", 1),
    signer("warm c", 1),
    { kind: "recovery-key", signer: someAddress("cold recovery"), timelock: 86_400n, tier: 2 },
    { kind: "identity-signer", signer: someAddress("cold identity"), tier: 2 },
    signer("cold spare", 2),
  ];
  const oneTier: TieredLeaf[] = [signer("one tier a", 0), signer("one tier b", 0), signer("one tier c", 0)];
  return [
    { name: "16 leaves, the daily key alone in tier 0", config: Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: realistic }), leaves: realistic, walks: [[0], [0, 1], [7, 6], [1, 2, 15]] },
    { name: "three tiers", config: Configuration.of({ threshold: 2n, checkpoint: 5n, leaves: threeTiers }), leaves: threeTiers, walks: [[0], [0, 1], [5], [1, 4, 7], [0, 1, 2, 3, 4, 5, 6, 7]] },
    { name: "one tier (the v1 layout)", config: Configuration.of({ threshold: 2n, checkpoint: 1n, leaves: oneTier }), leaves: oneTier, walks: [[0], [0, 2]] },
  ];
}

function describeCase(name: string, config: Configuration, leaves: TieredLeaf[], walks: number[][]): TreeLayoutCase {
  const tiered = config.tieredLeaves;
  const hashOf = ({ tier: _tier, ...leaf }: TieredLeaf): Hex => leafHash(leaf as Leaf);
  return {
    name,
    configuration: config.dump(),
    leafHashes: config.leafHashes,
    tierRoots: config.tierTrees.map(treeRoot),
    root: config.root,
    imageHash: config.imageHash,
    proofs: config.leaves.map((leaf, i) => ({ leafHash: config.leafHashes[i], tier: tiered[i].tier, proof: config.proof(leaf) })),
    walks: walks.map((indices) => {
      const proven = indices.map((i) => hashOf(leaves[i]));
      return { proven, steps: pruneToWalk(config, proven) };
    }),
  };
}

/** Everything in tree-layout.json, computed by the library from the fixed inputs above. */
export function buildTreeLayoutVectors(): Record<string, unknown> {
  return {
    format: "arbor-tree-layout-vectors-v1",
    about: "Tiered configuration trees (lib/configuration/ENCODING.md, The tree): roots, image hashes, single proofs (OpenZeppelin MerkleProof.verify) and tree walks (pruneToWalk). Regenerate only for an intended layout change.",
    cases: cases().map(({ name, config, leaves, walks }) => describeCase(name, config, leaves, walks)),
  };
}

if (require.main === module) {
  const text = `${JSON.stringify(buildTreeLayoutVectors(), null, 2)}\n`;
  if (process.argv.includes("--write")) {
    fs.writeFileSync(TREE_LAYOUT_FILE, text);
    console.log(`wrote ${TREE_LAYOUT_FILE}`);
  } else {
    process.stdout.write(text);
  }
}
