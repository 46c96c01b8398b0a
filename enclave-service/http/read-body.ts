import type { IncomingMessage } from "node:http";

/**
 * Reads a request body up to `limit` bytes. Past the limit it stops buffering (the rest is drained
 * and dropped) and reports `tooLarge`, so an oversized body costs memory for `limit` bytes only.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Uint8Array; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve({ body: tooLarge ? new Uint8Array(0) : new Uint8Array(Buffer.concat(chunks)), tooLarge }));
    req.on("error", reject);
  });
}
