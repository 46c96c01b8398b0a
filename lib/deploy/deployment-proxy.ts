import { keccak256 } from "ethers";

/**
 * The deterministic deployment proxy (Arachnid/deterministic-deployment-proxy). It is created by a
 * transaction signed without a chain id ("Nick's method": r and s are chosen, the signer is recovered
 * from them, so nobody holds its key). Because the transaction carries no chain id and the signer's
 * nonce 0 is used by it, the proxy lands at the same address on every EVM chain where it is mined.
 *
 * The proxy takes calldata `salt (32 bytes) ‖ initCode`, CREATE2s the init code with that salt, and
 * returns the new address (it reverts if creation fails), so
 * `address = keccak256(0xff ‖ proxy ‖ salt ‖ keccak256(initCode))[12:]`.
 *
 * @example
 * if ((await provider.getCode(DEPLOYMENT_PROXY.address)) === DEPLOYMENT_PROXY.runtimeCode) { ... }
 */
export const DEPLOYMENT_PROXY = {
  /** Where the proxy lives: CREATE address of `signer` at nonce 0. */
  address: "0x4e59b44847b379578588920cA78FbF26c0B4956C",
  /** The one-time account recovered from the presigned transaction; nobody knows its key. */
  signer: "0x3fAB184622Dc19b6109349B94811493BF2a45362",
  /**
   * The presigned legacy transaction: nonce 0, gas price 100 gwei, gas 100000, no `to`, value 0,
   * v = 27 (no chain id, so valid on every chain), r = s = 0x2222…22.
   */
  rawTransaction:
    "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222",
  /** The code the presigned transaction leaves at `address`. */
  runtimeCode:
    "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf3",
  /** Fixed by the signature: the transaction pays exactly this per gas, on every chain. */
  gasPrice: 100_000_000_000n,
  gasLimit: 100_000n,
} as const;

/** keccak256 of the proxy's runtime code: what must sit at `DEPLOYMENT_PROXY.address` before we trust it. */
export const DEPLOYMENT_PROXY_CODE_HASH = keccak256(DEPLOYMENT_PROXY.runtimeCode);

/** keccak256 of the raw presigned transaction: its transaction hash on every chain. */
export const DEPLOYMENT_PROXY_TX_HASH = keccak256(DEPLOYMENT_PROXY.rawTransaction);

/** What the one-time signer must hold for the presigned transaction to be minable: gasPrice × gasLimit = 0.01 ETH. */
export const DEPLOYMENT_PROXY_FUNDING = DEPLOYMENT_PROXY.gasPrice * DEPLOYMENT_PROXY.gasLimit;
