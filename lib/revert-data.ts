/**
 * The revert data inside an error thrown by an ethers provider call, wherever the provider put
 * it (`data` on the error, on its `error`/`cause`, or as `data.data` from some nodes), or
 * `undefined` when the error carries none (a network failure, an out-of-gas without data).
 *
 * @example
 * try { await provider.call(tx) } catch (e) { const data = revertData(e); if (data) iface.parseError(data) }
 */
export function revertData(error: unknown): string | undefined {
  // Walk at most a few levels: providers wrap the node's error once or twice, never deeper.
  for (let e: unknown = error, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    const data = (e as { data?: unknown }).data;
    if (typeof data === "string" && data.startsWith("0x") && data.length >= 10) return data;
    if (data && typeof data === "object" && typeof (data as { data?: unknown }).data === "string") return (data as { data: string }).data;
    e = (e as { error?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return undefined;
}
