/**
 * Gas of smart sessions on the in-process Hardhat network, measured from real transactions
 * (receipts' gasUsed, 21 000 intrinsic gas included) through the real wallet, factory and
 * sessions module:
 * - an ERC-20 transfer by an explicit session under a cumulative cap (first use, which creates
 *   the usage slot, and a later use, which updates it), next to the same transfer signed by the
 *   owner for reference;
 * - a call by an attested session to an app that accepts its audience.
 * `runBlocklistSchemesBench` compares the blocklist scheme ArborSessions uses with a sorted array
 * searched by binary search (the figures quoted in lib/sessions/ENCODING.md).
 *
 * Run alone with `npx hardhat run bench/sessions.ts`.
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
  erc20TransferUpTo,
  explicitSession,
  hashAudience,
  hashIssuer,
  sessionNonceSpace,
  signAttestation,
  signSessionCalls,
  type SessionCallSigner,
} from "../lib/sessions";

export interface GasRow {
  name: string;
  arbor: bigint;
}

const APP = "https://game.example";

function structs(calls: readonly CallInput[]) {
  return calls.map((c, i) => {
    const n = normalizeCall(c, `calls[${i}]`);
    return { target: n.target, value: n.value, data: n.data, gasLimit: n.gasLimit, delegateCall: n.delegateCall, onFailure: ON_FAILURE_CODES[n.onFailure] };
  });
}

/**
 * Gas of one explicit-session ERC-20 transfer (first and later use), the same transfer signed by
 * the owner, and one attested-session call.
 *
 * @example
 * for (const row of await runSessionsGasBench()) console.log(row.name, row.arbor);
 */
export async function runSessionsGasBench(): Promise<GasRow[]> {
  const [deployer] = await ethers.getSigners();
  const owner = new EthersWallet(ethers.id("bench/sessions/owner"));
  const sessionKey = new EthersWallet(ethers.id("bench/sessions/session-key"));
  const identity = new EthersWallet(ethers.id("bench/sessions/identity"));
  const chainId = (await ethers.provider.getNetwork()).chainId;

  const sessions = await ethers.deployContract("ArborSessions");
  const factory = await ethers.deployContract("ArborFactory");
  const implementation = await ethers.deployContract("ArborWallet", [await factory.getAddress(), await sessions.getAddress(), CANONICAL_ENTRY_POINT_V08]);
  const token = await ethers.deployContract("TestERC20");
  const app = await ethers.deployContract("SessionTestApp", [[hashAudience(APP)]]);
  const tokenAddress = (await token.getAddress()) as Hex;

  const session = explicitSession({ sessionSigner: sessionKey.address, chainId, deadline: 4_000_000_000n, grants: [erc20TransferUpTo(tokenAddress, 10n ** 24n)] });
  const configuration = Configuration.of({
    threshold: 1n,
    checkpoint: 0n,
    leaves: [
      { kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n },
      session.leaf,
      { kind: "identity-signer", signer: identity.address as Hex },
    ],
  });
  await (await factory.deploy(await implementation.getAddress(), configuration.imageHash)).wait();
  const address = walletAddress({ factory: await factory.getAddress(), implementation: await implementation.getAddress(), imageHash: configuration.imageHash });
  const wallet = await ethers.getContractAt("ArborWallet", address);
  await (await token.mint(address, 10n ** 24n)).wait();

  const recipient = "0x000000000000000000000000000000000000bEEF";
  const transfer = { target: tokenAddress, data: token.interface.encodeFunctionData("transfer", [recipient, 10n ** 18n]) };

  // Session batches run in their key's own nonce space (lib/sessions/ENCODING.md, "Nonce spaces").
  const sessionSpace = sessionNonceSpace(sessionKey.address);
  const viaSession = async (calls: CallInput[], signers: SessionCallSigner[]): Promise<bigint> => {
    const space = sessionSpace;
    const nonce = await wallet.nonces(space);
    const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId });
    const signature = signSessionCalls({ configuration, calls, space, digest, signers });
    const receipt = await (await wallet.connect(deployer).execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature)).wait();
    return receipt!.gasUsed;
  };
  const viaOwner = async (calls: CallInput[], space: bigint): Promise<bigint> => {
    const nonce = await wallet.nonces(space);
    const digest = hashCalls({ calls, space, nonce }, { wallet: address, chainId });
    const { signature } = await signPayload(configuration, digest, [ecdsaSigner(owner.privateKey)]);
    const receipt = await (await wallet.connect(deployer).execute(encodeCallsPayload({ calls, space: BigInt(space), nonce: BigInt(nonce) }), signature)).wait();
    return receipt!.gasUsed;
  };

  // Warm every nonce space used below (the owners may use any space, the session key's too) and
  // the recipient's balance slot first, so that every row pays the same nonce and token-side
  // costs and differs only by its authorisation.
  for (const space of [1n, sessionSpace]) await viaOwner([transfer], space);
  const ownerTransfer = await viaOwner([transfer], 1n);
  const firstUse = await viaSession([transfer], [{ session, key: sessionKey }]);
  const laterUse = await viaSession([transfer], [{ session, key: sessionKey }]);

  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const attestation = {
    approvedSigner: sessionKey.address,
    identityType: IDENTITY_TYPE.email,
    issuerHash: hashIssuer("email"),
    audienceHash: hashAudience(APP),
    applicationData: "0x",
    issuedAt: now - 60n,
    expiresAt: now + 3_600n,
  };
  const attestationSignature = signAttestation(attestation, identity.privateKey);
  const play = { target: (await app.getAddress()) as Hex, data: app.interface.encodeFunctionData("play", [1n]) };
  await viaOwner([play], 1n); // the app's score slot exists afterwards, as the token's balance slot does
  const attested = await viaSession([play], [{ attestation, attestationSignature, key: sessionKey }]);
  const ownerPlay = await viaOwner([play], 1n);

  return [
    { name: "ERC-20 transfer signed by the owner (1-of-1 ECDSA, reference)", arbor: ownerTransfer },
    { name: "ERC-20 transfer by an explicit session, cumulative cap, first use", arbor: firstUse },
    { name: "ERC-20 transfer by an explicit session, cumulative cap, later use", arbor: laterUse },
    { name: "app call signed by the owner (reference)", arbor: ownerPlay },
    { name: "app call by an attested session", arbor: attested },
  ];
}

/**
 * Blocklist schemes: gas of looking up a session key and a target (neither blocked) and of
 * blocking one more account, with cold storage, for lists of 0 to 256 accounts.
 *
 * @example
 * console.table(await runBlocklistSchemesBench());
 */
export async function runBlocklistSchemesBench(): Promise<GasRow[]> {
  const schemes = await ethers.deployContract("BlocklistSchemes");
  const rows: GasRow[] = [];
  const key = "0x00000000000000000000000000000000000000aa";
  const target = "0x00000000000000000000000000000000000000bb";
  for (const size of [0, 1, 16, 256]) {
    const wallet = ethers.getAddress(ethers.dataSlice(ethers.id(`bench/blocklist/${size}`), 12));
    const accounts = Array.from({ length: size }, (_, i) => ethers.getAddress(ethers.dataSlice(ethers.id(`blocked/${i}`), 12))).sort((a, b) =>
      BigInt(a) < BigInt(b) ? -1 : 1,
    );
    for (let i = 0; i < accounts.length; i += 64) await (await schemes.fill(wallet, accounts.slice(0, i + 64))).wait();
    const [, mapped] = await schemes.lookupMapping(wallet, key, target);
    const [, sorted] = await schemes.lookupSorted(wallet, key, target);
    rows.push({ name: `blocklist lookup of key + target, ${size} blocked: count + mapping`, arbor: mapped });
    rows.push({ name: `blocklist lookup of key + target, ${size} blocked: sorted array`, arbor: sorted });
    // Insert an account that sorts first: the worst case for the array (every entry moves).
    const first = "0x0000000000000000000000000000000000000001";
    rows.push({ name: `block one more account, ${size} blocked: count + mapping`, arbor: await schemes.insertMapping.staticCall(wallet, first) });
    rows.push({ name: `block one more account, ${size} blocked: sorted array`, arbor: await schemes.insertSorted.staticCall(wallet, first) });
  }
  return rows;
}

async function main(): Promise<void> {
  for (const row of [...(await runSessionsGasBench()), ...(await runBlocklistSchemesBench())]) {
    console.log(`${row.name.padEnd(78)} ${row.arbor.toString().padStart(9)}`);
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
