import type { Hex } from "../hex";

/**
 * An ERC-4337 v0.8 user operation with its gas fields apart, as a wallet or a bundler reasons about
 * it. {@link packUserOperation} turns it into the {@link PackedUserOperation} the EntryPoint takes.
 */
export interface UserOperation {
  sender: Hex;
  /** 192-bit key ‖ 64-bit sequence, as the EntryPoint's NonceManager reads it. */
  nonce: bigint;
  /** Counterfactual deployment: `factory` and the calldata the EntryPoint's SenderCreator sends it. */
  factory?: Hex;
  factoryData?: Hex;
  callData: Hex;
  callGasLimit: bigint;
  verificationGasLimit: bigint;
  preVerificationGas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Sponsorship: the paymaster, its gas limits and the data it reads (for example its signature). */
  paymaster?: Hex;
  paymasterVerificationGasLimit?: bigint;
  paymasterPostOpGasLimit?: bigint;
  paymasterData?: Hex;
  signature: Hex;
}

/** The EntryPoint v0.8 `PackedUserOperation` struct, field for field (see ENCODING.md). */
export interface PackedUserOperation {
  sender: Hex;
  nonce: bigint;
  initCode: Hex;
  callData: Hex;
  /** verificationGasLimit (high 128 bits) ‖ callGasLimit (low 128 bits). */
  accountGasLimits: Hex;
  preVerificationGas: bigint;
  /** maxPriorityFeePerGas (high 128 bits) ‖ maxFeePerGas (low 128 bits). */
  gasFees: Hex;
  /** paymaster (20) ‖ verification gas (16) ‖ postOp gas (16) ‖ paymaster data, or empty. */
  paymasterAndData: Hex;
  signature: Hex;
}

/** The chain and EntryPoint a user operation hash is bound to (EIP-712 domain `ERC4337` version `1`). */
export interface EntryPointDomain {
  entryPoint: Hex;
  chainId: bigint;
}
