import type { Socket } from "node:net";
import { ChannelError } from "./channel-error";
import { DEFAULT_MAX_FRAME_BYTES, FrameReader, encodeFrame } from "./frames";

/** A handler for one operation; throw an error with a string `code` to answer with that code. */
export type ChannelHandler = (args: any) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface RequestMessage {
  t: "q";
  id: number;
  op: string;
  a: unknown;
}
interface ResponseMessage {
  t: "r";
  id: number;
  ok: boolean;
  v?: unknown;
  e?: { code: string; message: string; details?: Record<string, unknown> };
}

/**
 * Request/response over one socket, both directions at once: the host asks the enclave to handle
 * HTTP requests, and the enclave asks the host for I/O (database, mail, HTTP, key holders) while
 * handling them. Each request carries an id; answers may come in any order.
 *
 * @example
 * const channel = new Channel(socket, { "db.query": async (a) => db.query(a.sql, a.params) });
 * const rows = await channel.request("db.query", { sql: "SELECT 1" });
 */
export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer?: NodeJS.Timeout }>();
  private readonly reader: FrameReader;
  private closed = false;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly socket: Socket,
    private readonly handlers: Record<string, ChannelHandler>,
    private readonly maxFrameBytes = DEFAULT_MAX_FRAME_BYTES,
  ) {
    this.reader = new FrameReader(maxFrameBytes);
    socket.on("data", (chunk: Buffer) => {
      let messages: unknown[];
      try {
        messages = this.reader.push(chunk);
      } catch {
        // A peer that breaks framing cannot be resynchronised: drop it.
        socket.destroy();
        return;
      }
      for (const m of messages) this.dispatch(m);
    });
    socket.on("close", () => this.shutdown());
    socket.on("error", () => this.shutdown());
  }

  /** Sends a request and waits for its answer. */
  request<T = unknown>(op: string, args: unknown, timeoutMs = 30_000): Promise<T> {
    if (this.closed) return Promise.reject(new ChannelError("channel-closed", `channel closed before ${op}`, { op }));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ChannelError("timeout", `${op} got no answer within ${timeoutMs} ms`, { op, timeoutMs }));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.socket.write(encodeFrame({ t: "q", id, op, a: args } satisfies RequestMessage, this.maxFrameBytes));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
    this.shutdown();
  }

  private dispatch(raw: unknown): void {
    const m = raw as { t?: unknown; id?: unknown; op?: unknown; a?: unknown; ok?: unknown; v?: unknown; e?: ResponseMessage["e"] };
    if (m === null || typeof m !== "object" || typeof m.id !== "number") {
      this.socket.destroy();
      return;
    }
    const id = m.id as number;
    if (m.t === "r") {
      const waiter = this.pending.get(id);
      if (!waiter) return;
      this.pending.delete(id);
      clearTimeout(waiter.timer);
      if (m.ok) waiter.resolve(m.v);
      else {
        const e = m.e ?? { code: "internal-error", message: "no error detail" };
        waiter.reject(new ChannelError("remote-error", e.message, e.details ?? {}, e.code));
      }
      return;
    }
    if (m.t === "q" && typeof m.op === "string") {
      void this.answer(id, m.op, m.a);
      return;
    }
    this.socket.destroy();
  }

  private async answer(id: number, op: string, args: unknown): Promise<void> {
    let reply: ResponseMessage;
    const handler = Object.prototype.hasOwnProperty.call(this.handlers, op) ? this.handlers[op] : undefined;
    if (!handler) {
      reply = { t: "r", id, ok: false, e: { code: "unknown-operation", message: `no handler for ${op}` } };
    } else {
      try {
        reply = { t: "r", id, ok: true, v: await handler(args) };
      } catch (err) {
        const e = err as { code?: unknown; message?: string; details?: unknown };
        reply = {
          t: "r",
          id,
          ok: false,
          e: {
            code: typeof e?.code === "string" ? e.code : "internal-error",
            message: e?.message ?? String(err),
            details: e?.details !== null && typeof e?.details === "object" ? (e.details as Record<string, unknown>) : undefined,
          },
        };
      }
    }
    if (this.closed) return;
    try {
      this.socket.write(encodeFrame(reply, this.maxFrameBytes));
    } catch (err) {
      this.socket.write(
        encodeFrame({ t: "r", id, ok: false, e: { code: "frame-too-large", message: (err as Error).message } } satisfies ResponseMessage),
      );
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new ChannelError("channel-closed", "the other side closed the channel", { id }));
    }
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l();
  }
}
