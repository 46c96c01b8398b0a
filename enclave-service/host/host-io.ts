import { randomUUID } from "node:crypto";
import net from "node:net";
import type { Database, DatabaseTransaction } from "../storage/database";
import type { ChannelHandler } from "../channel/channel";
import type { MailSender, SmsSender } from "./senders";

/** A failure the host reports to the enclave, with a string code the enclave maps. */
export class HostIoError extends Error {
  override readonly name = "HostIoError" as const;
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface HostIoConfig {
  db: Database;
  mail: MailSender;
  sms: SmsSender;
  /** Key holder base URLs, holder 1 first. */
  keyHolderUrls: string[];
  log(entry: Record<string, unknown>): void;
  /** Transactions idle this long are rolled back (ms, default 10 s). */
  txIdleMs?: number;
  /** Transactions open this long are rolled back however busy they are (ms, default 30 s). */
  txMaxMs?: number;
}

const HOLDER_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The I/O served to one enclave connection. */
export interface HostIoSession {
  handlers: Record<string, ChannelHandler>;
  /** Transactions currently open for this connection. */
  readonly openTransactions: number;
  /**
   * Ends the session: rolls back every open transaction, and every transaction whose BEGIN is
   * still waiting (PGlite queues them behind its one connection) is rolled back the moment it opens.
   */
  close(): Promise<void>;
}

/**
 * The I/O the host performs for one enclave connection. Everything here handles ciphertext, public
 * data, or data the enclave chose to reveal (a dev-outbox message, a host:port to relay to); no
 * handler ever receives a plaintext key, and outbound TLS runs inside the enclave over `tcp.open`
 * streams.
 *
 * Every transaction begun here ends: at commit/rollback, after `txIdleMs` without a statement,
 * after `txMaxMs` in all, or when the session closes (the enclave went away). A crashed enclave
 * cannot leave PGlite's single connection held, and a BEGIN that was queued when the enclave died
 * is rolled back as soon as it opens instead of waiting out its idle timer (finding 5).
 */
export function createHostIo(config: HostIoConfig): HostIoSession {
  const open = new Map<string, { tx: DatabaseTransaction; idle: NodeJS.Timeout; max: NodeJS.Timeout }>();
  const idleMs = config.txIdleMs ?? 10_000;
  const maxMs = config.txMaxMs ?? 30_000;
  let closed = false;

  function touch(id: string): DatabaseTransaction {
    const entry = open.get(id);
    if (!entry) throw new HostIoError("tx-not-found", `no open transaction ${id} (finished, or rolled back after ${idleMs} ms idle or ${maxMs} ms open)`);
    entry.idle.refresh();
    return entry.tx;
  }

  async function finish(id: string, how: "commit" | "rollback"): Promise<void> {
    const entry = open.get(id);
    if (!entry) {
      if (how === "rollback") return;
      throw new HostIoError("tx-not-found", `no open transaction ${id}`);
    }
    open.delete(id);
    clearTimeout(entry.idle);
    clearTimeout(entry.max);
    if (how === "commit") await entry.tx.commit();
    else await entry.tx.rollback();
  }

  function expire(id: string, reason: "idle" | "max-age"): void {
    if (!open.has(id)) return;
    void finish(id, "rollback").catch(() => undefined);
    config.log({ event: "tx-expired-rollback", tx: id, reason });
  }

  /** Opens a transaction for this session and returns its id. */
  async function openTx(): Promise<string> {
    if (closed) throw new HostIoError("session-closed", "the enclave connection is closed");
    const tx = await config.db.begin();
    if (closed) {
      // The enclave went away while this BEGIN waited for the connection: nobody will end it.
      await tx.rollback();
      config.log({ event: "tx-orphan-rollback" });
      throw new HostIoError("session-closed", "the enclave connection closed while the transaction opened");
    }
    const id = randomUUID();
    const idle = setTimeout(() => expire(id, "idle"), idleMs);
    const max = setTimeout(() => expire(id, "max-age"), maxMs);
    idle.unref();
    max.unref();
    open.set(id, { tx, idle, max });
    return id;
  }

  const handlers: Record<string, ChannelHandler> = {
    async "db.query"(a: { sql: string; params?: unknown[]; tx?: string; begin?: boolean }) {
      if (closed) throw new HostIoError("session-closed", "the enclave connection is closed");
      if (a.begin === true) {
        // BEGIN and the transaction's first statement in one round trip (HostLink.transaction).
        // If that statement fails the transaction is rolled back here and no id is returned.
        const id = await openTx();
        try {
          return { ...(await touch(id).query(a.sql, a.params ?? [])), tx: id };
        } catch (err) {
          await finish(id, "rollback").catch(() => undefined);
          throw err;
        }
      }
      const target = a.tx === undefined ? config.db : touch(a.tx);
      return target.query(a.sql, a.params ?? []);
    },
    async "db.begin"() {
      return { tx: await openTx() };
    },
    async "db.commit"(a: { tx: string }) {
      await finish(a.tx, "commit");
      return null;
    },
    async "db.rollback"(a: { tx: string }) {
      await finish(a.tx, "rollback");
      return null;
    },
    async "mail.send"(a: { to: string; subject: string; text: string }) {
      try {
        await config.mail.send(a);
      } catch (err) {
        throw new HostIoError("delivery-failed", `email to ${a.to} was not accepted: ${(err as Error).message}`);
      }
      config.log({ event: "mail-sent", to: a.to });
      return null;
    },
    async "sms.send"(a: { to: string; text: string }) {
      try {
        await config.sms.send(a);
      } catch (err) {
        throw new HostIoError("delivery-failed", `SMS to ${a.to} was not accepted: ${(err as Error).message}`);
      }
      config.log({ event: "sms-sent", to: a.to });
      return null;
    },
    /**
     * The TCP relay (what Nitro's vsock proxy does): connects to host:port and carries raw bytes
     * both ways on the stream the enclave announced. TLS runs end to end between the enclave and
     * the server, so the host sees only ciphertext (and, for STARTTLS, the plaintext greeting).
     */
    async "tcp.open"(a: { stream: number; host: string; port: number }, channel) {
      if (typeof a.host !== "string" || a.host.length === 0 || a.host.length > 253 || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
        throw new HostIoError("connect-failed", "tcp.open needs a host name and a port 1..65535");
      }
      const socket = net.connect({ host: a.host, port: a.port });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new HostIoError("connect-failed", `${a.host}:${a.port} did not accept within ${CONNECT_TIMEOUT_MS} ms`));
        }, CONNECT_TIMEOUT_MS);
        socket.once("connect", () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once("error", (err) => {
          clearTimeout(timer);
          reject(new HostIoError("connect-failed", `${a.host}:${a.port}: ${err.message}`));
        });
      });
      let stream;
      try {
        stream = channel.acceptStream(a.stream);
      } catch (err) {
        socket.destroy();
        throw new HostIoError("connect-failed", (err as Error).message);
      }
      socket.on("data", (chunk: Buffer) => stream.write(chunk));
      socket.on("end", () => stream.end());
      // A clean close already ended the stream; only a failed connection resets it.
      socket.on("close", (hadError) => {
        if (hadError) stream.destroy();
      });
      socket.on("error", () => stream.destroy());
      stream.on("data", (chunk: Buffer) => socket.write(chunk));
      stream.on("end", () => socket.end());
      stream.on("close", () => socket.destroy());
      stream.on("error", () => socket.destroy());
      config.log({ event: "tcp-open", host: a.host, port: a.port });
      return null;
    },
    async "keyholder.release"(a: { holder: number; body: Uint8Array; route?: "seal" | "release" }) {
      const base = config.keyHolderUrls[a.holder - 1];
      if (base === undefined) throw new HostIoError("holder-unreachable", `no key holder ${a.holder} configured`, { holder: a.holder });
      let res: Response;
      try {
        res = await fetch(`${base}/v1/${a.route === "seal" ? "seal" : "release"}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: Buffer.from(a.body),
          signal: AbortSignal.timeout(HOLDER_TIMEOUT_MS),
        });
      } catch (err) {
        throw new HostIoError("holder-unreachable", `key holder ${a.holder} did not answer: ${(err as Error).message}`, { holder: a.holder });
      }
      const body = new Uint8Array(await res.arrayBuffer());
      config.log({ event: "keyholder-release", holder: a.holder, status: res.status });
      return { status: res.status, body };
    },
    async log(a: Record<string, unknown>) {
      config.log({ source: "enclave", ...a });
      return null;
    },
  };

  return {
    handlers,
    get openTransactions() {
      return open.size;
    },
    async close() {
      closed = true;
      await Promise.all([...open.keys()].map((id) => finish(id, "rollback").catch(() => undefined)));
    },
  };
}
