/**
 * The bench's realistic 16-leaf Arbor configuration, fixed so runs are reproducible to the gas:
 * two owners with three devices each (ECDSA keys), a passkey, a guard, a recovery key, five
 * session grants, an identity signer and an ERC-1271 signer. Kinds that cannot sign yet (passkey,
 * guard) are stand-in leaves: they shape the tree like the real ones would, and never sign here.
 */
import { ethers } from "hardhat";
import type { Wallet as EthersWallet } from "ethers";
import type { TieredLeaf } from "../lib/configuration/configuration";
import type { Hex } from "../lib/hex";

const fixedAddress = (label: string) => ethers.getAddress(ethers.id(`bench/address/${label}`).slice(0, 42)) as Hex;
const fixedWord = (label: string) => ethers.id(`bench/word/${label}`) as Hex;

/** The P-256 generator: a valid curve point, standing in for a passkey's public key. */
const P256_G = {
  x: "0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296" as Hex,
  y: "0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5" as Hex,
};

/**
 * 16 leaves; `devices[0]` (owner A's phone) and `devices[1]` (owner B's phone) are the keys the
 * bench signs with, the other four device keys and every other leaf never sign.
 *
 * Shaped by use (lib/configuration/ENCODING.md, tiers): the first `hotDevices` devices, the keys
 * the wallet signs with every day, are tier 0; everything else (spare devices, passkey, guard,
 * recovery, session grants, identity and ERC-1271 signers) is tier 1, one level below them.
 * With one hot key it sits at depth 1 (one proof hash); with two, at depth 2.
 */
export function realisticLeaves(devices: EthersWallet[], hotDevices = 1): TieredLeaf[] {
  if (devices.length !== 6) throw new Error("realisticLeaves needs six device keys (two owners, three devices each)");
  const ecdsa = (k: EthersWallet, i: number): TieredLeaf => ({ kind: "ecdsa-signer", signer: k.address as Hex, weight: 1n, tier: i < hotDevices ? 0 : 1 });
  const sessions: TieredLeaf[] = Array.from({ length: 5 }, (_, i) => ({
    kind: "session-permissions",
    sessionSigner: fixedAddress(`session/${i}`),
    chainId: 31337n,
    valueLimit: 10n ** 17n,
    deadline: 2_000_000_000n,
    permissionsHash: fixedWord(`session/${i}/permissions`),
    tier: 1,
  }));
  return [
    ...devices.map(ecdsa),
    { kind: "passkey-signer", x: P256_G.x, y: P256_G.y, requireUserVerification: true, weight: 1n, tier: 1 },
    { kind: "guard", guard: fixedAddress("guard"), weight: 1n, tier: 1 },
    { kind: "recovery-key", signer: fixedAddress("recovery"), timelock: 7n * 86_400n, tier: 1 },
    ...sessions,
    { kind: "identity-signer", signer: fixedAddress("identity"), tier: 1 },
    { kind: "erc1271-signer", signer: fixedAddress("erc1271"), weight: 1n, tier: 1 },
  ];
}
