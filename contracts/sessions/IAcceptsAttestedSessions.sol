// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PayloadHashes} from "../payload/PayloadHashes.sol";
import {SessionAttestation} from "./SessionAttestation.sol";

/**
 * @title IAcceptsAttestedSessions
 * @notice Implemented by an app's contract that lets attested sessions (session keys vouched for by
 * an identity signer, for one app domain) call it. The sessions module asks before every such call.
 */
interface IAcceptsAttestedSessions {
    /**
     * @notice Whether this contract accepts `call` from `wallet`, made by a session key under
     * `attestation`.
     * @return magic `SessionAttestation.acceptMagic(wallet, attestation.audienceHash,
     * attestation.issuerHash)` to accept; anything else (conventionally zero) refuses.
     */
    function acceptAttestedRequest(
        address wallet,
        SessionAttestation.Attestation calldata attestation,
        PayloadHashes.Call calldata call
    ) external view returns (bytes32 magic);
}
