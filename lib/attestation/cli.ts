// `npx arbor attestation verify ...`: verify an attestation document from a file or the command line.
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { AttestationError } from "./errors";
import { AWS_NITRO_ROOT_PEM } from "./aws-nitro-root";
import { ATTESTATION_CHECKS } from "./checks";
import { parseAttestationInput } from "./parse-attestation-input";
import { verifyAttestationDocument, type VerifiedAttestationDocument } from "./verify-attestation-document";
import { parseHex, toHex } from "./bytes";

const USAGE = `usage: arbor attestation verify <file|base64|hex|-> [options]

Verifies an AWS Nitro Enclaves attestation document (COSE_Sign1, ES384): COSE signature,
certificate chain to a pinned root, validity at --at, PCRs, nonce, user data. Prints each check
and exits 0 when all pass, 1 naming the first check that failed, 2 on a usage error.

  <file|base64|hex|->      a file (raw CBOR, hex or base64), the document itself as hex or
                           base64, or - for standard input
  --root <pem file>        pin the root(s) in this PEM file instead of the AWS Nitro root
                           (repeatable; every certificate in the file is pinned)
  --pcr0 <hex>             expected PCR0 (96 hex digits)
  --pcr <index>=<hex>      expected PCR at any index (repeatable)
  --nonce <value>          expected nonce: hex (0x optional) or text; force with hex: or utf8:
  --user-data <hex>        expected user_data
  --at <time>              verification time: ISO 8601 or unix seconds (default: now)
  --production             only the AWS root is acceptable, debug-mode enclaves are refused
  --json                   print one JSON object instead of text
`;

class UsageError extends Error {
  override readonly name = "UsageError" as const;
}

function parseTime(value: string): Date {
  const date = /^\d+$/.test(value) ? new Date(Number(value) * 1000) : new Date(value);
  if (Number.isNaN(date.getTime()) || !/^\d+$|^\d{4}-\d{2}-\d{2}/.test(value)) throw new UsageError(`--at: ${JSON.stringify(value)} is neither ISO 8601 nor unix seconds`);
  return date;
}

function parseNonce(value: string): Uint8Array {
  if (value.startsWith("utf8:")) return new Uint8Array(Buffer.from(value.slice(5), "utf8"));
  if (value.startsWith("hex:")) {
    const bytes = parseHex(value.slice(4));
    if (bytes === undefined) throw new UsageError("--nonce: hex: must be followed by hex digits");
    return bytes;
  }
  return parseHex(value) ?? new Uint8Array(Buffer.from(value, "utf8"));
}

function parseExpectedHex(value: string, option: string): string {
  const bytes = parseHex(value);
  if (bytes === undefined || bytes.byteLength !== 48) throw new UsageError(`${option}: must be 48 bytes of hex (96 digits)`);
  return toHex(bytes);
}

function readInput(source: string): { bytes: Uint8Array; from: string } {
  if (source === "-") return { bytes: parseAttestationInput(readFileSync(0)), from: "standard input" };
  let isFile = false;
  try {
    isFile = statSync(source).isFile();
  } catch {
    isFile = false;
  }
  if (isFile) return { bytes: parseAttestationInput(readFileSync(source)), from: source };
  // A document given inline is thousands of hex or base64 characters; a short argument with a path
  // separator or a file extension is a file name, and a missing file is reported as missing rather
  // than decoded as a (malformed) document.
  if (source.length < 512 && (/[\\/]/.test(source) || /\.[A-Za-z0-9]{1,8}$/.test(source))) {
    throw new UsageError(`${source}: file not found`);
  }
  return { bytes: parseAttestationInput(source), from: "command line" };
}

function describeDocument(doc: VerifiedAttestationDocument): Record<string, unknown> {
  return {
    moduleId: doc.moduleId,
    timestamp: new Date(doc.timestamp).toISOString(),
    digest: doc.digest,
    pcrs: Object.fromEntries([...doc.pcrs].map(([i, v]) => [i, toHex(v)])),
    publicKey: doc.publicKey === null ? null : toHex(doc.publicKey),
    userData: doc.userData === null ? null : toHex(doc.userData),
    nonce: doc.nonce === null ? null : toHex(doc.nonce),
    rootSha256: doc.rootSha256,
    chain: doc.chain.map((c) => ({ ...c, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString() })),
    verifiedAt: doc.verifiedAt.toISOString(),
  };
}

function verifyCommand(args: string[]): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      root: { type: "string", multiple: true },
      pcr0: { type: "string" },
      pcr: { type: "string", multiple: true },
      nonce: { type: "string" },
      "user-data": { type: "string" },
      at: { type: "string" },
      production: { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("give exactly one attestation document");
  const expectedPcrs: Record<number, string> = {};
  for (const entry of values.pcr ?? []) {
    const match = /^(\d{1,2})=(.*)$/.exec(entry);
    if (!match || Number(match[1]) > 31) throw new UsageError(`--pcr: ${JSON.stringify(entry)} is not <index 0..31>=<hex>`);
    expectedPcrs[Number(match[1])] = parseExpectedHex(match[2], `--pcr ${match[1]}`);
  }
  if (values.pcr0 !== undefined) expectedPcrs[0] = parseExpectedHex(values.pcr0, "--pcr0");
  let userData: Uint8Array | undefined;
  if (values["user-data"] !== undefined) {
    userData = parseHex(values["user-data"]);
    if (userData === undefined) throw new UsageError("--user-data: must be hex");
  }
  // A roots file may hold several PEM certificates; each one is pinned.
  const roots = (values.root ?? []).flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new UsageError(`--root: cannot read ${file}: ${(cause as Error).message}`);
    }
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (!pems) throw new UsageError(`--root: ${file} holds no PEM certificate`);
    return pems;
  });
  const options = {
    roots: roots.length > 0 ? roots : [AWS_NITRO_ROOT_PEM],
    at: values.at === undefined ? new Date() : parseTime(values.at),
    expectedPcrs,
    nonce: values.nonce === undefined ? undefined : parseNonce(values.nonce),
    userData,
    production: values.production === true,
  };

  const json = values.json === true;
  let from = positionals[0];
  try {
    const input = readInput(positionals[0]);
    from = input.from;
    const doc = verifyAttestationDocument(input.bytes, options);
    if (json) {
      process.stdout.write(`${JSON.stringify({ ok: true, source: from, checks: doc.checks, document: describeDocument(doc) }, null, 2)}\n`);
      return 0;
    }
    const lines = [`attestation document from ${from} (${input.bytes.byteLength} bytes)`];
    for (const c of doc.checks) lines.push(`  ${c.result === "passed" ? "pass" : "skip"}  ${c.check.padEnd(9)}  ${c.detail}`);
    lines.push(`module_id  ${doc.moduleId}`, `timestamp  ${new Date(doc.timestamp).toISOString()}`);
    for (const [index, value] of doc.pcrs) if (value.some((b) => b !== 0)) lines.push(`PCR${index}`.padEnd(11) + toHex(value));
    lines.push("verified");
    process.stdout.write(`${lines.join("\n")}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof AttestationError)) throw err;
    if (err.code === "invalid-argument") throw new UsageError(err.message);
    const failedAt = ATTESTATION_CHECKS.findIndex((c) => c.codes.includes(err.code));
    const passed = ATTESTATION_CHECKS.slice(0, Math.max(failedAt, 0));
    const failedCheck = failedAt >= 0 ? ATTESTATION_CHECKS[failedAt].check : "input";
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: false, source: from, code: err.code, check: failedCheck, message: err.message, details: err.details, checksPassed: passed.map((c) => c.check) }, null, 2)}\n`,
      );
    } else {
      const lines = [`attestation document from ${from}`];
      for (const c of passed) lines.push(`  pass  ${c.check.padEnd(9)}  ${c.description}`);
      lines.push(`  FAIL  ${failedCheck.padEnd(9)}  ${err.code}: ${err.message}`);
      process.stdout.write(`${lines.join("\n")}\n`);
      process.stderr.write(`arbor attestation verify: ${err.code}: ${err.message}\n`);
    }
    return 1;
  }
}

/**
 * Entry point of `npx arbor attestation <subcommand>` (argv[0] is "attestation").
 * Exit codes: 0 verified, 1 a check failed (its code is printed), 2 usage error.
 *
 * @example
 * // npx arbor attestation verify doc.b64 --at 2024-11-30T17:00:00Z --pcr0 ec74bf...
 * process.exitCode = await main(["attestation", "verify", "doc.b64", "--at", "2024-11-30T17:00:00Z"]);
 */
export async function main(argv: string[]): Promise<number> {
  const [, subcommand, ...rest] = argv;
  try {
    if (subcommand === undefined || subcommand === "--help" || subcommand === "-h" || subcommand === "help") {
      (subcommand === undefined ? process.stderr : process.stdout).write(USAGE);
      return subcommand === undefined ? 2 : 0;
    }
    if (subcommand !== "verify") throw new UsageError(`unknown subcommand ${JSON.stringify(subcommand)}`);
    return verifyCommand(rest);
  } catch (err) {
    const usage = err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    if (!usage) throw err;
    process.stderr.write(`arbor attestation: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
}
