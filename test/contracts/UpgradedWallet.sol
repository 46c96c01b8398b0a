// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ArborWallet} from "../../contracts/wallet/ArborWallet.sol";

/// @dev Test-only: a second wallet implementation with the same storage layout and one more function.
contract UpgradedWallet is ArborWallet {
    constructor(address factory, address sessions, address entryPoint) ArborWallet(factory, sessions, entryPoint) {}

    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @dev Test-only: an implementation that declares another storage layout.
contract OtherLayoutWallet {
    function STORAGE_LAYOUT_ID() external pure returns (bytes32) {
        return keccak256("someone.else.storage-layout");
    }
}
