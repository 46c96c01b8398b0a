// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WalletSignature} from "../../contracts/signature/WalletSignature.sol";

/// @dev Test-only: runs the wallet's signature verification with this contract as the wallet,
/// returning what it proves instead of comparing it with a stored image hash.
contract SignatureHarness {
    function recover(bytes32 structHash, bytes calldata signature, bool allowChainIdZero)
        external
        view
        returns (WalletSignature.Recovered memory)
    {
        return WalletSignature.recover(signature, structHash, allowChainIdZero);
    }
}
