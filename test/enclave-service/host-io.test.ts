import { expect } from "chai";
import path from "node:path";
import { createHostIo, type HostIoConfig } from "../../enclave-service/host/host-io";
import { outboxMailSender, outboxSmsSender } from "../../enclave-service/host/senders";
import { openPgliteDatabase } from "../../enclave-service/storage/pglite-database";
import type { Database } from "../../enclave-service/storage/database";
import { tempDir } from "./helpers";

type Handler = (a: unknown) => Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * The host's I/O sessions on a real PGlite database (one connection: the case where a transaction
 * that never ends stops everyone). Finding 5 of issue 12.
 */
describe("createHostIo (host I/O session)", function () {
  let db: Database;
  const data = tempDir("host-io");
  const events: Record<string, unknown>[] = [];

  function session(options: Partial<HostIoConfig> = {}) {
    const outbox = path.join(data.dir, "outbox.jsonl");
    const io = createHostIo({
      db,
      mail: outboxMailSender(outbox),
      sms: outboxSmsSender(outbox),
      keyHolderUrls: [],
      log: (e) => events.push(e),
      ...options,
    });
    const call = (op: string, a: unknown) => (io.handlers[op] as Handler)(a);
    return { io, call };
  }

  before(async () => {
    db = await openPgliteDatabase("memory://");
    await db.query("CREATE TABLE t (v integer)");
  });
  after(async () => {
    await db?.close();
    data.remove();
  });

  describe("close", () => {
    it("rolls back the open transaction and the one whose BEGIN was still queued when the session closed", async () => {
      const { io, call } = session();
      const a = await call("db.query", { sql: "INSERT INTO t VALUES (1)", begin: true });
      expect(a.tx).to.be.a("string");
      // PGlite has one connection: this BEGIN waits behind transaction a.
      const queued = call("db.begin", {}).then(
        () => "opened",
        (e: { code?: string }) => e.code,
      );
      await io.close();
      expect(await queued).to.equal("session-closed");
      expect(io.openTransactions).to.equal(0);
      expect(events.some((e) => e.event === "tx-orphan-rollback")).to.equal(true);
      // The connection is free at once, and transaction a's insert is gone.
      expect((await db.query("SELECT count(*)::int AS n FROM t")).rows[0].n).to.equal(0);
    });

    it("refuses statements with session-closed once closed", async () => {
      const { io, call } = session();
      await io.close();
      const err = await call("db.query", { sql: "SELECT 1" }).catch((e: { code?: string }) => e);
      expect((err as { code?: string }).code).to.equal("session-closed");
    });
  });

  describe("db.query", () => {
    it("opens the transaction with its first statement and rolls it back when that statement fails", async () => {
      const { io, call } = session();
      const err = await call("db.query", { sql: "INSERT INTO no_such_table VALUES (1)", begin: true }).catch((e: Error) => e);
      expect(err).to.be.instanceOf(Error);
      expect(io.openTransactions).to.equal(0);
      expect((await db.query("SELECT 1 AS one")).rows[0].one).to.equal(1);
    });

    it("rolls back a transaction left idle longer than txIdleMs", async () => {
      const { io, call } = session({ txIdleMs: 100 });
      const a = await call("db.query", { sql: "INSERT INTO t VALUES (2)", begin: true });
      await new Promise((r) => setTimeout(r, 300));
      expect(io.openTransactions).to.equal(0);
      const err = await call("db.commit", { tx: a.tx }).catch((e: { code?: string }) => e);
      expect((err as { code?: string }).code).to.equal("tx-not-found");
      expect((await db.query("SELECT count(*)::int AS n FROM t")).rows[0].n).to.equal(0);
      await io.close();
    });

    it("rolls back a busy transaction once it has been open txMaxMs", async () => {
      const { io, call } = session({ txIdleMs: 10_000, txMaxMs: 300 });
      const a = await call("db.query", { sql: "INSERT INTO t VALUES (3)", begin: true });
      for (let i = 0; i < 8; i++) {
        await new Promise((r) => setTimeout(r, 50));
        await call("db.query", { sql: "SELECT 1", tx: a.tx }).catch(() => undefined);
      }
      expect(io.openTransactions).to.equal(0);
      expect(events.some((e) => e.event === "tx-expired-rollback" && e.reason === "max-age")).to.equal(true);
      await io.close();
    });
  });
});
