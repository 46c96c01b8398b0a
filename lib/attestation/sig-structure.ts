// COSE Sig_structure for COSE_Sign1 (RFC 9052 section 4.4), internal.
import { encodeCbor } from "./cbor";
import { asBuffer } from "./bytes";

/**
 * The bytes an ES384 COSE_Sign1 signature covers:
 * CBOR ["Signature1", protected, external_aad = h'', payload].
 * `protectedHeader` must be the header bytes exactly as received, never a re-encoding.
 */
export function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encodeCbor(["Signature1", asBuffer(protectedHeader), Buffer.alloc(0), asBuffer(payload)]);
}
