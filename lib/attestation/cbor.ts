// The one cbor-x configuration used by lib/attestation (internal).
//
// Nitro documents are deterministic CBOR with maps whose keys are integers (the COSE header, the
// PCRs) or text (the payload), so maps stay JS Maps, byte strings stay plain byte strings (no
// tag 64), maps get no tag 259, and records (cbor-x's own extension) are off. With these options
// cbor-x re-encodes every real Nitro document in ../shared/vectors byte for byte, which lets the
// decoder insist on that round trip (see decode-attestation-document.ts).
import { Decoder, Encoder } from "cbor-x";

const options = {
  mapsAsObjects: false,
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
  copyBuffers: true,
};

export const cborDecoder = new Decoder(options);
export const cborEncoder = new Encoder(options);

/** CBOR encoding of `value` as a fresh Uint8Array. */
export function encodeCbor(value: unknown): Uint8Array {
  return new Uint8Array(cborEncoder.encode(value));
}
