import type { ChainConnection } from "./connect-chain";
import { EvmVersionUnsupportedError } from "./errors";
import { rpcErrorMessage } from "./rpc-error-message";

/**
 * Init code that uses one opcode from each EVM upgrade the singletons may rely on and returns 0x01:
 *
 *   5f        PUSH0              (Shanghai, EIP-3855)
 *   5c 50     TLOAD, POP         (Cancun, EIP-1153)
 *   6001 5f 5d   TSTORE(0, 1)
 *   6020 5f 5f 5e  MCOPY(0, 0, 32)  (Cancun, EIP-5656)
 *   4a 50     BLOBBASEFEE, POP   (Cancun, EIP-7516)
 *   6001 5f 53   MSTORE8(0, 1)
 *   6001 5f f3   RETURN(0, 1)
 */
const CANCUN_PROBE = "0x5f5c5060015f5d60205f5f5e4a5060015f5360015ff3";

/**
 * Throws EvmVersionUnsupportedError unless the chain executes Cancun opcodes. Runs the probe with
 * eth_call, so it costs nothing and changes nothing.
 *
 * @example
 * await assertCancun(chain); // before sending any deployment
 */
export async function assertCancun(chain: ChainConnection): Promise<void> {
  let result: string;
  try {
    result = (await chain.provider.send("eth_call", [{ data: CANCUN_PROBE }, "latest"])) as string;
  } catch (e) {
    throw new EvmVersionUnsupportedError(chain.chainId, "cancun", rpcErrorMessage(e));
  }
  if (result !== "0x01") throw new EvmVersionUnsupportedError(chain.chainId, "cancun", `probe returned ${result}, expected 0x01`);
}
