import net from "node:net";
import dns from "node:dns";

/** Thrown when enclave code tries to reach the network itself. */
export class EnclaveNetworkDenied extends Error {
  override readonly name = "EnclaveNetworkDenied" as const;
  readonly code = "enclave-network-denied" as const;
}

/**
 * Makes the enclave process unable to open network connections or resolve names: only Unix socket
 * paths pass. A Nitro enclave has no network device at all; this is the closest a normal process
 * gets, and it turns an accidental `fetch` in enclave code into a loud error instead of a leak.
 * (It is a guard against mistakes, not against hostile code running in the same process.)
 */
export function installNetworkGuard(): void {
  const deny = (what: string) => {
    throw new EnclaveNetworkDenied(`the enclave has no network access (${what}); ask the host over the channel`);
  };
  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
    const first = args[0] as { path?: unknown } | string | number | unknown[];
    const normalized = Array.isArray(first) ? (first[0] as { path?: unknown }) : first;
    const isPath = typeof normalized === "string" || (typeof normalized === "object" && normalized !== null && typeof (normalized as { path?: unknown }).path === "string");
    if (!isPath) deny("TCP connect");
    return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof originalConnect;
  dns.lookup = ((..._args: unknown[]) => deny("DNS lookup")) as unknown as typeof dns.lookup;
  globalThis.fetch = (async () => deny("fetch")) as typeof fetch;
}
