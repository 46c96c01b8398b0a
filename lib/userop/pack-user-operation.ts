import { InvalidArgumentError } from "../errors";
import { bytesToHex, checkUint, hexToBytes, normalizeAddress, type Hex } from "../hex";
import type { PackedUserOperation, UserOperation } from "./types";

const MAX_UINT128 = (1n << 128n) - 1n;

/** Two uint128 in one word, `high ‖ low`, as the EntryPoint's `UserOperationLib.unpackUints` reads them. */
export function packUint128Pair(high: bigint, low: bigint, fields: [string, string]): Hex {
  const h = checkUint(high, fields[0], 0n, MAX_UINT128);
  const l = checkUint(low, fields[1], 0n, MAX_UINT128);
  return `0x${((h << 128n) | l).toString(16).padStart(64, "0")}`;
}

function uint128Hex(value: bigint, field: string): string {
  return checkUint(value, field, 0n, MAX_UINT128).toString(16).padStart(32, "0");
}

function bytes(value: Hex | undefined, field: string): string {
  if (value === undefined) return "";
  return bytesToHex(hexToBytes(value, field)).slice(2);
}

/**
 * Packs a user operation into the EntryPoint v0.8 struct: `initCode = factory ‖ factoryData`,
 * the gas limits and fees two by two in one word each, and
 * `paymasterAndData = paymaster ‖ uint128 verification gas ‖ uint128 postOp gas ‖ paymasterData`.
 * Throws InvalidArgumentError naming the field when a value does not fit, or when factory data or
 * paymaster fields are given without their address.
 *
 * @example
 * const packed = packUserOperation({ sender, nonce: 0n, callData, callGasLimit: 100_000n, ... , signature: "0x" });
 */
export function packUserOperation(op: UserOperation): PackedUserOperation {
  if (op.factory === undefined && op.factoryData !== undefined && op.factoryData !== "0x") {
    throw new InvalidArgumentError("FACTORY_DATA_WITHOUT_FACTORY", "factoryData", "factory data needs a factory");
  }
  const paymasterFields = [op.paymasterVerificationGasLimit, op.paymasterPostOpGasLimit, op.paymasterData].some((v) => v !== undefined);
  if (op.paymaster === undefined && paymasterFields) {
    throw new InvalidArgumentError("PAYMASTER_FIELDS_WITHOUT_PAYMASTER", "paymaster", "paymaster gas limits or data need a paymaster address");
  }
  const initCode: Hex = op.factory === undefined ? "0x" : `0x${normalizeAddress(op.factory, "factory").slice(2).toLowerCase()}${bytes(op.factoryData, "factoryData")}`;
  const paymasterAndData: Hex =
    op.paymaster === undefined
      ? "0x"
      : `0x${normalizeAddress(op.paymaster, "paymaster").slice(2).toLowerCase()}${uint128Hex(op.paymasterVerificationGasLimit ?? 0n, "paymasterVerificationGasLimit")}${uint128Hex(op.paymasterPostOpGasLimit ?? 0n, "paymasterPostOpGasLimit")}${bytes(op.paymasterData, "paymasterData")}`;
  return {
    sender: normalizeAddress(op.sender, "sender"),
    nonce: checkUint(op.nonce, "nonce"),
    initCode,
    callData: `0x${bytes(op.callData, "callData")}`,
    accountGasLimits: packUint128Pair(op.verificationGasLimit, op.callGasLimit, ["verificationGasLimit", "callGasLimit"]),
    preVerificationGas: checkUint(op.preVerificationGas, "preVerificationGas"),
    gasFees: packUint128Pair(op.maxPriorityFeePerGas, op.maxFeePerGas, ["maxPriorityFeePerGas", "maxFeePerGas"]),
    paymasterAndData,
    signature: `0x${bytes(op.signature, "signature")}`,
  };
}
