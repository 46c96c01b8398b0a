import { expect } from "chai";
import fc from "fast-check";
import { AbiCoder, getAddress, getBytes, hexlify, id } from "ethers";
import { keccak_256 } from "@noble/hashes/sha3.js";
import {
  ARBOR_SALT,
  COMPILER_PIN,
  DEPLOYMENT_PROXY,
  DEPLOYMENT_PROXY_CODE_HASH,
  DEPLOYMENT_PROXY_FUNDING,
  DEPLOYMENT_PROXY_TX_HASH,
  assertPinnedCompiler,
  planSingletons,
  runtimeCodeHash,
  type ArtifactSource,
  type SingletonSpec,
} from "../../lib/deploy";
import { Transaction, getCreateAddress } from "ethers";
import { FIXTURE_SINGLETONS, fixtureArtifacts } from "./fixtures/fixture-singletons";

/** CREATE2 computed from the formula with noble's keccak, independently of ethers' getCreate2Address. */
function create2(deployer: string, salt: string, initCode: string): string {
  const initCodeHash = keccak_256(getBytes(initCode));
  const preimage = new Uint8Array([0xff, ...getBytes(deployer), ...getBytes(salt), ...initCodeHash]);
  return getAddress(hexlify(keccak_256(preimage).slice(12)));
}

function expectThrows(fn: () => unknown, name: string, code: string): Error & Record<string, unknown> {
  try {
    fn();
  } catch (e) {
    const err = e as Error & { code?: string };
    expect(err.name, err.message).to.equal(name);
    expect(err.code).to.equal(code);
    return err as Error & Record<string, unknown>;
  }
  expect.fail(`expected ${name}`);
}

describe("deploy", () => {
  let source: ArtifactSource;
  before(function () {
    this.timeout(60_000);
    source = fixtureArtifacts();
  });

  describe("DEPLOYMENT_PROXY", () => {
    it("is the CREATE address of the presigned transaction's recovered signer at nonce 0, on any chain", () => {
      const tx = Transaction.from(DEPLOYMENT_PROXY.rawTransaction);
      expect(tx.chainId).to.equal(0n); // no chain id: valid on every chain
      expect(tx.from).to.equal(DEPLOYMENT_PROXY.signer);
      expect(tx.nonce).to.equal(0);
      expect(tx.gasPrice).to.equal(DEPLOYMENT_PROXY.gasPrice);
      expect(tx.gasLimit).to.equal(DEPLOYMENT_PROXY.gasLimit);
      expect(getCreateAddress({ from: tx.from!, nonce: 0 })).to.equal(DEPLOYMENT_PROXY.address);
      expect(tx.hash).to.equal(DEPLOYMENT_PROXY_TX_HASH);
      expect(DEPLOYMENT_PROXY_FUNDING).to.equal(10n ** 16n); // 0.01 ETH
      expect(hexlify(keccak_256(getBytes(DEPLOYMENT_PROXY.runtimeCode)))).to.equal(DEPLOYMENT_PROXY_CODE_HASH);
    });
  });

  describe("plan-singletons", () => {
    it("predicts keccak256(0xff ‖ proxy ‖ salt ‖ keccak256(initCode))[12:] for every singleton", () => {
      const plan = planSingletons(FIXTURE_SINGLETONS, source);
      for (const [i, p] of plan.entries()) {
        expect(p.address).to.equal(create2(DEPLOYMENT_PROXY.address, FIXTURE_SINGLETONS[i].salt, p.initCode));
        expect(p.initCode.startsWith(source.read(FIXTURE_SINGLETONS[i].artifact).bytecode)).to.equal(true);
      }
    });

    it("feeds each constructor the predicted addresses of the singletons listed before it", () => {
      const [registry, implementation] = planSingletons(FIXTURE_SINGLETONS, source);
      expect(registry.constructorArgs).to.equal("0x");
      expect(implementation.constructorArgs).to.equal(AbiCoder.defaultAbiCoder().encode(["address"], [registry.address]));
      expect(implementation.initCode.endsWith(implementation.constructorArgs.slice(2))).to.equal(true);
    });

    it("gives the same plan on every evaluation: nothing about the caller, chain or time enters it", () => {
      expect(planSingletons(FIXTURE_SINGLETONS, source)).to.deep.equal(planSingletons(FIXTURE_SINGLETONS, source));
    });

    it("moves a singleton and everything built on it when its salt changes, and nothing before it", () => {
      const base = planSingletons(FIXTURE_SINGLETONS, source);
      const moved = planSingletons([{ ...FIXTURE_SINGLETONS[0], salt: id("another salt") }, FIXTURE_SINGLETONS[1]], source);
      expect(moved[0].address).not.to.equal(base[0].address);
      expect(moved[1].address).not.to.equal(base[1].address); // its constructor got another address
      const tail = planSingletons([FIXTURE_SINGLETONS[0], { ...FIXTURE_SINGLETONS[1], salt: id("another salt") }], source);
      expect(tail[0].address).to.equal(base[0].address);
    });

    it("law: the predicted address is the CREATE2 formula for any salt (property)", () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (saltBytes) => {
          const salt = hexlify(saltBytes);
          const [p] = planSingletons([{ ...FIXTURE_SINGLETONS[0], salt }], source);
          return p.address === create2(DEPLOYMENT_PROXY.address, salt, p.initCode);
        }),
        { numRuns: 50 },
      );
    });

    it("throws SingletonSpecError when a name is listed twice", () => {
      const err = expectThrows(() => planSingletons([FIXTURE_SINGLETONS[0], FIXTURE_SINGLETONS[0]], source), "SingletonSpecError", "INVALID_SINGLETON");
      expect(err.singleton).to.equal("FixtureRegistry");
    });

    it("throws SingletonSpecError when a name is empty or has spaces", () => {
      expectThrows(() => planSingletons([{ ...FIXTURE_SINGLETONS[0], name: "" }], source), "SingletonSpecError", "INVALID_SINGLETON");
      expectThrows(() => planSingletons([{ ...FIXTURE_SINGLETONS[0], name: "a b" }], source), "SingletonSpecError", "INVALID_SINGLETON");
    });

    it("throws SingletonSpecError when a salt is not 32 bytes of hex", () => {
      for (const salt of ["0x1234", ARBOR_SALT.slice(0, -2), `${ARBOR_SALT}00`, "arbor"]) {
        const err = expectThrows(() => planSingletons([{ ...FIXTURE_SINGLETONS[0], salt }], source), "SingletonSpecError", "INVALID_SINGLETON");
        expect(err.message).to.include("salt");
      }
    });

    it("throws SingletonSpecError when a constructor uses a singleton listed after it or not at all", () => {
      const later = expectThrows(() => planSingletons([FIXTURE_SINGLETONS[1], FIXTURE_SINGLETONS[0]], source), "SingletonSpecError", "INVALID_SINGLETON");
      expect(later.message).to.include('"FixtureRegistry"');
      const typo: SingletonSpec = { ...FIXTURE_SINGLETONS[1], constructorArgs: (a) => [a.FixtureRegistri] };
      expectThrows(() => planSingletons([FIXTURE_SINGLETONS[0], typo], source), "SingletonSpecError", "INVALID_SINGLETON");
    });

    it("throws SingletonSpecError when constructor arguments change between evaluations (clock, randomness, environment)", () => {
      let calls = 0;
      const drifting: SingletonSpec = { ...FIXTURE_SINGLETONS[1], constructorArgs: () => [getAddress(`0x${(++calls).toString(16).padStart(40, "0")}`)] };
      const err = expectThrows(() => planSingletons([FIXTURE_SINGLETONS[0], drifting], source), "SingletonSpecError", "INVALID_SINGLETON");
      expect(err.message).to.include("differ between two evaluations");
    });

    it("throws SingletonSpecError when constructor arguments do not match the ABI", () => {
      const tooMany: SingletonSpec = { ...FIXTURE_SINGLETONS[1], constructorArgs: (a) => [a.FixtureRegistry, 1] };
      const notAddress: SingletonSpec = { ...FIXTURE_SINGLETONS[1], constructorArgs: () => ["not an address"] };
      const notArray = { ...FIXTURE_SINGLETONS[1], constructorArgs: () => "0x" } as unknown as SingletonSpec;
      for (const spec of [tooMany, notAddress, notArray]) {
        expectThrows(() => planSingletons([FIXTURE_SINGLETONS[0], spec], source), "SingletonSpecError", "INVALID_SINGLETON");
      }
    });

    it("throws ArtifactNotFoundError when the artifact does not exist", () => {
      const err = expectThrows(
        () => planSingletons([{ ...FIXTURE_SINGLETONS[0], artifact: "test/deploy/fixtures/Missing.sol:Missing" }], source),
        "ArtifactNotFoundError",
        "ARTIFACT_NOT_FOUND",
      );
      expect(err.artifact).to.equal("test/deploy/fixtures/Missing.sol:Missing");
    });

    it("throws CompilerSettingsMismatchError when an artifact was built with other settings", () => {
      const unpinned: ArtifactSource = {
        where: "test",
        read: (a) => {
          const c = source.read(a);
          return { ...c, compiler: { ...c.compiler, settings: { ...c.compiler.settings, optimizer: { enabled: true, runs: 200 } } } };
        },
      };
      const err = expectThrows(() => planSingletons(FIXTURE_SINGLETONS, unpinned), "CompilerSettingsMismatchError", "COMPILER_SETTINGS_MISMATCH");
      expect(err.setting).to.equal("optimizer.runs");
    });

    it("throws SingletonSpecError for a contract without bytecode or with unlinked libraries", () => {
      const variant = (patch: object): ArtifactSource => ({ where: "test", read: (a) => ({ ...source.read(a), ...patch }) });
      expectThrows(() => planSingletons(FIXTURE_SINGLETONS, variant({ bytecode: "0x" })), "SingletonSpecError", "INVALID_SINGLETON");
      expectThrows(() => planSingletons(FIXTURE_SINGLETONS, variant({ needsLinking: true })), "SingletonSpecError", "INVALID_SINGLETON");
    });
  });

  describe("assertPinnedCompiler", () => {
    const pinned = { version: "0.8.28+commit.7893614a", settings: structuredClone(COMPILER_PIN.settings) as never };

    it("accepts the pinned compiler and settings", () => {
      expect(() => assertPinnedCompiler("A.sol:A", pinned)).not.to.throw();
    });

    it("names the first setting that differs from the pin", () => {
      const cases: Array<[string, object]> = [
        ["solc version", { version: "0.8.27" }],
        ["evmVersion", { settings: { ...COMPILER_PIN.settings, evmVersion: "paris" } }],
        ["optimizer.enabled", { settings: { ...COMPILER_PIN.settings, optimizer: { enabled: false, runs: 1_000_000 } } }],
        ["viaIR", { settings: { ...COMPILER_PIN.settings, viaIR: true } }],
        ["metadata.bytecodeHash", { settings: { ...COMPILER_PIN.settings, metadata: { bytecodeHash: "ipfs", appendCBOR: false } } }],
        ["metadata.appendCBOR", { settings: { ...COMPILER_PIN.settings, metadata: { bytecodeHash: "none" } } }],
        ["libraries", { settings: { ...COMPILER_PIN.settings, libraries: { "L.sol": { L: "0x01" } } } }],
      ];
      for (const [setting, patch] of cases) {
        const err = expectThrows(() => assertPinnedCompiler("A.sol:A", { ...pinned, ...patch }), "CompilerSettingsMismatchError", "COMPILER_SETTINGS_MISMATCH");
        expect(err.setting).to.equal(setting);
      }
    });
  });

  describe("runtime-code-hash", () => {
    it("law: equals the compiled hash whatever values the constructor wrote into immutables (property)", () => {
      const [, implementation] = planSingletons(FIXTURE_SINGLETONS, source);
      const compiled = getBytes(source.read(FIXTURE_SINGLETONS[1].artifact).deployedBytecode);
      expect(implementation.immutableRanges.length).to.be.greaterThan(0);
      fc.assert(
        fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 8, maxLength: 8 }), (values) => {
          const code = Uint8Array.from(compiled);
          implementation.immutableRanges.forEach((r, i) => code.set(values[i % values.length].slice(0, r.length), r.start));
          return runtimeCodeHash(hexlify(code), implementation.immutableRanges) === implementation.expectedCodeHash;
        }),
        { numRuns: 50 },
      );
    });

    it("law: any byte changed outside the immutables changes the hash (property)", () => {
      const [, implementation] = planSingletons(FIXTURE_SINGLETONS, source);
      const compiled = getBytes(source.read(FIXTURE_SINGLETONS[1].artifact).deployedBytecode);
      const inImmutable = (i: number) => implementation.immutableRanges.some((r) => i >= r.start && i < r.start + r.length);
      fc.assert(
        fc.property(fc.nat({ max: compiled.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, flip) => {
          fc.pre(!inImmutable(index));
          const code = Uint8Array.from(compiled);
          code[index] ^= flip;
          return runtimeCodeHash(hexlify(code), implementation.immutableRanges) !== implementation.expectedCodeHash;
        }),
        { numRuns: 100 },
      );
    });

    it("does not read past the end of code shorter than the compiled layout", () => {
      const [, implementation] = planSingletons(FIXTURE_SINGLETONS, source);
      expect(runtimeCodeHash("0x60", implementation.immutableRanges)).to.equal(hexlify(keccak_256(new Uint8Array([0x60]))));
    });
  });
});
