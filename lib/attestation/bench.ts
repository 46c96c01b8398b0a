// Benchmarks of lib/attestation. Run: npx ts-node --transpile-only lib/attestation/bench.ts
// (or import benchmarkAttestation from bench/bench.ts). Numbers go to the README, never into tests.
import { generateKeyPairSync } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { AWS_NITRO_ROOT_PEM } from "./aws-nitro-root";
import { clearCertificateCache } from "./certificate-chain";
import { createAttestationDocument } from "./create-attestation-document";
import { createLocalAttestationAuthority } from "./create-local-attestation-authority";
import { decodeAttestationDocument } from "./decode-attestation-document";
import { measureCodeBundle } from "./measure-code-bundle";
import { parseAttestationInput } from "./parse-attestation-input";
import { responseBinding } from "./response-binding";
import { verifyAttestationDocument } from "./verify-attestation-document";

/** One measured operation: mean time per call over `iterations` after a warm-up. */
export interface BenchResult {
  name: string;
  iterations: number;
  meanMs: number;
  opsPerSecond: number;
}

function measure(name: string, iterations: number, fn: () => unknown): BenchResult {
  for (let i = 0; i < Math.min(20, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const meanMs = Number(process.hrtime.bigint() - start) / 1e6 / iterations;
  return { name, iterations, meanMs, opsPerSecond: 1000 / meanMs };
}

/**
 * Times the hot paths: what the identity service pays per response (binding + document) and what
 * a client pays per response (verification), on a real Nitro document and on a local one.
 *
 * @example
 * for (const r of await benchmarkAttestation()) console.log(r.name, r.meanMs.toFixed(3), "ms");
 */
export async function benchmarkAttestation(options: { iterations?: number; vectorsDir?: string } = {}): Promise<BenchResult[]> {
  const n = options.iterations ?? 200;
  const results: BenchResult[] = [];
  const vector = path.join(options.vectorsDir ?? path.join(__dirname, "..", "..", "..", "shared", "vectors", "nitro"), "base_nitro_validator_attestation.hex");
  if (fs.existsSync(vector)) {
    const real = parseAttestationInput(fs.readFileSync(vector));
    const at = new Date("2024-11-30T17:00:00Z");
    results.push(measure("decode real Nitro document (4528 bytes, 5 certificates)", n, () => decodeAttestationDocument(real)));
    results.push(measure("verify real Nitro document, chain already seen (cache warm)", n, () => verifyAttestationDocument(real, { roots: [AWS_NITRO_ROOT_PEM], at })));
    results.push(
      measure("verify real Nitro document, first time (cache cleared)", Math.max(10, Math.floor(n / 4)), () => {
        clearCertificateCache();
        verifyAttestationDocument(real, { roots: [AWS_NITRO_ROOT_PEM], at });
      }),
    );
  }
  const authority = await createLocalAttestationAuthority();
  const key = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const issued = await authority.issue({ publicKey: key.publicKey });
  const requestBody = Buffer.alloc(1024, 1);
  const responseBody = Buffer.alloc(4096, 2);
  const pcr0 = Buffer.alloc(48, 7);
  const nonce = Buffer.from("0123456789abcdef");
  const create = () =>
    createAttestationDocument({
      moduleId: "arbor-identity-local",
      pcrs: { 0: pcr0 },
      certificate: issued.certificate,
      cabundle: issued.cabundle,
      signingKey: key.privateKey,
      nonce,
      userData: responseBinding({ method: "POST", path: "/v1/auth", requestBody, status: 200, responseBody }),
    });
  const local = create();
  results.push(measure("responseBinding (1 KiB request, 4 KiB response)", n * 10, () => responseBinding({ method: "POST", path: "/v1/auth", requestBody, status: 200, responseBody })));
  results.push(measure("attest one response locally (binding + createAttestationDocument)", n, create));
  results.push(measure("verify local document (root, nonce, user data, PCR0)", n, () => verifyAttestationDocument(local, { roots: [authority.rootPem], nonce, expectedPcrs: { 0: pcr0 } })));
  const started = process.hrtime.bigint();
  const rounds = Math.max(5, Math.floor(n / 20));
  for (let i = 0; i < rounds; i++) {
    const a = await createLocalAttestationAuthority();
    await a.issue({ publicKey: key.publicKey });
  }
  const authorityMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  results.push({ name: "createLocalAttestationAuthority + issue", iterations: rounds, meanMs: authorityMs, opsPerSecond: 1000 / authorityMs });
  results.push(measure("measureCodeBundle(lib/attestation)", Math.max(10, Math.floor(n / 10)), () => measureCodeBundle(__dirname)));
  return results;
}

if (require.main === module) {
  benchmarkAttestation().then((results) => {
    for (const r of results) console.log(`${r.name.padEnd(68)} ${r.meanMs.toFixed(3).padStart(9)} ms  ${Math.round(r.opsPerSecond).toString().padStart(7)}/s  (n=${r.iterations})`);
  });
}
