import { CompilerSettingsMismatchError } from "./errors";

/**
 * The compiler and settings every deployed singleton must be built with. A singleton's address is a
 * hash of its init code, and the init code is a function of exactly these, so they are pinned here
 * and checked against each artifact's build info before anything is predicted or deployed.
 * hardhat.config.ts carries the same values; test/deploy/compiler-pin.test.ts keeps the two in step.
 *
 * - solc 0.8.28, the build shipped in the `solc` npm package (pinned exactly in package.json).
 * - evmVersion cancun: see deploy/README.md for why, and what to do on a chain without it.
 * - optimizer on, 1,000,000 runs: singletons are deployed once and called forever.
 * - no metadata hash and no CBOR trailer: a comment or a file path change must never move an address.
 *
 * @example
 * assertPinnedCompiler("contracts/factory/ArborFactory.sol:ArborFactory", compiled.compiler);
 */
export const COMPILER_PIN = {
  version: "0.8.28",
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 1_000_000 },
    viaIR: false,
    metadata: { bytecodeHash: "none", appendCBOR: false },
  },
} as const;

/** The settings an artifact was built with, as found in its standard-JSON input. */
export interface CompilerUsed {
  /** Short version, e.g. "0.8.28" (a long version such as "0.8.28+commit.7893614a" is accepted). */
  version: string;
  settings: {
    evmVersion?: string;
    optimizer?: { enabled?: boolean; runs?: number; details?: unknown };
    viaIR?: boolean;
    metadata?: { bytecodeHash?: string; appendCBOR?: boolean; useLiteralContent?: boolean };
    libraries?: Record<string, unknown>;
    [other: string]: unknown;
  };
}

/**
 * Throws CompilerSettingsMismatchError naming the first setting that differs from COMPILER_PIN.
 * Settings that do not change bytecode (output selection, remappings of identical files) are ignored.
 *
 * @example
 * assertPinnedCompiler("contracts/wallet/ArborWallet.sol:ArborWallet", { version: "0.8.28", settings });
 */
export function assertPinnedCompiler(artifact: string, used: CompilerUsed): void {
  const pin = COMPILER_PIN.settings;
  const s = used.settings;
  const shortVersion = used.version.split("+")[0];
  const checks: Array<[string, unknown, unknown]> = [
    ["solc version", COMPILER_PIN.version, shortVersion],
    ["evmVersion", pin.evmVersion, s.evmVersion ?? "(compiler default)"],
    ["optimizer.enabled", pin.optimizer.enabled, s.optimizer?.enabled ?? false],
    ["optimizer.runs", pin.optimizer.runs, s.optimizer?.runs ?? 200],
    ["optimizer.details", undefined, s.optimizer?.details],
    ["viaIR", pin.viaIR, s.viaIR ?? false],
    ["metadata.bytecodeHash", pin.metadata.bytecodeHash, s.metadata?.bytecodeHash ?? "ipfs"],
    ["metadata.appendCBOR", pin.metadata.appendCBOR, s.metadata?.appendCBOR ?? true],
    ["libraries", "{}", JSON.stringify(s.libraries ?? {})],
  ];
  for (const [setting, expected, actual] of checks) {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      throw new CompilerSettingsMismatchError(artifact, setting, String(JSON.stringify(expected)), String(JSON.stringify(actual)));
    }
  }
}
