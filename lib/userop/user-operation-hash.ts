import { AbiCoder, TypedDataEncoder, keccak256 } from "ethers";
import { checkUint, normalizeAddress, type Hex } from "../hex";
import type { EntryPointDomain, PackedUserOperation } from "./types";

/**
 * `PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)`
 * hashed: the struct type of EntryPoint v0.8's EIP-712 user operation hash (`UserOperationLib.PACKED_USEROP_TYPEHASH`).
 */
export const PACKED_USEROP_TYPEHASH = keccak256(
  new TextEncoder().encode(
    "PackedUserOperation(address sender,uint256 nonce,bytes initCode,bytes callData,bytes32 accountGasLimits,uint256 preVerificationGas,bytes32 gasFees,bytes paymasterAndData)",
  ),
) as Hex;

/**
 * The hash an account signs, exactly as `EntryPoint.getUserOpHash` (v0.8) computes it: the EIP-712
 * digest of the packed operation (without its signature) under the domain
 * `{ name: "ERC4337", version: "1", chainId, verifyingContract: entryPoint }`.
 *
 * Not covered: EIP-7702 senders (initCode starting `0x7702`), whose hash substitutes the
 * delegate's address for the init code; this library does not build 7702 operations.
 *
 * @example
 * const hash = userOperationHash(packed, { entryPoint: ENTRY_POINT_V08.address, chainId: 31337n });
 */
export function userOperationHash(op: PackedUserOperation, domain: EntryPointDomain): Hex {
  const structHash = keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["bytes32", "address", "uint256", "bytes32", "bytes32", "bytes32", "uint256", "bytes32", "bytes32"],
      [
        PACKED_USEROP_TYPEHASH,
        op.sender,
        op.nonce,
        keccak256(op.initCode),
        keccak256(op.callData),
        op.accountGasLimits,
        op.preVerificationGas,
        op.gasFees,
        keccak256(op.paymasterAndData),
      ],
    ),
  );
  const separator = TypedDataEncoder.hashDomain({
    name: "ERC4337",
    version: "1",
    chainId: checkUint(domain.chainId, "chainId"),
    verifyingContract: normalizeAddress(domain.entryPoint, "entryPoint"),
  });
  return keccak256(`0x1901${separator.slice(2)}${structHash.slice(2)}`) as Hex;
}
