/**
 * Deterministic inputs shared by the library tests: addresses from fixed private keys and one
 * leaf of every kind.
 */
import { Wallet, keccak256, toUtf8Bytes } from "ethers";
import type { Hex } from "../../lib/hex";
import type { Leaf } from "../../lib/configuration/leaves";

/** Private key number i (1-based), derived from a fixed label so tests never depend on a random seed. */
export function testKey(i: number): Hex {
  return keccak256(toUtf8Bytes(`arbor.test.key.${i}`)) as Hex;
}

/** An ethers Wallet for test key i. */
export function testWallet(i: number): Wallet {
  return new Wallet(testKey(i));
}

/** The checksummed address of test key i. */
export function testAddress(i: number): Hex {
  return testWallet(i).address as Hex;
}

/** A fixed bytes32 derived from a label. */
export function word(label: string): Hex {
  return keccak256(toUtf8Bytes(label)) as Hex;
}

/** One leaf of every kind, with distinct values. */
export function oneOfEachKind(): Leaf[] {
  return [
    { kind: "ecdsa-signer", signer: testAddress(1), weight: 2n },
    { kind: "erc1271-signer", signer: testAddress(2), weight: 1n },
    { kind: "passkey-signer", x: word("x"), y: word("y"), requireUserVerification: true, weight: 1n },
    {
      kind: "session-permissions",
      sessionSigner: testAddress(3),
      chainId: 31337n,
      valueLimit: 10n ** 18n,
      deadline: 1_900_000_000n,
      permissionsHash: word("permissions"),
    },
    { kind: "identity-signer", signer: testAddress(4) },
    { kind: "recovery-key", signer: testAddress(5), timelock: 86_400n },
    { kind: "guard", guard: testAddress(6), weight: 1n },
    { kind: "preapproved-digest", digest: word("digest") },
  ];
}

/** Asserts that `fn` throws an error with this name, code and (optionally) field; returns it. */
export function expectError<T extends Error>(
  fn: () => unknown,
  name: string,
  code: string,
  field?: string,
): T & { code: string; field?: string; args?: unknown[] } {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  if (!(thrown instanceof Error)) throw new Error(`expected ${name}(${code}) to be thrown, nothing was`);
  const e = thrown as T & { code: string; field?: string; args?: unknown[] };
  if (e.name !== name || e.code !== code || (field !== undefined && e.field !== field)) {
    throw new Error(
      `expected ${name}(${code}${field === undefined ? "" : `, field ${field}`}), got ${e.name}(${e.code}, field ${e.field}): ${e.message}`,
    );
  }
  return e;
}

/** Async variant of {@link expectError}. */
export async function expectRejection(
  promise: Promise<unknown>,
  name: string,
  code: string,
): Promise<Error & { code: string; args?: unknown[] }> {
  try {
    await promise;
  } catch (err) {
    const e = err as Error & { code: string; args?: unknown[] };
    if (e.name !== name || e.code !== code) throw new Error(`expected ${name}(${code}), got ${e.name}(${e.code}): ${e.message}`);
    return e;
  }
  throw new Error(`expected ${name}(${code}) to be thrown, nothing was`);
}
