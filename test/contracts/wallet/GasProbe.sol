// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Review helper: calls that only succeed when the wallet really forwarded a call's signed
/// `gasLimit`. `needs` checks its gas on entry; `consume` burns gas like real work and runs out
/// of gas (the common way a starved call fails).
contract GasProbe {
    error Starved(uint256 gasLeft, uint256 needed);

    uint256 public runs;

    function needs(uint256 needed) external {
        uint256 left = gasleft();
        if (left < needed) revert Starved(left, needed);
        runs += 1;
    }

    /// Burns `amount` gas, then records a run (about 22,100 more for a first run).
    function consume(uint256 amount) external {
        uint256 stop = gasleft() - amount;
        while (gasleft() > stop) {}
        runs += 1;
    }
}
