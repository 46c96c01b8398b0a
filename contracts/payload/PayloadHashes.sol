// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title PayloadHashes
 * @notice EIP-712 hashing of everything an Arbor wallet's signers sign, as specified in
 * `lib/payload/ENCODING.md`.
 */
library PayloadHashes {
    /// @notice What the wallet does when a call in a batch fails.
    /// REVERT: revert the whole batch. IGNORE: go on with the next call. ABORT: stop the batch
    /// here, keeping the effects of the calls that already ran.
    uint8 internal constant ON_FAILURE_REVERT = 0;
    uint8 internal constant ON_FAILURE_IGNORE = 1;
    uint8 internal constant ON_FAILURE_ABORT = 2;

    /// @notice One call of a batch. `gasLimit` 0 means all remaining gas.
    struct Call {
        address target;
        uint256 value;
        bytes data;
        uint256 gasLimit;
        bool delegateCall;
        uint8 onFailure;
    }

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("Arbor Wallet");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    bytes32 internal constant CALL_TYPEHASH =
        keccak256("Call(address target,uint256 value,bytes data,uint256 gasLimit,bool delegateCall,uint8 onFailure)");
    bytes32 internal constant CALLS_TYPEHASH = keccak256(
        "Calls(Call[] calls,uint256 space,uint256 nonce)"
        "Call(address target,uint256 value,bytes data,uint256 gasLimit,bool delegateCall,uint8 onFailure)"
    );
    bytes32 internal constant CONFIG_UPDATE_TYPEHASH =
        keccak256("ConfigUpdate(bytes32 root,uint256 threshold,uint256 checkpoint)");
    bytes32 internal constant MESSAGE_TYPEHASH = keccak256("Message(bytes32 hash)");

    /// @notice EIP-712 `hashStruct` of a batch under a nonce.
    function hashCalls(Call[] calldata calls, uint256 space, uint256 nonce) internal pure returns (bytes32) {
        uint256 count = calls.length;
        bytes32[] memory callHashes = new bytes32[](count);
        for (uint256 i; i < count; ++i) {
            Call calldata c = calls[i];
            callHashes[i] = keccak256(
                abi.encode(
                    CALL_TYPEHASH, c.target, c.value, keccak256(c.data), c.gasLimit, c.delegateCall, c.onFailure
                )
            );
        }
        return keccak256(abi.encode(CALLS_TYPEHASH, keccak256(abi.encodePacked(callHashes)), space, nonce));
    }

    function hashConfigUpdate(bytes32 root, uint256 threshold, uint256 checkpoint) internal pure returns (bytes32) {
        return keccak256(abi.encode(CONFIG_UPDATE_TYPEHASH, root, threshold, checkpoint));
    }

    function hashMessage(bytes32 hash) internal pure returns (bytes32) {
        return keccak256(abi.encode(MESSAGE_TYPEHASH, hash));
    }

    function domainSeparator(uint256 chainId, address wallet) internal pure returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, chainId, wallet));
    }

    /// @notice The digest signers sign: `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`.
    function digest(uint256 chainId, address wallet, bytes32 structHash) internal pure returns (bytes32 result) {
        bytes32 separator = domainSeparator(chainId, wallet);
        // Same bytes as keccak256(abi.encodePacked(hex"1901", separator, structHash)), in scratch
        // space: 0x1901 goes at 0x00-0x01, the separator at 0x02-0x21, the struct hash at 0x22-0x41.
        // That last word overwrites the first two bytes of the free memory pointer (0x40-0x5f), so
        // the pointer is saved and restored.
        assembly ("memory-safe") {
            let freePointer := mload(0x40)
            mstore(0x00, hex"1901")
            mstore(0x02, separator)
            mstore(0x22, structHash)
            result := keccak256(0x00, 0x42)
            mstore(0x40, freePointer)
        }
    }
}
