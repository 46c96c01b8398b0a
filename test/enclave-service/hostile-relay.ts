// A TCP relay between the host and a TLS peer that can turn hostile (no tests here). It sits exactly
// where the host's relay output goes: the enclave dials host:port through the host, the host
// connects here, and this relay does what a root user on the host could do to those bytes.
import net from "node:net";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import type { ServerCredentials } from "./test-ca";

/**
 * - `pass`: relay both ways, untouched (and record every byte);
 * - `flip`: relay, but flip the last byte of every chunk the server sends;
 * - `impostor`: answer TLS itself with `credentials` (another CA, or another name) instead of relaying;
 * - `strip-starttls`: relay SMTP but delete STARTTLS from the server's EHLO answer (a downgrade);
 * - `refuse-starttls`: relay SMTP but answer the client's STARTTLS with "454 TLS not available".
 */
export type RelayMode =
  | { kind: "pass" }
  | { kind: "flip" }
  | { kind: "impostor"; credentials: ServerCredentials }
  | { kind: "strip-starttls" }
  | { kind: "refuse-starttls" };

export interface HostileRelay {
  port: number;
  mode: RelayMode;
  /** Every byte relayed in either direction since the last `clear()`. */
  seen(): Buffer;
  clear(): void;
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 to `target` (a port on 127.0.0.1), in `pass` mode. */
export async function startHostileRelay(target: () => number): Promise<HostileRelay> {
  let seen: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const relay: HostileRelay = {
    port: 0,
    mode: { kind: "pass" },
    seen: () => Buffer.concat(seen),
    clear: () => {
      seen = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    const mode = relay.mode;
    if (mode.kind === "impostor") {
      const impostor = new tls.TLSSocket(client, { isServer: true, key: mode.credentials.key, cert: mode.credentials.cert });
      impostor.on("error", () => client.destroy());
      impostor.on("data", (c: Buffer) => seen.push(Buffer.from(c)));
      return;
    }
    const upstream = net.connect({ host: "127.0.0.1", port: target() });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    let askedStartTls = false;
    client.on("data", (c: Buffer) => {
      seen.push(Buffer.from(c));
      if (/^STARTTLS\r\n/i.test(c.toString("latin1"))) askedStartTls = true;
      upstream.write(c);
    });
    upstream.on("data", (c: Buffer) => {
      seen.push(Buffer.from(c));
      let out = c;
      if (mode.kind === "flip") {
        out = Buffer.from(c);
        out[out.length - 1] ^= 0x01;
      } else if (mode.kind === "strip-starttls") {
        out = Buffer.from(c.toString("latin1").replace(/250-STARTTLS\r\n/g, "").replace(/250 STARTTLS\r\n/g, "250 HELP\r\n"), "latin1");
      } else if (mode.kind === "refuse-starttls" && askedStartTls) {
        askedStartTls = false;
        out = Buffer.from("454 4.7.0 TLS not available\r\n", "latin1");
      }
      client.write(out);
    });
    client.on("end", () => upstream.end());
    upstream.on("end", () => client.end());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  relay.port = (server.address() as AddressInfo).port;
  return relay;
}
