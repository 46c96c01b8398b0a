/**
 * The on-chain state a session check depends on: cumulative usage, native value used, the
 * wallet's blocklist, and whether a target accepts an attested call. {@link chainSessionState}
 * reads it from a chain; {@link memorySessionState} holds it in memory (for tests and simulations).
 */
import { AbiCoder, Contract, Interface, isError, isHexString, type Provider } from "ethers";
import { bytesToHex, hexToBytes, normalizeAddress, type Hex } from "../hex";
import type { NormalizedCall } from "../payload/calls";
import { ON_FAILURE_CODES } from "../payload/calls";
import { keccak256, keccak256Utf8 } from "../keccak";
import type { Attestation } from "./attestation";

/** Everything `checkSessionCalls` needs to know about one wallet's session state. */
export interface SessionState {
  /** Running total of rule `ruleIndex` of permission `permissionIndex` of a session leaf. */
  usage(sessionLeaf: Hex, permissionIndex: number, ruleIndex: number): Promise<bigint> | bigint;
  /** Native value a session leaf has sent. */
  valueUsed(sessionLeaf: Hex): Promise<bigint> | bigint;
  /** How many accounts are on the wallet's blocklist. */
  blockedCount(): Promise<bigint> | bigint;
  isBlocked(account: Hex): Promise<boolean> | boolean;
  /** What `target.acceptAttestedRequest(wallet, attestation, call)` returns; undefined if it reverts or returns nothing. */
  acceptAttestedRequest(target: Hex, attestation: Attestation, call: NormalizedCall): Promise<Hex | undefined> | Hex | undefined;
}

/** `keccak256("arbor.accept-attested-request")`. */
export const ACCEPT_ATTESTED_REQUEST_TAG: Hex = keccak256Utf8("arbor.accept-attested-request");

/**
 * The value a contract returns to accept an attested call:
 * `keccak256(abi.encode(keccak256("arbor.accept-attested-request"), wallet, audienceHash, issuerHash))`.
 *
 * @example
 * acceptAttestedRequestMagic(wallet, hashAudience("https://game.example"), hashIssuer("email"))
 */
export function acceptAttestedRequestMagic(wallet: string, audienceHash: Hex | string, issuerHash: Hex | string): Hex {
  const encoded = AbiCoder.defaultAbiCoder().encode(
    ["bytes32", "address", "bytes32", "bytes32"],
    [ACCEPT_ATTESTED_REQUEST_TAG, normalizeAddress(wallet, "wallet"), audienceHash, issuerHash],
  );
  return bytesToHex(keccak256(hexToBytes(encoded, "encoded")));
}

/** The key of a usage entry in {@link memorySessionState}. */
export function usageKey(sessionLeaf: Hex | string, permissionIndex: number, ruleIndex: number): string {
  return `${sessionLeaf.toLowerCase()}/${permissionIndex}/${ruleIndex}`;
}

/**
 * Session state held in memory. Missing entries are zero; `accepts` answers accept-requests
 * (default: every target refuses).
 *
 * @example
 * const state = memorySessionState({ usage: new Map([[usageKey(leafHash, 0, 1), 40n]]) });
 */
export function memorySessionState(initial: {
  usage?: Map<string, bigint>;
  valueUsed?: Map<string, bigint>;
  blocked?: readonly string[];
  accepts?: (target: Hex, attestation: Attestation, call: NormalizedCall) => Hex | undefined;
} = {}): SessionState {
  const blocked = new Set((initial.blocked ?? []).map((a) => a.toLowerCase()));
  return {
    usage: (leaf, p, r) => initial.usage?.get(usageKey(leaf, p, r)) ?? 0n,
    valueUsed: (leaf) => initial.valueUsed?.get(leaf.toLowerCase()) ?? 0n,
    blockedCount: () => BigInt(blocked.size),
    isBlocked: (account) => blocked.has(account.toLowerCase()),
    acceptAttestedRequest: (target, attestation, call) => initial.accepts?.(target, attestation, call),
  };
}

const SESSIONS_ABI = [
  "function usage(address wallet, bytes32 sessionLeaf, uint256 permissionIndex, uint256 ruleIndex) view returns (uint256)",
  "function valueUsed(address wallet, bytes32 sessionLeaf) view returns (uint256)",
  "function blockedCount(address wallet) view returns (uint256)",
  "function isBlocked(address wallet, address account) view returns (bool)",
];

const ACCEPTS_INTERFACE = new Interface([
  "function acceptAttestedRequest(address wallet, (address approvedSigner, bytes4 identityType, bytes32 issuerHash, bytes32 audienceHash, bytes applicationData, uint64 issuedAt, uint64 expiresAt) attestation, (address target, uint256 value, bytes data, uint256 gasLimit, bool delegateCall, uint8 onFailure) call) view returns (bytes32)",
]);

/**
 * Session state of `wallet` read from a chain through `provider` (views of the sessions module at
 * `sessions`, and `eth_call`s of targets' `acceptAttestedRequest` made from the module's address,
 * as the module makes them). Reads happen when the check asks, at `blockTag` (default latest).
 *
 * @example
 * const state = chainSessionState({ provider, sessions: sessionsAddress, wallet });
 * const result = await checkSessionCalls({ ..., state });
 */
export function chainSessionState(options: { provider: Provider; sessions: string; wallet: string; blockTag?: string | number }): SessionState {
  const sessions = normalizeAddress(options.sessions, "sessions");
  const wallet = normalizeAddress(options.wallet, "wallet");
  const contract = new Contract(sessions, SESSIONS_ABI, options.provider);
  const overrides = { blockTag: options.blockTag ?? "latest" };
  return {
    usage: async (leaf, p, r) => BigInt(await contract.usage(wallet, leaf, p, r, overrides)),
    valueUsed: async (leaf) => BigInt(await contract.valueUsed(wallet, leaf, overrides)),
    blockedCount: async () => BigInt(await contract.blockedCount(wallet, overrides)),
    isBlocked: async (account) => Boolean(await contract.isBlocked(wallet, account, overrides)),
    acceptAttestedRequest: async (target, attestation, call) => {
      const data = ACCEPTS_INTERFACE.encodeFunctionData("acceptAttestedRequest", [
        wallet,
        [
          attestation.approvedSigner,
          attestation.identityType,
          attestation.issuerHash,
          attestation.audienceHash,
          attestation.applicationData,
          attestation.issuedAt,
          attestation.expiresAt,
        ],
        [call.target, call.value, call.data, call.gasLimit, call.delegateCall, ON_FAILURE_CODES[call.onFailure]],
      ]);
      try {
        const result = await options.provider.call({ to: target, from: sessions, data, blockTag: overrides.blockTag });
        // The module reads the first word of whatever comes back, and refuses anything shorter.
        return result.length >= 66 ? (result.slice(0, 66).toLowerCase() as Hex) : undefined;
      } catch (error) {
        // A revert refuses, as in the module; a network failure is not an answer. Ethers reports
        // a revert as CALL_EXCEPTION; Hardhat's in-process provider throws an error carrying the
        // revert data instead.
        if (isError(error, "CALL_EXCEPTION") || isHexString((error as { data?: unknown }).data)) return undefined;
        throw error;
      }
    },
  };
}
