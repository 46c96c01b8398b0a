import { InvalidArgumentError, InvariantError } from "../errors";
import { hexToBytes, normalizeBytes32, type Hex } from "../hex";
import type { Configuration } from "../configuration/configuration";
import { leafHash, type Leaf } from "../configuration/leaves";
import { pruneToWalk } from "../configuration/tree-walk";
import { splitSignature, toLowS, toYParityAndS, tryRecoverEcdsa } from "./ecdsa";
import { encodeSignature } from "./encode-signature";
import type { PayloadSigner } from "./signers";
import type { SignaturePart, SignatureStep, WalletSignature } from "./types";

/** Options of {@link signPayload}. */
export interface SignPayloadOptions {
  /** The digest was computed with chain id 0 (configuration updates valid on every chain): sets flag bit 0. */
  chainIdZero?: boolean;
  /** Produce the signature even when the signers' weight is below the threshold (for testing rejections). */
  allowBelowThreshold?: boolean;
}

/** Result of {@link signPayload}. */
export interface SignedPayload {
  /** The encoded signature, ready for the wallet. */
  signature: Hex;
  /** The same, field by field. */
  decoded: WalletSignature;
  /** The leaves proved, in the walk's order (the parts' order). */
  leaves: Leaf[];
  /** Sum of the signers' weights. */
  weight: bigint;
}

/**
 * Signs `digest` with the given signers of `configuration` and encodes the wallet signature:
 * the configuration's tree walk pruned to their leaves, each leaf step carrying its part. Each ECDSA signature
 * is checked to recover its signer (and made low-s) before it is used.
 *
 * Throws {@link InvalidArgumentError}: `SIGNER_NOT_IN_CONFIGURATION`, `DUPLICATE_SIGNER`,
 * `INVALID_SIGNATURE` (a signer returned bytes that do not recover to it), `THRESHOLD_NOT_MET`.
 *
 * @example
 * const digest = hashCalls(payload, { wallet, chainId: 1n });
 * const { signature } = await signPayload(config, digest, [ecdsaSigner(aliceKey), ecdsaSigner(bobKey)]);
 */
export async function signPayload(
  configuration: Configuration,
  digest: Hex | string,
  signers: readonly PayloadSigner[],
  options: SignPayloadOptions = {},
): Promise<SignedPayload> {
  const message = normalizeBytes32(digest, "digest");
  if (!Array.isArray(signers) || signers.length === 0) {
    throw new InvalidArgumentError("NO_SIGNERS", "signers", "expected at least one signer");
  }
  const leaves = configuration.leaves;
  const findLeaf = (match: (leaf: Leaf) => boolean, field: string, what: string): Leaf => {
    const leaf = leaves.find(match);
    if (leaf === undefined) throw new InvalidArgumentError("SIGNER_NOT_IN_CONFIGURATION", field, `the configuration has no ${what}`);
    return leaf;
  };

  const chosen = signers.map((signer, i) => {
    const field = `signers[${i}]`;
    switch (signer?.kind) {
      case "ecdsa":
      case "ecdsa-compact":
        return { signer, leaf: findLeaf((l) => l.kind === "ecdsa-signer" && l.signer === signer.address, field, `ecdsa-signer leaf for ${signer.address}`) };
      case "erc1271":
        return { signer, leaf: findLeaf((l) => l.kind === "erc1271-signer" && l.signer === signer.address, field, `erc1271-signer leaf for ${signer.address}`) };
      case "preapproved-digest":
        return { signer, leaf: findLeaf((l) => l.kind === "preapproved-digest" && l.digest === message, field, `preapproved-digest leaf for ${message}`) };
      default:
        throw new InvalidArgumentError("UNSUPPORTED_SIGNER", `${field}.kind`, "expected ecdsa, ecdsa-compact, erc1271 or preapproved-digest");
    }
  });
  const seen = new Map<string, number>();
  chosen.forEach(({ leaf }, i) => {
    const hash = leafHash(leaf);
    const first = seen.get(hash);
    if (first !== undefined) throw new InvalidArgumentError("DUPLICATE_SIGNER", `signers[${i}]`, `same leaf as signers[${first}]`);
    seen.set(hash, i);
  });

  const weight = chosen.reduce((sum, { leaf }) => sum + ("weight" in leaf ? leaf.weight : 0n), 0n);
  const preapproved = chosen.some(({ leaf }) => leaf.kind === "preapproved-digest");
  if (!preapproved && weight < configuration.threshold && !options.allowBelowThreshold) {
    throw new InvalidArgumentError("THRESHOLD_NOT_MET", "signers", `weight ${weight} is below the threshold ${configuration.threshold}`, {
      details: { weight, threshold: configuration.threshold },
    });
  }

  const parts = await Promise.all(
    chosen.map(async ({ signer, leaf }, i): Promise<SignaturePart> => {
      const field = `signers[${i}]`;
      if (signer.kind === "preapproved-digest") return { kind: "preapproved-digest" };
      const raw = hexToBytes(await signer.signDigest(message), `${field}.signature`);
      const w = (leaf as { weight: bigint }).weight;
      if (signer.kind === "erc1271") return { kind: "erc1271", signer: signer.address, weight: w, signature: `0x${Buffer.from(raw).toString("hex")}` };
      if (raw.length !== 65) throw new InvalidArgumentError("INVALID_SIGNATURE", `${field}.signature`, "expected 65 bytes r ‖ s ‖ v");
      const split = splitSignature(raw);
      const { r, s, v } = toLowS({ ...split, v: split.v < 27 ? split.v + 27 : split.v });
      if (tryRecoverEcdsa(message, v, r, s) !== signer.address) {
        throw new InvalidArgumentError("INVALID_SIGNATURE", `${field}.signature`, `does not recover to ${signer.address} for this digest`);
      }
      return signer.kind === "ecdsa" ? { kind: "ecdsa", weight: w, r, s, v } : { kind: "ecdsa-compact", weight: w, r, yParityAndS: toYParityAndS(s, v) };
    }),
  );

  const partByHash = new Map(chosen.map(({ leaf }, i) => [leafHash(leaf), { part: parts[i], leaf }]));
  const provedLeaves: Leaf[] = [];
  const walk: SignatureStep[] = pruneToWalk(configuration, [...partByHash.keys()]).map((step) => {
    if (step.op !== "leaf") return step;
    const entry = partByHash.get(step.hash);
    if (entry === undefined) throw new InvariantError("the walk names a leaf no signer signed", { details: { leafHash: step.hash } });
    provedLeaves.push(entry.leaf);
    return { op: "part", part: entry.part };
  });
  const decoded: WalletSignature = {
    chainIdZero: options.chainIdZero === true,
    threshold: configuration.threshold,
    checkpoint: configuration.checkpoint,
    walk,
  };
  return { signature: encodeSignature(decoded), decoded, leaves: provedLeaves, weight };
}
