import http from "node:http";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { startLocalNode, type LocalNode } from "../../deploy/local-node";

/** One JSON-RPC call; throws with the node's message on an error answer. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: T; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result as T;
}

/** Awaits `promise` and checks that it rejects with an error of this name and code; returns the error. */
export async function expectRejection<E = Error & { code: string }>(promise: Promise<unknown>, name: string, code: string): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${name} to be thrown`).to.be.instanceOf(Error);
  const err = caught as Error & { code?: string };
  expect(err.name, err.message).to.equal(name);
  expect(err.code).to.equal(code);
  return caught as E;
}

/**
 * Starts several nodes; if any fails to start, stops the others before rethrowing, so a failed
 * `before` hook never leaves a node behind.
 */
export async function startNodes(options: Array<Parameters<typeof startLocalNode>[0]>): Promise<LocalNode[]> {
  const settled = await Promise.allSettled(options.map((o) => startLocalNode(o)));
  const failed = settled.find((s) => s.status === "rejected") as PromiseRejectedResult | undefined;
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === "fulfilled" ? s.value.stop() : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<LocalNode>).value);
}

/** A loopback port with nothing listening on it (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An HTTP server that answers every request with a 404 HTML page: reachable, but not JSON-RPC. */
export async function startNotRpcServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(404, { "content-type": "text/html" });
    res.end("<html>not found</html>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Takes a snapshot and returns a function that restores it (and takes a fresh one for next time). */
export async function snapshotter(url: string): Promise<() => Promise<void>> {
  let id = await rpc<string>(url, "evm_snapshot");
  return async () => {
    expect(await rpc<boolean>(url, "evm_revert", [id])).to.equal(true);
    id = await rpc<string>(url, "evm_snapshot");
  };
}

let shared: Promise<LocalNode[]> | undefined;
let pristine: string[] = [];

/**
 * Two `hardhat node` chains (ids 31337 and 31338) shared by the deployment test files, returned as
 * they were when they started: each call reverts both to a snapshot taken right after start-up. One
 * pair per test run instead of one per file saves a few seconds of CPU each; the root `after` hook
 * below stops them when the run ends, whether tests failed or not.
 */
export async function freshChains(): Promise<[LocalNode, LocalNode]> {
  shared ??= startNodes([{ chainId: 31337 }, { chainId: 31338 }]).then(async (nodes) => {
    pristine = await Promise.all(nodes.map((n) => rpc<string>(n.url, "evm_snapshot")));
    return nodes;
  });
  const nodes = await shared;
  for (const [i, node] of nodes.entries()) {
    expect(await rpc<boolean>(node.url, "evm_revert", [pristine[i]])).to.equal(true);
    pristine[i] = await rpc<string>(node.url, "evm_snapshot");
  }
  return [nodes[0], nodes[1]];
}

// A root-level hook (registered when the first test file imports this module): runs once, after all files.
after(async () => {
  const nodes = await shared?.catch(() => []);
  await Promise.all((nodes ?? []).map((n) => n.stop()));
});
