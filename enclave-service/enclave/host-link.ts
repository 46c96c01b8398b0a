import type { Channel } from "../channel/channel";
import { ChannelError } from "../channel/channel-error";

/** Rows from the host's database; int8/numeric come as strings, bytea as Uint8Array. */
export interface Rows {
  rows: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  rowCount: number;
}

/** Something that runs SQL: a transaction, or the link itself (autocommit). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<Rows>;
}

/**
 * The enclave's only door to the world: typed requests over the channel to the host. Nothing here
 * opens a socket; the host does the I/O and sees only what these calls send.
 */
export class HostLink implements Queryable {
  constructor(private channel: () => Channel | undefined) {}

  private get ch(): Channel {
    const ch = this.channel();
    if (!ch || ch.isClosed) throw new ChannelError("channel-closed", "no host is connected");
    return ch;
  }

  query(sql: string, params: unknown[] = []): Promise<Rows> {
    return this.ch.request<Rows>("db.query", { sql, params });
  }

  /**
   * Runs `fn` in a database transaction: commit when it returns, roll back when it throws, except
   * for errors marked `persist` (committed, then rethrown).
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const ch = this.ch;
    const { tx } = await ch.request<{ tx: string }>("db.begin", {});
    const q: Queryable = { query: (sql, params = []) => ch.request<Rows>("db.query", { sql, params, tx }) };
    let result: T;
    try {
      result = await fn(q);
    } catch (err) {
      if ((err as { persist?: boolean })?.persist === true) await ch.request("db.commit", { tx });
      else await ch.request("db.rollback", { tx }).catch(() => undefined);
      throw err;
    }
    await ch.request("db.commit", { tx });
    return result;
  }

  sendMail(to: string, subject: string, text: string): Promise<unknown> {
    return this.ch.request("mail.send", { to, subject, text });
  }

  sendSms(to: string, text: string): Promise<unknown> {
    return this.ch.request("sms.send", { to, text });
  }

  /** Relays a request to key holder `holder`: `release` (default) opens a held share, `seal` makes one. */
  releaseShare(holder: number, body: Uint8Array, route: "seal" | "release" = "release") {
    return this.ch.request<{ status: number; body: Uint8Array }>("keyholder.release", { holder, body, route }, 10_000);
  }

  log(entry: Record<string, unknown>): void {
    this.ch.request("log", entry).catch(() => undefined);
  }
}
