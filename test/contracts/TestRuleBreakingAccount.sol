// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/// @dev Test-only: a contract with one storage slot that anyone can read, not associated with any account.
contract TestSharedStore {
    uint256 public value = 1;

    function bump() external {
        value += 1;
    }
}

/**
 * @dev Test-only ERC-4337 account that breaks one ERC-7562 validation rule on purpose, chosen at
 * construction as a bit mask, so the rule checker is shown to catch each: bit 0 reads TIMESTAMP,
 * bit 1 reads another contract's unassociated storage, bit 2 uses GAS not followed by a call,
 * bit 3 reads NUMBER; 0 breaks nothing. Its execution phase always reads TIMESTAMP and writes
 * the shared store, which the rules allow there.
 * Accepts any signature: it exists only to exercise the tracer.
 */
contract TestRuleBreakingAccount is IAccount {
    address public immutable ENTRY_POINT;
    TestSharedStore public immutable STORE;
    uint256 public immutable MODE;
    uint256 public lastTimestamp;

    constructor(address entryPoint, TestSharedStore store, uint256 mode) {
        ENTRY_POINT = entryPoint;
        STORE = store;
        MODE = mode;
    }

    function validateUserOp(PackedUserOperation calldata, bytes32, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (MODE & 1 != 0 && block.timestamp == 0) validationData = 1;
        if (MODE & 2 != 0 && STORE.value() == 0) validationData = 1;
        if (MODE & 4 != 0 && gasleft() == 0) validationData = 1;
        if (MODE & 8 != 0 && block.number == 0) validationData = 1;
        if (missingAccountFunds != 0) {
            (bool ok,) = payable(ENTRY_POINT).call{value: missingAccountFunds}("");
            (ok);
        }
    }

    function run() external {
        lastTimestamp = block.timestamp;
        STORE.bump();
    }

    receive() external payable {}
}
