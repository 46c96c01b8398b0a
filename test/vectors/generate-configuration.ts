/**
 * Generates test/vectors/configuration.json: frozen examples of configuration -> leaves -> root ->
 * image hash -> wallet address, payload digests and encoded signatures, from fixed inputs only.
 *
 *     npx ts-node test/vectors/generate-configuration.ts        # prints what it would write
 *     npx ts-node test/vectors/generate-configuration.ts --write # rewrites the file
 *
 * The file is committed and must never change unless an encoding changes on purpose (then the
 * specs change too and the lead is told). test/lib/vectors.test.ts checks that the library still
 * reproduces every field; the Solidity parity tests read the same file.
 */
import fs from "node:fs";
import path from "node:path";
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import { Configuration, MAX_CHECKPOINT, MAX_WEIGHT, type ConfigurationJson } from "../../lib/configuration/configuration";
import { LEAF_TAGS, type Leaf } from "../../lib/configuration/leaves";
import { IMAGE_HASH_TAG } from "../../lib/configuration/image-hash";
import { permissionsHash } from "../../lib/configuration/permissions";
import { MAX_UINT256, type Hex } from "../../lib/hex";
import { callsStructHash } from "../../lib/payload/calls";
import { CALL_TYPEHASH, CALLS_TYPEHASH, CONFIG_UPDATE_TYPEHASH, domainSeparator, EIP712_DOMAIN_TYPEHASH, MESSAGE_TYPEHASH } from "../../lib/payload/domain";
import { hashCalls } from "../../lib/payload/hash-calls";
import { configUpdateStructHash, hashConfigUpdate } from "../../lib/payload/hash-config-update";
import { hashMessage } from "../../lib/payload/hash-message";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { walletAddress } from "../../lib/wallet/address";
import { encodeCallsPayload, MAX_PACKED_NONCE, MAX_PACKED_SPACE } from "../../lib/payload/packed-calls";

export const VECTORS_FILE = path.join(__dirname, "configuration.json");

const label = (text: string): Hex => keccak256(toUtf8Bytes(text)) as Hex;
/** Fixed private keys; public test material, never use them for anything else. */
export const VECTOR_KEYS: Hex[] = [1, 2, 3, 4].map((i) => label(`arbor.vectors.key.${i}`));
const wallets = VECTOR_KEYS.map((k) => new Wallet(k));
const addr = (i: number): Hex => wallets[i].address as Hex;
const someAddress = (text: string): Hex => new Wallet(label(text)).address as Hex;

export const FACTORY = "0x00000000000000000000000000000000000A4B07" as Hex;
export const IMPLEMENTATION = "0x000000000000000000000000000000000000A4B1" as Hex;

interface ConfigurationCase {
  name: string;
  configuration: ConfigurationJson;
  leafHashes: Hex[];
  root: Hex;
  imageHash: Hex;
  walletAddress: Hex;
  proofs: { leafHash: Hex; proof: Hex[] }[];
  multiProof: { leafHashes: Hex[]; proof: Hex[]; proofFlags: boolean[] };
}

const toJson = (value: unknown): unknown =>
  JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString(10) : v)));

function configurationCases(): { name: string; config: Configuration }[] {
  const every: Leaf[] = [
    { kind: "ecdsa-signer", signer: addr(0), weight: 2n },
    { kind: "erc1271-signer", signer: someAddress("vector erc1271 signer"), weight: 1n },
    { kind: "passkey-signer", x: label("vector passkey x"), y: label("vector passkey y"), requireUserVerification: true, weight: 1n },
    {
      kind: "session-permissions",
      sessionSigner: someAddress("vector session key"),
      chainId: 31337n,
      valueLimit: 10n ** 18n,
      deadline: 1_900_000_000n,
      permissionsHash: permissionsHash([
        {
          target: someAddress("vector token"),
          rules: [{ operation: 3, cumulative: true, offset: 36n, mask: `0x${"ff".repeat(32)}`, value: `0x${(10n ** 20n).toString(16).padStart(64, "0")}` }],
        },
      ]),
    },
    { kind: "identity-signer", signer: someAddress("vector identity signer") },
    { kind: "recovery-key", signer: someAddress("vector recovery key"), timelock: 604_800n },
    { kind: "guard", guard: someAddress("vector guard"), weight: 1n },
    { kind: "preapproved-digest", digest: label("vector preapproved digest") },
  ];
  const many: Leaf[] = Array.from({ length: 9 }, (_, i) => ({ kind: "ecdsa-signer", signer: someAddress(`vector signer ${i}`), weight: BigInt(i + 1) }));
  return [
    { name: "one ECDSA signer", config: Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: addr(0), weight: 1n }] }) },
    {
      name: "2 of 3 ECDSA signers",
      config: Configuration.of({
        threshold: 2n,
        checkpoint: 1n,
        leaves: [0, 1, 2].map((i): Leaf => ({ kind: "ecdsa-signer", signer: addr(i), weight: 1n })),
      }),
    },
    { name: "one leaf of every kind", config: Configuration.of({ threshold: 3n, checkpoint: 7n, leaves: every }) },
    { name: "nine weighted signers (not a power of two)", config: Configuration.of({ threshold: 30n, checkpoint: 1_000_000n, leaves: many }) },
    {
      // The largest values the compact widths allow: weight 255 (1 byte), checkpoint 2^64 - 1 (8 bytes);
      // the threshold is the whole weight (65,535 would need 257 signers of weight 255).
      name: "extreme values",
      config: Configuration.of({
        threshold: MAX_WEIGHT,
        checkpoint: MAX_CHECKPOINT,
        leaves: [
          { kind: "ecdsa-signer", signer: "0x0000000000000000000000000000000000000001", weight: MAX_WEIGHT },
          { kind: "recovery-key", signer: "0xFFfFfFffFFfffFFfFFfFFFFFffFFFffffFfFFFfF", timelock: 0n },
          { kind: "session-permissions", sessionSigner: addr(3), chainId: 0n, valueLimit: MAX_UINT256, deadline: 0n, permissionsHash: permissionsHash([]) },
        ],
      }),
    },
  ];
}

function describeCase(name: string, config: Configuration): ConfigurationCase {
  const leaves = config.leaves;
  const chosen = leaves.filter((_, i) => i % 2 === 0);
  const mp = config.multiProof(chosen);
  return {
    name,
    configuration: config.dump(),
    leafHashes: config.leafHashes,
    root: config.root,
    imageHash: config.imageHash,
    walletAddress: walletAddress({ factory: FACTORY, implementation: IMPLEMENTATION, imageHash: config.imageHash }),
    proofs: leaves.map((l, i) => ({ leafHash: config.leafHashes[i], proof: config.proof(l) })),
    multiProof: { leafHashes: mp.leafHashes, proof: mp.proof, proofFlags: mp.proofFlags },
  };
}

/** Everything in configuration.json, computed by the library from the fixed inputs above. */
export async function buildConfigurationVectors(): Promise<Record<string, unknown>> {
  const cases = configurationCases();
  const described = cases.map(({ name, config }) => describeCase(name, config));

  const twoOfThree = cases[1].config;
  const wallet = walletAddress({ factory: FACTORY, implementation: IMPLEMENTATION, imageHash: twoOfThree.imageHash });
  const calls: CallInput[] = [
    { target: someAddress("vector call target"), value: 1n, data: "0x", gasLimit: 0n, delegateCall: false, onFailure: "revert" },
    { target: someAddress("vector token"), value: 0n, data: "0xa9059cbb000000000000000000000000000000000000000000000000000000000000dead0000000000000000000000000000000000000000000000000de0b6b3a7640000", gasLimit: 100_000n, delegateCall: false, onFailure: "ignore" },
    { target: someAddress("vector module"), value: 0n, data: "0x12345678", gasLimit: 0n, delegateCall: true, onFailure: "abort" },
  ];
  const callsPayload = { calls, space: 0n, nonce: 0n };
  // The largest space (uint160) and nonce (uint96) a packed payload carries.
  const widest = { calls: [], space: MAX_PACKED_SPACE, nonce: MAX_PACKED_NONCE };
  const next = twoOfThree.addLeaf({ kind: "guard", guard: someAddress("vector guard"), weight: 1n }).bumpCheckpoint();
  const update = { root: next.root, threshold: next.threshold, checkpoint: next.checkpoint };
  const messageHash = label("vector message");

  const payloads = [
    { kind: "calls", wallet, chainId: 31337n, input: callsPayload, packed: encodeCallsPayload(callsPayload), structHash: callsStructHash(callsPayload), digest: hashCalls(callsPayload, { wallet, chainId: 31337n }) },
    { kind: "calls", wallet, chainId: 1n, input: widest, packed: encodeCallsPayload(widest), structHash: callsStructHash(widest), digest: hashCalls(widest, { wallet, chainId: 1n }) },
    { kind: "configUpdate", wallet, chainId: 0n, input: update, structHash: configUpdateStructHash(update), digest: hashConfigUpdate(update, { wallet, chainId: 0n }) },
    { kind: "configUpdate", wallet, chainId: 31337n, input: update, structHash: configUpdateStructHash(update), digest: hashConfigUpdate(update, { wallet, chainId: 31337n }) },
    { kind: "message", wallet, chainId: 31337n, input: { hash: messageHash }, digest: hashMessage(messageHash, { wallet, chainId: 31337n }) },
  ];

  const callsDigest = payloads[0].digest;
  const updateDigest = payloads[2].digest;
  const signatures = [
    {
      name: "2 of 3 sign calls (ECDSA and EIP-2098 compact)",
      configuration: cases[1].name,
      digest: callsDigest,
      allowChainIdZero: false,
      signers: [{ privateKey: VECTOR_KEYS[2], address: addr(2), compact: true }, { privateKey: VECTOR_KEYS[0], address: addr(0), compact: false }],
      signature: (await signPayload(twoOfThree, callsDigest, [ecdsaSigner(VECTOR_KEYS[2], { compact: true }), ecdsaSigner(VECTOR_KEYS[0])])).signature,
      imageHash: twoOfThree.imageHash,
    },
    {
      name: "2 of 3 sign a configuration update for every chain (flag bit 0)",
      configuration: cases[1].name,
      digest: updateDigest,
      allowChainIdZero: true,
      signers: [{ privateKey: VECTOR_KEYS[0], address: addr(0), compact: false }, { privateKey: VECTOR_KEYS[1], address: addr(1), compact: false }],
      signature: (await signPayload(twoOfThree, updateDigest, [ecdsaSigner(VECTOR_KEYS[0]), ecdsaSigner(VECTOR_KEYS[1])], { chainIdZero: true })).signature,
      imageHash: twoOfThree.imageHash,
    },
  ];

  return toJson({
    format: "arbor-configuration-vectors-v2",
    about: "Frozen vectors for lib/configuration, lib/payload and lib/signature ENCODING.md. Generated by test/vectors/generate-configuration.ts; numbers are decimal strings.",
    factory: FACTORY,
    implementation: IMPLEMENTATION,
    tags: { imageHash: IMAGE_HASH_TAG, leaves: LEAF_TAGS },
    typehashes: { domain: EIP712_DOMAIN_TYPEHASH, call: CALL_TYPEHASH, calls: CALLS_TYPEHASH, configUpdate: CONFIG_UPDATE_TYPEHASH, message: MESSAGE_TYPEHASH },
    domainSeparators: [
      { wallet, chainId: 0n, separator: domainSeparator({ wallet, chainId: 0n }) },
      { wallet, chainId: 31337n, separator: domainSeparator({ wallet, chainId: 31337n }) },
    ],
    configurations: described,
    payloads,
    signatures,
  }) as Record<string, unknown>;
}

if (require.main === module) {
  buildConfigurationVectors().then((vectors) => {
    const text = JSON.stringify(vectors, null, 2) + "\n";
    if (process.argv.includes("--write")) {
      fs.writeFileSync(VECTORS_FILE, text);
      console.log(`wrote ${VECTORS_FILE}`);
    } else {
      process.stdout.write(text);
    }
  });
}
