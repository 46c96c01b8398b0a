/**
 * fast-check arbitraries for configurations, and the run count: 200 by default, 1000 when the
 * CI environment variable is set.
 */
import fc from "fast-check";
import { getAddress, hexlify } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import { leafHash, weightedSignerAddress, leafWeight, type Leaf } from "../../lib/configuration/leaves";
import { MAX_UINT256, type Hex } from "../../lib/hex";

export const NUM_RUNS = process.env.CI ? 1000 : 200;

export const bytes32 = (): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => hexlify(b) as Hex);
export const address = (): fc.Arbitrary<Hex> => fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => getAddress(hexlify(b)) as Hex);
const uint256 = () => fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: MAX_UINT256 }));
const weight = () => fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 1n, max: 10n }) }, { weight: 1, arbitrary: fc.bigInt({ min: 1n, max: 1n << 200n }) });

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

/** A valid configuration: 1 to `maxLeaves` leaves (at least one ECDSA signer), any reachable threshold. */
export const configuration = (maxLeaves = 24): fc.Arbitrary<Configuration> =>
  fc
    .record({
      first: fc.record({ kind: fc.constant("ecdsa-signer" as const), signer: address(), weight: weight() }),
      rest: fc.array(leaf(), { maxLength: maxLeaves - 1 }),
      thresholdSeed: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
      checkpoint: uint256(),
    })
    .map(({ first, rest, thresholdSeed, checkpoint }) => {
      const leaves = dedupe([first, ...rest]);
      const total = leaves.reduce((s, l) => s + leafWeight(l), 0n);
      return Configuration.of({ threshold: 1n + (thresholdSeed % total), checkpoint, leaves });
    });

/** Flips bit `bit` (mod the length) of a hex string's bytes. */
export function flipBit(hex: string, bit: number): Hex {
  const bytes = Buffer.from(hex.slice(2), "hex");
  const i = bit % (bytes.length * 8);
  bytes[i >> 3] ^= 1 << (i & 7);
  return `0x${bytes.toString("hex")}`;
}
