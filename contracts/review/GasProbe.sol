// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Review helper: a call that only succeeds when it starts with at least `needed` gas, so a
/// test can tell whether the wallet really forwarded a call's signed `gasLimit`.
contract GasProbe {
    error Starved(uint256 gasLeft, uint256 needed);

    uint256 public runs;

    function needs(uint256 needed) external {
        uint256 left = gasleft();
        if (left < needed) revert Starved(left, needed);
        runs += 1;
    }
}
