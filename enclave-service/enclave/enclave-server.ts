import net from "node:net";
import { existsSync, unlinkSync } from "node:fs";
import { Channel } from "../channel/channel";
import type { Attestor } from "./attestor";
import { validateEnclaveConfig, type EnclaveConfig } from "./enclave-config";
import type { ForwardedRequest } from "./http-types";
import { IdentityEnclave } from "./identity-enclave";
import { generateSealedKeyPair } from "../../lib/identity/sealed-exchange";

/**
 * Listens on the enclave's Unix socket (its stand-in vsock) for the host. One host at a time: a
 * new connection replaces the old one. The host sends `http` requests; the enclave answers them
 * and sends its own I/O requests back over the same connection.
 *
 * @example
 * const enclave = await startEnclave(config, await createLocalAttestor(pcr0));
 */
export async function startEnclave(config: EnclaveConfig, attestor: Attestor): Promise<{ enclave: IdentityEnclave; close(): Promise<void> }> {
  validateEnclaveConfig(config, attestor);
  let current: Channel | undefined;
  const enclave = new IdentityEnclave(config, attestor, () => current, await generateSealedKeyPair());
  if (existsSync(config.socketPath)) unlinkSync(config.socketPath);
  const server = net.createServer((socket) => {
    current?.close();
    const channel = new Channel(socket, {
      http: (req: ForwardedRequest) => enclave.handle({ ...req, body: new Uint8Array(req.body ?? []) }),
    });
    current = channel;
    channel.onClose(() => {
      if (current === channel) current = undefined;
    });
    enclave.onHostConnected().catch((err: Error) => {
      // The host is the only place to report to; if it cannot take the log, stderr is all there is.
      process.stderr.write(`enclave: could not prepare the key pool: ${err.message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.socketPath, () => resolve());
  });
  return {
    enclave,
    close: () =>
      new Promise<void>((resolve) => {
        enclave.stop();
        current?.close();
        server.close(() => resolve());
      }),
  };
}
