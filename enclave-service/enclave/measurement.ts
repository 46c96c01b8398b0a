import path from "node:path";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { measureCodeBundle } from "../../lib/attestation";
import type { EnclaveConfig } from "./enclave-config";

/**
 * The enclave's code bundle: every source file of this repository the enclave process may load,
 * package-lock.json, and the files of every package it loads at run time (ENCLAVE_RUNTIME_PACKAGES). This is what PCR0 stands
 * for locally (a real Nitro build measures the whole enclave image file instead). The enclave
 * refuses to start if it ever loaded a repository file outside this list (see
 * {@link unmeasuredModules}), so the list cannot silently fall behind the imports.
 */
export const ENCLAVE_BUNDLE_DIRS = [
  "enclave-service/enclave",
  "enclave-service/channel",
  "enclave-service/custody",
  "enclave-service/api",
  "lib/attestation",
  "lib/identity",
];
export const ENCLAVE_BUNDLE_FILES = [
  "package-lock.json",
  "tsconfig.json",
  "lib/sessions/attestation.ts",
  "lib/sessions/attestation-error.ts",
];

/**
 * Every package the enclave process loads at run time (found by loading it and listing
 * `require.cache`), including the TypeScript loader that turns the measured sources into the code
 * that runs. Their files (.js, .cjs, .mjs, .json, .node) are part of the measurement, so a changed
 * dependency changes PCR0; the enclave refuses to start if it loaded a file of any other package.
 */
export const ENCLAVE_RUNTIME_PACKAGES = [
  "@adraffy/ens-normalize",
  "@cbor-extract/cbor-extract-linux-x64",
  "@cspotcode/source-map-support",
  "@hpke/common",
  "@hpke/core",
  "@jridgewell/resolve-uri",
  "@jridgewell/sourcemap-codec",
  "@jridgewell/trace-mapping",
  "@noble/curves",
  "@noble/hashes",
  "@peculiar/asn1-asym-key",
  "@peculiar/asn1-cms",
  "@peculiar/asn1-csr",
  "@peculiar/asn1-ecc",
  "@peculiar/asn1-pfx",
  "@peculiar/asn1-pkcs8",
  "@peculiar/asn1-pkcs9",
  "@peculiar/asn1-rsa",
  "@peculiar/asn1-schema",
  "@peculiar/asn1-x509",
  "@peculiar/asn1-x509-attr",
  "@peculiar/asn1-x509-post-quantum",
  "@peculiar/utils",
  "@peculiar/x509",
  "aes-js",
  "arg",
  "asn1js",
  "cbor-extract",
  "cbor-x",
  "detect-libc",
  "ethers",
  "jose",
  "make-error",
  "node-gyp-build-optional-packages",
  "nodemailer",
  "pvtsutils",
  "pvutils",
  "reflect-metadata",
  "shamir-secret-sharing",
  "ts-node",
  "tslib",
  "tsyringe",
  "typescript",
  "v8-compile-cache-lib",
  "ws",
  "yn",
];

/** The repository root, two levels above this file. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Absolute paths of the files in the enclave's code bundle, sorted. */
export function enclaveCodeBundle(repoRoot = REPO_ROOT): string[] {
  const cached = bundles.get(repoRoot);
  if (cached) return cached;
  const files: string[] = ENCLAVE_BUNDLE_FILES.map((f) => path.join(repoRoot, f));
  for (const dir of ENCLAVE_BUNDLE_DIRS) walk(path.join(repoRoot, dir), files, /\.(ts|js|json)$/);
  for (const pkg of ENCLAVE_RUNTIME_PACKAGES) {
    const dir = path.join(repoRoot, "node_modules", pkg);
    // An optional platform package may be missing on another machine: then it is simply not loaded.
    if (existsSync(dir)) walk(dir, files, /\.(js|cjs|mjs|json|node)$/);
  }
  files.sort();
  bundles.set(repoRoot, files);
  return files;
}
const bundles = new Map<string, string[]>();

function walk(dir: string, out: string[], pattern: RegExp): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out, pattern);
    else if (entry.isFile() && pattern.test(entry.name)) out.push(full);
  }
}

/**
 * PCR0 of the enclave built from `repoRoot`: 48 bytes, hex. The launcher computes it to configure
 * the key holders' allow lists; the enclave computes it at start to put in its documents.
 *
 * @example
 * const pcr0 = enclaveMeasurement(); // "9f1c..."
 */
export function enclaveMeasurement(repoRoot = REPO_ROOT, config?: EnclaveConfig): string {
  const code = measureCodeBundle(enclaveCodeBundle(repoRoot), { root: repoRoot });
  if (config === undefined) return Buffer.from(code).toString("hex");
  // PCR0 covers the code and the configuration that decides whom the enclave trusts and talks to,
  // the way a Nitro image has its configuration baked in: a host that edits the allow list, the CA
  // roots, the SMTP server or an ecosystem's apps gets another PCR0, which clients and key holders refuse.
  const configDigest = createHash("sha384").update(canonicalJson(measuredConfiguration(config)), "utf8").digest();
  return createHash("sha384").update("arbor.enclave.pcr0.v1\n", "utf8").update(code).update(configDigest).digest("hex");
}

/**
 * The measured part of an enclave configuration: everything but the socket path, operational limits
 * and secrets (OIDC client secrets and the SMTP password are covered by who holds the configuration,
 * not by a hash anyone can brute-force).
 */
export function measuredConfiguration(config: EnclaveConfig): unknown {
  return {
    production: config.production === true,
    // The name signed requests must carry: part of who this enclave is.
    serviceName: config.serviceName ?? null,
    egress: config.egress ?? null,
    smtp: config.smtp ? { ...config.smtp, pass: undefined } : null,
    ecosystems: Object.fromEntries(
      Object.entries(config.ecosystems).map(([id, eco]) => [id, { ...eco, oidc: (eco.oidc ?? []).map((p) => ({ ...p, clientSecret: undefined })) }]),
    ),
    keyHolders: config.keyHolders,
  };
}

/** JSON with sorted keys and no undefined members: one byte string per value. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * Files this process has loaded that the measurement does not cover: any repository source outside
 * the bundle, and any file of a package outside {@link ENCLAVE_RUNTIME_PACKAGES}.
 */
export function unmeasuredModules(loaded: string[], repoRoot = REPO_ROOT): string[] {
  const bundle = new Set(enclaveCodeBundle(repoRoot));
  return loaded.filter((f) => path.isAbsolute(f) && (f.startsWith(repoRoot + path.sep) || f.includes(`${path.sep}node_modules${path.sep}`)) && !bundle.has(f));
}
