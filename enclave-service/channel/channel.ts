import type { Socket } from "node:net";
import { Duplex } from "node:stream";
import { ChannelError } from "./channel-error";
import { DEFAULT_MAX_FRAME_BYTES, FrameReader, encodeFrame } from "./frames";

/**
 * A handler for one operation; throw an error with a string `code` to answer with that code. It
 * gets the channel too, to accept a relayed stream the request announces.
 */
export type ChannelHandler = (args: any, channel: Channel) => Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any

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

/** A relayed stream's bytes, its end (half close), or its reset. */
interface StreamMessage {
  t: "d" | "e" | "x";
  /** Stream id, chosen by the side that opened it (the enclave). */
  s: number;
  /** Bytes of a "d" message. */
  b?: Uint8Array;
}

/** Streams open on one channel at most (a host cannot make the enclave hold more). */
export const MAX_STREAMS = 256;

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
  private nextStreamId = 1;
  private corked = false;
  private readonly streams = new Map<number, Duplex & { remoteEnded?: boolean }>();

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
        this.write(encodeFrame({ t: "q", id, op, a: args } satisfies RequestMessage, this.maxFrameBytes));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  /**
   * Queues a frame; every frame written in one turn of the event loop leaves in one system call.
   * Under load the enclave and the host each write many small frames per turn (a statement, an
   * answer, a log line), and one write(2) per frame was the largest single cost after the crypto
   * and PGlite in the profile (README, "Benchmark").
   */
  private write(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
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
    if (m !== null && typeof m === "object" && (m.t === "d" || m.t === "e" || m.t === "x")) {
      this.streamMessage(m as unknown as StreamMessage);
      return;
    }
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
        reply = { t: "r", id, ok: true, v: await handler(args, this) };
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
      this.write(encodeFrame(reply, this.maxFrameBytes));
    } catch (err) {
      this.write(
        encodeFrame({ t: "r", id, ok: false, e: { code: "frame-too-large", message: (err as Error).message } } satisfies ResponseMessage),
      );
    }
  }

  /**
   * Opens a relayed byte stream to the peer (the enclave side of a TCP relay, like a vsock proxy
   * connection): the returned Duplex carries bytes as "d" frames; its end sends "e", its
   * destruction "x". The peer learns of the stream from a request the caller sends with the id.
   */
  openStream(): { id: number; stream: Duplex } {
    if (this.closed) throw new ChannelError("channel-closed", "channel closed before opening a stream");
    if (this.streams.size >= MAX_STREAMS) throw new ChannelError("too-many-streams", `more than ${MAX_STREAMS} relayed streams`, { max: MAX_STREAMS });
    const id = this.nextStreamId++;
    return { id, stream: this.register(id) };
  }

  /** The peer side of a stream the other end opened with {@link openStream} and announced by id. */
  acceptStream(id: number): Duplex {
    if (!Number.isSafeInteger(id) || id <= 0) throw new ChannelError("malformed-frame", `stream id ${String(id)} is not a positive integer`);
    if (this.streams.has(id)) throw new ChannelError("malformed-frame", `stream ${id} is already open`, { id });
    if (this.streams.size >= MAX_STREAMS) throw new ChannelError("too-many-streams", `more than ${MAX_STREAMS} relayed streams`, { max: MAX_STREAMS });
    return this.register(id);
  }

  private register(id: number): Duplex {
    const send = (m: StreamMessage) => {
      if (!this.closed) this.write(encodeFrame(m, this.maxFrameBytes));
    };
    const stream = new Duplex({
      read() {},
      write: (chunk: Buffer, _enc, cb) => {
        try {
          // A 64 KiB piece per frame keeps every frame far below the channel's frame limit.
          for (let i = 0; i < chunk.length; i += 65536) send({ t: "d", s: id, b: chunk.subarray(i, i + 65536) });
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
      final: (cb) => {
        send({ t: "e", s: id });
        cb();
      },
      destroy: (err, cb) => {
        if (this.streams.get(id) === stream) {
          this.streams.delete(id);
          // A stream that ended cleanly in both directions still tells the peer it is gone.
          try {
            send({ t: "x", s: id });
          } catch {
            // the channel is going away anyway
          }
        }
        cb(err);
      },
    });
    this.streams.set(id, stream);
    return stream;
  }

  private streamMessage(m: StreamMessage): void {
    const stream = typeof m.s === "number" ? this.streams.get(m.s) : undefined;
    if (!stream) return; // late bytes for a stream already gone
    if (m.t === "d") {
      if (!(m.b instanceof Uint8Array)) {
        stream.destroy(new ChannelError("malformed-frame", `stream ${m.s} data is not bytes`));
        return;
      }
      stream.push(Buffer.from(m.b));
    } else if (m.t === "e") {
      stream.remoteEnded = true;
      stream.push(null);
    } else {
      this.streams.delete(m.s);
      // After a clean end the peer's "x" only says it is gone: the bytes already pushed stay
      // readable, and the stream closes itself once both sides are done. Before it, it is a reset.
      if (!stream.remoteEnded) stream.destroy(new ChannelError("stream-reset", `the peer reset stream ${m.s}`, { stream: m.s }));
    }
  }

  private shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [id, stream] of this.streams) {
      this.streams.delete(id);
      stream.destroy(new ChannelError("channel-closed", "the channel closed under a relayed stream", { stream: id }));
    }
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.reject(new ChannelError("channel-closed", "the other side closed the channel", { id }));
    }
    this.pending.clear();
    for (const l of this.closeListeners.splice(0)) l();
  }
}
