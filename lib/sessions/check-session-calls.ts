/**
 * The off-chain twin of `ArborSessions.validateSessionCalls` (and the wallet's final image-hash
 * comparison): tells, before sending, whether the contracts will accept a session-signed batch,
 * and if not, the exact custom error and arguments they would revert with. The checks run in the
 * order of lib/sessions/ENCODING.md, so the first failure is the contract's.
 */
import { InvalidArgumentError } from "../errors";
import { checkUint, hexToBytes, normalizeAddress, normalizeBytes32, type Hex } from "../hex";
import { imageHash as computeImageHash } from "../configuration/image-hash";
import { processMultiProof } from "../configuration/tree";
import { LENGTH_RULE_OPERATION_MIN, type Permission } from "../configuration/permissions";
import { normalizeCall, type NormalizedCall } from "../payload/calls";
import type { CallInput } from "../payload/types";
import { hashAttestation } from "./attestation";
import { splitSignature, tryRecoverEcdsa } from "../signature/ecdsa";
import { sessionCallHash, type SessionCallGrant } from "./session-call-hash";
import { SessionError } from "./session-error";
import { decodeSessionSignature, type DecodedSessionSignature } from "./session-signature";
import { acceptAttestedRequestMagic, usageKey, type SessionState } from "./session-state";

/** Input of {@link checkSessionCalls}: the batch, the signature, and where and when it will run. */
export interface CheckSessionCallsInput {
  /** The batch exactly as the wallet will run it. */
  calls: readonly CallInput[];
  /** The nonce space the wallet will consume for the batch (`execute`'s `space`). */
  space: bigint;
  /** The batch's EIP-712 digest for this wallet and chain (lib/payload `hashCalls`). */
  digest: Hex | string;
  signature: Hex | string;
  /** The wallet (`msg.sender` of the module). */
  wallet: string;
  /** The sessions module's address. */
  sessions: string;
  /** `block.chainid` where the batch will run. */
  chainId: bigint;
  /** `block.timestamp` of the block the batch will land in. */
  timestamp: bigint;
  state: SessionState;
  /** The wallet's current image hash; when given, the wallet's `ImageHashMismatch` check runs too. */
  walletImageHash?: Hex | string;
}

/** A cumulative total the batch would store. */
export interface UsageUpdate {
  sessionLeaf: Hex;
  permissionIndex: number;
  ruleIndex: number;
  total: bigint;
}

export type CheckSessionCallsResult =
  | { ok: true; imageHash: Hex; usage: UsageUpdate[]; valueUsed: { sessionLeaf: Hex; total: bigint }[] }
  | { ok: false; error: SessionError };

const MAX_UINT256 = (1n << 256n) - 1n;

/** ECDSA recovery of a 65-byte `r ‖ s ‖ v` with OpenZeppelin's acceptance rules, as the module does. */
function tryRecoverSigner(hash: Hex, signature: Hex): Hex | undefined {
  const { r, s, v } = splitSignature(hexToBytes(signature, "signature"));
  return tryRecoverEcdsa(hash, v, r, s);
}

function hex32(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, "0")}`;
}

/** The calldata word at `offset`; bytes past the end of the data read as zero (as in the contract). */
function dataWord(data: Uint8Array, offset: bigint): bigint {
  if (offset >= BigInt(data.length)) return 0n;
  const start = Number(offset);
  let value = 0n;
  for (let i = 0; i < 32; i++) value = (value << 8n) | BigInt(start + i < data.length ? data[start + i] : 0);
  return value;
}

/** A calldata-length rule: 4 length at least `bound`, 5 length at most `bound`. */
function lengthHolds(operation: number, length: number, bound: bigint): boolean {
  return operation === 4 ? BigInt(length) >= bound : BigInt(length) <= bound;
}

function compare(operation: number, word: bigint, value: bigint): boolean {
  switch (operation) {
    case 0:
      return word === value;
    case 1:
      return word !== value;
    case 2:
      return word >= value;
    default:
      return word <= value;
  }
}

/**
 * Whether the rules of `permission` hold for `call`, ignoring cumulative rules (they depend on
 * usage). Used to pick a permission when signing.
 */
export function nonCumulativeRulesHold(permission: Permission, call: NormalizedCall): boolean {
  if (permission.target.toLowerCase() !== call.target.toLowerCase()) return false;
  const data = hexToBytes(call.data, "data");
  return permission.rules.every((rule) =>
    rule.operation >= LENGTH_RULE_OPERATION_MIN
      ? lengthHolds(rule.operation, data.length, BigInt(rule.value))
      : rule.cumulative || compare(rule.operation, dataWord(data, rule.offset) & BigInt(rule.mask), BigInt(rule.value)),
  );
}

/** Same pre-validation as the contract: a malformed multiproof is OpenZeppelin's error, never a panic. */
function checkProofFlags(leafCount: number, flags: readonly number[]): void {
  let taken = 0;
  let merges = 0;
  flags.forEach((flag, j) => {
    if (flag === 1) merges++;
    taken += flag === 1 ? 2 : 1;
    if (taken > leafCount + j) throw new SessionError("MerkleProofInvalidMultiproof", [], "the proof flags do not describe a multiproof");
  });
  if (merges !== leafCount - 1) throw new SessionError("MerkleProofInvalidMultiproof", [], "the proof flags do not describe a multiproof");
}

/**
 * Checks a session-signed batch exactly as the sessions module (then the wallet) would, without
 * sending anything. Returns `{ ok: true, imageHash, usage, valueUsed }` (the totals the batch
 * would store) or `{ ok: false, error }` with the contract's error name and arguments.
 * Throws {@link InvalidArgumentError} only for inputs that are not a batch at all (a call the
 * wallet could not encode, a bad address).
 *
 * @example
 * const result = await checkSessionCalls({
 *   calls, space, digest, signature, wallet, sessions: sessionsAddress, chainId: 1n,
 *   timestamp: BigInt(Math.floor(Date.now() / 1000)),
 *   state: chainSessionState({ provider, sessions: sessionsAddress, wallet }),
 * });
 * if (!result.ok) console.log(result.error.code, result.error.args); // e.g. SessionLimitExceeded [0n, 0n, 1n, 150n, 100n]
 */
export async function checkSessionCalls(input: CheckSessionCallsInput): Promise<CheckSessionCallsResult> {
  if (typeof input !== "object" || input === null || !Array.isArray(input.calls)) {
    throw new InvalidArgumentError("INVALID_ARRAY", "calls", "expected {calls, digest, signature, ...}");
  }
  const calls = input.calls.map((call, i) => normalizeCall(call, `calls[${i}]`));
  const space = checkUint(input.space, "space");
  const digest = normalizeBytes32(input.digest, "digest");
  const wallet = normalizeAddress(input.wallet, "wallet");
  const sessions = normalizeAddress(input.sessions, "sessions");
  const chainId = checkUint(input.chainId, "chainId");
  const timestamp = checkUint(input.timestamp, "timestamp");
  const signature = hexToBytes(input.signature, "signature");
  try {
    const decoded = decodeSessionSignature(signature, calls.length);
    const attestationHashes = recoverAttestations(decoded);
    checkProofFlags(decoded.leaves.length, decoded.proofFlagBytes);
    const root = processMultiProof({ leaves: decoded.leafHashes, proof: decoded.proof, proofFlags: decoded.proofFlags });
    const run = new CallChecker(decoded, attestationHashes, space, digest, wallet, sessions, chainId, timestamp, input.state);
    run.blocklistEmpty = (await input.state.blockedCount()) === 0n;
    for (let i = 0; i < calls.length; i++) await run.check(calls[i], i);
    const imageHash = computeImageHash(root, decoded.threshold, decoded.checkpoint);
    if (input.walletImageHash !== undefined && imageHash !== normalizeBytes32(input.walletImageHash, "walletImageHash")) {
      throw new SessionError("ImageHashMismatch", [imageHash], "the signature proves another configuration than the wallet's");
    }
    return {
      ok: true,
      imageHash,
      usage: [...run.usage.values()],
      valueUsed: [...run.valueUsed.entries()].map(([sessionLeaf, total]) => ({ sessionLeaf: sessionLeaf as Hex, total })),
    };
  } catch (error) {
    if (error instanceof SessionError) return { ok: false, error };
    throw error;
  }
}

/** Step 2: every attestation is signed by the identity signer of the leaf it names. Returns their hashes (call signatures sign them). */
function recoverAttestations(decoded: DecodedSessionSignature): Hex[] {
  return decoded.attestations.map((entry, a) => {
    const hash = hashAttestation(entry.attestation) as Hex;
    const recovered = tryRecoverSigner(hash, entry.signature);
    if (recovered === undefined) throw new SessionError("InvalidAttestationSignature", [BigInt(a)], "the attestation signature does not recover");
    const leaf = decoded.leaves[entry.identityLeaf];
    const identitySigner = leaf.kind === "identity-signer" ? leaf.signer : undefined;
    if (recovered !== identitySigner) {
      throw new SessionError("AttestationSignerMismatch", [BigInt(a), identitySigner, recovered], "the attestation was signed by another key");
    }
    return hash;
  });
}

/** Step 4, with the usage this batch has written so far layered over the state. */
class CallChecker {
  blocklistEmpty = true;
  readonly usage = new Map<string, UsageUpdate>();
  readonly valueUsed = new Map<string, bigint>();

  constructor(
    private readonly decoded: DecodedSessionSignature,
    private readonly attestationHashes: readonly Hex[],
    private readonly space: bigint,
    private readonly digest: Hex,
    private readonly wallet: Hex,
    private readonly sessions: Hex,
    private readonly chainId: bigint,
    private readonly timestamp: bigint,
    private readonly state: SessionState,
  ) {}

  async check(call: NormalizedCall, index: number): Promise<void> {
    const i = BigInt(index);
    if (call.delegateCall) throw new SessionError("SessionDelegateCall", [i], "sessions may not delegatecall");
    if (call.target === this.wallet) throw new SessionError("SessionSelfCall", [i], "sessions may not call the wallet");
    if (call.target === this.sessions) throw new SessionError("SessionModuleCall", [i], "sessions may not call the sessions module");

    const auth = this.decoded.calls[index];
    // The key must have signed this call under this very grant (leaf and permission, or attestation).
    const expected =
      auth.kind === "explicit"
        ? (this.decoded.leaves[auth.leafIndex] as { sessionSigner: Hex }).sessionSigner
        : (this.decoded.attestations[auth.attestationIndex].attestation.approvedSigner as Hex);
    const grant: SessionCallGrant =
      auth.kind === "explicit"
        ? { kind: "explicit", sessionLeaf: this.decoded.leafHashes[auth.leafIndex], permissionIndex: auth.permissionIndex }
        : { kind: "attested", attestationHash: this.attestationHashes[auth.attestationIndex] };
    const recovered = tryRecoverSigner(sessionCallHash(this.digest, index, grant), auth.signature);
    if (recovered === undefined) throw new SessionError("InvalidSessionCallSignature", [i], "the call signature does not recover");
    if (recovered !== expected) throw new SessionError("SessionSignerMismatch", [i, expected, recovered], "the call was signed by another key");
    if (index === 0 && this.space !== BigInt(expected)) {
      throw new SessionError("SessionNonceSpace", [this.space, expected], "a session batch must run in the nonce space of the key that signs its first call");
    }

    if (!this.blocklistEmpty) {
      if (await this.state.isBlocked(expected)) throw new SessionError("SessionKeyBlocked", [i, expected], "the wallet blocked this session key");
      if (auth.kind === "attested") {
        const leaf = this.decoded.leaves[this.decoded.attestations[auth.attestationIndex].identityLeaf] as { signer: Hex };
        if (await this.state.isBlocked(leaf.signer)) {
          throw new SessionError("IdentitySignerBlocked", [i, leaf.signer], "the wallet blocked the identity signer behind this session");
        }
      }
      if (await this.state.isBlocked(call.target)) throw new SessionError("SessionTargetBlocked", [i, call.target], "the wallet blocked this target");
    }

    if (auth.kind === "explicit") await this.checkExplicit(call, i, auth.leafIndex, auth.permissionIndex);
    else await this.checkAttested(call, i, auth.attestationIndex);
  }

  private async checkExplicit(call: NormalizedCall, i: bigint, leafIndex: number, permissionIndex: number): Promise<void> {
    const leaf = this.decoded.leaves[leafIndex];
    if (leaf.kind !== "session-permissions") throw new Error("unreachable: decode checked the leaf kind");
    const sessionLeaf = this.decoded.leafHashes[leafIndex];
    if (leaf.chainId !== 0n && leaf.chainId !== this.chainId) {
      throw new SessionError("SessionWrongChain", [i, leaf.chainId, this.chainId], "the session is for another chain");
    }
    if (this.timestamp >= leaf.deadline) throw new SessionError("SessionExpired", [i, leaf.deadline, this.timestamp], "the session's deadline has passed");
    const permission = this.decoded.permissions[leafIndex][permissionIndex];
    if (call.target !== permission.target) {
      throw new SessionError("SessionTargetNotPermitted", [i, call.target, permission.target], "the permission is for another target");
    }

    if (call.value !== 0n) {
      const used = this.valueUsed.get(sessionLeaf) ?? (await this.state.valueUsed(sessionLeaf));
      if (used > leaf.valueLimit || call.value > leaf.valueLimit - used) {
        throw new SessionError("SessionValueLimitExceeded", [i, used, call.value, leaf.valueLimit], "the session's native value limit would be passed");
      }
      this.valueUsed.set(sessionLeaf, used + call.value);
    }

    const data = hexToBytes(call.data, "data");
    for (let r = 0; r < permission.rules.length; r++) {
      const rule = permission.rules[r];
      const value = BigInt(rule.value);
      const p = BigInt(permissionIndex);
      if (rule.operation >= LENGTH_RULE_OPERATION_MIN) {
        if (!lengthHolds(rule.operation, data.length, value)) {
          throw new SessionError("SessionCalldataLengthFailed", [i, p, BigInt(r), BigInt(data.length), value], "the call's data length is outside the rule's bound");
        }
        continue;
      }
      const word = dataWord(data, rule.offset) & BigInt(rule.mask);
      if (!rule.cumulative) {
        if (!compare(rule.operation, word, value)) {
          throw new SessionError("SessionRuleFailed", [i, p, BigInt(r), hex32(word), rule.value], "a rule on the calldata fails");
        }
        continue;
      }
      const key = usageKey(sessionLeaf, permissionIndex, r);
      const used = this.usage.get(key)?.total ?? (await this.state.usage(sessionLeaf, permissionIndex, r));
      if (word > MAX_UINT256 - used) {
        throw new SessionError("SessionUsageOverflow", [i, p, BigInt(r), used, word], "the running total would overflow");
      }
      const total = used + word;
      if (!compare(rule.operation, total, value)) {
        throw new SessionError("SessionLimitExceeded", [i, p, BigInt(r), total, value], "a cumulative limit would be passed");
      }
      if (word !== 0n) this.usage.set(key, { sessionLeaf, permissionIndex, ruleIndex: r, total });
    }
  }

  private async checkAttested(call: NormalizedCall, i: bigint, attestationIndex: number): Promise<void> {
    const attestation = this.decoded.attestations[attestationIndex].attestation;
    const issuedAt = BigInt(attestation.issuedAt);
    const expiresAt = BigInt(attestation.expiresAt);
    if (this.timestamp < issuedAt) throw new SessionError("AttestationNotYetValid", [i, issuedAt, this.timestamp], "the attestation is not valid yet");
    if (this.timestamp >= expiresAt) throw new SessionError("AttestationExpired", [i, expiresAt, this.timestamp], "the attestation has expired");
    if (call.value !== 0n) throw new SessionError("AttestedSessionValue", [i, call.value], "attested sessions move no native value");
    const magic = acceptAttestedRequestMagic(this.wallet, attestation.audienceHash, attestation.issuerHash);
    const answer = await this.state.acceptAttestedRequest(call.target, attestation, call);
    if (answer === undefined || answer.toLowerCase() !== magic) {
      throw new SessionError("AttestedRequestRejected", [i, call.target], "the target does not accept sessions for this app");
    }
  }
}
