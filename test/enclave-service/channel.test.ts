import { expect } from "chai";
import net from "node:net";
import path from "node:path";
import { Channel } from "../../enclave-service/channel/channel";
import { ChannelError } from "../../enclave-service/channel/channel-error";
import { FrameReader, encodeFrame } from "../../enclave-service/channel/frames";
import { tempDir } from "./helpers";

/** Two channels joined by a real Unix socket, like host and enclave. */
async function pair(serverHandlers: Record<string, (a: any) => Promise<unknown>>, clientHandlers: Record<string, (a: any) => Promise<unknown>> = {}) { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = tempDir("channel");
  const socketPath = path.join(dir.dir, "s.sock");
  let serverSide!: Channel;
  const accepted = new Promise<void>((resolve) => {
    const server = net.createServer((socket) => {
      serverSide = new Channel(socket, serverHandlers);
      resolve();
    });
    server.listen(socketPath);
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  });
  await new Promise<void>((r) => setTimeout(r, 10));
  const socket = net.createConnection({ path: socketPath });
  await new Promise<void>((r) => socket.once("connect", () => r()));
  const client = new Channel(socket, clientHandlers);
  await accepted;
  cleanups.push(async () => {
    client.close();
    serverSide.close();
    dir.remove();
  });
  return { client, server: serverSide, socket };
}
const cleanups: (() => Promise<void>)[] = [];

describe("channel/Channel", () => {
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  describe("openStream / acceptStream", () => {
    it("carries bytes both ways and ends cleanly when the opener announces the stream by id", async () => {
      let accepted: import("node:stream").Duplex | undefined;
      const { client } = await pair({
        "tcp.open": async (a: { stream: number }, ch?: unknown) => {
          accepted = (ch as Channel).acceptStream(a.stream);
          accepted.on("data", (c: Buffer) => accepted!.write(Buffer.concat([Buffer.from("echo:"), c])));
          accepted.on("end", () => accepted!.end());
          return null;
        },
      } as never);
      const { id, stream } = client.openStream();
      await client.request("tcp.open", { stream: id });
      const got: Buffer[] = [];
      stream.on("data", (c: Buffer) => got.push(c));
      const ended = new Promise<void>((r) => stream.on("end", () => r()));
      stream.write(Buffer.alloc(70_000, 1)); // more than one 64 KiB frame
      stream.end();
      await ended;
      const all = Buffer.concat(got);
      expect(all.subarray(0, 5).toString()).to.equal("echo:");
      expect(all.length).to.be.greaterThan(70_000);
    });

    it("refuses a stream id that is already open or not a positive integer, and resets streams when the channel closes", async () => {
      const { client } = await pair({});
      const { id, stream } = client.openStream();
      expect(() => client.acceptStream(id)).to.throw(ChannelError).with.property("code", "malformed-frame");
      expect(() => client.acceptStream(0)).to.throw(ChannelError).with.property("code", "malformed-frame");
      const failed = new Promise<Error>((r) => stream.on("error", r));
      client.close();
      expect(((await failed) as ChannelError).code).to.equal("channel-closed");
      expect(() => client.openStream()).to.throw(ChannelError).with.property("code", "channel-closed");
    });
  });

  describe("request", () => {
    it("carries bytes, numbers and strings both ways when each side calls the other", async () => {
      const { client, server } = await pair(
        { echo: async (a: { bytes: Uint8Array; n: number }) => ({ bytes: a.bytes, n: a.n + 1 }) },
        { ping: async () => "pong" },
      );
      const r = await client.request<{ bytes: Uint8Array; n: number }>("echo", { bytes: new Uint8Array([0, 255, 7]), n: 41 });
      expect([...r.bytes]).to.deep.equal([0, 255, 7]);
      expect(r.n).to.equal(42);
      expect(await server.request("ping", {})).to.equal("pong");
    });

    it("answers out of order when a slow request is followed by a fast one", async () => {
      const { client } = await pair({ wait: async (a: { ms: number }) => new Promise((r) => setTimeout(() => r(a.ms), a.ms)) });
      const order: number[] = [];
      await Promise.all([client.request<number>("wait", { ms: 80 }).then((v) => order.push(v)), client.request<number>("wait", { ms: 5 }).then((v) => order.push(v))]);
      expect(order).to.deep.equal([5, 80]);
    });

    it("rejects with remote-error carrying the remote code when the handler fails", async () => {
      const { client } = await pair({
        fail: async () => {
          throw Object.assign(new Error("no such row"), { code: "tx-not-found", details: { tx: "x" } });
        },
      });
      try {
        await client.request("fail", {});
        expect.fail("should reject");
      } catch (err) {
        expect(err).to.be.instanceOf(ChannelError);
        expect((err as ChannelError).code).to.equal("remote-error");
        expect((err as ChannelError).remoteCode).to.equal("tx-not-found");
        expect((err as ChannelError).details).to.deep.equal({ tx: "x" });
      }
    });

    it("rejects with unknown-operation when the peer has no such handler", async () => {
      const { client } = await pair({});
      try {
        await client.request("nope", {});
        expect.fail("should reject");
      } catch (err) {
        expect((err as ChannelError).remoteCode).to.equal("unknown-operation");
      }
    });

    it("rejects with timeout when the peer does not answer in time", async () => {
      const { client } = await pair({ hang: () => new Promise(() => undefined) });
      try {
        await client.request("hang", {}, 50);
        expect.fail("should time out");
      } catch (err) {
        expect((err as ChannelError).code).to.equal("timeout");
      }
    });

    it("rejects pending requests with channel-closed when the peer goes away", async () => {
      const { client, server } = await pair({ hang: () => new Promise(() => undefined) });
      const pending = client.request("hang", {}, 5_000);
      server.close();
      try {
        await pending;
        expect.fail("should reject");
      } catch (err) {
        expect((err as ChannelError).code).to.equal("channel-closed");
      }
    });

    it("drops the connection when the peer announces a frame over the limit", async () => {
      const { client, socket } = await pair({});
      const closed = new Promise<void>((r) => client.onClose(r));
      const header = Buffer.alloc(4);
      header.writeUInt32BE(0xffffffff);
      // Written from the client's socket: the server side must hang up.
      socket.write(header);
      await closed;
      expect(client.isClosed).to.equal(true);
    });
  });
});

describe("channel/FrameReader", () => {
  describe("push", () => {
    it("reassembles frames when they arrive split at every byte", () => {
      const bytes = Buffer.concat([encodeFrame({ a: 1 }), encodeFrame({ b: new Uint8Array([9]) })]);
      const reader = new FrameReader();
      const out: unknown[] = [];
      for (const b of bytes) out.push(...reader.push(Buffer.from([b])));
      expect(out).to.have.length(2);
    });

    it("throws frame-too-large when a length exceeds the limit and malformed-frame when the body is not CBOR", () => {
      const big = Buffer.alloc(4);
      big.writeUInt32BE(1000);
      expect(() => new FrameReader(100).push(big)).to.throw(ChannelError).with.property("code", "frame-too-large");
      const junk = Buffer.from([0, 0, 0, 1, 0xff]);
      expect(() => new FrameReader().push(junk)).to.throw(ChannelError).with.property("code", "malformed-frame");
    });
  });
});
