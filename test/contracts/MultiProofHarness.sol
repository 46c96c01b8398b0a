// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {WalletSignature} from "../../contracts/signature/WalletSignature.sol";

/// @dev Test-only: the wallet's calldata multiproof next to OpenZeppelin's, on the same inputs.
contract MultiProofHarness {
    function processPacked(bytes calldata packed, bytes32[] memory leaves) external pure returns (bytes32) {
        uint256 proofAt;
        assembly ("memory-safe") {
            proofAt := packed.offset
        }
        return WalletSignature.processPackedMultiProof(proofAt, leaves);
    }

    function processOpenZeppelin(bytes32[] memory proof, bool[] memory proofFlags, bytes32[] memory leaves)
        external
        pure
        returns (bytes32)
    {
        return MerkleProof.processMultiProof(proof, proofFlags, leaves);
    }
}
