import fs from "node:fs";
import path from "node:path";
import { ManifestError } from "./errors";

/** One deployed singleton, as recorded for one chain. */
export interface ManifestEntry {
  name: string;
  address: string;
  salt: string;
  initCodeHash: string;
  /** keccak256 of the code found at `address` on this chain (immutables included). */
  codeHash: string;
  /** The transaction that created it, or null when it was already there before this tool looked. */
  transactionHash: string | null;
}

/** What is deployed on one chain: deployments/<chainId>.json. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  chainId: string;
  proxy: { address: string; codeHash: string; transactionHash: string | null };
  contracts: ManifestEntry[];
}

/** Manifests carry their format so a later layout can be told apart (and migrated) instead of misread. */
export const MANIFEST_FORMAT = "arbor-deployments-v1";

/**
 * The manifest file for a chain inside a directory.
 *
 * @example
 * manifestPath("deployments", 31337n); // "deployments/31337.json"
 */
export function manifestPath(dir: string, chainId: bigint): string {
  return path.join(dir, `${chainId}.json`);
}

/**
 * Reads a chain's manifest; undefined when there is none yet. Throws ManifestError when the file
 * exists but is not a manifest, or is a manifest of another chain.
 *
 * @example
 * const manifest = readManifest("deployments", 31337n);
 */
export function readManifest(dir: string, chainId: bigint): Manifest | undefined {
  const file = manifestPath(dir, chainId);
  if (!fs.existsSync(file)) return undefined;
  let parsed: Manifest;
  try {
    parsed = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  } catch (e) {
    throw new ManifestError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (parsed?.format !== MANIFEST_FORMAT) throw new ManifestError(file, `unknown format ${JSON.stringify(parsed?.format)}, expected ${MANIFEST_FORMAT}`);
  if (parsed.chainId !== chainId.toString()) throw new ManifestError(file, `records chain ${parsed.chainId}, not chain ${chainId}`);
  if (!Array.isArray(parsed.contracts) || !parsed.proxy) throw new ManifestError(file, "missing proxy or contracts");
  return parsed;
}

/**
 * Writes a chain's manifest atomically (write a temporary file, then rename), so an interrupted run
 * never leaves half a manifest behind.
 *
 * @example
 * writeManifest("deployments", manifest);
 */
export function writeManifest(dir: string, manifest: Manifest): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = manifestPath(dir, BigInt(manifest.chainId));
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  fs.renameSync(tmp, file);
  return file;
}

/**
 * Records entries in a manifest, replacing entries of the same name and keeping the others (a
 * singleton dropped from the list stays on record: it is still on the chain). An entry found already
 * deployed (no transaction hash) keeps the transaction hash recorded earlier for the same code.
 *
 * @example
 * const next = recordEntries(previous, chainId, proxy, [entry]);
 */
export function recordEntries(
  previous: Manifest | undefined,
  chainId: bigint,
  proxy: Manifest["proxy"],
  entries: ManifestEntry[],
): Manifest {
  const contracts = [...(previous?.contracts ?? [])];
  for (const entry of entries) {
    const index = contracts.findIndex((c) => c.name === entry.name);
    const old = index >= 0 ? contracts[index] : undefined;
    const sameCode = old && old.address === entry.address && old.initCodeHash === entry.initCodeHash;
    const merged = { ...entry, transactionHash: entry.transactionHash ?? (sameCode ? old.transactionHash : null) };
    if (index >= 0) contracts[index] = merged;
    else contracts.push(merged);
  }
  const keepProxyTx = previous?.proxy.address === proxy.address ? previous.proxy.transactionHash : null;
  return {
    format: MANIFEST_FORMAT,
    chainId: chainId.toString(),
    proxy: { ...proxy, transactionHash: proxy.transactionHash ?? keepProxyTx },
    contracts,
  };
}
