/**
 * A key holder process: `node -r ts-node/register/transpile-only enclave-service/key-holder/main.ts --holder 1 --data-dir <dir> --roots-file <pem> --allow <pcr0>`.
 * Prints one JSON line `{"ready":true,"url":...,"publicKey":...}` when it listens.
 */
import { parseArgs } from "node:util";
import { startKeyHolder } from "./key-holder-server";

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      holder: { type: "string" },
      "data-dir": { type: "string" },
      port: { type: "string", default: "0" },
      "roots-file": { type: "string" },
      allow: { type: "string", multiple: true },
      "allow-file": { type: "string" },
      production: { type: "boolean", default: false },
      "max-document-age-ms": { type: "string" },
    },
  });
  if (!values.holder || !values["data-dir"] || !values["roots-file"] || ((values.allow ?? []).length === 0 && !values["allow-file"])) {
    throw new Error("usage: key-holder/main.ts --holder <1|2|3> --data-dir <dir> --roots-file <pem file> (--allow <pcr0 hex> ... | --allow-file <file>)");
  }
  const kh = await startKeyHolder({
    holder: Number(values.holder),
    dataDir: values["data-dir"],
    port: Number(values.port),
    rootsFile: values["roots-file"],
    allowedMeasurements: values.allow,
    allowedMeasurementsFile: values["allow-file"],
    production: values.production,
    maxDocumentAgeMs: values["max-document-age-ms"] ? Number(values["max-document-age-ms"]) : undefined,
  });
  const stop = () => void kh.close().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("disconnect", stop);
  process.stdout.write(
    JSON.stringify({ ready: true, role: "key-holder", holder: Number(values.holder), url: kh.url, publicKey: Buffer.from(kh.publicKey).toString("base64") }) + "\n",
  );
}

run().catch((err: Error) => {
  process.stderr.write(`key holder: ${err.name}: ${err.message}\n`);
  process.exit(1);
});
