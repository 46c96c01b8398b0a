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
}

/** One running child process. */
export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  ready: Record<string, unknown>;
}

/** A running identity service: three key holders, the enclave, the host. */
export interface RunningIdentityService {
  url: string;
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
  const dataDir = path.resolve(options.dataDir ?? path.join(process.cwd(), ".arbor"));
  mkdirSync(path.join(dataDir, "logs"), { recursive: true, mode: 0o700 });
  const rootsFile = path.join(dataDir, "attestation-root.pem");
  const outboxFile = path.join(dataDir, "outbox.jsonl");
  // Unix socket paths are limited to ~107 bytes; a deep data dir falls back to the temp dir.
  let socketPath = path.join(dataDir, "enclave.sock");
  if (socketPath.length > 100) socketPath = path.join(os.tmpdir(), `arbor-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}.sock`);
  const adminToken = randomBytes(32).toString("hex");
  writeFileSync(path.join(dataDir, "admin-token"), adminToken + "\n", { mode: 0o600 });

  const processes = new Map<string, ServiceProcess>();
  let enclaveConfig: EnclaveConfig | undefined;
  const specs = new Map<string, { entry: string; args: string[] }>();
  const logs = new Map<string, string>();
  const allowFile = path.join(dataDir, "allowed-measurements");
  if (options.allowedMeasurements) writeFileSync(allowFile, options.allowedMeasurements.join("\n") + "\n");
  const service: RunningIdentityService = {
    url: "",
    rootPem: "",
    measurement: "",
    adminToken,
    outboxFile,
    dataDir,
    processes,
    logs: (name) => logs.get(name) ?? "",
    stop: async (name, signal) => {
      const p = processes.get(name);
      if (!p) return;
      processes.delete(name);
      await terminate(p.child, signal);
    },
    start: async (name) => {
      const spec = specs.get(name);
      if (!spec) throw new Error(`no process named ${name}`);
      if (processes.has(name)) throw new Error(`${name} is already running`);
      if (name !== "enclave") {
        processes.set(name, await launch(name, spec.entry, spec.args));
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
        processes.set(name, p);
        service.measurement = reported;
        service.rootPem = String(p.ready.rootPem);
        writeFileSync(rootsFile, service.rootPem);
        return;
      }
    },
    stopAll: async () => {
      // Host first (no new requests), then the enclave, then the key holders.
      for (const name of ["host", "enclave", "key-holder-1", "key-holder-2", "key-holder-3"]) await service.stop(name);
    },
  };

  function launch(name: string, entry: string, args: string[]): Promise<ServiceProcess> {
    const child = spawn(process.execPath, ["-r", TS_NODE, path.join(__dirname, entry), ...args], {
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
        processes.set(name, p);
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
    const configFile = path.join(dataDir, "enclave-config.json");
    writeFileSync(configFile, JSON.stringify(enclaveConfig, null, 2), { mode: 0o600 });
    specs.set("enclave", { entry: "enclave/main.ts", args: ["--config", configFile] });
    await service.start("enclave");

    const hostArgs = [
      "--enclave-socket", socketPath,
      "--outbox", outboxFile,
      ...holders.flatMap((h) => ["--key-holder", String(h.url)]),
    ];
    const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL;
    if (databaseUrl) hostArgs.push("--database-url", databaseUrl);
    else hostArgs.push("--pglite-dir", path.join(dataDir, "db"));
    if (options.databaseSchema) hostArgs.push("--database-schema", options.databaseSchema);
    const host = await launch("host", "host/main.ts", [...hostArgs, "--port", String(options.port ?? 0)]);
    processes.set("host", host);
    service.url = String(host.ready.url);
    specs.set("host", { entry: "host/main.ts", args: [...hostArgs, "--port", new URL(service.url).port] });
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
