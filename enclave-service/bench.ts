/**
 * Identity service benchmark: session attestations signed per second and their latency under
 * concurrent load, end to end (client signs the request, host, channel, enclave, database, key
 * pool, identity signer, attestation document, client verifies the document). `npm run bench`
 * calls {@link runIdentityBench}; `npx ts-node enclave-service/bench.ts` runs it alone.
 */
import { performance } from "node:perf_hooks";
import { Wallet } from "ethers";
import { IdentityClient, secp256k1AuthKey } from "../lib/identity";
import { startIdentityService } from "./launcher";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import type { RunningIdentityService } from "./launcher";

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks are 100 Hz there). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the command name.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function serviceCpu(service: RunningIdentityService): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, p] of service.processes) if (p.child.pid !== undefined) out.set(name, cpuMs(p.child.pid));
  return out;
}
import os from "node:os";
import path from "node:path";

/** One measured load level. */
export interface Row {
  scenario: string;
  database: "pglite" | "postgres";
  /** Clients sending at the same time (one auth key each, one request in flight each). */
  concurrency: number;
  requests: number;
  seconds: number;
  attestationsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time of the service's processes (enclaves, hosts, key holders) per attestation, ms. */
  serverCpuMsPerAttestation: number;
  /** The same, split by process. */
  cpuMsByProcess: Record<string, number>;
  note?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Starts a private service (PGlite, or PostgreSQL when DATABASE_URL is set), logs in one user per
 * client over email OTP, then for each concurrency level sends `requests` attestation requests.
 *
 * @example
 * const rows = await runIdentityBench({ levels: [1, 8], requests: 200 });
 */
export async function runIdentityBench(options: { levels?: number[]; requests?: number } = {}): Promise<Row[]> {
  const levels = options.levels ?? [1, 4, 16];
  const requests = options.requests ?? Number(process.env.BENCH_IDENTITY_REQUESTS ?? 300);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "arbor-identity-bench-"));
  const database = process.env.DATABASE_URL ? "postgres" : "pglite";
  const service = await startIdentityService({
    dataDir,
    databaseSchema: database === "postgres" ? `arbor_bench_${process.pid}` : undefined,
    // The per-key rate limit is policy, not capacity: lifted so the bench measures the machine.
    enclave: { rateLimit: { perSecond: 1_000_000, burst: 1_000_000 }, reencryptIntervalMs: 0 },
  });
  const rows: Row[] = [];
  try {
    const audience = "https://app.example";
    const clients: IdentityClient[] = [];
    for (let i = 0; i < Math.max(...levels); i++) {
      const c = new IdentityClient({ url: service.url, origin: audience, authKey: secp256k1AuthKey(), attestation: { roots: [service.rootPem], measurements: [service.measurement] } });
      const email = `bench-${i}@example.com`;
      const started = await c.initiateEmail({ ecosystem: "demo", audience, email });
      const lines = readFileSync(service.outboxFile, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { to: string; text: string });
      const code = /(\d{6})/.exec(lines.filter((l) => l.to === email).pop()!.text)![1];
      await c.completeOtp(started, code);
      clients.push(c);
    }
    const approvedSigner = Wallet.createRandom().address;
    // Warm-up: pool keys released once and cached, code paths compiled.
    for (const c of clients) await c.signAttestation({ approvedSigner, lifetimeSeconds: 3600 });

    for (const concurrency of levels) {
      const latencies: number[] = [];
      let next = 0;
      const cpuBefore = serviceCpu(service);
      const started = performance.now();
      await Promise.all(
        clients.slice(0, concurrency).map(async (c) => {
          while (next < requests) {
            next++;
            const t = performance.now();
            await c.signAttestation({ approvedSigner, lifetimeSeconds: 3600 });
            latencies.push(performance.now() - t);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = serviceCpu(service);
      const cpuMsByProcess: Record<string, number> = {};
      for (const [name, after] of cpuAfter) cpuMsByProcess[name] = (after - (cpuBefore.get(name) ?? after)) / latencies.length;
      latencies.sort((a, b) => a - b);
      rows.push({
        scenario: "sign session attestation (HTTP, end to end)",
        database,
        concurrency,
        requests: latencies.length,
        seconds,
        attestationsPerSecond: latencies.length / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        serverCpuMsPerAttestation: Object.values(cpuMsByProcess).reduce((a, b) => a + b, 0),
        cpuMsByProcess,
        note: "client and service share this machine's CPUs; per-key rate limit lifted",
      });
    }
  } finally {
    await service.stopAll();
    rmSync(dataDir, { recursive: true, force: true });
    if (database === "postgres") {
      const pg = await import("pg");
      const client = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS arbor_bench_${process.pid} CASCADE`).finally(() => client.end());
    }
  }
  return rows;
}

/** Prints rows as a table. */
export function printIdentityBenchTable(rows: Row[]): void {
  const lines = [["scenario", "db", "concurrency", "requests", "attestations/s", "p50 ms", "p99 ms", "server CPU ms/att", "enclave", "host"]];
  for (const r of rows) {
    lines.push([
      r.scenario, r.database, String(r.concurrency), String(r.requests), r.attestationsPerSecond.toFixed(1), r.p50Ms.toFixed(1), r.p99Ms.toFixed(1),
      r.serverCpuMsPerAttestation.toFixed(2), (r.cpuMsByProcess.enclave ?? NaN).toFixed(2), (r.cpuMsByProcess.host ?? NaN).toFixed(2),
    ]);
  }
  const widths = lines[0].map((_, c) => Math.max(...lines.map((l) => l[c].length)));
  for (const l of lines) console.log(l.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  "));
}

if (require.main === module) {
  runIdentityBench().then(
    (rows) => {
      printIdentityBenchTable(rows);
      process.exit(0);
    },
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
