/**
 * fast-check arbitraries for configurations, and the run count: 200 by default, 1000 when the
 * CI environment variable is set.
 */
import fc from "fast-check";
import { getAddress, hexlify } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import { leafHash, weightedSignerAddress, leafWeight, type Leaf } from "../../lib/configuration/leaves";
import { SIGNABLE_LEAF_KINDS } from "../../lib/configuration/configuration";
import { MAX_UINT256, type Hex } from "../../lib/hex";

export const NUM_RUNS = process.env.CI ? 1000 : 200;

export const bytes32 = (): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b) as Hex);
export const address = (): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)) as Hex);
const uint256 = () => fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: MAX_UINT256 }));
// Weights are 1..255 (one byte in the compact signature encoding; Configuration refuses more).
const weight = () => fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 10n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 255n }) });
// Checkpoints are below 2^64 (eight bytes in the compact encoding).
const checkpointArb = () => fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));

/** Any leaf of any kind with random valid values. */
export const leaf = (): fc.Arbitrary<Leaf> =>
  fc.oneof(
    fc.record({ kind: fc.constant("ecdsa-signer" as const), signer: address(), weight: weight() }),
    fc.record({ kind: fc.constant("erc1271-signer" as const), signer: address(), weight: weight() }),
    fc.record({ kind: fc.constant("passkey-signer" as const), x: bytes32(), y: bytes32(), requireUserVerification: fc.boolean(), weight: weight() }),
    fc.record({
      kind: fc.constant("session-permissions" as const),
      sessionSigner: address(),
      chainId: uint256(),
      valueLimit: uint256(),
      deadline: uint256(),
      permissionsHash: bytes32(),
    }),
    fc.record({ kind: fc.constant("identity-signer" as const), signer: address() }),
    fc.record({ kind: fc.constant("recovery-key" as const), signer: address(), timelock: uint256() }),
    fc.record({ kind: fc.constant("guard" as const), guard: address(), weight: weight() }),
    fc.record({ kind: fc.constant("preapproved-digest" as const), digest: bytes32() }),
  );

/** Drops leaves that would repeat a leaf hash or a weighted signer address. */
export function dedupe(leaves: Leaf[], taken: Leaf[] = []): Leaf[] {
  const hashes = new Set(taken.map(leafHash));
  const signers = new Set(taken.map(weightedSignerAddress).filter((a) => a !== undefined));
  return leaves.filter((l) => {
    const h = leafHash(l);
    const a = weightedSignerAddress(l);
    if (hashes.has(h) || (a !== undefined && signers.has(a))) return false;
    hashes.add(h);
    if (a !== undefined) signers.add(a);
    return true;
  });
}

/** A threshold in 1..min(signable weight, 65535) picked by `seed`. */
function thresholdFor(leaves: Leaf[], seed: bigint): bigint {
  const signable = leaves.filter((l) => SIGNABLE_LEAF_KINDS.includes(l.kind)).reduce((s, l) => s + leafWeight(l), 0n);
  const reachable = signable < 65_535n ? signable : 65_535n;
  return 1n + (seed % reachable);
}

/** A valid configuration: 1 to `maxLeaves` leaves (at least one ECDSA signer), any reachable threshold, one tier. */
export const configuration = (maxLeaves = 24): fc.Arbitrary<Configuration> =>
  fc
    .record({
      first: fc.record({ kind: fc.constant("ecdsa-signer" as const), signer: address(), weight: weight() }),
      rest: fc.array(leaf(), { maxLength: maxLeaves - 1 }),
      thresholdSeed: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
      checkpoint: checkpointArb(),
    })
    .map(({ first, rest, thresholdSeed, checkpoint }) => {
      const leaves = dedupe([first, ...rest]);
      return Configuration.of({ threshold: thresholdFor(leaves, thresholdSeed), checkpoint, leaves });
    });

/**
 * Tiers for `n` leaves from random seeds, made valid: the tiers used are renumbered 0, 1, ... in
 * order (no gap), and a last tier of one leaf joins the tier above (Configuration refuses it).
 * `hot` is the chance of tier 0, so both lopsided (one hot key) and even shapes come up.
 */
export function validTiers(seeds: readonly number[], n: number): number[] {
  const raw = Array.from({ length: n }, (_, i) => seeds.length === 0 ? 0 : seeds[i % seeds.length]);
  const used = [...new Set(raw)].sort((a, b) => a - b);
  const tiers = raw.map((t) => used.indexOf(t));
  let deepest = used.length - 1;
  while (deepest > 0 && tiers.filter((t) => t === deepest).length === 1) {
    tiers[tiers.indexOf(deepest)] = deepest - 1;
    deepest--;
  }
  return tiers;
}

/** A valid configuration of 1 to `maxLeaves` leaves spread over random tiers (hot and cold leaves). */
export const tieredConfiguration = (maxLeaves = 24): fc.Arbitrary<Configuration> =>
  fc
    .record({
      first: fc.record({ kind: fc.constant("ecdsa-signer" as const), signer: address(), weight: weight() }),
      rest: fc.array(leaf(), { maxLength: maxLeaves - 1 }),
      tierSeeds: fc.array(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 5 }) }), { minLength: 1, maxLength: 30 }),
      thresholdSeed: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
      checkpoint: checkpointArb(),
    })
    .map(({ first, rest, tierSeeds, thresholdSeed, checkpoint }) => {
      const leaves = dedupe([first, ...rest]);
      const tiers = validTiers(tierSeeds, leaves.length);
      return Configuration.of({ threshold: thresholdFor(leaves, thresholdSeed), checkpoint, leaves: leaves.map((l, i) => ({ ...l, tier: tiers[i] })) });
    });

/** Flips bit `bit` (mod the length) of a hex string's bytes. */
export function flipBit(hex: string, bit: number): Hex {
  const bytes = Buffer.from(hex.slice(2), "hex");
  const i = bit % (bytes.length * 8);
  bytes[i >> 3] ^= 1 << (i & 7);
  return `0x${bytes.toString("hex")}`;
}
