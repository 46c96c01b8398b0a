import { expect } from "chai";
import { validateEnclaveConfig, EnclaveConfigError, type EnclaveConfig } from "../../enclave-service/enclave/enclave-config";
import { createLocalAttestor } from "../../enclave-service/enclave/attestor";
import { startKeyHolder } from "../../enclave-service/key-holder/key-holder-server";
import { unmeasuredModules, enclaveCodeBundle, ENCLAVE_RUNTIME_PACKAGES, REPO_ROOT } from "../../enclave-service/enclave/measurement";
import path from "node:path";
import { tempDir } from "./helpers";

const key = Buffer.alloc(32, 7).toString("base64");
const valid: EnclaveConfig = {
  socketPath: "/tmp/x.sock",
  ecosystems: { demo: { origins: ["https://app.example"] } },
  keyHolders: [1, 2, 3].map((holder) => ({ holder, publicKey: key })),
};

describe("enclave/validateEnclaveConfig", () => {
  let rootPem: string;
  before(async () => {
    rootPem = (await createLocalAttestor("ab".repeat(48))).rootPem;
  });

  it("accepts a complete configuration when it uses a LOCAL root outside production", () => {
    expect(validateEnclaveConfig(valid, { rootPem })).to.equal(valid);
  });

  it("refuses a LOCAL attestation root when the configuration is production", () => {
    expect(() => validateEnclaveConfig({ ...valid, production: true }, { rootPem })).to.throw(EnclaveConfigError).with.property("field", "production");
  });

  it("names the field when a configuration is incomplete or malformed", () => {
    const bad: [Partial<EnclaveConfig>, string][] = [
      [{ keyHolders: valid.keyHolders.slice(0, 2) }, "keyHolders"],
      [{ keyHolders: [valid.keyHolders[1], valid.keyHolders[0], valid.keyHolders[2]] }, "keyHolders[0].holder"],
      [{ keyHolders: [{ holder: 1, publicKey: "AAAA" }, valid.keyHolders[1], valid.keyHolders[2]] }, "keyHolders[0].publicKey"],
      [{ ecosystems: {} }, "ecosystems"],
      [{ ecosystems: { demo: { origins: ["https://app.example/path"] } } }, "ecosystems.demo.origins"],
      [{ ecosystems: { Demo: { origins: ["https://app.example"] } } }, "ecosystems.Demo"],
      [{ ecosystems: { demo: { origins: ["https://app.example"], oidc: [{ issuer: "https://idp", clientId: "", clientSecret: "s", redirectUri: "https://app.example/cb" }] } } }, "ecosystems.demo.oidc[0].clientId"],
      [{ adminTokenSha256: "xyz" }, "adminTokenSha256"],
    ];
    for (const [patch, field] of bad) {
      expect(() => validateEnclaveConfig({ ...valid, ...patch } as EnclaveConfig, { rootPem }), field).to.throw(EnclaveConfigError).with.property("field", field);
    }
  });

  it("names the field when the egress, SMTP or apps configuration is unsafe or malformed", () => {
    const eco = (extra: object) => ({ ecosystems: { demo: { origins: ["https://app.example"], ...extra } } });
    const provider = (issuer: string) => ({ issuer, clientId: "c", clientSecret: "s", redirectUri: "https://app.example/cb" });
    const smtp = { host: "smtp.example", port: 465, security: "tls" as const, from: "a@b.c" };
    const bad: [Partial<EnclaveConfig>, string][] = [
      // TLS ends in the enclave: an http issuer, or one off the allow list, is refused.
      [{ ...eco({ oidc: [provider("http://idp.example")] }), egress: { allow: ["idp.example:80"] } }, "ecosystems.demo.oidc[0].issuer"],
      [{ ...eco({ oidc: [provider("https://idp.example")] }), egress: { allow: ["other.example:443"] } }, "ecosystems.demo.oidc[0].issuer"],
      [{ egress: { allow: ["no-port.example"] } }, "egress.allow"],
      [{ egress: { allow: ["x.example:70000"] } }, "egress.allow"],
      [{ egress: { allow: [], caPem: ["not a certificate"] } }, "egress.caPem[0]"],
      [{ egress: { allow: [], caPem: [] } }, "egress.caPem"],
      // Plain SMTP would show codes to the host.
      [{ smtp: { ...smtp, security: "none" as unknown as "tls" }, egress: { allow: ["smtp.example:465"] } }, "smtp.security"],
      [{ smtp, egress: { allow: [] } }, "smtp"],
      [{ smtp: { ...smtp, port: 0 }, egress: { allow: ["smtp.example:465"] } }, "smtp.port"],
      [eco({ apps: [{ name: "A", origin: "https://a.example/path", audiences: ["https://app.example"] }] }), "ecosystems.demo.apps[0].origin"],
      [eco({ apps: [{ name: "A", origin: "https://app.example", audiences: ["https://b.example"] }] }), "ecosystems.demo.apps[0].audiences"],
      [eco({ apps: [{ name: "", origin: "https://app.example", audiences: ["https://app.example"] }] }), "ecosystems.demo.apps[0].name"],
      [eco({ apps: [] }), "ecosystems.demo.apps"],
    ];
    for (const [patch, field] of bad) {
      expect(() => validateEnclaveConfig({ ...valid, ...patch } as EnclaveConfig, { rootPem }), field).to.throw(EnclaveConfigError).with.property("field", field);
    }
  });

  it("makes a production key holder refuse to start when it is given a LOCAL root", async () => {
    const dir = tempDir("prod-holder");
    try {
      await startKeyHolder({ holder: 1, dataDir: dir.dir, roots: [rootPem], allowedMeasurements: ["ab".repeat(48)], production: true });
      expect.fail("should refuse");
    } catch (err) {
      expect((err as Error).message).to.match(/LOCAL attestation root/);
    } finally {
      dir.remove();
    }
  });
});

describe("enclave/measurement", () => {
  describe("unmeasuredModules", () => {
    it("reports repository files outside the bundle and files of packages not in the runtime list when given loaded module paths", () => {
      const inside = enclaveCodeBundle()[0];
      const outside = path.join(REPO_ROOT, "lib", "configuration", "tree.ts");
      const dependency = path.join(REPO_ROOT, "node_modules", "ethers", "lib.commonjs", "index.js");
      const unlisted = path.join(REPO_ROOT, "node_modules", "chai", "index.js");
      expect(unmeasuredModules([inside, outside, dependency, unlisted])).to.deep.equal([outside, unlisted]);
    });
  });

  describe("enclaveCodeBundle", () => {
    it("covers the runtime packages' code (and the TypeScript loader) but no other package when built", () => {
      const bundle = enclaveCodeBundle();
      const nm = path.join(REPO_ROOT, "node_modules") + path.sep;
      const packages = new Set(bundle.filter((f) => f.startsWith(nm)).map((f) => /^((?:@[^/]+\/)?[^/]+)/.exec(f.slice(nm.length))![1]));
      for (const p of ["jose", "ethers", "@noble/curves", "shamir-secret-sharing", "cbor-x", "typescript", "ts-node"]) expect(packages.has(p), p).to.equal(true);
      expect([...packages].every((p) => ENCLAVE_RUNTIME_PACKAGES.includes(p))).to.equal(true);
      expect(bundle).to.include(path.join(REPO_ROOT, "node_modules", "jose", "package.json"));
    });
  });
});

describe("enclave/installNetworkGuard", () => {
  it("makes TCP connects, DNS lookups and fetch throw in a process when installed, and leaves Unix sockets working", async () => {
    const { execFileSync } = await import("node:child_process");
    const script = `
      const net = require("node:net"); const dns = require("node:dns"); const os = require("node:os"); const path = require("node:path");
      require(${JSON.stringify(path.join(REPO_ROOT, "enclave-service", "enclave", "network-guard.ts"))}).installNetworkGuard();
      const out = [];
      try { net.connect(80, "127.0.0.1"); out.push("tcp allowed"); } catch (e) { out.push(e.code); }
      try { dns.lookup("example.com", () => {}); out.push("dns allowed"); } catch (e) { out.push(e.code); }
      fetch("http://127.0.0.1:1").then(() => out.push("fetch allowed"), (e) => out.push(e.code)).then(() => {
        const sock = path.join(os.tmpdir(), "guard-" + process.pid + ".sock");
        const server = net.createServer((s) => s.end()).listen(sock, () => {
          const c = net.connect({ path: sock }, () => { out.push("unix ok"); c.destroy(); server.close(); console.log(JSON.stringify(out)); });
        });
      });`;
    const output = execFileSync(process.execPath, ["-r", require.resolve("ts-node/register/transpile-only"), "-e", script], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(JSON.parse(output.trim().split("\n").pop()!)).to.deep.equal(["enclave-network-denied", "enclave-network-denied", "enclave-network-denied", "unix ok"]);
  });
});
