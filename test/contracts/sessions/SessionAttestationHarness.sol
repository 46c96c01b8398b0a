// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {SessionAttestation} from "../../../contracts/sessions/SessionAttestation.sol";

/// @dev Test-only: exposes the on-chain attestation hashing so the frozen vectors can be checked against it.
contract SessionAttestationHarness {
    function hash(SessionAttestation.Attestation calldata attestation) external pure returns (bytes32) {
        return SessionAttestation.hash(attestation);
    }

    function recover(SessionAttestation.Attestation calldata attestation, bytes calldata signature)
        external
        pure
        returns (address)
    {
        return ECDSA.recover(SessionAttestation.hash(attestation), signature);
    }

    function acceptMagic(address wallet, bytes32 audienceHash, bytes32 issuerHash) external pure returns (bytes32) {
        return SessionAttestation.acceptMagic(wallet, audienceHash, issuerHash);
    }
}
