import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";

/** The identity types the service authenticates. */
export type IdentityType = "email" | "phone" | "oidc";

/** `keccak256("arbor.identity.v1")`. */
export const IDENTITY_TAG = keccak256(toUtf8Bytes("arbor.identity.v1"));

/**
 * An identity's id: `keccak256(abi.encode(IDENTITY_TAG, keccak256(ecosystem), keccak256(type),
 * keccak256(issuer), keccak256(subject)))`. The subject is the normalised email or phone number for
 * OTP and the ID token's `sub` for OIDC. Scoped per ecosystem: one person in two ecosystems is two
 * identities with two signers.
 *
 * @example
 * identityId("demo", "email", "email", "alice@example.com")
 */
export function identityId(ecosystem: string, type: IdentityType, issuer: string, subject: string): string {
  const h = (s: string) => keccak256(toUtf8Bytes(s));
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(["bytes32", "bytes32", "bytes32", "bytes32", "bytes32"], [IDENTITY_TAG, h(ecosystem), h(type), h(issuer), h(subject)]),
  );
}

/** Lower-cased, trimmed email, or undefined when it does not look like one address. */
export function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const email = value.trim().toLowerCase();
  if (email.length > 254 || !/^[^\s@<>(),;:"\\]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/.test(email)) {
    return undefined;
  }
  return email;
}

/** E.164 phone number ("+" and 7..15 digits, spaces and dashes dropped), or undefined. */
export function normalizePhone(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const phone = value.replace(/[\s-]/g, "");
  return /^\+[1-9][0-9]{6,14}$/.test(phone) ? phone : undefined;
}
