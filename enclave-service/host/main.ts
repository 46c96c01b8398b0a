/**
 * The host process: `node -r ts-node/register/transpile-only enclave-service/host/main.ts --enclave-socket <path> ...`.
 * DATABASE_URL (or --database-url) selects PostgreSQL; otherwise PGlite in --pglite-dir.
 * Prints one JSON line `{"ready":true,"url":...}` when it listens.
 */
import { parseArgs } from "node:util";
import { startHost } from "./host-server";

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      listen: { type: "string", default: "127.0.0.1" },
      "enclave-socket": { type: "string" },
      "database-url": { type: "string" },
      "database-schema": { type: "string" },
      "pglite-dir": { type: "string" },
      outbox: { type: "string" },
      "sms-sender": { type: "string" },
      "key-holder": { type: "string", multiple: true },
      "max-body-bytes": { type: "string" },
    },
  });
  if (!values["enclave-socket"] || !values.outbox || (values["key-holder"] ?? []).length !== 3) {
    throw new Error("usage: host/main.ts --enclave-socket <path> --outbox <file> --key-holder <url> x3 [--pglite-dir <dir> | --database-url <url>]");
  }
  const databaseUrl = values["database-url"] ?? process.env.DATABASE_URL;
  const host = await startHost({
    port: Number(values.port),
    listen: values.listen,
    enclaveSocket: values["enclave-socket"],
    database: { databaseUrl, databaseSchema: values["database-schema"], pgliteDir: values["pglite-dir"] },
    outboxFile: values.outbox,
    smsSender: values["sms-sender"],
    keyHolderUrls: values["key-holder"] ?? [],
    maxBodyBytes: values["max-body-bytes"] ? Number(values["max-body-bytes"]) : undefined,
  });
  const stop = () => void host.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  process.stdout.write(JSON.stringify({ ready: true, role: "host", url: host.url, database: host.db.kind }) + "\n");
}

run().catch((err: Error) => {
  process.stderr.write(`host: ${err.name}: ${err.message}\n`);
  process.exit(1);
});
