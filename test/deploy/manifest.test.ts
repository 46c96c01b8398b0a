import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { Wallet, id } from "ethers";
import {
  DEPLOYMENT_PROXY,
  DEPLOYMENT_PROXY_CODE_HASH,
  MANIFEST_FORMAT,
  deployerKeyFromEnv,
  manifestPath,
  readManifest,
  recordEntries,
  writeManifest,
  type ManifestEntry,
} from "../../lib/deploy";

const entry = (name: string, tx: string | null, code = "code"): ManifestEntry => ({
  name,
  address: Wallet.createRandom().address,
  salt: id("salt"),
  initCodeHash: id(`${name}-init`),
  codeHash: id(code),
  transactionHash: tx,
});
const proxy = { address: DEPLOYMENT_PROXY.address, codeHash: DEPLOYMENT_PROXY_CODE_HASH, transactionHash: null };

function expectThrows(fn: () => unknown, name: string, code: string): Error {
  try {
    fn();
  } catch (e) {
    expect((e as Error).name, (e as Error).message).to.equal(name);
    expect((e as Error & { code: string }).code).to.equal(code);
    return e as Error;
  }
  expect.fail(`expected ${name}`);
}

describe("deploy", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "arbor-manifest-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe("writeManifest", () => {
    it("writes deployments/<chainId>.json that readManifest returns unchanged", () => {
      const manifest = recordEntries(undefined, 31337n, proxy, [entry("A", id("tx"))]);
      const file = writeManifest(dir, manifest);
      expect(file).to.equal(path.join(dir, "31337.json"));
      expect(readManifest(dir, 31337n)).to.deep.equal(manifest);
      expect(fs.readdirSync(dir)).to.deep.equal(["31337.json"]); // no temporary file left behind
    });
  });

  describe("recordEntries", () => {
    it("keeps the earlier transaction hash when the same code is found again without one", () => {
      const a = entry("A", id("tx-a"));
      const first = recordEntries(undefined, 1n, { ...proxy, transactionHash: id("proxy-tx") }, [a]);
      const again = recordEntries(first, 1n, proxy, [{ ...a, transactionHash: null }]);
      expect(again.contracts[0].transactionHash).to.equal(id("tx-a"));
      expect(again.proxy.transactionHash).to.equal(id("proxy-tx"));
    });

    it("drops the old transaction hash when a name now points at other init code", () => {
      const a = entry("A", id("tx-a"));
      const first = recordEntries(undefined, 1n, proxy, [a]);
      const moved = recordEntries(first, 1n, proxy, [{ ...a, initCodeHash: id("new init"), transactionHash: null }]);
      expect(moved.contracts[0].transactionHash).to.equal(null);
    });

    it("keeps entries of singletons no longer listed: they are still on the chain", () => {
      const first = recordEntries(undefined, 1n, proxy, [entry("Old", id("tx-old"))]);
      const next = recordEntries(first, 1n, proxy, [entry("New", id("tx-new"))]);
      expect(next.contracts.map((c) => c.name)).to.deep.equal(["Old", "New"]);
    });
  });

  describe("readManifest", () => {
    it("returns undefined when the chain has no manifest yet", () => {
      expect(readManifest(dir, 5n)).to.equal(undefined);
    });

    it("throws ManifestError for a file that is not JSON", () => {
      fs.writeFileSync(manifestPath(dir, 5n), "{ not json");
      expect(expectThrows(() => readManifest(dir, 5n), "ManifestError", "INVALID_MANIFEST").message).to.include("not valid JSON");
    });

    it("throws ManifestError for an unknown format", () => {
      fs.writeFileSync(manifestPath(dir, 5n), JSON.stringify({ format: "something-else", chainId: "5", proxy, contracts: [] }));
      expect(expectThrows(() => readManifest(dir, 5n), "ManifestError", "INVALID_MANIFEST").message).to.include(MANIFEST_FORMAT);
    });

    it("throws ManifestError for a manifest of another chain under this chain's name", () => {
      fs.writeFileSync(manifestPath(dir, 5n), JSON.stringify(recordEntries(undefined, 6n, proxy, [])));
      expect(expectThrows(() => readManifest(dir, 5n), "ManifestError", "INVALID_MANIFEST").message).to.include("chain 6");
    });

    it("throws ManifestError when proxy or contracts are missing", () => {
      fs.writeFileSync(manifestPath(dir, 5n), JSON.stringify({ format: MANIFEST_FORMAT, chainId: "5" }));
      expectThrows(() => readManifest(dir, 5n), "ManifestError", "INVALID_MANIFEST");
    });
  });

  describe("deployerKeyFromEnv", () => {
    it("returns the key, 0x-prefixed, when it is well formed", () => {
      const key = Wallet.createRandom().privateKey;
      expect(deployerKeyFromEnv({ ARBOR_DEPLOYER_KEY: key })).to.equal(key);
      expect(deployerKeyFromEnv({ ARBOR_DEPLOYER_KEY: ` ${key.slice(2)}\n` })).to.equal(key);
    });

    it("returns undefined when the variable is unset or empty", () => {
      expect(deployerKeyFromEnv({})).to.equal(undefined);
      expect(deployerKeyFromEnv({ ARBOR_DEPLOYER_KEY: "" })).to.equal(undefined);
    });

    it("throws InvalidDeployerKeyError without echoing the value when it is not a key", () => {
      const order = "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"; // secp256k1 n
      for (const bad of ["0x12", `0x${"g".repeat(64)}`, `0x${"0".repeat(64)}`, order, `${Wallet.createRandom().privateKey}00`]) {
        const err = expectThrows(() => deployerKeyFromEnv({ ARBOR_DEPLOYER_KEY: bad }), "InvalidDeployerKeyError", "INVALID_DEPLOYER_KEY");
        expect(err.message).not.to.include(bad.slice(2, 20));
      }
    });
  });
});
