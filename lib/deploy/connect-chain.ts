import { BrowserProvider, JsonRpcProvider, Network, type Eip1193Provider, type JsonRpcApiProvider } from "ethers";
import { RpcUnreachableError } from "./errors";

/** An open connection to one chain, with its id read from the chain itself. */
export interface ChainConnection {
  /** The URL, or a name for an in-process provider; used in progress lines and tables. */
  label: string;
  chainId: bigint;
  provider: JsonRpcApiProvider;
  /** Stops the provider's timers; call when done. */
  close(): void;
}

/** A chain given either as a JSON-RPC URL or as an EIP-1193 provider (Hardhat's `network.provider`). */
export type ChainTarget = string | { label: string; provider: Eip1193Provider };

/**
 * Connects to a chain and reads its chain id. A URL is probed with one plain `eth_chainId` request
 * first, because ethers' own start-up would otherwise retry an unreachable URL forever instead of
 * failing; the probe turns refusals, timeouts and non-JSON-RPC answers into RpcUnreachableError.
 *
 * @example
 * const chain = await connectChain("http://127.0.0.1:8545");
 * console.log(chain.chainId); chain.close();
 */
export async function connectChain(target: ChainTarget, options: { timeoutMs?: number } = {}): Promise<ChainConnection> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (typeof target !== "string") {
    const chainId = BigInt((await target.provider.request({ method: "eth_chainId", params: [] })) as string);
    const provider = new BrowserProvider(target.provider, Network.from(chainId), { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
    return { label: target.label, chainId, provider, close: () => provider.destroy() };
  }

  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new RpcUnreachableError(target, "not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RpcUnreachableError(target, `unsupported protocol ${url.protocol} (use http or https)`);
  }
  const chainId = await probeChainId(target, timeoutMs);
  const network = Network.from(chainId);
  // No response cache: ethers would otherwise answer eth_getCode from a 250 ms cache, and this code
  // reads an address, changes it, and reads it again.
  const provider = new JsonRpcProvider(target, network, { staticNetwork: network, batchMaxCount: 1, cacheTimeout: -1 });
  // Loopback nodes mine instantly; remote chains are polled less eagerly.
  provider.pollingInterval = isLoopback(url.hostname) ? 100 : 2_000;
  return { label: target, chainId, provider, close: () => provider.destroy() };
}

async function probeChainId(url: string, timeoutMs: number): Promise<bigint> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const reason =
      err.name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message);
    throw new RpcUnreachableError(url, reason, { cause: e });
  }
  const text = await response.text();
  if (!response.ok) throw new RpcUnreachableError(url, `HTTP ${response.status} ${response.statusText}`);
  let body: { result?: unknown; error?: { message?: string } };
  try {
    body = JSON.parse(text);
  } catch {
    throw new RpcUnreachableError(url, "the answer is not JSON-RPC");
  }
  if (body.error) throw new RpcUnreachableError(url, `eth_chainId failed: ${body.error.message ?? "unknown error"}`);
  if (typeof body.result !== "string" || !/^0x[0-9a-fA-F]+$/.test(body.result)) {
    throw new RpcUnreachableError(url, "eth_chainId returned no chain id");
  }
  return BigInt(body.result);
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" || hostname.startsWith("127.");
}
