/**
 * A failure on the enclave-host channel.
 *
 * - `frame-too-large`: a peer announced a frame over the limit; the connection is dropped.
 * - `malformed-frame`: a frame is not a valid CBOR message of the channel protocol.
 * - `channel-closed`: the other side went away while a request was pending.
 * - `timeout`: no answer in time.
 * - `unknown-operation`: the peer has no handler for the operation.
 * - `remote-error`: the peer's handler failed; `remoteCode` carries its code.
 * - `too-many-streams`: a relayed stream over the limit of open streams on one channel.
 * - `stream-reset`: the peer reset a relayed stream (its TCP connection failed or closed abruptly).
 *
 * @example
 * catch (e) { if (e instanceof ChannelError && e.code === "remote-error") console.log(e.remoteCode) }
 */
export class ChannelError extends Error {
  override readonly name = "ChannelError" as const;
  readonly code: "frame-too-large" | "malformed-frame" | "channel-closed" | "timeout" | "unknown-operation" | "remote-error" | "too-many-streams" | "stream-reset";
  readonly remoteCode?: string;
  readonly details: Record<string, unknown>;

  constructor(code: ChannelError["code"], message: string, details: Record<string, unknown> = {}, remoteCode?: string) {
    super(message);
    this.code = code;
    this.details = details;
    this.remoteCode = remoteCode;
  }
}
