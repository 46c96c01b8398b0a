import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { EcosystemConfig, EnclaveConfig, SmtpConfig } from "./enclave/enclave-config";
import { enclaveMeasurement, REPO_ROOT } from "./enclave/measurement";

/** How to start the identity service (every field has an embedded default). */
export interface LaunchOptions {
  /** Everything lives here: key holder dirs, PGlite data, outbox, logs, configs (default ./.arbor). */
  dataDir?: string;
  /** Host HTTP port (default 0: any free port). */
  port?: number;
  /** PostgreSQL instead of PGlite (default: process.env.DATABASE_URL). */
  databaseUrl?: string;
  databaseSchema?: string;
  /**
   * SMTP server the enclave sends email through: `smtps://host:465` (implicit TLS) or
   * `smtp://host:587` (STARTTLS required); default: the host's dev outbox. Plain SMTP is not offered.
   */
  smtpUrl?: string;
  /** From header of login emails (default "Arbor <no-reply@arbor.local>"). */
  mailFrom?: string;
  /** PEM CA roots the enclave trusts for outbound TLS (default: Node's bundled roots); measured. */
  caPem?: string[];
  ecosystems?: Record<string, EcosystemConfig>;
  /** Overrides merged into the enclave configuration (limits, pool, lifetimes). */
  enclave?: Partial<Omit<EnclaveConfig, "socketPath" | "keyHolders" | "ecosystems">>;
  /** PCR0 values the key holders accept (default: this checkout's enclave measurement, recomputed at each enclave start). */
  allowedMeasurements?: string[];
  /** Echo child output to this process's console (default false: logs go to <dataDir>/logs). */
  echo?: boolean;
  /**
   * Enclave + host pairs sharing the key holders and the database (default 1). Pair 1's processes
   * are `enclave` and `host`, pair k's `enclave-k` and `host-k`. More than one pair needs
   * PostgreSQL: PGlite is one process's private database.
   */
  instances?: number;
  /**
   * Restart a process that exits without being asked to (default true), with a backoff from
   * 250 ms doubling to 10 s, reset once it has run for 30 s.
   */
  supervise?: boolean;
}

/** One enclave + host pair. */
export interface ServiceInstance {
  /** The host's URL. */
  url: string;
  /** PEM of this pair's current LOCAL attestation root (changes when its enclave restarts). */
  rootPem: string;
  measurement: string;
  enclave: string;
  host: string;
}

/** One running child process. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  ready: Record<string, unknown>;
}

/** A running identity service: three key holders, the enclave, the host. */
export interface RunningIdentityService {
  /** Pair 1's host URL. */
  url: string;
  /** Every pair, pair 1 first. */
  instances: ServiceInstance[];
  /** The current attestation roots of every pair (what a client of several pairs pins). */
  roots(): string[];
  /** How many times the supervisor restarted `name` after an unexpected exit. */
  restarts(name: string): number;
  /** PEM of the current LOCAL attestation root (changes when the enclave restarts). */
  rootPem: string;
  measurement: string;
  adminToken: string;
  outboxFile: string;
  dataDir: string;
  processes: Map<string, ServiceProcess>;
  /** Everything a process wrote to stdout and stderr so far. */
  logs(name: string): string;
  /** Stops one process (SIGTERM, then SIGKILL after 5 s; or `signal` at once). */
  stop(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped process again with the same arguments (and port). */
  start(name: string): Promise<void>;
  /** Resolves once `name` runs again after `count` supervisor restarts (rejects after `timeoutMs`). */
  waitForRestart(name: string, count: number, timeoutMs?: number): Promise<void>;
  stopAll(): Promise<void>;
}

export const DEFAULT_ECOSYSTEMS: Record<string, EcosystemConfig> = {
  demo: { origins: ["http://localhost:3000", "https://app.example"] },
};

const TS_NODE = require.resolve("ts-node/register/transpile-only");
const READY_TIMEOUT_MS = 90_000;

/**
 * Starts every process of the identity service on embedded defaults and waits until all are ready:
 * key holders first (their public keys go into the enclave's configuration), then the enclave
 * (its attestation root goes to the key holders' roots file), then the host.
 *
 * @example
 * const service = await startIdentityService({ dataDir: "/tmp/arbor-test" });
 * console.log(service.url, service.rootPem);
 * await service.stopAll();
 */
export async function startIdentityService(options: LaunchOptions = {}): Promise<RunningIdentityService> {
  const instanceCount = options.instances ?? 1;
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
  if (!Number.isInteger(instanceCount) || instanceCount < 1) throw new RangeError(`instances must be a positive integer, got ${instanceCount}`);
  if (instanceCount > 1 && !databaseUrl) throw new RangeError("more than one instance needs PostgreSQL (databaseUrl or DATABASE_URL): PGlite is private to one host");
  const dataDir = path.resolve(options.dataDir ?? path.join(process.cwd(), ".arbor"));
  mkdirSync(path.join(dataDir, "logs"), { recursive: true, mode: 0o700 });
  const rootsFile = path.join(dataDir, "attestation-root.pem");
  const outboxFile = path.join(dataDir, "outbox.jsonl");
  const supervise = options.supervise ?? true;
  const adminToken = randomBytes(32).toString("hex");
  writeFileSync(path.join(dataDir, "admin-token"), adminToken + "\n", { mode: 0o600 });

  const processes = new Map<string, ServiceProcess>();
  let enclaveConfig: EnclaveConfig | undefined;
  const specs = new Map<string, { entry: string; args: string[] }>();
  const logs = new Map<string, string>();
  const restartCounts = new Map<string, number>();
  const restartWaiters: { name: string; count: number; resolve(): void }[] = [];
  const pendingRestarts = new Map<string, NodeJS.Timeout>();
  const backoff = new Map<string, number>();
  let stopping = false;
  const allowFile = path.join(dataDir, "allowed-measurements");
  if (options.allowedMeasurements) writeFileSync(allowFile, options.allowedMeasurements.join("\n") + "\n");
  const instances: ServiceInstance[] = [];
  const writeRoots = () => writeFileSync(rootsFile, instances.map((i) => i.rootPem.trim()).filter((p) => p.length > 0).join("\n") + "\n");

  const service: RunningIdentityService = {
    url: "",
    instances,
    roots: () => instances.map((i) => i.rootPem),
    restarts: (name) => restartCounts.get(name) ?? 0,
    rootPem: "",
    measurement: "",
    adminToken,
    outboxFile,
    dataDir,
    processes,
    logs: (name) => logs.get(name) ?? "",
    stop: async (name, signal) => {
      const pending = pendingRestarts.get(name);
      if (pending) clearTimeout(pending);
      pendingRestarts.delete(name);
      const p = processes.get(name);
      if (!p) return;
      // Out of the map first: the supervisor restarts only processes that are still in it.
      processes.delete(name);
      await terminate(p.child, signal);
    },
    start: async (name) => {
      const spec = specs.get(name);
      if (!spec) throw new Error(`no process named ${name}`);
      if (processes.has(name)) throw new Error(`${name} is already running`);
      const instance = instances.find((i) => i.enclave === name);
      if (!instance) {
        adopt(await launch(name, spec.entry, spec.args));
        return;
      }
      // The key holders allow the measurement of the code in this checkout, computed here. If the
      // code changes while the enclave starts (another edit lands), the enclave reports a different
      // measurement: start it again rather than run one the key holders would refuse.
      for (let attempt = 1; ; attempt++) {
        const expected = enclaveMeasurement(REPO_ROOT, enclaveConfig);
        if (!options.allowedMeasurements) writeFileSync(allowFile, expected + "\n");
        const p = await launch(name, spec.entry, spec.args);
        const reported = String(p.ready.measurement);
        if (reported !== expected && !options.allowedMeasurements && attempt < 3) {
          await terminate(p.child);
          continue;
        }
        instance.measurement = reported;
        instance.rootPem = String(p.ready.rootPem);
        if (instance === instances[0]) {
          service.measurement = reported;
          service.rootPem = instance.rootPem;
        }
        writeRoots();
        adopt(p);
        return;
      }
    },
    waitForRestart: (name, count, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        if (service.restarts(name) >= count && processes.has(name)) return resolve();
        const timer = setTimeout(() => reject(new Error(`${name} was not restarted ${count} time(s) within ${timeoutMs} ms:\n${logs.get(name) ?? ""}`)), timeoutMs);
        restartWaiters.push({ name, count, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    stopAll: async () => {
      stopping = true;
      for (const t of pendingRestarts.values()) clearTimeout(t);
      pendingRestarts.clear();
      // Hosts first (no new requests), then the enclaves, then the key holders.
      for (const i of instances) await service.stop(i.host);
      for (const i of instances) await service.stop(i.enclave);
      for (const name of ["key-holder-1", "key-holder-2", "key-holder-3"]) await service.stop(name);
    },
  };

  /** Records a started process and puts it under supervision. */
  function adopt(p: ServiceProcess): void {
    processes.set(p.name, p);
    const startedAt = Date.now();
    p.child.once("exit", (code, signal) => {
      // Asked to stop (stop() took it out of the map first), or replaced: nothing to do.
      if (processes.get(p.name)?.child !== p.child) return;
      processes.delete(p.name);
      if (!supervise || stopping) return;
      const ranMs = Date.now() - startedAt;
      const delay = ranMs > 30_000 ? 250 : Math.min(10_000, (backoff.get(p.name) ?? 125) * 2);
      backoff.set(p.name, delay);
      note(p.name, `[launcher] ${p.name} exited (${code ?? signal}) after ${ranMs} ms; restarting in ${delay} ms\n`);
      scheduleRestart(p.name, delay);
    });
  }

  function scheduleRestart(name: string, delay: number): void {
    const timer = setTimeout(() => {
      pendingRestarts.delete(name);
      if (stopping || processes.has(name)) return;
      service.start(name).then(
        () => {
          restartCounts.set(name, (restartCounts.get(name) ?? 0) + 1);
          note(name, `[launcher] ${name} restarted\n`);
          for (const w of restartWaiters.splice(0)) {
            if (w.name === name && service.restarts(name) >= w.count) w.resolve();
            else restartWaiters.push(w);
          }
        },
        (err: Error) => {
          const next = Math.min(10_000, (backoff.get(name) ?? 125) * 2);
          backoff.set(name, next);
          note(name, `[launcher] restarting ${name} failed (${err.message.split("\n")[0]}); again in ${next} ms\n`);
          if (!stopping) scheduleRestart(name, next);
        },
      );
    }, delay);
    timer.unref();
    pendingRestarts.set(name, timer);
  }

  function note(name: string, text: string): void {
    logs.set(name, (logs.get(name) ?? "") + text);
    appendFileSync(path.join(dataDir, "logs", `${name}.log`), text);
    if (options.echo) process.stdout.write(text);
  }

  function launch(name: string, entry: string, args: string[]): Promise<ServiceProcess> {
    // ARBOR_CPU_PROF_DIR: every child writes a V8 CPU profile there when it exits (how the
    // README's profile of the service was taken).
    const prof = process.env.ARBOR_CPU_PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.ARBOR_CPU_PROF_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
    const child = spawn(process.execPath, [...prof, "-r", TS_NODE, path.join(__dirname, entry), ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      env: { ...process.env, TS_NODE_PROJECT: path.join(REPO_ROOT, "tsconfig.json"), TS_NODE_TRANSPILE_ONLY: "true" },
    });
    const logFile = path.join(dataDir, "logs", `${name}.log`);
    const record = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      logs.set(name, (logs.get(name) ?? "") + text);
      appendFileSync(logFile, text);
      if (options.echo) for (const line of text.split("\n")) if (line.trim()) process.stdout.write(`[${name}] ${line}\n`);
    };
    child.stderr?.on("data", record);
    return new Promise<ServiceProcess>((resolve, reject) => {
      let buffered = "";
      let ready = false;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${logs.get(name) ?? ""}`));
      }, READY_TIMEOUT_MS);
      child.stdout?.on("data", (chunk: Buffer) => {
        record(chunk);
        if (ready) return;
        buffered += chunk.toString("utf8");
        for (const line of buffered.split("\n")) {
          if (!line.startsWith("{")) continue;
          try {
            const msg = JSON.parse(line) as Record<string, unknown>;
            if (msg.ready === true) {
              ready = true;
              clearTimeout(timer);
              resolve({ name, child, ready: msg });
              return;
            }
          } catch {
            // a partial line: wait for the rest
          }
        }
      });
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${logs.get(name) ?? ""}`));
      });
    });
  }

  try {
    const allow = ["--allow-file", allowFile];
    const holders = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const name = `key-holder-${i}`;
        const p = await launch(name, "key-holder/main.ts", [
          "--holder", String(i), "--data-dir", path.join(dataDir, name), "--roots-file", rootsFile, ...allow,
        ]);
        adopt(p);
        // Restarts reuse the port: the host has the URL in its configuration.
        specs.set(name, { entry: "key-holder/main.ts", args: [
          "--holder", String(i), "--data-dir", path.join(dataDir, name), "--roots-file", rootsFile, ...allow,
          "--port", new URL(String(p.ready.url)).port,
        ] });
        return p.ready;
      }),
    );

    const ecosystems = options.ecosystems ?? DEFAULT_ECOSYSTEMS;
    const smtp = options.enclave?.smtp ?? (options.smtpUrl ? smtpConfigFromUrl(options.smtpUrl, options.mailFrom) : undefined);
    // The allow list names every configured issuer and the SMTP server; it is measured with the rest.
    const egressAllow = new Set(options.enclave?.egress?.allow ?? []);
    for (const eco of Object.values(ecosystems)) {
      for (const p of eco.oidc ?? []) {
        const u = new URL(p.issuer);
        egressAllow.add(`${u.hostname}:${u.port === "" ? 443 : u.port}`);
      }
    }
    if (smtp) egressAllow.add(`${smtp.host}:${smtp.port}`);
    const caPem = options.caPem ?? options.enclave?.egress?.caPem;
    for (let k = 1; k <= instanceCount; k++) {
      const suffix = k === 1 ? "" : `-${k}`;
      const instance: ServiceInstance = { url: "", rootPem: "", measurement: "", enclave: `enclave${suffix}`, host: `host${suffix}` };
      instances.push(instance);
      // Unix socket paths are limited to ~107 bytes; a deep data dir falls back to the temp dir.
      let socketPath = path.join(dataDir, `enclave${suffix}.sock`);
      if (socketPath.length > 100) socketPath = path.join(os.tmpdir(), `arbor-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}${suffix}.sock`);
      // Every pair runs the same measured configuration; only the socket (not measured) differs.
      enclaveConfig = {
        ...options.enclave,
        socketPath,
        ecosystems,
        egress: { allow: [...egressAllow].sort(), ...(caPem ? { caPem } : {}) },
        ...(smtp ? { smtp } : {}),
        keyHolders: holders.map((h) => ({ holder: Number(h.holder), publicKey: String(h.publicKey) })),
        adminTokenSha256: createHash("sha256").update(adminToken).digest("hex"),
      };
      // The enclave configuration holds OIDC client secrets: owner-only.
      const configFile = path.join(dataDir, `enclave-config${suffix}.json`);
      writeFileSync(configFile, JSON.stringify(enclaveConfig, null, 2), { mode: 0o600 });
      specs.set(instance.enclave, { entry: "enclave/main.ts", args: ["--config", configFile] });
      await service.start(instance.enclave);

      const hostArgs = [
        "--enclave-socket", socketPath,
        "--outbox", outboxFile,
        ...holders.flatMap((h) => ["--key-holder", String(h.url)]),
      ];
      if (databaseUrl) hostArgs.push("--database-url", databaseUrl);
      else hostArgs.push("--pglite-dir", path.join(dataDir, "db"));
      if (options.databaseSchema) hostArgs.push("--database-schema", options.databaseSchema);
      const host = await launch(instance.host, "host/main.ts", [...hostArgs, "--port", String(k === 1 ? (options.port ?? 0) : 0)]);
      adopt(host);
      instance.url = String(host.ready.url);
      specs.set(instance.host, { entry: "host/main.ts", args: [...hostArgs, "--port", new URL(instance.url).port] });
    }
    service.url = instances[0].url;
    return service;
  } catch (err) {
    await service.stopAll();
    throw err;
  }
}

/**
 * An SMTP URL as the enclave's SMTP configuration: `smtps://[user:pass@]host[:465]` is implicit TLS,
 * `smtp://[user:pass@]host[:587]` is STARTTLS, required.
 *
 * @example
 * smtpConfigFromUrl("smtps://mail.example:465") // { host: "mail.example", port: 465, security: "tls", ... }
 */
export function smtpConfigFromUrl(url: string, from = "Arbor <no-reply@arbor.local>"): SmtpConfig {
  const u = new URL(url);
  if (u.protocol !== "smtps:" && u.protocol !== "smtp:") throw new RangeError(`${url} is not an smtp:// or smtps:// URL`);
  const security = u.protocol === "smtps:" ? "tls" : "starttls";
  return {
    host: u.hostname,
    port: u.port === "" ? (security === "tls" ? 465 : 587) : Number(u.port),
    security,
    from,
    ...(u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : {}),
  };
}

function terminate(child: ChildProcess, signal?: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal ?? "SIGTERM");
  });
}
