/**
 * The `arbor` command (bin/arbor.js loads the compiled form of this file, dist/cli.cjs).
 *
 * Start-up cost is kept to Node's own: this file imports nothing but node built-ins, and each
 * command's module (and so ethers, noble, x509...) is required only when that command runs, so
 * `arbor --version`, `arbor help` and every `--help` load no library code.
 *
 * Nothing is written into the current folder unless asked: `deploy` requires `--out`, and the
 * identity service keeps its data in `--data-dir` (default outside the current folder, see
 * `enclave --help`).
 */
import fs from "node:fs";
import path from "node:path";

/** Where a command's output goes; tests pass their own. */
export interface ArborCliIO {
  out(text: string): void;
  err(text: string): void;
}

interface CommandSpec {
  summary: string;
  /** Full help, printed by `arbor <command> --help` and `arbor help <command>`. */
  help: string;
  /** Runs the command with argv[0] = its name; returns the exit code. */
  run(argv: string[], io: ArborCliIO): Promise<number>;
}

const DEPLOY_HELP = (name: string, about: string, extra: string) => `usage: arbor ${name} ${extra}

${about}

  --rpc        JSON-RPC URLs, comma-separated or repeated; chains are handled in turn
  --out        manifest directory, one <chainId>.json per chain
  --artifacts  Hardhat artifacts directory (default: ./artifacts when it exists, otherwise the
               production artifacts shipped in this package)
  --json       machine-readable output

  The deployer key is read from ARBOR_DEPLOYER_KEY; without it, the first funded unlocked
  account of the node is used (local nodes only). The deployer never influences an address.
`;

/** The artifacts shipped in the package, next to this bundle (dist/artifacts). */
function packagedArtifacts(): string | undefined {
  const dir = path.join(__dirname, "artifacts");
  return fs.existsSync(path.join(dir, "build-info")) ? dir : undefined;
}

async function runDeployCommand(argv: string[], io: ArborCliIO): Promise<number> {
  const [command, ...rest] = argv;
  // `deploy` writes manifests: where to is always the caller's choice, never the current folder by default.
  if (command === "deploy" && !rest.some((a) => a === "--help" || a === "-h") && !rest.some((a) => a === "--out" || a.startsWith("--out="))) {
    io.err("arbor deploy: --out <dir> is required (the manifest directory deploy writes into)\n");
    return 2;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { runCli } = require("../../deploy/cli") as typeof import("../../deploy/cli");
  const shipped = packagedArtifacts();
  const hasArtifactsFlag = rest.some((a) => a === "--artifacts" || a.startsWith("--artifacts="));
  const useShipped = shipped !== undefined && !hasArtifactsFlag && !fs.existsSync(path.resolve("artifacts"));
  return runCli(useShipped ? [command!, ...rest, "--artifacts", shipped] : argv, {
    out: (line) => io.out(`${line}\n`),
    err: (line) => io.err(`${line}\n`),
    env: process.env,
  }, { shippedArtifacts: useShipped });
}

const ENCLAVE_HELP = `usage: arbor enclave <start|rotate|status> [options]

  start   START A LONG-RUNNING SERVICE: three key holders, the enclave and the host, on embedded
          defaults (PGlite in <data-dir>/db, login codes in the dev outbox <data-dir>/outbox.jsonl);
          prints the URL and the LOCAL attestation root to pin, then runs until Ctrl-C.
  rotate  start a new pool generation (admin; the service must be running)
  status  pool generations, keys and records per generation (admin)

  --data-dir <dir>          default: $ARBOR_DATA_DIR, else ~/.arbor/enclave (never the current folder)
  --port <port>             default: 8787
  --url <url>               for rotate and status (default: http://127.0.0.1:<port>)
  --ecosystems <file.json>  OIDC and e-mail ecosystems (default: built-in development set)
  --smtp-url <url>          send login codes over SMTP instead of the dev outbox
  --database-url <url>      PostgreSQL instead of PGlite (default: $DATABASE_URL)

  The identity service runs from a checkout of the Arbor repository (it measures its own
  TypeScript sources into its PCR0); the installed package does not include it.
`;

async function runEnclaveCommand(argv: string[], io: ArborCliIO): Promise<number> {
  const sub = argv[1];
  if (sub === undefined || sub === "help" || sub === "--help" || sub === "-h" || argv.includes("--help") || argv.includes("-h")) {
    // Without a subcommand nothing starts: the help says what each one does.
    (sub === undefined ? io.err : io.out)(ENCLAVE_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (!["start", "rotate", "status"].includes(sub)) {
    io.err(`arbor enclave: ${unknownMessage("subcommand", sub, ["start", "rotate", "status"])}\n\n${ENCLAVE_HELP}`);
    return 2;
  }
  const source = path.join(__dirname, "..", "enclave-service", "cli.ts");
  if (!fs.existsSync(source)) {
    io.err(
      "arbor enclave: the identity service is not part of the installed package; it runs from a checkout " +
        "of the Arbor repository (`npx arbor enclave start` there), because it measures its own sources.\n",
    );
    return 1;
  }
  // In a checkout the service runs from its TypeScript sources: its processes are started the same
  // way (enclave-service/launcher.ts), and its PCR0 is a hash of those sources.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cli = require(source) as { main(argv: string[]): Promise<number> };
  return cli.main(argv);
}

const ATTESTATION_HELP_COMMAND = async (argv: string[]): Promise<number> => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { main } = require("../attestation/cli") as typeof import("../attestation/cli");
  return main(argv);
};

const COMMANDS: Record<string, CommandSpec> = {
  deploy: {
    summary: "deploy every Arbor singleton to one or more chains (writes manifests to --out)",
    help: DEPLOY_HELP("deploy", "Deploys every Arbor singleton, at its CREATE2 address, to each chain in turn.", "--rpc <url>[,<url>...] --out <dir> [--artifacts <dir>] [--json]"),
    run: runDeployCommand,
  },
  verify: {
    summary: "check chains against their deployment manifests",
    help: DEPLOY_HELP("verify", "Checks that each chain holds every singleton, with the expected code.", "--rpc <url>[,<url>...] [--out <dir>] [--artifacts <dir>] [--json]\n\n  --out defaults to ./deployments (read only)"),
    run: runDeployCommand,
  },
  predict: {
    summary: "print every singleton's address, computed off-chain",
    help: DEPLOY_HELP("predict", "Prints every singleton's CREATE2 address; no chain is contacted.", "[--artifacts <dir>] [--json]"),
    run: runDeployCommand,
  },
  attestation: {
    summary: "verify an attestation document (AWS Nitro Enclaves format)",
    help: "usage: arbor attestation verify <file|base64|hex|-> [options]\n\n  `arbor attestation verify --help` lists the options.\n",
    run: ATTESTATION_HELP_COMMAND,
  },
  enclave: {
    summary: "start the identity service (a long-running service; see `arbor enclave --help`)",
    help: ENCLAVE_HELP,
    run: runEnclaveCommand,
  },
};

/** Levenshtein distance, for "did you mean". */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** "unknown command depoly; did you mean deploy?" (the suggestion only when one is close). */
export function unknownMessage(kind: string, given: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(given.toLowerCase(), name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  const close = best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 3));
  return `unknown ${kind} ${given}${close ? `; did you mean ${best}?` : ""}`;
}

function version(): string {
  const manifest = path.join(__dirname, "..", "package.json");
  return (JSON.parse(fs.readFileSync(manifest, "utf8")) as { version: string }).version;
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = ["usage: arbor <command> [options]", "", "commands:"];
  for (const [name, spec] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(width)}  ${spec.summary}`);
  lines.push("", "  arbor help <command>   help for one command (also: arbor <command> --help)", "  arbor --version        the package version", "");
  return lines.join("\n");
}

/**
 * Runs `arbor <argv...>` and returns the exit code: 0 success, 1 the command failed, 2 usage error.
 *
 * @example
 * process.exitCode = await runArbor(["predict", "--json"]);
 */
export async function runArbor(argv: string[], io: ArborCliIO = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-v" || name === "version") {
    io.out(`${version()}\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h") {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      io.out(usage());
      return 0;
    }
    const spec = COMMANDS[topic];
    if (!spec) {
      io.err(`arbor: ${unknownMessage("command", topic, Object.keys(COMMANDS))}\n`);
      return 2;
    }
    io.out(spec.help);
    return 0;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    io.err(`arbor: ${unknownMessage("command", name, Object.keys(COMMANDS))}\n\n${usage()}`);
    return 2;
  }
  if (name !== "attestation" && (rest.includes("--help") || rest.includes("-h"))) {
    io.out(spec.help);
    return 0;
  }
  return spec.run(argv, io);
}

/** bin/arbor.js calls this. */
export function main(): void {
  runArbor(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? `arbor: ${err.name}: ${err.message}` : err);
      process.exit(1);
    },
  );
}
