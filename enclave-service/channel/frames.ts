import { Decoder, Encoder } from "cbor-x";
import { ChannelError } from "./channel-error";

/**
 * Frames on the enclave-host channel (the stand-in for the Nitro vsock): a 4-byte big-endian
 * length, then that many bytes of CBOR. One small, fixed format keeps the channel narrow: no HTTP
 * parser, no JSON number ambiguity, raw bytes stay raw bytes.
 */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;

const codec = { useRecords: false, mapsAsObjects: true, tagUint8Array: false } as const;
const encoder = new Encoder(codec);
const decoder = new Decoder(codec);

/** One framed message as bytes. */
export function encodeFrame(message: unknown, maxBytes = DEFAULT_MAX_FRAME_BYTES): Buffer {
  const body = encoder.encode(message);
  if (body.length > maxBytes) {
    throw new ChannelError("frame-too-large", `frame of ${body.length} bytes exceeds ${maxBytes}`, { size: body.length, maxBytes });
  }
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
}

/**
 * Reassembles frames from a byte stream. The length is checked before any body is buffered, so a
 * hostile peer announcing 4 GB costs nothing.
 *
 * @example
 * const reader = new FrameReader();
 * socket.on("data", (chunk) => { for (const msg of reader.push(chunk)) handle(msg) });
 */
export class FrameReader {
  private buffer: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBytes = DEFAULT_MAX_FRAME_BYTES) {}

  push(chunk: Buffer): unknown[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const messages: unknown[] = [];
    while (this.buffer.length >= 4) {
      const size = this.buffer.readUInt32BE(0);
      if (size > this.maxBytes) {
        throw new ChannelError("frame-too-large", `peer announced a frame of ${size} bytes (limit ${this.maxBytes})`, {
          size,
          maxBytes: this.maxBytes,
        });
      }
      if (this.buffer.length < 4 + size) break;
      const body = this.buffer.subarray(4, 4 + size);
      this.buffer = this.buffer.subarray(4 + size);
      try {
        messages.push(decoder.decode(body));
      } catch (cause) {
        throw new ChannelError("malformed-frame", `frame is not CBOR: ${(cause as Error).message}`);
      }
    }
    return messages;
  }
}
