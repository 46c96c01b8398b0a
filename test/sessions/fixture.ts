/**
 * Session-test fixture: the Arbor singletons (sessions module, factory, wallet implementation) on
 * the in-process Hardhat network, a real ERC-20, two app contracts that accept attested sessions
 * for their own domain, and helpers that sign, check off-chain and send session batches.
 */
import { encodeCallsPayload } from "../../lib/payload/packed-calls";
import { expect } from "chai";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import type { Leaf } from "../../lib/configuration/leaves";
import type { Hex } from "../../lib/hex";
import { hashCalls } from "../../lib/payload/hash-calls";
import { normalizeCall, ON_FAILURE_CODES } from "../../lib/payload/calls";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import {
  IDENTITY_TYPE,
  hashAttestation,
  hashAudience,
  hashIssuer,
  signAttestation,
  type Attestation,
  chainSessionState,
  checkSessionCalls,
  decodeSessionSignature,
  encodeSessionSignature,
  sessionBatchSpace,
  sessionCallHash,
  signSessionCalls,
  type CheckSessionCallsResult,
  type SessionCallGrant,
  type SessionCallSigner,
} from "../../lib/sessions";
import { deployArbor, deployWallet, keys, type ArborDeployment } from "../helpers/arbor";
import type { ArborSessions, ArborWallet, CallTarget, SessionTestApp, TestERC20 } from "../../typechain-types";

export const APP_ORIGIN = "https://game.example";
export const OTHER_ORIGIN = "https://other.example";

export interface SessionsFixture {
  d: ArborDeployment;
  sessions: ArborSessions;
  sessionsAddress: Hex;
  token: TestERC20;
  tokenAddress: Hex;
  app: SessionTestApp;
  appAddress: Hex;
  otherApp: SessionTestApp;
  otherAppAddress: Hex;
  target: CallTarget;
  targetAddress: Hex;
  chainId: bigint;
  owner: EthersWallet;
}

export async function deploySessionsFixture(): Promise<SessionsFixture> {
  const d = await deployArbor();
  const sessions = (await ethers.getContractAt("ArborSessions", d.sessionsAddress)) as unknown as ArborSessions;
  const token = (await ethers.deployContract("TestERC20")) as unknown as TestERC20;
  const app = (await ethers.deployContract("SessionTestApp", [[hashAudience(APP_ORIGIN)]])) as unknown as SessionTestApp;
  const otherApp = (await ethers.deployContract("SessionTestApp", [[hashAudience(OTHER_ORIGIN)]])) as unknown as SessionTestApp;
  const target = (await ethers.deployContract("CallTarget")) as unknown as CallTarget;
  return {
    d,
    sessions,
    sessionsAddress: d.sessionsAddress,
    token,
    tokenAddress: (await token.getAddress()) as Hex,
    app,
    appAddress: (await app.getAddress()) as Hex,
    otherApp,
    otherAppAddress: (await otherApp.getAddress()) as Hex,
    target,
    targetAddress: (await target.getAddress()) as Hex,
    chainId: (await ethers.provider.getNetwork()).chainId,
    owner: keys(1, "sessions-owner")[0],
  };
}

/** A configuration with the fixture's owner (weight 1, threshold 1) and `leaves`. */
export function ownedConfiguration(f: SessionsFixture, leaves: Leaf[], checkpoint = 0n): Configuration {
  return Configuration.of({
    threshold: 1n,
    checkpoint,
    leaves: [{ kind: "ecdsa-signer", signer: f.owner.address as Hex, weight: 1n }, ...leaves],
  });
}

export async function walletFor(f: SessionsFixture, configuration: Configuration): Promise<{ wallet: ArborWallet; address: Hex }> {
  const wallet = await deployWallet(f.d, configuration);
  return { wallet, address: (await wallet.getAddress()) as Hex };
}

/** The calls as the contract's `Call[]` structs. */
export function contractCalls(calls: readonly CallInput[]) {
  return calls.map((c, i) => {
    const n = normalizeCall(c, `calls[${i}]`);
    return { target: n.target, value: n.value, data: n.data, gasLimit: n.gasLimit, delegateCall: n.delegateCall, onFailure: ON_FAILURE_CODES[n.onFailure] };
  });
}

/** A session batch ready to send: its space, nonce, digest and signature. */
export interface SessionBatch {
  calls: readonly CallInput[];
  space: bigint;
  nonce: bigint;
  digest: Hex;
  signature: Hex;
}

export async function signBatch(
  wallet: ArborWallet,
  configuration: Configuration,
  calls: readonly CallInput[],
  signers: readonly SessionCallSigner[],
  options: { space?: bigint; chainId?: bigint; walletAddress?: Hex } = {},
): Promise<SessionBatch> {
  // The batch's own space is its first session key's; `options.space` signs for another one
  // (the library refuses to, so the signature is made for the right space over this digest).
  const ownSpace = sessionBatchSpace(signers);
  const space = options.space ?? ownSpace;
  const nonce = await wallet.nonces(space);
  const chainId = options.chainId ?? (await ethers.provider.getNetwork()).chainId;
  const address = options.walletAddress ?? ((await wallet.getAddress()) as Hex);
  const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId });
  const signature = signSessionCalls({ configuration, calls, space: ownSpace, digest, signers });
  return { calls, space, nonce, digest, signature };
}

/**
 * `signature` with call `index` signed by `key` instead, over the hash its authorisation names
 * (signSessionCalls refuses a key that is not the session's, so tests make wrong-key signatures here).
 */
export function resignCall(signature: Hex, callsLength: number, digest: Hex, index: number, key: EthersWallet): Hex {
  const decoded = decodeSessionSignature(signature, callsLength);
  const auth = decoded.calls[index];
  const grant: SessionCallGrant =
    auth.kind === "explicit"
      ? { kind: "explicit", sessionLeaf: decoded.leafHashes[auth.leafIndex], permissionIndex: auth.permissionIndex }
      : { kind: "attested", attestationHash: hashAttestation(decoded.attestations[auth.attestationIndex].attestation) };
  const callSignature = key.signingKey.sign(sessionCallHash(digest, index, grant)).serialized as Hex;
  return encodeSessionSignature({ ...decoded, calls: decoded.calls.map((c, i) => (i === index ? { ...c, signature: callSignature } : c)) });
}

/** The batch with call `index` signed by `key` (see {@link resignCall}). */
export function withCallSignedBy(batch: SessionBatch, index: number, key: EthersWallet): SessionBatch {
  return { ...batch, signature: resignCall(batch.signature, batch.calls.length, batch.digest, index, key) };
}

export function send(wallet: ArborWallet, batch: Pick<SessionBatch, "calls" | "space" | "nonce" | "signature">) {
  return wallet.execute(encodeCallsPayload({ calls: batch.calls, space: BigInt(batch.space), nonce: BigInt(batch.nonce) }), batch.signature);
}

/**
 * Pins the next block's timestamp (ten seconds on, or `at`) and runs the library's check for that
 * block against the chain's state, so the off-chain answer and the transaction see the same block.
 */
export async function checkNext(
  f: SessionsFixture,
  wallet: ArborWallet,
  configuration: Configuration,
  batch: SessionBatch,
  at?: bigint,
): Promise<{ result: CheckSessionCallsResult; timestamp: bigint }> {
  const timestamp = at ?? BigInt(await time.latest()) + 10n;
  await time.setNextBlockTimestamp(timestamp);
  const address = (await wallet.getAddress()) as Hex;
  const result = await checkSessionCalls({
    calls: batch.calls,
    space: batch.space,
    digest: batch.digest,
    signature: batch.signature,
    wallet: address,
    sessions: f.sessionsAddress,
    chainId: f.chainId,
    timestamp,
    state: chainSessionState({ provider: ethers.provider, sessions: f.sessionsAddress, wallet: address }),
    walletImageHash: configuration.imageHash,
  });
  return { result, timestamp };
}

function normalizeArg(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : String(value);
}

/**
 * Asserts that the library predicts `code(args)` for the batch and that the wallet transaction
 * then reverts with exactly that custom error (from the sessions module, or the wallet for
 * `ImageHashMismatch` / `BadNonce`).
 */
export async function expectRejected(
  f: SessionsFixture,
  wallet: ArborWallet,
  configuration: Configuration,
  batch: SessionBatch,
  code: string,
  args?: (timestamp: bigint) => unknown[],
): Promise<void> {
  const { result, timestamp } = await checkNext(f, wallet, configuration, batch);
  expect(result.ok, "the off-chain check must reject").to.equal(false);
  if (result.ok) return;
  expect(result.error.code).to.equal(code);
  const expectedArgs = args?.(timestamp);
  if (expectedArgs !== undefined) {
    expect(result.error.args.map(normalizeArg)).to.deep.equal(expectedArgs.map(normalizeArg));
  }
  const source = code === "ImageHashMismatch" || code === "BadNonce" ? wallet : f.sessions;
  const assertion = expect(send(wallet, batch)).to.be.revertedWithCustomError(source, code);
  await (expectedArgs === undefined ? assertion : assertion.withArgs(...expectedArgs));
}

/** Asserts that the library accepts the batch and the wallet runs it. */
export async function expectAccepted(f: SessionsFixture, wallet: ArborWallet, configuration: Configuration, batch: SessionBatch) {
  const { result } = await checkNext(f, wallet, configuration, batch);
  if (!result.ok) expect.fail(`the off-chain check rejected: ${result.error.message}`);
  const receipt = await (await send(wallet, batch)).wait();
  return { result, receipt: receipt! };
}

/** Owner-signed batch (a normal wallet signature), e.g. to edit the blocklist. */
export async function ownerExecute(f: SessionsFixture, wallet: ArborWallet, configuration: Configuration, calls: CallInput[], space = 1n) {
  const nonce = await wallet.nonces(space);
  const digest = hashCalls({ calls, space, nonce }, { wallet: (await wallet.getAddress()) as Hex, chainId: f.chainId });
  const { signature } = await signPayload(configuration, digest, [ecdsaSigner(f.owner.privateKey)]);
  return (await wallet.execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature)).wait();
}

/** An attestation for `approvedSigner` and `origin`, valid from `issuedAt` for `lifetime` seconds, signed by `identity`. */
export function attest(
  identity: EthersWallet,
  approvedSigner: string,
  origin: string,
  issuedAt: bigint,
  lifetime = 3_600n,
): { attestation: Attestation; attestationSignature: Hex } {
  const attestation: Attestation = {
    approvedSigner,
    identityType: IDENTITY_TYPE.email,
    issuerHash: hashIssuer("email"),
    audienceHash: hashAudience(origin),
    applicationData: "0x",
    issuedAt,
    expiresAt: issuedAt + lifetime,
  };
  return { attestation, attestationSignature: signAttestation(attestation, identity.privateKey) as Hex };
}

export function transferData(to: string, amount: bigint): Hex {
  return new ethers.Interface(["function transfer(address,uint256)"]).encodeFunctionData("transfer", [to, amount]) as Hex;
}

export function playData(score: bigint): Hex {
  return new ethers.Interface(["function play(uint256)"]).encodeFunctionData("play", [score]) as Hex;
}
