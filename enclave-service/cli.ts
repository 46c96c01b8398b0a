/**
 * `npx arbor enclave <start|rotate|status>`.
 *
 *   start   start the key holders, the enclave and the host on embedded defaults (PGlite in
 *           <data-dir>/db, codes in the dev outbox <data-dir>/outbox.jsonl); prints the URL and the
 *           LOCAL attestation root to pin; runs until Ctrl-C.
 *   rotate  start a new pool generation (admin).
 *   status  pool generations, keys and records per generation (admin).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startIdentityService, DEFAULT_ECOSYSTEMS } from "./launcher";
import type { EcosystemConfig } from "./enclave/enclave-config";

const USAGE = `usage:
  arbor enclave start  [--data-dir ~/.arbor/enclave] [--port 8787] [--ecosystems <file.json>] [--smtp-url smtp://host:port] [--database-url postgres://...]
  arbor enclave rotate [--url http://127.0.0.1:8787] [--data-dir ~/.arbor/enclave]
  arbor enclave status [--url http://127.0.0.1:8787] [--data-dir ~/.arbor/enclave]`;

/**
 * CLI entry (bin/arbor.js calls it with argv[0] = "enclave").
 *
 * @example
 * await main(["enclave", "start", "--port", "8787"]);
 */
export async function main(argv: string[]): Promise<number> {
  const [, sub, ...rest] = argv;
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        // Never the current folder unless asked (--data-dir .): a service started from a project
        // must not drop its database and keys into that project.
        "data-dir": { type: "string", default: process.env.ARBOR_DATA_DIR ?? path.join(os.homedir(), ".arbor", "enclave") },
        port: { type: "string", default: "8787" },
        url: { type: "string" },
        ecosystems: { type: "string" },
        "smtp-url": { type: "string" },
        "database-url": { type: "string" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (sub === undefined) {
    // No subcommand starts nothing: `start` is a long-running service and must be asked for.
    console.error(USAGE);
    return 2;
  }
  if (values.help || sub === "help" || sub === "--help") {
    console.log(USAGE);
    return 0;
  }
  const dataDir = path.resolve(values["data-dir"]);
  if (sub === "start") return start(values, dataDir);
  if (sub === "rotate" || sub === "status") {
    const url = values.url ?? `http://127.0.0.1:${values.port}`;
    let token: string;
    try {
      token = readFileSync(path.join(dataDir, "admin-token"), "utf8").trim();
    } catch {
      console.error(`no admin token in ${dataDir} (start the service with --data-dir ${dataDir} first)`);
      return 1;
    }
    const res = await fetch(`${url}${sub === "rotate" ? "/admin/v1/rotate" : "/admin/v1/custody"}`, {
      method: sub === "rotate" ? "POST" : "GET",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: sub === "rotate" ? "{}" : undefined,
    });
    console.log(JSON.stringify(await res.json(), null, 2));
    return res.ok ? 0 : 1;
  }
  console.error(`unknown subcommand ${sub}\n${USAGE}`);
  return 2;
}

async function start(values: Record<string, string | boolean | undefined>, dataDir: string): Promise<number> {
  let ecosystems: Record<string, EcosystemConfig> = DEFAULT_ECOSYSTEMS;
  if (typeof values.ecosystems === "string") ecosystems = JSON.parse(readFileSync(values.ecosystems, "utf8"));
  console.log("starting the identity service (3 key holders, enclave, host)...");
  const service = await startIdentityService({
    dataDir,
    port: Number(values.port),
    ecosystems,
    smtpUrl: values["smtp-url"] as string | undefined,
    databaseUrl: (values["database-url"] as string | undefined) ?? process.env.DATABASE_URL,
    echo: true,
  });
  console.log(
    [
      "",
      `identity service: ${service.url}   (OpenAPI: ${service.url}/openapi.json)`,
      `enclave measurement (PCR0): ${service.measurement}`,
      `dev outbox (login codes):   ${service.outboxFile}`,
      `admin token:                ${path.join(dataDir, "admin-token")}`,
      "LOCAL attestation root (pin this; it is not AWS's and production refuses it):",
      service.rootPem.trim(),
      "",
      "Ctrl-C stops everything.",
    ].join("\n"),
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  console.log("stopping...");
  await service.stopAll();
  return 0;
}
