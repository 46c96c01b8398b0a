// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Review helper: a malicious call target that fails with `size` bytes of revert data. The
/// callee pays the memory for them once; whoever copies the revert data pays again.
contract ReturnBomb {
    function explode(uint256 size) external pure {
        assembly {
            revert(0, size)
        }
    }
}
