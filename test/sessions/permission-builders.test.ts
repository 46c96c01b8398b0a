/**
 * Permission builders and explicit sessions (library only, no chain): what rules each builder
 * produces, the bad inputs each refuses, and a law for the call counter behind atMostTimes.
 */
import { expect } from "chai";
import { permissionVectors } from "../../lib/sessions/permission-vectors";
import frozenPermissions from "./permission-vectors.json";
import fc from "fast-check";
import { ethers } from "ethers";
import { Configuration } from "../../lib/configuration/configuration";
import { InvalidArgumentError } from "../../lib/errors";
import type { Hex } from "../../lib/hex";
import {
  ADDRESS_MASK,
  FULL_MASK,
  SELECTOR_MASK,
  anyCall,
  atMostOnce,
  atMostTimes,
  calldataRule,
  checkSessionCalls,
  erc20ApproveUpTo,
  erc20TransferUpTo,
  explicitSession,
  memorySessionState,
  nativeValueUpTo,
  onlyFunction,
  IDENTITY_TYPE,
  decodeSessionSignature,
  hashAttestation,
  hashAudience,
  hashIssuer,
  sessionCallHash,
  sessionNonceSpace,
  signAttestation,
  signSessionCalls,
  toSelector,
} from "../../lib/sessions";

const TOKEN = "0x00000000000000000000000000000000000070Ce" as const;
const TO = "0x000000000000000000000000000000000000bEEF" as const;
const KEY = new ethers.Wallet(ethers.id("builders-session-key"));
const OWNER = new ethers.Wallet(ethers.id("builders-owner"));
const word = (v: bigint) => `0x${v.toString(16).padStart(64, "0")}`;

function expectInvalid(fn: () => unknown, code: string, field?: string) {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).to.equal(code);
    if (field !== undefined) expect((error as InvalidArgumentError).field).to.equal(field);
    return;
  }
  expect.fail(`expected InvalidArgumentError ${code}`);
}

describe("permission builders", () => {
  describe("toSelector", () => {
    it("hashes a function signature and keeps a hex selector when given either", () => {
      expect(toSelector("transfer(address,uint256)")).to.equal("0xa9059cbb");
      expect(toSelector("0xA9059CBB")).to.equal("0xa9059cbb");
    });

    it("throws INVALID_SELECTOR when the input is neither", () => {
      expectInvalid(() => toSelector("0x123"), "INVALID_SELECTOR");
      expectInvalid(() => toSelector("transfer"), "INVALID_SELECTOR");
    });
  });

  describe("erc20TransferUpTo", () => {
    it("pins transfer's selector and caps the amount's running total when no recipient is given", () => {
      const p = erc20TransferUpTo(TOKEN, 500n);
      expect(p.target).to.equal(ethers.getAddress(TOKEN));
      expect(p.rules).to.deep.equal([
        { operation: 0, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: `0xa9059cbb${"0".repeat(56)}` },
        { operation: 3, cumulative: true, offset: 36n, mask: FULL_MASK, value: word(500n) },
        { operation: 4, cumulative: false, offset: 0n, mask: word(0n), value: word(68n) },
      ]);
    });

    it("adds a rule on the recipient when `to` is given", () => {
      const p = erc20TransferUpTo(TOKEN, 1n, { to: TO });
      expect(p.rules[1]).to.deep.equal({ operation: 0, cumulative: false, offset: 4n, mask: ADDRESS_MASK, value: word(BigInt(TO)) });
    });

    it("throws naming the field when the token or the amount is bad", () => {
      expectInvalid(() => erc20TransferUpTo("0x1234", 1n), "INVALID_ADDRESS", "token");
      expectInvalid(() => erc20TransferUpTo(TOKEN, -1n), "INTEGER_TOO_SMALL", "amount");
      expectInvalid(() => erc20TransferUpTo(TOKEN, 1n << 256n), "INTEGER_TOO_LARGE", "amount");
    });
  });

  describe("erc20ApproveUpTo", () => {
    it("pins approve, the spender and a per-call cap when given a spender and an amount", () => {
      const p = erc20ApproveUpTo(TOKEN, TO, 9n);
      expect(p.rules.map((r) => [r.operation, r.cumulative, r.offset])).to.deep.equal([
        [0, false, 0n],
        [0, false, 4n],
        [3, false, 36n],
        [4, false, 0n],
      ]);
      expect(p.rules[3].value).to.equal(word(68n));
    });
  });

  describe("onlyFunction", () => {
    it("pins the selector and requires its four bytes when given a signature", () => {
      expect(onlyFunction(TOKEN, "approve(address,uint256)").rules).to.deep.equal([
        { operation: 0, cumulative: false, offset: 0n, mask: SELECTOR_MASK, value: `0x095ea7b3${"0".repeat(56)}` },
        { operation: 4, cumulative: false, offset: 0n, mask: word(0n), value: word(4n) },
      ]);
    });
  });

  describe("permissionVectors", () => {
    it("matches test/sessions/permission-vectors.json exactly (regenerate only for an intended change)", () => {
      expect(JSON.parse(JSON.stringify({ format: "arbor-permission-vectors-v1", vectors: permissionVectors() }))).to.deep.equal(frozenPermissions);
    });
  });

  describe("anyCall", () => {
    it("has no rules when given only a target", () => {
      expect(anyCall(TOKEN)).to.deep.equal({ target: ethers.getAddress(TOKEN), rules: [] });
    });
  });

  describe("calldataRule", () => {
    it("throws INVALID_RULE_OPERATION when the operation is not one of the four", () => {
      expectInvalid(() => calldataRule({ offset: 0n, operation: "greater" as never, value: 1n }), "INVALID_RULE_OPERATION", "operation");
    });
  });

  describe("atMostTimes", () => {
    it("counts the selector's lowest set bit when the selector is odd or even", () => {
      // 0xa9059cbb is odd: bit 0 of the selector is bit 224 of the word.
      expect(atMostOnce(TOKEN, "0xa9059cbb").rules[1].mask).to.equal(word(1n << 224n));
      // 0x095ea7b3 ... and 0x12345678 has its lowest set bit at 3.
      expect(atMostTimes(TOKEN, "0x12345678", 2n).rules[1]).to.deep.equal({
        operation: 3,
        cumulative: true,
        offset: 0n,
        mask: word(1n << 227n),
        value: word(2n << 227n),
      });
    });

    it("throws when the selector has no set bit or the count is zero or too large", () => {
      expectInvalid(() => atMostOnce(TOKEN, "0x00000000"), "UNCOUNTABLE_SELECTOR", "selector");
      expectInvalid(() => atMostTimes(TOKEN, "0xa9059cbb", 0n), "INTEGER_TOO_SMALL", "times");
      expectInvalid(() => atMostTimes(TOKEN, "0x80000000", 2n), "INTEGER_TOO_LARGE", "times");
    });

    it("accepts n calls and refuses n + 1 when the batch calls a counted selector (law: the counter counts calls)", async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 4 }), async (selectorValue, n) => {
          const selector = `0x${selectorValue.toString(16).padStart(8, "0")}`;
          const lowBit = BigInt(selectorValue & -selectorValue).toString(2).length - 1;
          fc.pre((BigInt(n) << BigInt(224 + lowBit)) < 1n << 256n);
          const session = explicitSession({ sessionSigner: KEY.address, chainId: 0n, deadline: 10n ** 10n, grants: [atMostTimes(TOKEN, selector, BigInt(n))] });
          const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }, session.leaf] });
          const run = async (count: number) => {
            const calls = Array.from({ length: count }, () => ({ target: TOKEN, data: `${selector}${"00".repeat(32)}` }));
            const digest = ethers.id(`counter/${count}`);
            const space = sessionNonceSpace(KEY.address);
            const signature = signSessionCalls({ configuration, calls, space, digest, signers: calls.map(() => ({ session, key: KEY })) });
            return checkSessionCalls({ calls, space, digest, signature, wallet: TO, sessions: OWNER.address, chainId: 1n, timestamp: 1n, state: memorySessionState() });
          };
          expect((await run(n)).ok).to.equal(true);
          const over = await run(n + 1);
          expect(over.ok).to.equal(false);
          if (!over.ok) expect([over.error.code, over.error.args[0]]).to.deep.equal(["SessionLimitExceeded", BigInt(n)]);
        }),
        { numRuns: 50 },
      );
    });
  });
});

describe("explicitSession", () => {
  it("sets the value limit and permits calls to the recipient when given nativeValueUpTo(amount, to)", () => {
    const session = explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5n, grants: [nativeValueUpTo(7n, TO), erc20TransferUpTo(TOKEN, 1n)] });
    expect(session.leaf.valueLimit).to.equal(7n);
    expect(session.permissions.map((p) => p.target)).to.deep.equal([ethers.getAddress(TO), ethers.getAddress(TOKEN)]);
    expect(session.leaf.kind).to.equal("session-permissions");
  });

  it("throws DUPLICATE_VALUE_GRANT when two grants set the value limit", () => {
    expectInvalid(
      () => explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5n, grants: [nativeValueUpTo(1n), nativeValueUpTo(2n)] }),
      "DUPLICATE_VALUE_GRANT",
      "grants[1]",
    );
  });

  it("throws naming the field when the signer, chain or deadline is bad", () => {
    expectInvalid(() => explicitSession({ sessionSigner: "nope", chainId: 1n, deadline: 5n, grants: [] }), "INVALID_ADDRESS", "sessionSigner");
    expectInvalid(() => explicitSession({ sessionSigner: KEY.address, chainId: -1n, deadline: 5n, grants: [] }), "INTEGER_TOO_SMALL", "chainId");
    expectInvalid(() => explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5 as never, grants: [] }), "INVALID_INTEGER", "deadline");
  });
});

describe("signSessionCalls", () => {
  it("throws LEAF_NOT_FOUND when the session is not in the configuration", () => {
    const session = explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5n, grants: [anyCall(TOKEN)] });
    const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }] });
    expectInvalid(() => signSessionCalls({ configuration, calls: [{ target: TOKEN }], space: sessionNonceSpace(KEY.address), digest: ethers.ZeroHash, signers: [{ session, key: KEY }] }), "LEAF_NOT_FOUND");
  });

  it("throws SIGNER_COUNT_MISMATCH when there is not one signer per call", () => {
    const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }] });
    expectInvalid(() => signSessionCalls({ configuration, calls: [{ target: TOKEN }], space: sessionNonceSpace(KEY.address), digest: ethers.ZeroHash, signers: [] }), "SIGNER_COUNT_MISMATCH", "signers");
  });

  describe("session key check", () => {
    const IDENTITY = new ethers.Wallet(ethers.id("builders-identity"));
    const OTHER = new ethers.Wallet(ethers.id("builders-other-key"));
    const session = explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5n, grants: [anyCall(TOKEN), anyCall(TO)] });
    const attestation = {
      approvedSigner: KEY.address,
      identityType: IDENTITY_TYPE.email,
      issuerHash: hashIssuer("email"),
      audienceHash: hashAudience("https://game.example"),
      applicationData: "0x",
      issuedAt: 0n,
      expiresAt: 10n,
    };
    const attestationSignature = signAttestation(attestation, IDENTITY.privateKey);
    const configuration = Configuration.of({
      threshold: 1n,
      checkpoint: 0n,
      leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }, session.leaf, { kind: "identity-signer", signer: IDENTITY.address as Hex }],
    });
    const space = sessionNonceSpace(KEY.address);
    const digest = ethers.id("builders-digest");

    function expectKeyMismatch(fn: () => unknown, field: string, expected: string, actual: string) {
      try {
        fn();
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidArgumentError);
        const e = error as InvalidArgumentError;
        expect([e.name, e.code, e.field]).to.deep.equal(["InvalidArgumentError", "SESSION_KEY_MISMATCH", field]);
        expect(e.details).to.deep.equal({ expected, actual });
        return;
      }
      expect.fail("expected SESSION_KEY_MISMATCH");
    }

    it("throws SESSION_KEY_MISMATCH when the key of an explicit call is not the session's sessionSigner", () => {
      expectKeyMismatch(
        () => signSessionCalls({ configuration, calls: [{ target: TOKEN }], space, digest, signers: [{ session, key: OTHER }] }),
        "signers[0].key",
        KEY.address,
        OTHER.address,
      );
    });

    it("throws SESSION_KEY_MISMATCH when the key of an attested call is not the attestation's approvedSigner (the identity key included)", () => {
      for (const wrong of [OTHER, IDENTITY]) {
        expectKeyMismatch(
          () => signSessionCalls({ configuration, calls: [{ target: TOKEN }], space, digest, signers: [{ attestation, attestationSignature, key: wrong.privateKey }] }),
          "signers[0].key",
          KEY.address,
          wrong.address,
        );
      }
    });

    it("throws SESSION_KEY_MISMATCH naming the signer when only a later call has a wrong key", () => {
      expectKeyMismatch(
        () =>
          signSessionCalls({
            configuration,
            calls: [{ target: TOKEN }, { target: TO }],
            space,
            digest,
            signers: [{ session, key: KEY }, { session, key: OTHER.signingKey }],
          }),
        "signers[1].key",
        KEY.address,
        OTHER.address,
      );
    });

    it("signs each call under its grant when the keys are right, given as a Wallet, a SigningKey, hex or bytes", () => {
      const keysAs = [KEY, KEY.signingKey, KEY.privateKey, ethers.getBytes(KEY.privateKey)];
      for (const key of keysAs) {
        const signature = signSessionCalls({
          configuration,
          calls: [{ target: TOKEN }, { target: TO }, { target: TOKEN }],
          space,
          digest,
          signers: [{ session, key }, { session, key }, { attestation, attestationSignature, key }],
        });
        const decoded = decodeSessionSignature(signature, 3);
        const sessionLeaf = decoded.leafHashes[(decoded.calls[0] as { leafIndex: number }).leafIndex];
        // Call 1 goes to TO, covered by permission 1: the library picks it and signs it.
        expect(decoded.calls.map((c) => (c.kind === "explicit" ? c.permissionIndex : -1))).to.deep.equal([0, 1, -1]);
        const grants = [
          { kind: "explicit" as const, sessionLeaf, permissionIndex: 0 },
          { kind: "explicit" as const, sessionLeaf, permissionIndex: 1 },
          { kind: "attested" as const, attestationHash: hashAttestation(attestation) },
        ];
        decoded.calls.forEach((call, i) => {
          expect(ethers.recoverAddress(sessionCallHash(digest, i, grants[i]), call.signature)).to.equal(KEY.address);
        });
      }
    });
  });

  it("throws INVALID_PRIVATE_KEY without echoing the key when the key is not a valid scalar", () => {
    const session = explicitSession({ sessionSigner: KEY.address, chainId: 1n, deadline: 5n, grants: [anyCall(TOKEN)] });
    const configuration = Configuration.of({ threshold: 1n, checkpoint: 0n, leaves: [{ kind: "ecdsa-signer", signer: OWNER.address as Hex, weight: 1n }, session.leaf] });
    const bad = `0x${"ff".repeat(32)}`;
    try {
      signSessionCalls({ configuration, calls: [{ target: TOKEN }], space: sessionNonceSpace(KEY.address), digest: ethers.ZeroHash, signers: [{ session, key: bad }] });
      expect.fail("expected a throw");
    } catch (error) {
      expect((error as InvalidArgumentError).code).to.equal("INVALID_PRIVATE_KEY");
      expect((error as Error).message).to.not.include("ff".repeat(32));
    }
  });
});
