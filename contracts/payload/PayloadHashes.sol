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
    function hashCalls(Call[] calldata calls, uint256 space, uint256 nonce) internal pure returns (bytes32 result) {
        uint256 count = calls.length;
        // The call hashes and each call's encoding are written past the free memory pointer as
        // scratch, never allocated: abi.encode per call allocated 224 bytes each and cost more
        // than the hashing itself.
        uint256 hashes;
        assembly ("memory-safe") {
            hashes := mload(0x40)
        }
        for (uint256 i; i < count; ++i) {
            Call calldata c = calls[i];
            bytes calldata data = c.data;
            bytes32 typehash = CALL_TYPEHASH;
            assembly ("memory-safe") {
                // The fixed-width fields are hashed as the raw words the caller sent. A dirty
                // word (an address or bool with stray bits) hashes differently from what any
                // signer signed, and `execute` reads every field again through Solidity's ABI
                // decoder, which reverts on dirty values: what runs is what was signed.
                // The encoding goes after the `count` hash slots; the data is hashed at the same place first.
                let buffer := add(hashes, shl(5, count))
                calldatacopy(buffer, data.offset, data.length)
                let dataHash := keccak256(buffer, data.length)
                mstore(buffer, typehash)
                mstore(add(buffer, 0x20), calldataload(c)) // target
                mstore(add(buffer, 0x40), calldataload(add(c, 0x20))) // value
                mstore(add(buffer, 0x60), dataHash)
                mstore(add(buffer, 0x80), calldataload(add(c, 0x60))) // gasLimit
                mstore(add(buffer, 0xa0), calldataload(add(c, 0x80))) // delegateCall
                mstore(add(buffer, 0xc0), calldataload(add(c, 0xa0))) // onFailure
                mstore(add(hashes, shl(5, i)), keccak256(buffer, 0xe0))
            }
        }
        bytes32 callsTypehash = CALLS_TYPEHASH;
        assembly ("memory-safe") {
            let callsHash := keccak256(hashes, shl(5, count))
            // keccak256(abi.encode(CALLS_TYPEHASH, callsHash, space, nonce)), over the first hash slots.
            mstore(hashes, callsTypehash)
            mstore(add(hashes, 0x20), callsHash)
            mstore(add(hashes, 0x40), space)
            mstore(add(hashes, 0x60), nonce)
            result := keccak256(hashes, 0x80)
        }
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
