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
   *
   * The transaction opens with its first statement, in the same round trip (`db.query` with
   * `begin`): a transaction holds a database connection (PGlite's only one) from BEGIN to COMMIT,
   * and every round trip inside it waits in this event loop behind the other requests' CPU work,
   * so one round trip less is time every other request does not wait. A `fn` that runs no
   * statement opens no transaction.
   */
  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const ch = this.ch;
    let tx: string | undefined;
    let opening: Promise<unknown> | undefined;
    let failedToOpen = false;
    const q: Queryable = {
      query: async (sql, params = []) => {
        if (opening === undefined) {
          const first = ch.request<Rows & { tx: string }>("db.query", { sql, params, begin: true });
          opening = first.then(
            (r) => (tx = r.tx),
            () => (failedToOpen = true),
          );
          const r = await first;
          return { rows: r.rows, rowCount: r.rowCount };
        }
        await opening;
        if (tx === undefined || failedToOpen) {
          // As in PostgreSQL: after a failed statement the transaction takes no further statements.
          throw new ChannelError("remote-error", "the transaction's first statement failed; it was rolled back", {}, "tx-aborted");
        }
        return ch.request<Rows>("db.query", { sql, params, tx });
      },
    };
    let result: T;
    try {
      result = await fn(q);
    } catch (err) {
      await opening;
      if (tx !== undefined) {
        if ((err as { persist?: boolean })?.persist === true) await ch.request("db.commit", { tx });
        else await ch.request("db.rollback", { tx }).catch(() => undefined);
      }
      throw err;
    }
    await opening;
    if (tx !== undefined) await ch.request("db.commit", { tx });
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
