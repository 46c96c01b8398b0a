// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title CalldataReader
 * @notice Reads fixed-width big-endian fields out of a packed calldata `bytes` (the wallet's and
 * the sessions module's signatures).
 * @dev WARNING: no bounds checks. Past the end of calldata `calldataload` reads zeros, and past
 * the end of `data` it reads whatever follows it; callers must first prove that `at` plus the
 * field's width lies inside `data` (both signature parsers walk the whole layout before reading).
 */
library CalldataReader {
    function readUint8(bytes calldata data, uint256 at) internal pure returns (uint8 value) {
        assembly ("memory-safe") {
            value := byte(0, calldataload(add(data.offset, at)))
        }
    }

    function readUint24(bytes calldata data, uint256 at) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(232, calldataload(add(data.offset, at)))
        }
    }

    function readAddress(bytes calldata data, uint256 at) internal pure returns (address value) {
        assembly ("memory-safe") {
            value := shr(96, calldataload(add(data.offset, at)))
        }
    }

    function readBytes32(bytes calldata data, uint256 at) internal pure returns (bytes32 value) {
        assembly ("memory-safe") {
            value := calldataload(add(data.offset, at))
        }
    }
}
