// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PayloadHashes} from "../payload/PayloadHashes.sol";

/**
 * @title IArborSessions
 * @notice The sessions module: a singleton that wallets call to authorise a batch signed by
 * session keys (explicit sessions with permissions, attested sessions with an identity signer),
 * and that keeps each wallet's session usage (cumulative limits) keyed by the calling wallet.
 * @dev A wallet hands over the whole session signature (signature flag bit 1) and compares the
 * returned image hash with its own; a mismatch reverts the whole transaction, usage included.
 */
interface IArborSessions {
    /**
     * @notice Checks that every call of a batch is authorised by a session of the configuration
     * the signature proves, records the usage of cumulative limits for `msg.sender`, and returns
     * the image hash of that configuration.
     * @param calls The batch, exactly as the wallet will run it.
     * @param digest The batch's EIP-712 digest for this wallet and chain (`Calls(calls, space, nonce)`).
     * @param signature The session signature, flags byte included.
     */
    function validateSessionCalls(PayloadHashes.Call[] calldata calls, bytes32 digest, bytes calldata signature)
        external
        returns (bytes32 imageHash);
}
