// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BasePaymaster} from "@account-abstraction/contracts/core/BasePaymaster.sol";
import {IEntryPoint} from "@account-abstraction/contracts/interfaces/IEntryPoint.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";
import {UserOperationLib} from "@account-abstraction/contracts/core/UserOperationLib.sol";
import {_packValidationData} from "@account-abstraction/contracts/core/Helpers.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";

/**
 * @title TestVerifyingPaymaster
 * @notice Test-only sponsor: pays for any user operation that its off-chain `VERIFIER` key approved.
 * `paymasterData = validUntil (uint48) ‖ validAfter (uint48) ‖ 65-byte ECDSA signature` over
 * {getHash}. A wrong signature returns SIG_VALIDATION_FAILED (the EntryPoint then reverts with
 * "AA34 signature error"), as ERC-4337 asks; only a malformed field reverts.
 */
contract TestVerifyingPaymaster is BasePaymaster {
    using UserOperationLib for PackedUserOperation;

    /// @notice Thrown when `paymasterData` is not 6 + 6 + 65 bytes long; carries its length.
    error PaymasterDataLength(uint256 length);

    address public immutable VERIFIER;

    /// @dev Offset of paymasterData inside paymasterAndData: paymaster (20) ‖ verification gas (16) ‖ postOp gas (16).
    uint256 private constant DATA = UserOperationLib.PAYMASTER_DATA_OFFSET;

    constructor(IEntryPoint entryPoint, address verifier) BasePaymaster(entryPoint) {
        VERIFIER = verifier;
    }

    /**
     * @notice What the verifier signs (EIP-191 personal message of this hash): every field of the
     * operation except its signature and the paymaster's own signature, bound to this chain and
     * this paymaster, with the validity window.
     */
    function getHash(PackedUserOperation calldata userOp, uint48 validUntil, uint48 validAfter) public view returns (bytes32) {
        return keccak256(
            abi.encode(
                userOp.sender,
                userOp.nonce,
                keccak256(userOp.initCode),
                keccak256(userOp.callData),
                userOp.accountGasLimits,
                // The paymaster address and its two gas limits, not its data (which holds the signature).
                bytes32(userOp.paymasterAndData[20:DATA]),
                userOp.preVerificationGas,
                userOp.gasFees,
                block.chainid,
                address(this),
                validUntil,
                validAfter
            )
        );
    }

    function _validatePaymasterUserOp(PackedUserOperation calldata userOp, bytes32, uint256)
        internal
        view
        override
        returns (bytes memory context, uint256 validationData)
    {
        bytes calldata data = userOp.paymasterAndData[DATA:];
        if (data.length != 77) revert PaymasterDataLength(data.length);
        uint48 validUntil = uint48(bytes6(data[0:6]));
        uint48 validAfter = uint48(bytes6(data[6:12]));
        bytes32 hash = MessageHashUtils.toEthSignedMessageHash(getHash(userOp, validUntil, validAfter));
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(hash, data[12:]);
        bool failed = error != ECDSA.RecoverError.NoError || recovered != VERIFIER;
        return ("", _packValidationData(failed, validUntil, validAfter));
    }
}
