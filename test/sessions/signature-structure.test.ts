/**
 * The session signature's structure (lib/sessions/ENCODING.md, step 1): every structural error,
 * built on purpose, is named identically by the library's decoder / check and by the contract
 * (called directly with `eth_call`; its usage is keyed by the caller, so any address will do).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { Configuration } from "../../lib/configuration/configuration";
import type { Hex } from "../../lib/hex";
import type { CallInput } from "../../lib/payload/types";
import {
  FULL_MASK,
  SessionError,
  anyCall,
  calldataRule,
  calldataLengthAtLeast,
  checkSessionCalls,
  decodeSessionSignature,
  encodeSessionSignature,
  explicitSession,
  memorySessionState,
  sessionNonceSpace,
  signSessionCalls,
  type SessionSignature,
  type SessionSignatureLeaf,
} from "../../lib/sessions";
import { keys } from "../helpers/arbor";
import { contractCalls } from "./fixture";
import type { ArborSessions } from "../../typechain-types";

const [sessionKey, owner, identity] = keys(3, "structure-keys");
const WALLET = "0x00000000000000000000000000000000000ca11e" as Hex;
const TARGET = "0x000000000000000000000000000000000000dEaD" as Hex;
const DIGEST = ethers.id("structure-digest") as Hex;
/** Every batch here is signed by `sessionKey` first: its own nonce space. */
const SPACE = sessionNonceSpace(sessionKey.address);
const FAR = 4_000_000_000n;

type Outcome = { ok: true; imageHash: string } | { ok: false; name: string; args: string[] };

describe("ArborSessions signature structure", () => {
  let sessions: ArborSessions;
  let sessionsAddress: Hex;
  let chainId: bigint;

  before(async () => {
    sessions = ((await ethers.deployContract("ArborSessions")) as unknown as ArborSessions).connect(ethers.provider) as ArborSessions;
    sessionsAddress = (await sessions.getAddress()) as Hex;
    chainId = (await ethers.provider.getNetwork()).chainId;
  });

  async function onChain(calls: readonly CallInput[], signature: Hex, rawData?: Hex): Promise<Outcome> {
    try {
      const data = rawData ?? sessions.interface.encodeFunctionData("validateSessionCalls", [contractCalls(calls), SPACE, DIGEST, signature]);
      const result = await ethers.provider.call({ to: sessionsAddress, from: WALLET, data });
      return { ok: true, imageHash: sessions.interface.decodeFunctionResult("validateSessionCalls", result)[0] };
    } catch (error) {
      const data = (error as { data?: string }).data;
      if (typeof data !== "string") throw error;
      const parsed = sessions.interface.parseError(data)!;
      return { ok: false, name: parsed.name, args: parsed.args.map((a: unknown) => String(a).toLowerCase()) };
    }
  }

  async function offChain(calls: readonly CallInput[], signature: Hex): Promise<Outcome> {
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

  async function expectBoth(calls: readonly CallInput[], signature: Hex, name: string, args: unknown[]): Promise<void> {
    const expected = { ok: false, name, args: args.map((a) => String(a).toLowerCase()) };
    expect(await offChain(calls, signature)).to.deep.equal(expected);
    expect(await onChain(calls, signature)).to.deep.equal(expected);
  }

  /**
   * A valid one-call signature that proves both a session leaf and an identity-signer leaf (so
   * that both leaf kinds can be taken apart), decoded.
   */
  function valid(permissions = [anyCall(TARGET)]) {
    const session = explicitSession({ sessionSigner: sessionKey.address, chainId: 0n, deadline: FAR, grants: permissions });
    const identityLeaf = { kind: "identity-signer" as const, signer: identity.address as Hex };
    const configuration = Configuration.of({
      threshold: 1n,
      checkpoint: 0n,
      leaves: [{ kind: "ecdsa-signer", signer: owner.address as Hex, weight: 1n }, session.leaf, identityLeaf],
    });
    const calls: CallInput[] = [{ target: TARGET }];
    const single = decodeSessionSignature(signSessionCalls({ configuration, calls, space: SPACE, digest: DIGEST, signers: [{ session, key: sessionKey }] }), 1);
    const proof = configuration.multiProof([session.leaf, identityLeaf]);
    const leaves = proof.leaves.map((leaf): SessionSignatureLeaf =>
      leaf.kind === "session-permissions"
        ? { kind: "session-permissions", sessionSigner: leaf.sessionSigner, chainId: leaf.chainId, valueLimit: leaf.valueLimit, deadline: leaf.deadline, permissions: session.encodedPermissions }
        : identityLeaf,
    );
    const sessionIndex = leaves.findIndex((l) => l.kind === "session-permissions");
    const unsigned: SessionSignature = {
      threshold: 1n,
      checkpoint: 0n,
      leaves,
      attestations: [],
      calls: [{ ...single.calls[0], leafIndex: sessionIndex } as SessionSignature["calls"][number]],
      proof: proof.proof,
      proofFlags: proof.proofFlags,
    };
    const signature = encodeSessionSignature(unsigned);
    return { session, configuration, calls, signature, decoded: decodeSessionSignature(signature, 1) };
  }

  const reencode = (s: SessionSignature) => encodeSessionSignature(s);

  describe("validateSessionCalls", () => {
    it("returns the configuration's image hash when the signature is well formed", async () => {
      const { configuration, calls, signature } = valid();
      expect(await onChain(calls, signature)).to.deep.equal({ ok: true, imageHash: configuration.imageHash });
      expect(await offChain(calls, signature)).to.deep.equal({ ok: true, imageHash: configuration.imageHash });
    });

    it("rejects with SignatureTruncated when the header is cut short", async () => {
      await expectBoth([{ target: TARGET }], "0x02", "SignatureTruncated", [66n, 1n]);
    });

    it("rejects with UnsupportedSignatureFlags when the flags byte is not exactly 0x02", async () => {
      const { calls, signature } = valid();
      await expectBoth(calls, `0x03${signature.slice(4)}` as Hex, "UnsupportedSignatureFlags", [3n]);
    });

    it("rejects with SessionBatchEmpty when the batch has no calls", async () => {
      const { signature } = valid();
      await expectBoth([], signature, "SessionBatchEmpty", []);
    });

    it("rejects with EmptySessionSignature when no leaf is given", async () => {
      const { calls, decoded } = valid();
      await expectBoth(calls, reencode({ ...decoded, leaves: [] }), "EmptySessionSignature", []);
    });

    it("rejects with UnknownSessionLeaf when a leaf kind is not 0x01 or 0x02", async () => {
      const { calls, signature } = valid();
      const bytes = ethers.getBytes(signature);
      bytes[66] = 0x07;
      await expectBoth(calls, ethers.hexlify(bytes) as Hex, "UnknownSessionLeaf", [0n, 7n]);
    });

    it("rejects with SessionPermissionsMalformed at the bad word when the permissions are not canonical", async () => {
      const { calls, decoded } = valid([{ target: TARGET, rules: [calldataRule({ offset: 0n, operation: "atLeast", value: 0n })] }]);
      const leaf = decoded.leaves.find((l) => l.kind === "session-permissions")!;
      const index = decoded.leaves.indexOf(leaf);
      const bytes = ethers.getBytes(leaf.kind === "session-permissions" ? leaf.permissions : "0x");
      // Layout: 0x20 | count | head[0] | target | 0x40 | ruleCount | rule words (operation at 192).
      const cases: [number, number, bigint][] = [
        [0, 0x21, 0n], // array offset
        [64 + 31, 0x40, 64n], // head offset of permission 0
        [96 + 11, 0x01, 96n], // dirty high bytes of the target
        [128 + 31, 0x60, 128n], // rules offset
        [192 + 31, 0x06, 192n], // operation 6
        [224 + 31, 0x02, 224n], // cumulative 2
        [192 + 31, 0x04, 288n], // operation 4 (a length rule) with the word rule's nonzero mask
      ];
      for (const [at, value, expectedAt] of cases) {
        const patched = bytes.slice();
        patched[at] = value;
        const leaves = decoded.leaves.slice();
        leaves[index] = { ...leaf, permissions: ethers.hexlify(patched) as Hex } as typeof leaf;
        await expectBoth(calls, reencode({ ...decoded, leaves }), "SessionPermissionsMalformed", [BigInt(index), expectedAt]);
      }
      // A trailing byte after the last rule.
      const leaves = decoded.leaves.slice();
      leaves[index] = { ...leaf, permissions: ethers.hexlify(Uint8Array.from([...bytes, 0])) as Hex } as typeof leaf;
      await expectBoth(calls, reencode({ ...decoded, leaves }), "SessionPermissionsMalformed", [BigInt(index), BigInt(bytes.length)]);
    });

    it("rejects with SessionPermissionsMalformed when a length rule has a cumulative flag, an offset or a mask", async () => {
      const { calls, decoded } = valid([{ target: TARGET, rules: [calldataLengthAtLeast(0n)] }]);
      const leaf = decoded.leaves.find((l) => l.kind === "session-permissions")!;
      const index = decoded.leaves.indexOf(leaf);
      const bytes = ethers.getBytes(leaf.kind === "session-permissions" ? leaf.permissions : "0x");
      // Rule words: operation at 192, cumulative 224, offset 256, mask 288, value 320.
      const cases: [number, number, bigint][] = [
        [224 + 31, 0x01, 224n], // cumulative true
        [256 + 31, 0x04, 256n], // offset 4
        [288, 0xff, 288n], // a mask byte
      ];
      for (const op of [0x04, 0x05]) {
        for (const [at, value, expectedAt] of cases) {
          const patched = bytes.slice();
          patched[192 + 31] = op;
          patched[at] = value;
          const leaves = decoded.leaves.slice();
          leaves[index] = { ...leaf, permissions: ethers.hexlify(patched) as Hex } as typeof leaf;
          await expectBoth(calls, reencode({ ...decoded, leaves }), "SessionPermissionsMalformed", [BigInt(index), expectedAt]);
        }
      }
    });

    it("rejects with SessionLeavesNotAscending when leaves are out of hash order", async () => {
      const { calls, decoded } = valid();
      const [a, b] = decoded.leafHashes;
      await expectBoth(calls, reencode({ ...decoded, leaves: [decoded.leaves[1], decoded.leaves[0]] }), "SessionLeavesNotAscending", [1n, b, a]);
    });

    it("rejects with NotAnIdentityLeaf when an attestation names a session leaf", async () => {
      const { calls, decoded } = valid();
      const sessionIndex = decoded.leaves.findIndex((l) => l.kind === "session-permissions");
      const attestation = {
        identityLeaf: sessionIndex,
        attestation: { approvedSigner: sessionKey.address, identityType: "0x00000001", issuerHash: ethers.ZeroHash, audienceHash: ethers.ZeroHash, applicationData: "0x", issuedAt: 0n, expiresAt: 1n },
        signature: `0x${"11".repeat(65)}` as Hex,
      };
      await expectBoth(calls, reencode({ ...decoded, attestations: [attestation] }), "NotAnIdentityLeaf", [0n, BigInt(sessionIndex)]);
    });

    it("rejects with SessionCallCountMismatch when there are more authorisations than calls", async () => {
      const { calls, decoded } = valid();
      await expectBoth(calls, reencode({ ...decoded, calls: [decoded.calls[0], decoded.calls[0]] }), "SessionCallCountMismatch", [2n, 1n]);
    });

    it("rejects with UnknownCallAuthorisation when an authorisation kind is unknown", async () => {
      const { calls, signature, decoded } = valid();
      const bytes = ethers.getBytes(signature);
      // The authorisation follows the leaves, the attestation count (0) and the call count (1).
      const authAt = bytes.length - (1 + 32 * decoded.proof.length + decoded.proofFlags.length) - 68;
      expect(bytes[authAt]).to.equal(1);
      bytes[authAt] = 9;
      await expectBoth(calls, ethers.hexlify(bytes) as Hex, "UnknownCallAuthorisation", [0n, 9n]);
    });

    it("rejects with NotASessionLeaf when an explicit call names the identity-signer leaf", async () => {
      const { calls, decoded } = valid();
      const identityIndex = decoded.leaves.findIndex((l) => l.kind === "identity-signer");
      const auth = { ...decoded.calls[0], leafIndex: identityIndex } as (typeof decoded.calls)[number];
      await expectBoth(calls, reencode({ ...decoded, calls: [auth] }), "NotASessionLeaf", [0n, BigInt(identityIndex)]);
    });

    it("rejects with SessionPermissionIndexOutOfRange when the permission index is past the end", async () => {
      const { calls, decoded } = valid();
      const auth = { ...decoded.calls[0], permissionIndex: 1 } as (typeof decoded.calls)[number];
      await expectBoth(calls, reencode({ ...decoded, calls: [auth] }), "SessionPermissionIndexOutOfRange", [0n, 1n, 1n]);
    });

    it("rejects with AttestationIndexOutOfRange when an attested call names a missing attestation", async () => {
      const { calls, decoded } = valid();
      const auth = { kind: "attested" as const, attestationIndex: 0, signature: decoded.calls[0].signature };
      await expectBoth(calls, reencode({ ...decoded, calls: [auth] }), "AttestationIndexOutOfRange", [0n, 0n, 0n]);
    });

    it("rejects with InvalidProofFlag when a proof flag is neither 0 nor 1", async () => {
      const { calls, signature } = valid();
      const bytes = ethers.getBytes(signature);
      const { decoded } = valid();
      bytes[bytes.length - 1] = 2;
      await expectBoth(calls, ethers.hexlify(bytes) as Hex, "InvalidProofFlag", [BigInt(decoded.proofFlags.length - 1), 2n]);
    });

    it("rejects with SignatureTrailingBytes when bytes follow the last proof flag", async () => {
      const { calls, signature } = valid();
      const length = ethers.getBytes(signature).length;
      await expectBoth(calls, `${signature}00` as Hex, "SignatureTrailingBytes", [BigInt(length), BigInt(length + 1)]);
    });

    it("rejects with MerkleProofInvalidMultiproof when the flags do not describe a multiproof", async () => {
      const { calls, decoded } = valid();
      await expectBoth(calls, reencode({ ...decoded, proofFlags: decoded.proofFlags.map(() => true) }), "MerkleProofInvalidMultiproof", []);
    });

    it("rejects with InvalidSessionCallSignature when the call signature has a high s", async () => {
      const { calls, decoded } = valid();
      const sig = ethers.getBytes(decoded.calls[0].signature);
      const n = BigInt("0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
      const s = BigInt(ethers.hexlify(sig.slice(32, 64)));
      const high = ethers.concat([sig.slice(0, 32), ethers.toBeHex(n - s, 32), Uint8Array.of(sig[64] === 27 ? 28 : 27)]) as Hex;
      await expectBoth(calls, reencode({ ...decoded, calls: [{ ...decoded.calls[0], signature: high }] }), "InvalidSessionCallSignature", [0n]);
    });

    it("reads calldata bytes past the end of a call's data as zero when the padding after it is not zero", async () => {
      // Rule: the first word, all of it, equals 31 bytes of 0xab followed by a zero byte.
      const expected = `0x${"ab".repeat(31)}00` as Hex;
      const { configuration, session } = valid([{ target: TARGET, rules: [calldataRule({ offset: 0n, operation: "equal", value: expected, mask: FULL_MASK })] }]);
      const calls: CallInput[] = [{ target: TARGET, data: `0x${"ab".repeat(31)}` }];
      const signature = signSessionCalls({ configuration, calls, space: SPACE, digest: DIGEST, signers: [{ session, key: sessionKey }] });
      const encoded = ethers.getBytes(sessions.interface.encodeFunctionData("validateSessionCalls", [contractCalls(calls), SPACE, DIGEST, signature]));
      // Find the 31 data bytes and dirty the padding byte right after them.
      const hex = ethers.hexlify(encoded).slice(2);
      const at = hex.indexOf("ab".repeat(31)) / 2 + 31;
      expect(encoded[at]).to.equal(0);
      encoded[at] = 0xff;
      expect(await onChain(calls, signature, ethers.hexlify(encoded) as Hex)).to.deep.equal({ ok: true, imageHash: configuration.imageHash });
      expect(await offChain(calls, signature)).to.deep.equal({ ok: true, imageHash: configuration.imageHash });
    });
  });

  describe("decodeSessionSignature", () => {
    it("returns what encodeSessionSignature encoded when the signature is valid", () => {
      const { signature, decoded } = valid();
      expect(encodeSessionSignature(decoded)).to.equal(signature);
    });

    it("throws a SessionError named like the contract's error when the input is malformed", () => {
      expect(() => decodeSessionSignature("0x02", 1)).to.throw(SessionError).with.property("code", "SignatureTruncated");
    });
  });
});
