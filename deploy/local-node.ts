import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

/** A `hardhat node` process on loopback, posing as one chain. */
export interface LocalNode {
  url: string;
  chainId: number;
  pid: number;
  /** The node's recent console output, for diagnosing a failed test. */
  output(): string;
  /** Stops the node's whole process group and waits for it to exit. Safe to call twice. */
  stop(): Promise<void>;
}

export interface LocalNodeOptions {
  chainId: number;
  /** A Hardhat config other than the project's (e.g. one with an older hardfork). */
  config?: string;
  /** Project root; default: this repository. */
  cwd?: string;
  /** How long to wait for the RPC to answer. */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
// Last line of defence: a test runner that dies mid-test must not leave nodes behind.
process.once("exit", () => {
  for (const child of live) killGroup(child, "SIGKILL");
});

/**
 * Starts `hardhat node` bound to 127.0.0.1 on a port the OS picks (so parallel runs never collide),
 * with HARDHAT_CHAIN_ID set so each node is a distinct chain, and waits until its RPC answers
 * eth_chainId with that id. The node runs in its own process group so stop() can end it and
 * everything it spawned.
 *
 * @example
 * const node = await startLocalNode({ chainId: 31338 });
 * try { console.log(node.url); } finally { await node.stop(); }
 */
export async function startLocalNode(options: LocalNodeOptions): Promise<LocalNode> {
  const cwd = options.cwd ?? path.join(__dirname, "..");
  const hardhatBin = path.join(path.dirname(require.resolve("hardhat/package.json", { paths: [cwd] })), "internal/cli/bootstrap.js");
  const args = [hardhatBin, ...(options.config ? ["--config", options.config] : []), "node", "--hostname", "127.0.0.1", "--port", "0"];
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, HARDHAT_CHAIN_ID: String(options.chainId) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let output = "";
  const keep = (chunk: Buffer) => {
    // The node logs every RPC call; keep only the tail so a long run cannot grow without bound.
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    live.delete(child);
  };

  try {
    const url = await waitForUrl(child, () => output, options.timeoutMs ?? 60_000);
    await waitForChainId(url, options.chainId, options.timeoutMs ?? 60_000);
    return { url, chainId: options.chainId, pid: child.pid!, output: () => output, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function waitForUrl(child: ChildProcess, output: () => string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const started = /Started HTTP and WebSocket JSON-RPC server at (http:\/\/[^\s/]+)\//;
    const check = () => {
      const match = started.exec(output());
      if (match) {
        cleanup();
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`hardhat node exited (code ${code}) before serving:\n${output()}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`hardhat node did not start within ${timeoutMs} ms:\n${output()}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout!.off("data", check);
      child.off("exit", onExit);
    };
    child.stdout!.on("data", check);
    child.once("exit", onExit);
    check();
  });
}

async function waitForChainId(url: string, chainId: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
        signal: AbortSignal.timeout(2_000),
      });
      const body = (await response.json()) as { result?: string };
      if (body.result !== undefined) {
        if (BigInt(body.result) !== BigInt(chainId)) throw new Error(`node at ${url} reports chain ${BigInt(body.result)}, expected ${chainId}`);
        return;
      }
      last = JSON.stringify(body);
    } catch (e) {
      if ((e as Error).message.startsWith("node at")) throw e;
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`node at ${url} did not answer eth_chainId within ${timeoutMs} ms (${last})`);
}
