// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title PayloadHashes
 * @notice EIP-712 hashing of everything an Arbor wallet's signers sign, as specified in
 * `lib/payload/ENCODING.md`.
 */
library PayloadHashes {
    /// @notice Thrown when a field of the packed payload would end at byte `needed` of a `length`-byte payload.
    error PayloadTruncated(uint256 needed, uint256 length);
    /// @notice Thrown when call `index` of a packed payload has flag bits the format does not define (bits 5-7).
    error UnknownCallFlags(uint256 index, uint8 flags);
    /// @notice Thrown when call `index` has an `onFailure` mode the wallet does not know (3).
    error UnknownFailureMode(uint256 index, uint8 onFailure);
    /// @notice Thrown when call `index` is a delegate call carrying value.
    error DelegateCallWithValue(uint256 index);
    /// @notice Thrown when call `index` flags a value or a gas limit and then encodes zero: the
    /// canonical encoding leaves the field out instead.
    error NonCanonicalCall(uint256 index);

    /// @notice Bits of a packed call's flags byte (`lib/payload/ENCODING.md`, "Packed calls").
    uint256 internal constant CALL_HAS_VALUE = 0x01;
    uint256 internal constant CALL_HAS_GAS_LIMIT = 0x02;
    uint256 internal constant CALL_DELEGATE = 0x04;
    /// @dev Bits 3-4: onFailure.
    uint256 internal constant CALL_ON_FAILURE_SHIFT = 3;
    uint256 internal constant CALL_UNKNOWN_FLAGS = 0xe0;

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
    /// @dev The wallet's own upgrade counter (`ArborWallet.UPGRADE_NONCE_SPACE`) makes a signed upgrade single-use.
    bytes32 internal constant UPGRADE_TYPEHASH = keccak256("Upgrade(address implementation,uint256 nonce)");

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

    /**
     * @notice Decodes a packed payload (`space:uint160 nonce:uint96 call*`) strictly and returns
     * its space, its nonce, the EIP-712 `hashStruct` of `Calls(calls, space, nonce)` (the same
     * as `hashCalls` of the decoded calls) and whether any call is a delegate call or a call to
     * the wallet itself (`address(this)`: this runs in the wallet's context), which may reach `updateConfiguration` or `upgradeTo`.
     * @dev Reverts with `PayloadTruncated`, `UnknownCallFlags`, `UnknownFailureMode`,
     * `DelegateCallWithValue` or `NonCanonicalCall` on the first malformed call, in the order of
     * the spec. Once this returns, `execute` reads the calls again without checks.
     */
    function hashPackedCalls(bytes calldata payload)
        internal
        view
        returns (uint256 space, uint256 nonce, bytes32 result, bool selfOrDelegate)
    {
        uint256 length = payload.length;
        if (length < 32) revert PayloadTruncated(32, length);
        uint256 failure;
        uint256 a;
        uint256 hashes;
        uint256 count;
        {
            bytes32 typehash = CALL_TYPEHASH;
            assembly ("memory-safe") {
                // Kept in scratch space for the loop (nothing else there uses it), off the stack.
                mstore(0x00, typehash)
            }
        }
        // In assembly because the walk runs once per call of every batch: Solidity's bounds
        // checks and memory allocation per field cost more than the hashing. No arithmetic here
        // can overflow: offsets are sums of a calldata offset (< 2^64) and values below 2^32.
        assembly ("memory-safe") {
            let base := payload.offset
            space := shr(96, calldataload(base)) // the first 20 bytes
            nonce := and(calldataload(base), 0xffffffffffffffffffffffff) // the last 12 bytes
            // The call hashes go at the free memory pointer, one word each, as scratch (never
            // allocated); each call's 7-word encoding is built in the 0xe0 bytes above the
            // hash list so far, where its data is hashed first.
            hashes := mload(0x40)
            let cursor := 32
            for {} lt(cursor, length) {} {
                let flags := byte(0, calldataload(add(base, cursor)))
                if and(flags, 0xe0) {
                    failure := 1 // UnknownCallFlags
                    a := or(shl(8, count), flags) // index and flags, split below
                    break
                }
                if eq(and(shr(3, flags), 3), 3) {
                    failure := 2 // UnknownFailureMode
                    a := count
                    break
                }
                // Bit 2 (delegate call) with bit 0 (has value).
                if eq(and(flags, 5), 5) {
                    failure := 3 // DelegateCallWithValue
                    a := count
                    break
                }
                // Header: flags (1) target (20) [value (32)] [gasLimit (8)] dataLength (3).
                let dataEnd := add(add(cursor, 24), add(shl(5, and(flags, 1)), shl(2, and(flags, 2))))
                if gt(dataEnd, length) {
                    failure := 4 // PayloadTruncated
                    a := dataEnd
                    break
                }
                // This call's encoding: 7 words after the hash list so far, its data after them.
                let buffer := add(hashes, shl(5, add(count, 1)))
                let at := add(base, add(cursor, 1))
                mstore(add(buffer, 0x20), shr(96, calldataload(at))) // target
                selfOrDelegate := or(selfOrDelegate, or(eq(mload(add(buffer, 0x20)), address()), and(shr(2, flags), 1)))
                at := add(at, 20)
                mstore(add(buffer, 0x40), 0) // value, unless flagged
                if and(flags, 1) {
                    mstore(add(buffer, 0x40), calldataload(at))
                    at := add(at, 32)
                    // A flagged field is never zero: zero is written by leaving it out.
                    if iszero(mload(add(buffer, 0x40))) { failure := 5 } // NonCanonicalCall
                }
                mstore(add(buffer, 0x80), 0) // gasLimit, unless flagged
                if and(flags, 2) {
                    mstore(add(buffer, 0x80), shr(192, calldataload(at)))
                    at := add(at, 8)
                    if iszero(mload(add(buffer, 0x80))) { failure := 5 } // NonCanonicalCall
                }
                if failure {
                    a := count
                    break
                }
                // dataLength: the uint24 at `at`.
                dataEnd := add(dataEnd, shr(232, calldataload(at)))
                if gt(dataEnd, length) {
                    failure := 4 // PayloadTruncated
                    a := dataEnd
                    break
                }
                calldatacopy(add(buffer, 0xe0), add(at, 3), shr(232, calldataload(at)))
                // hashStruct(Call): keccak256(abi.encode(CALL_TYPEHASH, target, value, keccak256(data), gasLimit, delegateCall, onFailure)).
                mstore(add(buffer, 0x60), keccak256(add(buffer, 0xe0), shr(232, calldataload(at))))
                mstore(buffer, mload(0x00)) // CALL_TYPEHASH
                mstore(add(buffer, 0xa0), and(shr(2, flags), 1)) // delegateCall
                mstore(add(buffer, 0xc0), and(shr(3, flags), 3)) // onFailure
                mstore(add(hashes, shl(5, count)), keccak256(buffer, 0xe0))
                count := add(count, 1)
                cursor := dataEnd
            }
        }
        bytes32 callsTypehash = CALLS_TYPEHASH;
        assembly ("memory-safe") {
            if iszero(failure) {
                let callsHash := keccak256(hashes, shl(5, count))
                // keccak256(abi.encode(CALLS_TYPEHASH, callsHash, space, nonce)), over the first hash slots.
                mstore(hashes, callsTypehash)
                mstore(add(hashes, 0x20), callsHash)
                mstore(add(hashes, 0x40), space)
                mstore(add(hashes, 0x60), nonce)
                result := keccak256(hashes, 0x80)
            }
        }
        if (failure == 0) return (space, nonce, result, selfOrDelegate);
        if (failure == 1) revert UnknownCallFlags(a >> 8, uint8(a));
        if (failure == 2) revert UnknownFailureMode(a, 3);
        if (failure == 3) revert DelegateCallWithValue(a);
        if (failure == 4) revert PayloadTruncated(a, length);
        revert NonCanonicalCall(a);
    }

    /// @notice One call of a packed payload, as `readPackedCall` reads it: its fields, where its
    /// data starts (`dataOffset`, payload-relative) and where the next call starts (`next`, also
    /// the end of the data).
    struct PackedCall {
        address target;
        uint256 value;
        uint256 gasLimit;
        bool delegateCall;
        uint8 onFailure;
        uint256 dataOffset;
        uint256 next;
    }

    /**
     * @notice The calls of a packed payload already checked by `hashPackedCalls`, as structs
     * (for the sessions module, whose interface takes `Call[]`).
     */
    function unpackCalls(bytes calldata payload) internal pure returns (Call[] memory calls) {
        PackedCall memory c;
        uint256 count;
        uint256 length = payload.length;
        for (c.next = 32; c.next < length;) {
            readPackedCall(payload, c.next, c);
            unchecked {
                // Fewer calls than payload bytes.
                ++count;
            }
        }
        calls = new Call[](count);
        c.next = 32;
        for (uint256 i; i < count; ++i) {
            readPackedCall(payload, c.next, c);
            calls[i] = Call(c.target, c.value, payload[c.dataOffset:c.next], c.gasLimit, c.delegateCall, c.onFailure);
        }
    }

    /// @notice Reads the packed call at byte `cursor` of a payload already checked by `hashPackedCalls` into `c`.
    function readPackedCall(bytes calldata payload, uint256 cursor, PackedCall memory c) internal pure {
        assembly ("memory-safe") {
            // hashPackedCalls proved every field lies inside the payload.
            let at := add(payload.offset, cursor)
            let flags := byte(0, calldataload(at))
            mstore(c, shr(96, calldataload(add(at, 1)))) // target
            at := add(at, 21)
            let value := 0
            if and(flags, 1) {
                value := calldataload(at)
                at := add(at, 32)
            }
            mstore(add(c, 0x20), value)
            let gasLimit := 0
            if and(flags, 2) {
                gasLimit := shr(192, calldataload(at))
                at := add(at, 8)
            }
            mstore(add(c, 0x40), gasLimit)
            mstore(add(c, 0x60), and(shr(2, flags), 1)) // delegateCall
            mstore(add(c, 0x80), and(shr(3, flags), 3)) // onFailure
            let dataOffset := sub(add(at, 3), payload.offset)
            mstore(add(c, 0xa0), dataOffset)
            mstore(add(c, 0xc0), add(dataOffset, shr(232, calldataload(at)))) // next
        }
    }

    function hashConfigUpdate(bytes32 root, uint256 threshold, uint256 checkpoint) internal pure returns (bytes32) {
        return keccak256(abi.encode(CONFIG_UPDATE_TYPEHASH, root, threshold, checkpoint));
    }

    function hashUpgrade(address implementation, uint256 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encode(UPGRADE_TYPEHASH, implementation, nonce));
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
