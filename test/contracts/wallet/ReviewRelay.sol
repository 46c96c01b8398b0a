// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Review helper: runs several calls in one transaction (a relayer's multicall, or a call
/// target that re-enters whoever called it). Bubbles the first failure's revert data.
contract ReviewRelay {
    function run(address[] calldata targets, bytes[] calldata data) external payable {
        for (uint256 i; i < targets.length; ++i) {
            (bool success, bytes memory result) = targets[i].call(data[i]);
            if (!success) {
                assembly {
                    revert(add(result, 0x20), mload(result))
                }
            }
        }
    }
}
