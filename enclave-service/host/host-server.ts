import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { Channel } from "../channel/channel";
import { openDatabase, type DatabaseConfig } from "../storage/open-database";
import type { Database } from "../storage/database";
import { readBody } from "../http/read-body";
import { createHostIo, type HostIoSession } from "./host-io";
import { loadSmsSender, outboxMailSender, outboxSmsSender, type MailSender } from "./senders";

/** The host's configuration. */
export interface HostConfig {
  /** HTTP port on 127.0.0.1 (0 picks one). */
  port?: number;
  /** Listen address (default 127.0.0.1). */
  listen?: string;
  /** The enclave's Unix socket. */
  enclaveSocket: string;
  database: DatabaseConfig;
  /** Dev outbox file (email when the enclave has no SMTP server, and SMS by default). */
  outboxFile: string;
  /** Module exporting createSmsSender(); default: the dev outbox. */
  smsSender?: string;
  keyHolderUrls: string[];
  /** Largest request body read (default 64 KiB). */
  maxBodyBytes?: number;
  log?: (line: string) => void;
}

const ENCLAVE_TIMEOUT_MS = 60_000;

/**
 * Starts the host: terminates HTTP, forwards every request's exact bytes to the enclave and sends
 * back exactly the bytes (and attestation header) the enclave returns; serves the enclave's I/O
 * (database, dev outbox, SMS, the TCP relay for the enclave's TLS, key-holder relay). It never holds a plaintext key.
 *
 * @example
 * const host = await startHost({ enclaveSocket, database: { pgliteDir }, outboxFile, keyHolderUrls });
 * console.log(host.url);
 */
export async function startHost(config: HostConfig): Promise<{ url: string; db: Database; close(): Promise<void> }> {
  const write = config.log ?? ((line: string) => process.stdout.write(line + "\n"));
  const log = (entry: Record<string, unknown>) => write(JSON.stringify({ at: new Date().toISOString(), ...entry }));
  const db = await openDatabase(config.database);
  // Real email is sent by the enclave itself (TLS to the SMTP server over the relay); the host only
  // writes the development outbox.
  const mail: MailSender = outboxMailSender(config.outboxFile, write);
  const sms = config.smsSender ? loadSmsSender(config.smsSender) : outboxSmsSender(config.outboxFile, write);
  const ioConfig = { db, mail, sms, keyHolderUrls: config.keyHolderUrls, log };
  let session: HostIoSession | undefined;
  const maxBody = config.maxBodyBytes ?? 64 * 1024;

  let channel: Channel | undefined;
  let closing = false;
  let retry: NodeJS.Timeout | undefined;
  const connect = () => {
    if (closing) return;
    const socket = net.createConnection({ path: config.enclaveSocket });
    socket.once("connect", () => {
      // One I/O session per connection: its transactions die with it (finding 5).
      const io = createHostIo(ioConfig);
      session = io;
      const ch = new Channel(socket, io.handlers);
      channel = ch;
      log({ event: "enclave-connected" });
      ch.onClose(() => {
        if (channel === ch) channel = undefined;
        if (session === io) session = undefined;
        void io.close();
        if (!closing) {
          log({ event: "enclave-disconnected" });
          retry = setTimeout(connect, 200);
        }
      });
    });
    socket.once("error", () => {
      socket.destroy();
      if (!closing && channel === undefined) retry = setTimeout(connect, 200);
    });
  };
  connect();

  const server = http.createServer(async (req, res) => {
    const started = Date.now();
    const target = req.url ?? "/";
    let status = 0;
    try {
      const { body, tooLarge } = await readBody(req, maxBody);
      const ch = channel;
      if (!ch) {
        status = 503;
        const out = Buffer.from(JSON.stringify({ code: "enclave-unavailable", message: "the enclave is not connected" }));
        res.writeHead(503, { "content-type": "application/json", "content-length": out.length });
        res.end(out);
        return;
      }
      const headers: Record<string, string | string[] | undefined> = { ...req.headers };
      const response = await ch.request<{ status: number; headers: Record<string, string>; body: Uint8Array }>(
        "http",
        { method: req.method ?? "GET", target, headers, body: body, bodyTooLarge: tooLarge },
        ENCLAVE_TIMEOUT_MS,
      );
      status = response.status;
      const out = Buffer.from(response.body);
      res.writeHead(response.status, { ...response.headers, "content-length": out.length });
      res.end(out);
    } catch (err) {
      status = 503;
      const out = Buffer.from(JSON.stringify({ code: "enclave-unavailable", message: `the enclave did not answer: ${(err as Error).message}` }));
      if (!res.headersSent) res.writeHead(503, { "content-type": "application/json", "content-length": out.length });
      res.end(out);
    } finally {
      // Method, path without query, status, time: never headers or bodies.
      log({ event: "request", method: req.method, path: target.split("?")[0], status, ms: Date.now() - started });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port ?? 0, config.listen ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    async close() {
      closing = true;
      if (retry) clearTimeout(retry);
      channel?.close();
      await session?.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      mail.close?.();
      await db.close();
    },
  };
}
