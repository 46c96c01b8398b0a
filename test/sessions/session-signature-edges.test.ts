/**
 * Review: the session signature parser and rule reader at extreme values, where ArborSessions
 * does unchecked arithmetic on numbers taken from the signature: 3-byte lengths of 2^24 - 1,
 * permission and rule counts near 2^256 (count * 32 would wrap), counts of 255, and a rule
 * offset of 2^256 - 1 (data.offset + offset would wrap). The module is called directly with
 * eth_call (its state is keyed by the caller) and the library's off-chain check must agree.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { Configuration } from "../../lib/configuration/configuration";
import type { Hex } from "../../lib/hex";
import type { CallInput } from "../../lib/payload/types";
import {
  anyCall,
  calldataRule,
  checkSessionCalls,
  decodeSessionSignature,
  explicitSession,
  memorySessionState,
  sessionNonceSpace,
  signSessionCalls,
} from "../../lib/sessions";
import type { Permission } from "../../lib/configuration/permissions";
import { keys } from "../helpers/arbor";
import { attest, contractCalls } from "../sessions/fixture";
import type { ArborSessions } from "../../typechain-types";

const [sessionKey, owner, identity] = keys(3, "review-session-edges");
const WALLET = "0x00000000000000000000000000000000000ca11e" as Hex;
const TARGET = "0x000000000000000000000000000000000000dEaD" as Hex;
const DIGEST = ethers.id("review: session signature edges") as Hex;
const SPACE = sessionNonceSpace(sessionKey.address);
const FAR = 4_000_000_000n;
const MAX = 2n ** 256n - 1n;
/** The session leaf's permissions length (3 bytes) sits after flags..leafCount (66), kind (1) and 116 bytes of fields. */
const PERMISSIONS_LENGTH_AT = 66 + 1 + 116;
const PERMISSIONS_AT = PERMISSIONS_LENGTH_AT + 3;

type Outcome = { ok: true; imageHash: string } | { ok: false; name: string; args: string[] };

describe("ArborSessions (review: signature edges)", () => {
  let sessions: ArborSessions;
  let sessionsAddress: Hex;
  let chainId: bigint;

  before(async () => {
    sessions = ((await ethers.deployContract("ArborSessions")) as unknown as ArborSessions).connect(ethers.provider) as ArborSessions;
    sessionsAddress = (await sessions.getAddress()) as Hex;
    chainId = (await ethers.provider.getNetwork()).chainId;
  });

  async function onChain(calls: readonly CallInput[], signature: string): Promise<Outcome> {
    try {
      const data = sessions.interface.encodeFunctionData("validateSessionCalls", [contractCalls(calls), SPACE, DIGEST, signature]);
      const result = await ethers.provider.call({ to: sessionsAddress, from: WALLET, data });
      return { ok: true, imageHash: sessions.interface.decodeFunctionResult("validateSessionCalls", result)[0] };
    } catch (error) {
      const data = (error as { data?: string }).data;
      if (typeof data !== "string") throw error;
      const parsed = sessions.interface.parseError(data);
      if (parsed === null) return { ok: false, name: `unparsed ${data.slice(0, 10)}`, args: [] };
      return { ok: false, name: parsed.name, args: parsed.args.map((a: unknown) => String(a).toLowerCase()) };
    }
  }

  async function offChain(calls: readonly CallInput[], signature: string): Promise<Outcome> {
    const result = await checkSessionCalls({
      calls,
      space: SPACE,
      digest: DIGEST,
      signature,
      wallet: WALLET,
      sessions: sessionsAddress,
      chainId,
      timestamp: BigInt((await ethers.provider.getBlock("latest"))!.timestamp),
      state: memorySessionState(),
    });
    if (result.ok) return { ok: true, imageHash: result.imageHash };
    return { ok: false, name: result.error.code, args: result.error.args.map((a) => String(a).toLowerCase()) };
  }

  async function expectBoth(calls: readonly CallInput[], signature: string, expected: Outcome) {
    const normalized =
      expected.ok ? expected : { ok: false, name: expected.name, args: expected.args.map((a) => String(a).toLowerCase()) };
    expect(await offChain(calls, signature), "library").to.deep.equal(normalized);
    expect(await onChain(calls, signature), "contract").to.deep.equal(normalized);
  }

  const rejected = (name: string, args: bigint[]): Outcome => ({ ok: false, name, args: args.map(String) });

  /** A valid one-leaf, one-call signature over `permissions`. */
  function valid(permissions: Permission[] = [anyCall(TARGET)], calls: CallInput[] = [{ target: TARGET }]) {
    const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: permissions });
    const configuration = Configuration.of({
      threshold: 1n,
      checkpoint: 0n,
      leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }, session.leaf],
    });
    const signature = signSessionCalls({ configuration, calls, space: SPACE, digest: DIGEST, signers: [{ session, key: sessionKey }] });
    return { configuration, calls, signature, bytes: ethers.getBytes(signature), session };
  }

  /** The same signature with word `at` of the permissions replaced (positions relative to the permissions). */
  function withPermissionsWord(bytes: Uint8Array, at: number, value: bigint): string {
    const patched = bytes.slice();
    patched.set(ethers.getBytes(ethers.toBeHex(value, 32)), PERMISSIONS_AT + at);
    return ethers.hexlify(patched);
  }

  describe("validateSessionCalls", () => {
    it("rejects with SignatureTruncated when a session leaf claims 2^24 - 1 permission bytes", async () => {
      const { calls, bytes } = valid();
      const patched = bytes.slice();
      patched.set([0xff, 0xff, 0xff], PERMISSIONS_LENGTH_AT);
      await expectBoth(calls, ethers.hexlify(patched), rejected("SignatureTruncated", [BigInt(PERMISSIONS_AT + 0xffffff), BigInt(bytes.length)]));
    });

    for (const count of [MAX, 2n ** 251n, 2n ** 251n + 1n]) {
      it(`rejects with SessionPermissionsMalformed at the count word when the permission count is ${count === MAX ? "2^256 - 1" : count === 2n ** 251n ? "2^251 (count * 32 wraps to 0)" : "2^251 + 1 (count * 32 wraps to 32)"}`, async () => {
        const { calls, bytes } = valid();
        await expectBoth(calls, withPermissionsWord(bytes, 32, count), rejected("SessionPermissionsMalformed", [0n, 32n]));
      });
    }

    for (const ruleCount of [MAX, 2n ** 256n / 160n + 1n]) {
      it(`rejects with SessionPermissionsMalformed at the rule count when a permission claims ${ruleCount === MAX ? "2^256 - 1" : "2^256 / 160 + 1 (rule * 160 wraps)"} rules`, async () => {
        const { calls, bytes } = valid();
        // One permission: head offset at 64, target at 96, rules offset at 128, rule count at 160.
        await expectBoth(calls, withPermissionsWord(bytes, 160, ruleCount), rejected("SessionPermissionsMalformed", [0n, 160n]));
      });
    }

    it("rejects with SessionPermissionsMalformed at the head when permission 0's offset is 2^256 - 32 (base would wrap below the heads)", async () => {
      const { calls, bytes } = valid();
      await expectBoth(calls, withPermissionsWord(bytes, 64, MAX - 31n), rejected("SessionPermissionsMalformed", [0n, 64n]));
    });

    it("rejects with SignatureTruncated when an attestation claims 2^24 - 1 bytes of application data", async () => {
      const configuration = Configuration.of({
        threshold: 1n,
        checkpoint: 0n,
        leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }, { kind: "identity-signer", signer: identity.address as Hex }],
      });
      const calls: CallInput[] = [{ target: TARGET }];
      const signed = attest(identity, sessionKey.address, "https://app.example", 0n);
      const signature = signSessionCalls({ configuration, calls, space: SPACE, digest: DIGEST, signers: [{ ...signed, key: sessionKey }] });
      const bytes = ethers.getBytes(signature);
      // Header (66), the identity leaf (1 + 20), the attestation count (1), then the attestation:
      // its application data length is the 3 bytes at 105 of its 108-byte head.
      const attestationAt = 66 + 21 + 1;
      expect(bytes[attestationAt - 1]).to.equal(1);
      bytes.set([0xff, 0xff, 0xff], attestationAt + 105);
      const needed = BigInt(attestationAt + 108 + 0xffffff + 65);
      await expectBoth(calls, ethers.hexlify(bytes), rejected("SignatureTruncated", [needed, BigInt(bytes.length)]));
    });

    it("rejects with UnknownSessionLeaf(1, 0) when leafCount is 255 and one leaf follows (the attestation count byte is read as leaf 1's kind)", async () => {
      const { calls, bytes } = valid();
      const patched = bytes.slice();
      patched[65] = 255;
      await expectBoth(calls, ethers.hexlify(patched), rejected("UnknownSessionLeaf", [1n, 0n]));
    });

    it("rejects with SignatureTruncated when proofLength is 255 and the signature ends", async () => {
      const { calls, signature } = valid();
      const decoded = decodeSessionSignature(signature, 1);
      const bytes = ethers.getBytes(signature);
      const proofAt = bytes.length - (1 + 32 * decoded.proof.length + decoded.proofFlags.length);
      const patched = ethers.concat([bytes.slice(0, proofAt), "0xff"]);
      const end = BigInt(proofAt + 1 + 255 * 32 + 1 + 255 - 1);
      await expectBoth(calls, patched, rejected("SignatureTruncated", [end, BigInt(proofAt + 1)]));
    });

    it("rejects with SessionCallCountMismatch(255, 1) when the call count byte is 255", async () => {
      const { calls, signature } = valid();
      const decoded = decodeSessionSignature(signature, 1);
      const bytes = ethers.getBytes(signature);
      const callCountAt = bytes.length - (1 + 32 * decoded.proof.length + decoded.proofFlags.length) - 69;
      expect(bytes[callCountAt]).to.equal(1);
      bytes[callCountAt] = 255;
      await expectBoth(calls, ethers.hexlify(bytes), rejected("SessionCallCountMismatch", [255n, 1n]));
    });

    it("reads the word at rule offset 2^256 - 1 as zero, so an equal-zero rule passes and a not-equal-zero rule fails", async () => {
      const data = `0x${"ff".repeat(68)}` as Hex;
      const passes = valid([{ target: TARGET, rules: [calldataRule({ offset: MAX, operation: "equal", value: 0n })] }], [{ target: TARGET, data }]);
      await expectBoth(passes.calls, passes.signature, { ok: true, imageHash: passes.configuration.imageHash });
      const fails = valid([{ target: TARGET, rules: [calldataRule({ offset: MAX, operation: "notEqual", value: 0n })] }], [{ target: TARGET, data }]);
      await expectBoth(fails.calls, fails.signature, rejected("SessionRuleFailed", [0n, 0n, 0n, 0n, 0n]));
    });

    it("reads only the bytes of data that exist when a rule's word starts at the last data byte", async () => {
      const data = `0x${"00".repeat(35)}7f` as Hex;
      // The word at offset 35 is 0x7f followed by 31 zero bytes, whatever follows data in calldata.
      const value = BigInt(`0x7f${"00".repeat(31)}`);
      const passes = valid([{ target: TARGET, rules: [calldataRule({ offset: 35n, operation: "equal", value })] }], [{ target: TARGET, data }]);
      await expectBoth(passes.calls, passes.signature, { ok: true, imageHash: passes.configuration.imageHash });
    });
  });
});
