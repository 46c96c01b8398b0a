import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { CustodyError } from "./custody-error";

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What a record's ciphertext is bound to: moving it anywhere else makes decryption fail. */
export interface RecordContext {
  /** Table the record lives in, e.g. "identity_signers". */
  table: string;
  /** The row's primary key, as text (composite keys joined by the caller). */
  rowKey: string;
  /** The ecosystem (tenant) the row belongs to. */
  scope: string;
  /** The pool key that encrypts it. */
  cipherKeyId: string;
}

/**
 * The associated data of a record: a version tag and the four context fields, each length-prefixed
 * so no two different contexts can produce the same bytes.
 */
export function recordAad(context: RecordContext): Buffer {
  const parts = ["arbor.record.v1", context.table, context.rowKey, context.scope, context.cipherKeyId];
  return Buffer.concat(
    parts.flatMap((p) => {
      const bytes = Buffer.from(p, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32BE(bytes.length);
      return [len, bytes];
    }),
  );
}

/**
 * AES-256-GCM under a pool key: `iv (12) ‖ ciphertext ‖ tag (16)`, fresh random IV each time.
 *
 * @example
 * const sealed = sealRecord(poolKey, secret, { table: "identity_signers", rowKey: id, scope: "eco", cipherKeyId: "g1k0" });
 */
export function sealRecord(key: Uint8Array, plaintext: Uint8Array, context: RecordContext): Uint8Array {
  if (key.length !== 32) throw new RangeError("pool key must be 32 bytes");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(recordAad(context));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()]));
}

/**
 * Decrypts a record sealed by {@link sealRecord} with the same context.
 *
 * @throws CustodyError `record-tampered` when the bytes, the key or any context field differ.
 * @example
 * const secret = openRecord(poolKey, row.ciphertext, context);
 */
export function openRecord(key: Uint8Array, sealed: Uint8Array, context: RecordContext): Uint8Array {
  if (sealed.length < IV_BYTES + TAG_BYTES) {
    throw new CustodyError("record-tampered", `record ciphertext is too short (${sealed.length} bytes)`, {
      table: context.table,
      rowKey: context.rowKey,
    });
  }
  const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, buf.subarray(0, IV_BYTES));
    decipher.setAAD(recordAad(context));
    decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]));
  } catch (cause) {
    throw new CustodyError(
      "record-tampered",
      `record in ${context.table} (${context.rowKey}) failed authentication: moved, altered or under another key`,
      { table: context.table, rowKey: context.rowKey, cipherKeyId: context.cipherKeyId },
      cause,
    );
  }
}
