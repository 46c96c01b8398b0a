/**
 * Review: `PayloadHashes.hashCalls` hashes each call's fixed-width fields as the raw calldata
 * words the relayer sent, while `execute` and the sessions module read them through Solidity's
 * ABI decoder. If a dirty word (an address or bool with stray high bits) hashed one way and ran
 * another, a signer could be shown one call and the wallet run a different one. These tests sign
 * the digest of the dirty words themselves (the strongest case: the signer colludes or is fooled
 * into signing a raw digest) and check that such a batch never runs and changes nothing.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { Hex } from "../../lib/hex";
import { CALL_TYPEHASH, CALLS_TYPEHASH, domainSeparator, typedDataDigest } from "../../lib/payload/domain";
import type { CallInput } from "../../lib/payload/types";
import { signPayload } from "../../lib/signature/sign-payload";
import { ecdsaSigner } from "../../lib/signature/signers";
import { anyCall, explicitSession, sessionNonceSpace, signSessionCalls } from "../../lib/sessions";
import { leafHash } from "../../lib/configuration/leaves";
import { hashCalls } from "../../lib/payload/hash-calls";
import { CHAIN_ID, contractCalls, deployArbor, deployWallet, fund, keys, multisig } from "../helpers/arbor";
import { deploySessionsFixture, ownedConfiguration, walletFor } from "../sessions/fixture";
import type { ArborWallet } from "../../typechain-types";

const [owner, sessionKey] = keys(2, "review-dirty-calldata");
const FAR = 4_000_000_000n;

/** Word offsets of a Call's fields inside its ABI tuple. */
const FIELD = { target: 0, value: 32, gasLimit: 96, delegateCall: 128, onFailure: 160 } as const;

/** Where call `index`'s tuple starts in `execute(Call[],uint256,uint256,bytes)` calldata (bytes). */
function tupleStart(calldata: Uint8Array, index: number): number {
  const arrayAt = 4 + Number(ethers.toBigInt(calldata.slice(4, 36)));
  const contentAt = arrayAt + 32;
  return contentAt + Number(ethers.toBigInt(calldata.slice(contentAt + 32 * index, contentAt + 32 * index + 32)));
}

function readWord(calldata: Uint8Array, at: number): Hex {
  return ethers.hexlify(calldata.slice(at, at + 32)) as Hex;
}

/** The batch digest computed from the raw words of `calldata`, exactly as hashCalls does. */
function rawDigest(calldata: Uint8Array, wallet: string, count: number, space: bigint, nonce: bigint, dataOf: (i: number) => Hex): Hex {
  const callHashes = Array.from({ length: count }, (_, i) => {
    const at = tupleStart(calldata, i);
    return ethers.keccak256(
      ethers.concat([
        CALL_TYPEHASH,
        readWord(calldata, at + FIELD.target),
        readWord(calldata, at + FIELD.value),
        ethers.keccak256(dataOf(i)),
        readWord(calldata, at + FIELD.gasLimit),
        readWord(calldata, at + FIELD.delegateCall),
        readWord(calldata, at + FIELD.onFailure),
      ]),
    );
  });
  const structHash = ethers.keccak256(
    ethers.concat([CALLS_TYPEHASH, ethers.keccak256(ethers.concat(callHashes)), ethers.toBeHex(space, 32), ethers.toBeHex(nonce, 32)]),
  );
  return typedDataDigest(domainSeparator({ wallet, chainId: CHAIN_ID }), structHash as Hex);
}

/** `execute` calldata for `calls` with field `field` of call `index` overwritten by `word`. */
function dirtyExecute(wallet: ArborWallet, calls: CallInput[], space: bigint, nonce: bigint, signature: Hex, index: number, field: keyof typeof FIELD, word: Hex) {
  const calldata = ethers.getBytes(wallet.interface.encodeFunctionData("execute", [contractCalls(calls), space, nonce, signature]));
  calldata.set(ethers.getBytes(word), tupleStart(calldata, index) + FIELD[field]);
  return calldata;
}

/** A word whose low 20 bytes are `address` and whose top byte is stray. */
const dirtyAddress = (address: string) => ethers.concat(["0x01", ethers.zeroPadValue(address, 31)]) as Hex;
const DIRTY_TRUE = ethers.toBeHex(2n, 32) as Hex;

/** The revert data of `data` sent to `to` (eth_call), or "ok". */
async function revertData(to: string, data: Uint8Array): Promise<string> {
  try {
    await ethers.provider.call({ to, data: ethers.hexlify(data) });
    return "ok";
  } catch (error) {
    return String((error as { data?: string }).data);
  }
}

async function sendRaw(to: string, data: Uint8Array) {
  const [relayer] = await ethers.getSigners();
  return relayer.sendTransaction({ to, data: ethers.hexlify(data), gasLimit: 3_000_000n }).then(
    (tx) => tx.wait().then((r) => `status ${r!.status}`, () => "reverted"),
    () => "reverted",
  );
}

describe("ArborWallet (review: dirty calldata words)", () => {
  async function ownerFixture() {
    const d = await deployArbor();
    const configuration = multisig([owner], 1n);
    const wallet = await deployWallet(d, configuration);
    const address = (await wallet.getAddress()) as Hex;
    await fund(address, 10_000n);
    const target = await ethers.deployContract("CallTarget");
    return { wallet, configuration, address, target, targetAddress: (await target.getAddress()) as Hex };
  }

  describe("execute", () => {
    const cases: { field: "target" | "delegateCall"; word: (targetAddress: string) => Hex }[] = [
      { field: "target", word: dirtyAddress },
      { field: "delegateCall", word: () => DIRTY_TRUE },
    ];
    for (const { field, word } of cases) {
      it(`never runs an owner-signed call and keeps the nonce when its ${field} word is dirty and the owners signed that raw word`, async () => {
        const { wallet, configuration, address, target, targetAddress } = await loadFixture(ownerFixture);
        const data = target.interface.encodeFunctionData("record", ["0x"]) as Hex;
        const calls: CallInput[] = [{ target: targetAddress, value: 7n, data }];
        // Control: over clean words the raw hashing gives the library's digest.
        const clean = ethers.getBytes(wallet.interface.encodeFunctionData("execute", [contractCalls(calls), 0n, 0n, "0x"]));
        expect(rawDigest(clean, address, 1, 0n, 0n, () => data)).to.equal(hashCalls({ calls, space: 0n, nonce: 0n }, { wallet: address, chainId: CHAIN_ID }));
        const probe = dirtyExecute(wallet, calls, 0n, 0n, "0x", 0, field, word(targetAddress));
        const digest = rawDigest(probe, address, 1, 0n, 0n, () => data);
        const { signature } = await signPayload(configuration, digest, [ecdsaSigner(owner.privateKey as Hex)]);
        const calldata = dirtyExecute(wallet, calls, 0n, 0n, signature, 0, field, word(targetAddress));

        // The ABI decoder refuses the word (empty revert data), not the signature check.
        expect(await revertData(address, calldata)).to.equal("0x");
        expect(await sendRaw(address, calldata)).to.equal("reverted");
        expect(await wallet.nonces(0)).to.equal(0n);
        expect(await target.calls()).to.equal(0n);
        expect(await ethers.provider.getBalance(address)).to.equal(10_000n);
      });
    }

    it("never runs a session call, records no usage and keeps the nonce when its target word is dirty and the session key signed that raw word", async () => {
      const f = await loadFixture(deploySessionsFixture);
      const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: [anyCall(f.targetAddress)] });
      const configuration = ownedConfiguration(f, [session.leaf]);
      const { wallet, address } = await walletFor(f, configuration);
      const space = sessionNonceSpace(sessionKey.address);
      const data = f.target.interface.encodeFunctionData("record", ["0x"]) as Hex;
      const calls: CallInput[] = [{ target: f.targetAddress, data }];
      const probe = dirtyExecute(wallet, calls, space, 0n, "0x", 0, "target", dirtyAddress(f.targetAddress));
      const digest = rawDigest(probe, address, 1, space, 0n, () => data);
      const signature = signSessionCalls({ configuration, calls, space, digest, signers: [{ session, key: sessionKey }] });
      const calldata = dirtyExecute(wallet, calls, space, 0n, signature, 0, "target", dirtyAddress(f.targetAddress));

      expect(await revertData(address, calldata)).to.equal("0x");
      expect(await sendRaw(address, calldata)).to.equal("reverted");
      expect(await wallet.nonces(space)).to.equal(0n);
      expect(await f.target.calls()).to.equal(0n);
      expect(await f.sessions.valueUsed(address, leafHash(session.leaf))).to.equal(0n);
    });
  });
});
