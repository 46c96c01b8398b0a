/**
 * Why a session attestation could not be encoded, signed or recovered.
 *
 * The `code` is stable and meant for programs; `field` and `value` say which input was wrong.
 *
 * @example
 * try { hashAttestation({ ...a, identityType: "0x1" }) }
 * catch (e) { if (e instanceof AttestationEncodingError) console.log(e.code, e.field) }
 */
export class AttestationEncodingError extends Error {
  override readonly name = "AttestationEncodingError" as const;
  readonly code:
    | "invalid-attestation-field"
    | "invalid-attestation-lifetime"
    | "invalid-private-key"
    | "invalid-attestation-signature";
  readonly field?: string;
  readonly value?: unknown;

  constructor(
    code: AttestationEncodingError["code"],
    message: string,
    details: { field?: string; value?: unknown; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.value = details.value;
  }
}
