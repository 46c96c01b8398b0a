import { expect } from "chai";
import { AttestationError, verifyAttestationDocument, type AttestationErrorCode, type VerifyAttestationOptions } from "../../lib/attestation";

/** Runs the verifier and asserts it throws an AttestationError with `code`; returns the error. */
export function expectFailure(bytes: Uint8Array, options: VerifyAttestationOptions, code: AttestationErrorCode): AttestationError {
  let caught: unknown;
  try {
    verifyAttestationDocument(bytes, options);
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected ${code}`).to.be.instanceOf(AttestationError);
  const error = caught as AttestationError;
  expect(error.name).to.equal("AttestationError");
  expect(error.code, error.message).to.equal(code);
  return error;
}
