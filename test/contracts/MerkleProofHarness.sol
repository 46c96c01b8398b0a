// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title MerkleProofHarness
/// @notice Test-only: OpenZeppelin's MerkleProof as it is, so the library's proofs of tiered
/// configuration trees (lib/configuration/ENCODING.md, "The tree") can be checked on chain by a
/// verifier that knows nothing of tiers.
contract MerkleProofHarness {
    /// @notice OpenZeppelin `MerkleProof.verify` (sorted-pair hashing from the leaf up).
    function verify(bytes32[] calldata proof, bytes32 root, bytes32 leaf) external pure returns (bool) {
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }

    /// @notice OpenZeppelin `MerkleProof.processProof`: the root the proof leads to.
    function processProof(bytes32[] calldata proof, bytes32 leaf) external pure returns (bytes32) {
        return MerkleProof.processProofCalldata(proof, leaf);
    }

    /// @notice OpenZeppelin `MerkleProof.multiProofVerify`.
    /// @dev Reverts with `MerkleProofInvalidMultiproof` when the counts do not add up, as OpenZeppelin does.
    function multiProofVerify(bytes32[] calldata proof, bool[] calldata proofFlags, bytes32 root, bytes32[] calldata leaves)
        external
        pure
        returns (bool)
    {
        return MerkleProof.multiProofVerifyCalldata(proof, proofFlags, root, leaves);
    }
}
