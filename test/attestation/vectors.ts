// Loads the real AWS Nitro attestation documents from ../shared/vectors/nitro (beside the checkout).
// They are read in place, never copied into the repository.
import fs from "node:fs";
import path from "node:path";
import { parseAttestationInput } from "../../lib/attestation";

export const repoRoot = path.resolve(__dirname, "..", "..");
/** ARBOR_NITRO_VECTORS overrides the folder (pointing it at a missing one shows the skips). */
export const nitroDir = process.env.ARBOR_NITRO_VECTORS ?? path.join(repoRoot, "..", "shared", "vectors", "nitro");

/** The cross-check file written beside each vector (fields as the vector's README describes them). */
export interface DecodedJson {
  file: string;
  cose_bytes: number;
  cose_sha256: string;
  protected_hex: string;
  sig_len: number;
  module_id: string;
  digest: string;
  timestamp_ms: number;
  pcrs: Record<string, string>;
  user_data: string | null;
  nonce: string | null;
  public_key: string | null;
  chain: { idx: string; subject: string; validFrom: string; validTo: string; sha256: string }[];
  chain_valid_window: { notBefore: string; notAfter: string };
  root_sha256: string;
}

export interface NitroVector {
  /** File name of the document in nitroDir. */
  name: string;
  /** Raw CBOR bytes, whatever the file's encoding. */
  bytes: Uint8Array;
  /** The file as stored (base64 text, hex text or raw CBOR). */
  stored: Buffer;
  decoded: DecodedJson;
  notBefore: Date;
  notAfter: Date;
  /** The middle of the window in which every certificate of the chain is valid. */
  inside: Date;
}

const DOCUMENTS = [
  "sequence_tee_verifier_doc.b64",
  "evervault_ga_attestation_doc.b64",
  "evervault_beta_nondebug_doc_from_cert_san.hex",
  "evervault_beta_attestation_doc.bin",
  "evervault_beta_debug_mode_attestation_doc.bin",
  "base_nitro_validator_attestation.hex",
];

let cache: NitroVector[] | undefined;

export function vectorsAvailable(): boolean {
  return fs.existsSync(nitroDir);
}

/**
 * Every real vector, or a skipped test when ../shared/vectors is missing: a test that needs them
 * must never pass silently without them.
 */
export function nitroVectors(ctx: Mocha.Context): NitroVector[] {
  if (!vectorsAvailable()) {
    const message = `skipped: real Nitro vectors not found at ${nitroDir}`;
    if (ctx.test) ctx.test.title += ` (${message})`;
    console.warn(`      ${message}`);
    ctx.skip();
  }
  cache ??= DOCUMENTS.map((name) => {
    const stored = fs.readFileSync(path.join(nitroDir, name));
    const decoded = JSON.parse(fs.readFileSync(path.join(nitroDir, name.replace(/\.(b64|hex|bin)$/, ".decoded.json")), "utf8")) as DecodedJson;
    const notBefore = new Date(decoded.chain_valid_window.notBefore);
    const notAfter = new Date(decoded.chain_valid_window.notAfter);
    return {
      name,
      stored,
      bytes: parseAttestationInput(stored),
      decoded,
      notBefore,
      notAfter,
      inside: new Date((notBefore.getTime() + notAfter.getTime()) / 2),
    };
  });
  return cache;
}

export function nitroVector(ctx: Mocha.Context, prefix: string): NitroVector {
  const found = nitroVectors(ctx).find((v) => v.name.startsWith(prefix));
  if (!found) throw new Error(`no vector named ${prefix}*`);
  return found;
}

/** Reads a file of nitroDir (the caller has already checked the vectors are there). */
export function readNitroFile(name: string): Buffer {
  return fs.readFileSync(path.join(nitroDir, name));
}

/** A copy of `bytes` with bit `bit` (0 = most significant) of byte `offset` flipped. */
export function flipBit(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset] ^= 0x80 >> bit;
  return copy;
}

/** Offset of `part` inside `whole` (the first occurrence); throws when absent. */
export function offsetOf(whole: Uint8Array, part: Uint8Array): number {
  const index = Buffer.from(whole).indexOf(Buffer.from(part));
  if (index < 0) throw new Error("part not found in document");
  return index;
}
