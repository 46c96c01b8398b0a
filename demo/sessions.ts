/**
 * Smart sessions on the in-process Hardhat network: the owner grants an app's session key an
 * ERC-20 allowance with a cap, the key spends within it (in its own nonce space), the over-cap
 * transfer and a batch in the owners' nonce space are refused (the library predicts the
 * contract's error, the chain confirms it); then an identity signer attests
 * a session key for one app domain, and that key plays on the app's contract, which accepts the
 * domain, while another app's contract refuses it.
 *
 * Run alone with `npx hardhat run demo/sessions.ts`.
 */
import { CANONICAL_ENTRY_POINT_V08 } from "../lib/userop/entry-point";
import { encodeCallsPayload } from "../lib/payload/packed-calls";
import { ethers } from "hardhat";
import { Wallet as EthersWallet } from "ethers";
import { Configuration } from "../lib/configuration/configuration";
import type { Hex } from "../lib/hex";
import { hashCalls } from "../lib/payload/hash-calls";
import { normalizeCall, ON_FAILURE_CODES } from "../lib/payload/calls";
import type { CallInput } from "../lib/payload/types";
import { signPayload } from "../lib/signature/sign-payload";
import { ecdsaSigner } from "../lib/signature/signers";
import { walletAddress } from "../lib/wallet/address";
import {
  IDENTITY_TYPE,
  chainSessionState,
  checkSessionCalls,
  erc20TransferUpTo,
  explicitSession,
  hashAudience,
  hashIssuer,
  sessionBatchSpace,
  signAttestation,
  signSessionCalls,
  type SessionCallSigner,
} from "../lib/sessions";

type Log = (line: string) => void;

const short = (hex: string) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;
const GAME = "https://game.example";
const OTHER = "https://other.example";

function structs(calls: readonly CallInput[]) {
  return calls.map((c, i) => {
    const n = normalizeCall(c, `calls[${i}]`);
    return { target: n.target, value: n.value, data: n.data, gasLimit: n.gasLimit, delegateCall: n.delegateCall, onFailure: ON_FAILURE_CODES[n.onFailure] };
  });
}

/**
 * The sessions walk-through; throws on anything unexpected.
 *
 * @example
 * await runSessionsDemo((line) => console.log(line));
 */
export async function runSessionsDemo(log: Log): Promise<void> {
  const [relayer] = await ethers.getSigners();
  const { chainId } = await ethers.provider.getNetwork();
  const [owner, sessionKey, identity, gameKey] = ["owner", "session", "identity", "game"].map((n) => new EthersWallet(ethers.id(`arbor-demo/sessions/${n}`)));

  const factory = await ethers.deployContract("ArborFactory");
  const sessions = await ethers.deployContract("ArborSessions");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const sessionsAddress = (await sessions.getAddress()) as Hex;
  const token = await ethers.deployContract("TestERC20");
  const tokenAddress = (await token.getAddress()) as Hex;
  const game = await ethers.deployContract("SessionTestApp", [[hashAudience(GAME)]]);
  const other = await ethers.deployContract("SessionTestApp", [[hashAudience(OTHER)]]);
  log(`deployed sessions module ${short(sessionsAddress)}, a test ERC-20 and two app contracts (accepting ${GAME} and ${OTHER})`);

  // A 1-of-1 wallet whose configuration also trusts one identity signer.
  const identityLeaf = { kind: "identity-signer" as const, signer: identity.address as Hex };
  const first = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }, identityLeaf] });
  const address = walletAddress({ factory: await factory.getAddress(), implementation: await implementation.getAddress(), imageHash: first.imageHash });
  await (await factory.deploy(await implementation.getAddress(), first.imageHash)).wait();
  const wallet = await ethers.getContractAt("ArborWallet", address);
  await (await token.mint(address, 1_000n)).wait();
  log(`1. wallet ${short(address)} (owner + identity signer ${short(identity.address)}) holds 1000 TEST`);

  // Grant: a session leaf capped at 100 TEST of transfers, added by an owner-signed update.
  const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 86_400n;
  const session = explicitSession({ sessionSigner: sessionKey.address, chainId, deadline, grants: [erc20TransferUpTo(tokenAddress, 100n)] });
  const configuration = first.addLeaf(session.leaf).bumpCheckpoint();
  const update = [{ target: address, data: wallet.interface.encodeFunctionData("updateConfiguration", [configuration.root, configuration.threshold, configuration.checkpoint]) }];
  const ownerNonce = await wallet.nonces(1n);
  const { signature: ownerSignature } = await signPayload(first, hashCalls({ calls: update, space: 1n, nonce: ownerNonce }, { wallet: address, chainId }), [ecdsaSigner(owner.privateKey)]);
  await (await wallet.connect(relayer).execute(encodeCallsPayload({ calls: update, space: 1n, nonce: BigInt(ownerNonce) }), ownerSignature)).wait();
  log(`2. owner granted session key ${short(sessionKey.address)}: transfers of TEST up to 100 in total, until ${new Date(Number(deadline) * 1000).toISOString()}`);

  const recipient = "0x000000000000000000000000000000000000bEEF";
  // Each session key spends from its own nonce space (named after the key), never the owners'.
  const sessionBatch = async (calls: CallInput[], signers: SessionCallSigner[], space = sessionBatchSpace(signers)) => {
    const nonce = await wallet.nonces(space);
    const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId });
    // The library refuses to sign for another space than the first key's; `space` may differ
    // only to show the contract's refusal below.
    const signature = signSessionCalls({ configuration, calls, space: sessionBatchSpace(signers), digest, signers });
    const timestamp = BigInt((await ethers.provider.getBlock("latest"))!.timestamp) + 1n;
    const check = await checkSessionCalls({
      calls,
      space,
      digest,
      signature,
      wallet: address,
      sessions: sessionsAddress,
      chainId,
      timestamp,
      state: chainSessionState({ provider: ethers.provider, sessions: sessionsAddress, wallet: address }),
      walletImageHash: configuration.imageHash,
    });
    return { check, send: () => wallet.connect(relayer).execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature) };
  };
  const transfer = (amount: bigint) => ({ target: tokenAddress, data: token.interface.encodeFunctionData("transfer", [recipient, amount]) });

  const spend = await sessionBatch([transfer(60n)], [{ session, key: sessionKey }]);
  if (!spend.check.ok) throw new Error(`the library refused a transfer within the cap: ${spend.check.error.message}`);
  const spent = await (await spend.send()).wait();
  log(`3. session key sent 60 TEST (${spent!.gasUsed} gas) in its own nonce space ${short(sessionKey.address)}; recipient holds ${await token.balanceOf(recipient)}, the session's running total is ${await sessions.usage(address, spend.check.usage[0].sessionLeaf, 0, 1)}`);

  /** Sends a batch the library refused and checks the chain refuses it with the same error. */
  const confirmRefused = async (batch: Awaited<ReturnType<typeof sessionBatch>>) => {
    if (batch.check.ok) throw new Error("the library accepted a batch it should refuse");
    try {
      await (await batch.send()).wait();
    } catch (error) {
      const data = (error as { data?: string }).data;
      const parsed = typeof data === "string" ? sessions.interface.parseError(data) : null;
      if (parsed?.name !== batch.check.error.code) throw error;
      return `${parsed.name}(${parsed.args.join(", ")})`;
    }
    throw new Error(`the chain accepted a batch the library refused with ${batch.check.error.code}`);
  };

  const over = await sessionBatch([transfer(50n)], [{ session, key: sessionKey }]);
  if (over.check.ok) throw new Error("the library accepted a transfer over the cap");
  log(`4. session key tries 50 more TEST: the library predicts ${over.check.error.code}(${over.check.error.args.join(", ")})`);
  log(`   the wallet reverts with ${await confirmRefused(over)}; recipient still holds ${await token.balanceOf(recipient)}`);
  const squat = await sessionBatch([transfer(1n)], [{ session, key: sessionKey }], 0n);
  log(`   the same key in the owners' nonce space 0 instead: refused with ${await confirmRefused(squat)}; the owners' next nonce there is still ${await wallet.nonces(0n)}`);

  // Attested session: the identity signer vouches for a key, for the game's domain only.
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const attestation = {
    approvedSigner: gameKey.address,
    identityType: IDENTITY_TYPE.email,
    issuerHash: hashIssuer("email"),
    audienceHash: hashAudience(GAME),
    applicationData: "0x",
    issuedAt: now,
    expiresAt: now + 3_600n,
  };
  const attestationSignature = signAttestation(attestation, identity.privateKey);
  log(`5. identity signer attested key ${short(gameKey.address)} for ${GAME}, valid for one hour`);

  const play = await sessionBatch([{ target: (await game.getAddress()) as Hex, data: game.interface.encodeFunctionData("play", [7n]) }], [{ attestation, attestationSignature, key: gameKey }]);
  if (!play.check.ok) throw new Error(`the library refused the attested call: ${play.check.error.message}`);
  const played = await (await play.send()).wait();
  log(`6. the attested key played on the game contract (${played!.gasUsed} gas): the wallet's score is ${await game.scores(address)}`);

  const elsewhere = await sessionBatch([{ target: (await other.getAddress()) as Hex, data: other.interface.encodeFunctionData("play", [7n]) }], [{ attestation, attestationSignature, key: gameKey }]);
  log(`7. the same key on the other app's contract (which accepts only ${OTHER}): refused with ${await confirmRefused(elsewhere)}`);
}

if (require.main === module) {
  runSessionsDemo((line) => console.log(`  ${line}`)).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
