import http from "node:http";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import nodemailer from "nodemailer";
import type { Channel } from "../channel/channel";
import { ChannelError } from "../channel/channel-error";
import type { EgressConfig, SmtpConfig } from "./enclave-config";
import { ServiceError } from "./service-error";

/** What a fetch through the relay returns. */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;
const TIMEOUT_MS = 10_000;

/**
 * Error codes and messages that mean the TLS session itself failed: a certificate that does not
 * chain to the configured roots or names another host, or a record that does not authenticate
 * (bytes rewritten on the way). Anything else is the peer being down or slow.
 */
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL_|HOSTNAME_MISMATCH)|certificate|self[- ]signed|altname|ssl|tls|handshake|bad record mac|decrypt/i;

/** Whether `err` (or what it wraps) is a TLS failure rather than an unreachable peer. */
export function isTlsFailure(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && TLS_FAILURE.test(e.code) && e.code !== "ETLS") return true;
    if (typeof e.message === "string" && TLS_FAILURE.test(e.message) && !/ECONNREFUSED|connect-failed/.test(e.message)) return true;
  }
  return false;
}

/**
 * The enclave's outbound connections. Every one is TLS that ends here: the host relays TCP bytes
 * over the channel (`tcp.open` plus stream frames, the counterpart of Nitro's vsock proxy), and the
 * enclave verifies the server certificate against the CA roots of its measured configuration and
 * the name it dialled. Destinations are limited to the configuration's `host:port` allow list.
 * The host therefore sees ciphertext, and can only drop, delay or garble it, which fails closed
 * as `upstream-tls-failed`.
 *
 * @example
 * const up = new Upstream(() => channel, config.egress);
 * const res = await up.fetch({ url: "https://idp.example/.well-known/openid-configuration" });
 */
export class Upstream {
  private readonly allowed: Set<string>;
  private readonly ca: string[];

  constructor(
    private readonly channel: () => Channel | undefined,
    egress: EgressConfig | undefined,
  ) {
    this.allowed = new Set((egress?.allow ?? []).map((a) => a.toLowerCase()));
    this.ca = egress?.caPem ?? [...tls.rootCertificates];
  }

  /** Refuses a destination the configuration does not list. */
  check(host: string, port: number): void {
    if (!this.allowed.has(`${host.toLowerCase()}:${port}`)) {
      throw new ServiceError("upstream-not-allowed", `${host}:${port} is not in the enclave's egress allow list`, { host, port });
    }
  }

  /** A raw relayed TCP stream to an allowed destination (still plaintext: callers run TLS on it). */
  async tcp(host: string, port: number): Promise<Duplex> {
    this.check(host, port);
    const ch = this.channel();
    if (!ch || ch.isClosed) throw new ChannelError("channel-closed", "no host is connected");
    const { id, stream } = ch.openStream();
    try {
      await ch.request("tcp.open", { stream: id, host, port }, TIMEOUT_MS + 1_000);
    } catch (err) {
      stream.destroy();
      throw err;
    }
    // What nodemailer expects of a socket; the relay has no timers of its own.
    const socketLike = stream as Duplex & { setTimeout?: unknown; setKeepAlive?: unknown; setNoDelay?: unknown };
    socketLike.setTimeout = () => stream;
    socketLike.setKeepAlive = () => stream;
    socketLike.setNoDelay = () => stream;
    return stream;
  }

  /** Options for a TLS client session to `host` over a relayed stream. */
  tlsOptions(host: string): tls.ConnectionOptions {
    return {
      ca: this.ca,
      // SNI takes names only (RFC 6066); an IP address is checked against the certificate's IP SANs.
      servername: net.isIP(host) ? undefined : host,
      host,
      rejectUnauthorized: true,
      minVersion: "TLSv1.2",
    };
  }

  /** A TLS session to host:port whose certificate chains to the configured roots and names `host`. */
  async tls(host: string, port: number): Promise<tls.TLSSocket> {
    const raw = await this.tcp(host, port);
    return new Promise<tls.TLSSocket>((resolve, reject) => {
      const socket = tls.connect({ ...this.tlsOptions(host), socket: raw });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ServiceError("upstream-tls-failed", `TLS handshake with ${host}:${port} timed out`, { host, port, reason: "timeout" }));
      }, TIMEOUT_MS);
      socket.once("secureConnect", () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once("error", (err: Error & { code?: string }) => {
        clearTimeout(timer);
        raw.destroy();
        reject(new ServiceError("upstream-tls-failed", `TLS with ${host}:${port} failed: ${err.message}`, { host, port, reason: err.code ?? "tls-error" }));
      });
      // The server went away before the handshake finished. A certificate failure also closes the
      // stream; its error event comes right after and carries the reason, so it gets a tick to win.
      raw.once("close", () =>
        setImmediate(() => reject(new ServiceError("upstream-tls-failed", `${host}:${port} closed before the TLS handshake completed`, { host, port, reason: "closed" }))),
      );
    });
  }

  /**
   * One HTTPS request (HTTP/1.1, `Connection: close`) over a fresh TLS session. Only https URLs;
   * redirects are not followed; the body is capped at 1 MiB.
   *
   * @dev Throws ServiceError `upstream-not-allowed` for a destination off the allow list,
   *      `upstream-tls-failed` when the TLS session fails (certificate, name, tampered bytes), and
   *      ServiceError `upstream-unavailable` when the peer cannot be reached or answers too much.
   */
  async fetch(request: { url: string; method?: string; headers?: Record<string, string>; body?: Uint8Array }): Promise<UpstreamResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new ServiceError("upstream-not-allowed", `not a URL: ${request.url}`, { url: request.url });
    }
    if (url.protocol !== "https:") throw new ServiceError("upstream-not-allowed", `only https URLs leave the enclave, not ${url.protocol}`, { url: request.url });
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = url.port === "" ? 443 : Number(url.port);
    let socket: tls.TLSSocket;
    try {
      socket = await this.tls(host, port);
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      throw new ServiceError("upstream-unavailable", `could not reach ${host}:${port}: ${(err as Error).message}`, { host, port });
    }
    return new Promise<UpstreamResponse>((resolve, reject) => {
      const fail = (err: Error) => {
        socket.destroy();
        reject(
          isTlsFailure(err)
            ? new ServiceError("upstream-tls-failed", `TLS with ${host}:${port} failed mid-exchange: ${err.message}`, { host, port, reason: (err as { code?: string }).code })
            : new ServiceError("upstream-unavailable", `${request.method ?? "GET"} ${url.origin}${url.pathname} failed: ${err.message}`, { host, port }),
        );
      };
      const body = request.body === undefined ? undefined : Buffer.from(request.body);
      const req = http.request({
        method: request.method ?? "GET",
        path: `${url.pathname}${url.search}`,
        headers: {
          ...request.headers,
          host: url.host,
          connection: "close",
          ...(body ? { "content-length": String(body.length) } : {}),
        },
        createConnection: () => socket,
        timeout: TIMEOUT_MS,
      });
      req.on("timeout", () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error(`response exceeds ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(c);
        });
        res.on("error", fail);
        res.on("end", () => {
          socket.end();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: new Uint8Array(Buffer.concat(chunks)) });
        });
      });
      req.end(body);
    });
  }

  /**
   * Sends one email over SMTP from inside the enclave (nodemailer over a relayed stream): implicit
   * TLS (`security: "tls"`, usually port 465) or STARTTLS required before anything is sent
   * (`"starttls"`, usually 587). The code in the message is never visible to the host.
   *
   * @dev Throws ServiceError `upstream-tls-failed` when TLS fails and `delivery-failed` otherwise.
   */
  async sendMail(smtp: SmtpConfig, message: { to: string; subject: string; text: string }): Promise<void> {
    const transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.security === "tls",
      requireTLS: smtp.security === "starttls",
      ignoreTLS: false,
      tls: this.tlsOptions(smtp.host),
      auth: smtp.user !== undefined ? { user: smtp.user, pass: smtp.pass ?? "" } : undefined,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
      // The relayed stream replaces nodemailer's own socket (and its DNS lookup, which the network
      // guard forbids); nodemailer then runs TLS on it itself, with the options above.
      getSocket: (_options: unknown, callback: (err: Error | null, socket?: { connection: Duplex } | false) => void) => {
        this.tcp(smtp.host, smtp.port).then(
          (connection) => callback(null, { connection }),
          (err: Error) => callback(err),
        );
      },
    } as Parameters<typeof nodemailer.createTransport>[0]);
    try {
      await transport.sendMail({ from: smtp.from, to: message.to, subject: message.subject, text: message.text });
    } catch (err) {
      if (err instanceof ServiceError) throw err;
      if (isTlsFailure(err)) {
        throw new ServiceError("upstream-tls-failed", `TLS with the SMTP server ${smtp.host}:${smtp.port} failed: ${(err as Error).message}`, {
          host: smtp.host,
          port: smtp.port,
        });
      }
      throw new ServiceError("delivery-failed", `the email could not be sent: ${(err as Error).message}`, { host: smtp.host, port: smtp.port });
    } finally {
      transport.close();
    }
  }
}
