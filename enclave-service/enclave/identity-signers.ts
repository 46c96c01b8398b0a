import { secp256k1 } from "@noble/curves/secp256k1.js";
import { publicKeyToAddress } from "../../lib/sessions/attestation";
import { ENCRYPTED_COLUMNS, type KeyPool } from "./key-pool";
import type { Queryable } from "./host-link";
import { ServiceError } from "./service-error";

const SIGNERS = ENCRYPTED_COLUMNS[0];

/**
 * The identity's signer address, creating the signer on first login. Exactly once per identity,
 * even when first logins race: the key is generated here in the enclave, sealed, and inserted with
 * ON CONFLICT DO NOTHING against the (ecosystem, identity_id) primary key; a loser of the race
 * throws its key away and reads the winner's row. The address returned for an existing signer is
 * derived from its decrypted key, never read from the `address` column, so a row the host planted
 * fails with `row-forged` instead of handing out the host's address.
 *
 * @example
 * const { address, created } = await getOrCreateSigner(tx, pool, "demo", identity);
 */
export async function getOrCreateSigner(tx: Queryable, pool: KeyPool, ecosystem: string, identity: string): Promise<{ address: string; created: boolean }> {
  const existing = await tx.query("SELECT 1 FROM identity_signers WHERE ecosystem = $1 AND identity_id = $2", [ecosystem, identity]);
  if (existing.rows.length > 0) {
    const { privateKey, address } = await loadSignerKey(tx, pool, ecosystem, identity);
    privateKey.fill(0);
    return { address, created: false };
  }

  const privateKey = secp256k1.utils.randomSecretKey();
  const address = publicKeyToAddress(secp256k1.getPublicKey(privateKey, false));
  const { cipherKeyId, ciphertext } = await pool.seal(tx, { table: SIGNERS.table, rowKey: identity, scope: ecosystem }, privateKey);
  privateKey.fill(0);
  const inserted = await tx.query(
    `INSERT INTO identity_signers (ecosystem, identity_id, address, cipher_key_id, ciphertext, created_at_ms)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ecosystem, identity_id) DO NOTHING RETURNING address`,
    [ecosystem, identity, address, cipherKeyId, ciphertext, Date.now()],
  );
  if (inserted.rows.length > 0) return { address, created: true };
  const winner = await loadSignerKey(tx, pool, ecosystem, identity);
  winner.privateKey.fill(0);
  return { address: winner.address, created: false };
}

/**
 * Decrypts an identity's signer key (re-encrypting it under the active generation when it is
 * older); the address is derived from the key.
 *
 * @throws ServiceError not-authenticated (no signer), CustodyError row-forged / custody-unavailable
 */
export async function loadSignerKey(tx: Queryable, pool: KeyPool, ecosystem: string, identity: string): Promise<{ privateKey: Uint8Array; address: string }> {
  const r = await tx.query(
    `SELECT s.ecosystem, s.identity_id, s.address, s.cipher_key_id, s.ciphertext, g.state AS generation_state
       FROM identity_signers s
       LEFT JOIN cipher_keys k ON k.id = s.cipher_key_id
       LEFT JOIN cipher_generations g ON g.generation = k.generation
      WHERE s.ecosystem = $1 AND s.identity_id = $2`,
    [ecosystem, identity],
  );
  if (r.rows.length === 0) throw new ServiceError("not-authenticated", "this identity has no signer", { ecosystem, identity });
  const row = r.rows[0];
  const context = { table: SIGNERS.table, rowKey: identity, scope: ecosystem, cipherKeyId: String(row.cipher_key_id) };
  let opened;
  try {
    opened = await pool.open(tx, context, row.ciphertext as Uint8Array, row.generation_state ?? undefined);
  } catch (err) {
    throw pool.forged(err, context);
  }
  const { plaintext, stale } = opened;
  const address = publicKeyToAddress(secp256k1.getPublicKey(plaintext, false));
  if (address !== row.address) {
    // The key is authentic (it opened under the pool, bound to this identity): the column is what
    // was changed. Logged; the derived address is the one used.
    pool.link.log({ event: "signer-address-column-mismatch", ecosystem });
  }
  if (stale) await pool.reseal(tx, SIGNERS, row, context.cipherKeyId, plaintext);
  return { privateKey: plaintext, address };
}
