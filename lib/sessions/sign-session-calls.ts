/**
 * Builds a complete session signature for a batch: picks the configuration leaves the calls use,
 * proves them with one multiproof, and has each call signed by its session key.
 */
import { SigningKey, computeAddress } from "ethers";
import { InvalidArgumentError } from "../errors";
import { checkUint, normalizeBytes32, type Hex } from "../hex";
import type { Configuration } from "../configuration/configuration";
import { leafHash, type Leaf } from "../configuration/leaves";
import type { Permission } from "../configuration/permissions";
import { normalizeCall, type NormalizedCall } from "../payload/calls";
import type { CallInput } from "../payload/types";
import { hashAttestation, recoverAttestationSigner, type Attestation } from "./attestation";
import { nonCumulativeRulesHold } from "./check-session-calls";
import type { ExplicitSession } from "./explicit-session";
import { sessionBatchSpace } from "./session-batch-space";
import { sessionCallHash, type SessionCallGrant } from "./session-call-hash";
import {
  encodeSessionSignature,
  type CallAuthorisation,
  type SessionSignatureAttestation,
  type SessionSignatureLeaf,
} from "./session-signature";

/** A session key: a 32-byte private key (hex or bytes), an ethers `SigningKey`, or an ethers `Wallet`. */
export type SessionKey = string | Uint8Array | SigningKey | { signingKey: SigningKey };

/** Who signs one call: an explicit session's key, or an attested session's key. */
export type SessionCallSigner =
  | {
      session: ExplicitSession;
      key: SessionKey;
      /** Which of the session's permissions covers the call; by default the first whose target and non-cumulative rules match. */
      permissionIndex?: number;
    }
  | {
      attestation: Attestation;
      /** The identity signer's 65-byte signature of the attestation (`signAttestation`). */
      attestationSignature: Hex | string;
      key: SessionKey;
    };

/** Input of {@link signSessionCalls}. */
export interface SignSessionCallsInput {
  /** The wallet's current configuration: it holds the session and identity-signer leaves. */
  configuration: Configuration;
  calls: readonly CallInput[];
  /**
   * The nonce space the batch runs in: it must be the space of the key that signs call 0
   * (`sessionBatchSpace(signers)`), or the contracts refuse the batch (`SessionNonceSpace`).
   */
  space: bigint;
  /** The batch's EIP-712 digest (lib/payload `hashCalls`), computed with `space`. */
  digest: Hex | string;
  /** One per call, in call order. */
  signers: readonly SessionCallSigner[];
}

function toSigningKey(key: SessionKey, field: string): SigningKey {
  if (key instanceof SigningKey) return key;
  if (typeof key === "object" && key !== null && "signingKey" in key && key.signingKey instanceof SigningKey) return key.signingKey;
  try {
    const signingKey = new SigningKey(key as string | Uint8Array);
    // ethers checks the key's range only when the public key is first derived.
    void signingKey.publicKey;
    return signingKey;
  } catch (cause) {
    // Never echo the key itself into an error.
    throw new InvalidArgumentError("INVALID_PRIVATE_KEY", field, "expected a 32-byte secp256k1 private key", { cause });
  }
}

/** The first permission whose target and non-cumulative rules match the call, else the first with its target, else 0. */
function choosePermission(permissions: readonly Permission[], call: NormalizedCall): number {
  const matching = permissions.findIndex((p) => nonCumulativeRulesHold(p, call));
  if (matching >= 0) return matching;
  const sameTarget = permissions.findIndex((p) => p.target.toLowerCase() === call.target.toLowerCase());
  return sameTarget >= 0 ? sameTarget : 0;
}

/**
 * The signing key of signer `i`, refused unless it is the key the contracts will check the call
 * against: the explicit session's `sessionSigner`, or the attestation's `approvedSigner`.
 */
function sessionSigningKey(signer: SessionCallSigner, i: number): SigningKey {
  const signingKey = toSigningKey(signer.key, `signers[${i}].key`);
  const expected = "session" in signer ? signer.session.leaf.sessionSigner : signer.attestation.approvedSigner;
  const actual = computeAddress(signingKey.publicKey);
  if (actual.toLowerCase() !== String(expected).toLowerCase()) {
    const owner = "session" in signer ? "the session's sessionSigner" : "the attestation's approvedSigner";
    throw new InvalidArgumentError("SESSION_KEY_MISMATCH", `signers[${i}].key`, `the key of ${actual} is not ${owner} (${expected})`, {
      details: { expected, actual },
    });
  }
  return signingKey;
}

/**
 * Signs a batch with session keys and returns the session signature to pass to `execute`. Each
 * call is signed under its grant (ENCODING.md, "Call signatures"): the session leaf and the
 * permission, or the attestation, so the signature holds for that grant only.
 * Throws {@link InvalidArgumentError}, before anything is signed, when a session leaf or identity
 * signer is not in the configuration (`LEAF_NOT_FOUND`), the signers do not match the calls, a
 * key is not the session's key (`SESSION_KEY_MISMATCH`: the explicit session's `sessionSigner`
 * or the attestation's `approvedSigner`; the contracts would refuse the call with
 * `SessionSignerMismatch`), or `space` is not the nonce space of the key that signs call 0
 * (`SESSION_NONCE_SPACE`: the contracts would refuse the batch with `SessionNonceSpace`). It
 * cannot see which space `digest` was computed with: compute it with the same `space`.
 *
 * @example
 * const signers = [{ session, key: sessionKey }];
 * const space = sessionBatchSpace(signers);
 * const nonce = await wallet.nonces(space);
 * const digest = hashCalls({ calls, space, nonce }, { wallet, chainId });
 * const signature = signSessionCalls({ configuration, calls, space, digest, signers });
 * await wallet.execute(toContractCalls(calls), space, nonce, signature);
 */
export function signSessionCalls(input: SignSessionCallsInput): Hex {
  const calls = input.calls.map((call, i) => normalizeCall(call, `calls[${i}]`));
  const digest = normalizeBytes32(input.digest, "digest");
  if (!Array.isArray(input.signers) || input.signers.length !== calls.length) {
    throw new InvalidArgumentError("SIGNER_COUNT_MISMATCH", "signers", `expected one signer per call (${calls.length})`, {
      details: { signers: Array.isArray(input.signers) ? input.signers.length : undefined },
    });
  }
  const space = checkUint(input.space, "space");
  const expectedSpace = sessionBatchSpace(input.signers);
  if (space !== expectedSpace) {
    throw new InvalidArgumentError(
      "SESSION_NONCE_SPACE",
      "space",
      `a session batch runs in the nonce space of the key that signs its first call (${expectedSpace}), not ${space}`,
      { details: { space, expected: expectedSpace } },
    );
  }

  // The distinct leaves the calls use, keyed by leaf hash, and what the signature carries for each.
  const used = new Map<Hex, { leaf: Leaf; entry: SessionSignatureLeaf; permissions: readonly Permission[] }>();
  const attestations: (SessionSignatureAttestation & { identityHash: Hex; key: string })[] = [];
  const references = input.signers.map((signer, i): { leafHash: Hex } | { attestationIndex: number; attestationHash: Hex } => {
    if (typeof signer !== "object" || signer === null || !("key" in signer) || !("session" in signer || "attestation" in signer)) {
      throw new InvalidArgumentError("INVALID_SIGNER", `signers[${i}]`, "expected {session, key} or {attestation, attestationSignature, key}");
    }
    if ("session" in signer) {
      const { leaf, encodedPermissions, permissions } = signer.session;
      const hash = leafHash(leaf);
      used.set(hash, { leaf, entry: { ...leaf, permissions: encodedPermissions }, permissions });
      return { leafHash: hash };
    }
    const attestationHash = hashAttestation(signer.attestation) as Hex;
    const identity = recoverAttestationSigner(signer.attestation, signer.attestationSignature) as Hex;
    const identityLeaf: Leaf = { kind: "identity-signer", signer: identity };
    const identityHash = leafHash(identityLeaf);
    used.set(identityHash, { leaf: identityLeaf, entry: { kind: "identity-signer", signer: identity }, permissions: [] });
    const key = `${attestationHash}/${signer.attestationSignature.toLowerCase()}`;
    let attestationIndex = attestations.findIndex((a) => a.key === key);
    if (attestationIndex < 0) {
      attestationIndex = attestations.length;
      attestations.push({ identityLeaf: -1, attestation: signer.attestation, signature: signer.attestationSignature as Hex, identityHash, key });
    }
    return { attestationIndex, attestationHash };
  });
  // Every key is checked before any is used, so a wrong key leaves nothing signed behind.
  const signingKeys = input.signers.map((signer, i) => sessionSigningKey(signer, i));

  const proof = input.configuration.multiProof([...used.values()].map((u) => u.leaf));
  // The multiproof's leaves are in ascending hash order: the order the signature lists them in.
  const order = proof.leafHashes;
  const leaves = order.map((hash) => used.get(hash)!.entry);

  const authorisations: CallAuthorisation[] = input.signers.map((signer, i) => {
    const reference = references[i];
    const sign = (grant: SessionCallGrant): Hex => {
      const sig = signingKeys[i].sign(sessionCallHash(digest, i, grant));
      return `0x${sig.r.slice(2)}${sig.s.slice(2)}${sig.v.toString(16)}` as Hex;
    };
    if ("leafHash" in reference) {
      const permissionIndex =
        "permissionIndex" in signer && signer.permissionIndex !== undefined
          ? signer.permissionIndex
          : choosePermission(used.get(reference.leafHash)!.permissions, calls[i]);
      const signature = sign({ kind: "explicit", sessionLeaf: reference.leafHash, permissionIndex });
      return { kind: "explicit", leafIndex: order.indexOf(reference.leafHash), permissionIndex, signature };
    }
    const signature = sign({ kind: "attested", attestationHash: reference.attestationHash });
    return { kind: "attested", attestationIndex: reference.attestationIndex, signature };
  });

  return encodeSessionSignature({
    threshold: input.configuration.threshold,
    checkpoint: input.configuration.checkpoint,
    leaves,
    attestations: attestations.map((a) => ({ identityLeaf: order.indexOf(a.identityHash), attestation: a.attestation, signature: a.signature })),
    calls: authorisations,
    proof: proof.proof,
    proofFlags: proof.proofFlags,
  });
}
