/**
 * The node's own error text from an ethers error. ethers wraps JSON-RPC errors ("could not coalesce
 * error", "missing revert data"…); the node's message is what tells a deployer, and our error
 * classification, what actually happened.
 *
 * @example
 * try { await provider.send("eth_sendRawTransaction", [raw]); } catch (e) { console.log(rpcErrorMessage(e)); }
 */
export function rpcErrorMessage(e: unknown): string {
  type Wrapped = {
    error?: { message?: string };
    info?: { error?: { message?: string }; info?: { error?: { message?: string } } };
    shortMessage?: string;
    message?: string;
  };
  const err = e as Wrapped;
  // ethers nests the node's error at different depths depending on the method (eth_sendRawTransaction
  // answers such as "only replay-protected…" are two levels down).
  return err?.error?.message ?? err?.info?.error?.message ?? err?.info?.info?.error?.message ?? err?.shortMessage ?? err?.message ?? String(e);
}
