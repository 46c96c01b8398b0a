import path from "node:path";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import type { KeyObject } from "node:crypto";
import { generateX25519KeyPair, rawX25519PrivateKey, rawX25519PublicKey, x25519PrivateKeyFromRaw } from "../custody/x25519-box";
import { createPublicKey } from "node:crypto";

/** A key holder's master key: an X25519 key pair whose private half never leaves its data dir. */
export interface MasterKey {
  holder: number;
  privateKey: KeyObject;
  publicKey: Uint8Array;
}

/**
 * Loads the holder's master key from `<dataDir>/master-key.json`, creating it (mode 0600) on first
 * start. A file made for another holder number is refused: mixing them up would make every share
 * unopenable.
 *
 * @example
 * const master = loadOrCreateMasterKey("./.arbor/holder-1", 1);
 */
export function loadOrCreateMasterKey(dataDir: string, holder: number): MasterKey {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, "master-key.json");
  if (!existsSync(file)) {
    const { privateKey } = generateX25519KeyPair();
    const content = JSON.stringify({
      version: "arbor.keyholder.master.v1",
      holder,
      privateKey: Buffer.from(rawX25519PrivateKey(privateKey)).toString("base64"),
    });
    // Write then rename: a crash mid-write must never leave a truncated master key behind.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, content, { mode: 0o600 });
    renameSync(tmp, file);
  }
  chmodSync(file, 0o600);
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { version: string; holder: number; privateKey: string };
  if (parsed.version !== "arbor.keyholder.master.v1") throw new Error(`${file}: unknown master key version ${parsed.version}`);
  if (parsed.holder !== holder) throw new Error(`${file} belongs to key holder ${parsed.holder}, not ${holder}`);
  const privateKey = x25519PrivateKeyFromRaw(new Uint8Array(Buffer.from(parsed.privateKey, "base64")));
  return { holder, privateKey, publicKey: rawX25519PublicKey(createPublicKey(privateKey)) };
}

/** Reads only the public half (what the launcher pins into the enclave's configuration). */
export function readMasterPublicKey(dataDir: string, holder: number): Uint8Array {
  return loadOrCreateMasterKey(dataDir, holder).publicKey;
}
