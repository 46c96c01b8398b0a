// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ConfigurationHashes} from "../configuration/ConfigurationHashes.sol";
import {PayloadHashes} from "../payload/PayloadHashes.sol";

/**
 * @title WalletSignature
 * @notice Decodes and verifies an Arbor wallet signature: signing parts, the configuration's
 * threshold and checkpoint, and one OpenZeppelin multiproof from the signed leaves to the root.
 * The byte layout and the order of the checks are specified in `lib/signature/ENCODING.md`;
 * `lib/signature` performs the same checks, in the same order, with the same error names.
 * @dev Runs in the wallet's context (internal functions): `address(this)` is the wallet.
 */
library WalletSignature {
    /// @notice Thrown when a field would end at byte `needed` of a `length`-byte signature.
    error SignatureTruncated(uint256 needed, uint256 length);
    /// @notice Thrown when bytes follow the last proof flag.
    /// @param consumed Bytes the encoding accounts for.
    /// @param length Bytes the signature has.
    error SignatureTrailingBytes(uint256 consumed, uint256 length);
    /// @notice Thrown when a flag bit other than bit 0 (chain id 0) is set.
    error UnsupportedSignatureFlags(uint8 flags);
    /// @notice Thrown when a signature asks for chain id 0 on a payload that must be chain-bound.
    error ChainIdZeroNotAllowed();
    /// @notice Thrown when a signature has no parts.
    error EmptySignature();
    /// @notice Thrown when part `index` has a kind this wallet does not know.
    error UnknownSignaturePart(uint256 index, uint8 kind);
    /// @notice Thrown when proof flag `index` is neither 0 nor 1.
    error InvalidProofFlag(uint256 index, uint8 value);
    /// @notice Thrown when the ECDSA signature of part `index` does not recover (bad v, high s, no address).
    error InvalidECDSASignature(uint256 index);
    /// @notice Thrown when contract `signer` of part `index` does not accept its signature (ERC-1271).
    error InvalidERC1271Signature(uint256 index, address signer);
    /// @notice Thrown when part `index` proves the same `leaf` as an earlier part.
    error DuplicateLeaf(uint256 index, bytes32 leaf);
    /// @notice Thrown when `signer` signs a second time, in part `index`.
    error DuplicateSigner(uint256 index, address signer);
    /// @notice Thrown when adding part `index`'s `weight` to `total` would overflow.
    error WeightOverflow(uint256 index, uint256 total, uint256 weight);
    /// @notice Thrown when the signed weight is below the configuration's threshold.
    error ThresholdNotMet(uint256 weight, uint256 threshold);

    uint8 internal constant FLAG_CHAIN_ID_ZERO = 0x01;
    /// @dev A session signature: `execute` hands it to the sessions module; here it is an unsupported flag.
    uint8 internal constant FLAG_SESSION = 0x02;

    uint8 internal constant PART_ECDSA = 0x01;
    uint8 internal constant PART_ECDSA_COMPACT = 0x02;
    uint8 internal constant PART_ERC1271 = 0x03;
    uint8 internal constant PART_PREAPPROVED_DIGEST = 0x04;

    /// @dev flags (1) + threshold (32) + checkpoint (32) + partCount (1).
    uint256 private constant HEADER_LENGTH = 66;
    /// @dev weight (32) + r (32) + s (32) + v (1).
    uint256 private constant ECDSA_BODY = 97;
    /// @dev weight (32) + r (32) + yParityAndS (32).
    uint256 private constant ECDSA_COMPACT_BODY = 96;
    /// @dev signer (20) + weight (32) + length (3), before the contract signature itself.
    uint256 private constant ERC1271_HEAD = 55;

    /// @notice What a valid signature proves.
    /// @param weight Sum of the weights of the signers.
    /// @param threshold Threshold of the configuration the signature proves.
    /// @param checkpoint Checkpoint of that configuration.
    /// @param imageHash Image hash of that configuration; the caller compares it with the wallet's.
    struct Recovered {
        uint256 weight;
        uint256 threshold;
        uint256 checkpoint;
        bytes32 imageHash;
    }

    /**
     * @notice Verifies `signature` over the EIP-712 digest of `structHash` for this wallet.
     * @dev Reverts with one of this library's errors (or OpenZeppelin's
     * `MerkleProofInvalidMultiproof`) on the first failed check. Does not compare the image hash
     * with the wallet's: the caller does, since only it knows where the wallet keeps it.
     * @param allowChainIdZero Whether the payload may be signed for every chain (configuration updates).
     */
    function recover(bytes calldata signature, bytes32 structHash, bool allowChainIdZero)
        internal
        view
        returns (Recovered memory result)
    {
        (bool chainIdZero, uint256 partCount, uint256 proofStart) = _checkStructure(signature, allowChainIdZero);
        bytes32 digest = PayloadHashes.digest(chainIdZero ? 0 : block.chainid, address(this), structHash);

        bytes32[] memory leaves = new bytes32[](partCount);
        (uint256 weight, bool preapproved) = _recoverParts(signature, digest, leaves);
        bytes32 root = _processMultiProof(signature, proofStart, leaves);

        result.weight = weight;
        result.threshold = uint256(_word(signature, 1));
        result.checkpoint = uint256(_word(signature, 33));
        if (!preapproved && weight < result.threshold) revert ThresholdNotMet(weight, result.threshold);
        result.imageHash = ConfigurationHashes.imageHash(root, result.threshold, result.checkpoint);
    }

    /// @dev Step 1 of the spec: walks the layout once, before any cryptography.
    function _checkStructure(bytes calldata signature, bool allowChainIdZero)
        private
        pure
        returns (bool chainIdZero, uint256 partCount, uint256 proofStart)
    {
        _need(signature, HEADER_LENGTH);
        uint8 flags = _byte(signature, 0);
        if (flags & ~FLAG_CHAIN_ID_ZERO != 0) revert UnsupportedSignatureFlags(flags);
        chainIdZero = flags & FLAG_CHAIN_ID_ZERO != 0;
        if (chainIdZero && !allowChainIdZero) revert ChainIdZeroNotAllowed();
        partCount = _byte(signature, 65);
        if (partCount == 0) revert EmptySignature();

        uint256 cursor = HEADER_LENGTH;
        for (uint256 i; i < partCount; ++i) {
            _need(signature, cursor + 1);
            uint8 kind = _byte(signature, cursor);
            ++cursor;
            if (kind == PART_ECDSA) {
                cursor += ECDSA_BODY;
            } else if (kind == PART_ECDSA_COMPACT) {
                cursor += ECDSA_COMPACT_BODY;
            } else if (kind == PART_ERC1271) {
                _need(signature, cursor + ERC1271_HEAD);
                cursor += ERC1271_HEAD + _uint24(signature, cursor + 52);
            } else if (kind != PART_PREAPPROVED_DIGEST) {
                revert UnknownSignaturePart(i, kind);
            }
            _need(signature, cursor);
        }

        proofStart = cursor;
        _need(signature, cursor + 1);
        uint256 proofLength = _byte(signature, cursor);
        uint256 flagsStart = cursor + 1 + proofLength * 32;
        // partCount >= 1, so the flag count cannot underflow.
        uint256 end = flagsStart + partCount + proofLength - 1;
        _need(signature, end);
        for (uint256 j; j < end - flagsStart; ++j) {
            uint8 value = _byte(signature, flagsStart + j);
            if (value > 1) revert InvalidProofFlag(j, value);
        }
        if (end != signature.length) revert SignatureTrailingBytes(end, signature.length);
    }

    /// @dev One recovered part.
    struct Part {
        address signer;
        uint256 weight;
        bytes32 leaf;
        bool preapproved;
    }

    /// @dev Step 2 of the spec: recovers every part's leaf, in order, and sums the weights.
    function _recoverParts(bytes calldata signature, bytes32 digest, bytes32[] memory leaves)
        private
        view
        returns (uint256 total, bool preapproved)
    {
        uint256 partCount = leaves.length;
        address[] memory signers = new address[](partCount);
        uint256 signerCount;
        uint256 cursor = HEADER_LENGTH;

        for (uint256 i; i < partCount; ++i) {
            Part memory part;
            (cursor, part) = _recoverPart(signature, digest, cursor, i);
            preapproved = preapproved || part.preapproved;

            // Insertion sort into ascending order, the multiproof's leaf order. Signers put parts
            // in that order already, so this is one comparison per part; a signature made for
            // another digest recovers strangers in random order and still fails on the image
            // hash, which is what it is, rather than on an ordering detail.
            uint256 j = i;
            while (j != 0 && leaves[j - 1] > part.leaf) {
                leaves[j] = leaves[j - 1];
                --j;
            }
            if (j != 0 && leaves[j - 1] == part.leaf) revert DuplicateLeaf(i, part.leaf);
            leaves[j] = part.leaf;

            if (part.signer != address(0)) {
                // Quadratic, but over a handful of signers it is cheaper than any set structure.
                for (uint256 k; k < signerCount; ++k) {
                    if (signers[k] == part.signer) revert DuplicateSigner(i, part.signer);
                }
                signers[signerCount++] = part.signer;
            }

            if (part.weight > type(uint256).max - total) revert WeightOverflow(i, total, part.weight);
            unchecked {
                // Cannot overflow: checked on the line above.
                total += part.weight;
            }
        }
    }

    /// @dev Recovers part `index`, which starts at `cursor`; returns where the next part starts.
    function _recoverPart(bytes calldata signature, bytes32 digest, uint256 cursor, uint256 index)
        private
        view
        returns (uint256 next, Part memory part)
    {
        uint8 kind = _byte(signature, cursor);
        ++cursor;
        if (kind == PART_ECDSA || kind == PART_ECDSA_COMPACT) {
            part.weight = uint256(_word(signature, cursor));
            ECDSA.RecoverError error;
            if (kind == PART_ECDSA) {
                (part.signer, error,) = ECDSA.tryRecover(
                    digest, _byte(signature, cursor + 96), _word(signature, cursor + 32), _word(signature, cursor + 64)
                );
                next = cursor + ECDSA_BODY;
            } else {
                (part.signer, error,) =
                    ECDSA.tryRecover(digest, _word(signature, cursor + 32), _word(signature, cursor + 64));
                next = cursor + ECDSA_COMPACT_BODY;
            }
            if (error != ECDSA.RecoverError.NoError) revert InvalidECDSASignature(index);
            part.leaf = ConfigurationHashes.ecdsaSignerLeaf(part.signer, part.weight);
        } else if (kind == PART_ERC1271) {
            part.signer = _address(signature, cursor);
            part.weight = uint256(_word(signature, cursor + 20));
            uint256 start = cursor + ERC1271_HEAD;
            next = start + _uint24(signature, cursor + 52);
            if (!SignatureChecker.isValidERC1271SignatureNowCalldata(part.signer, digest, signature[start:next])) {
                revert InvalidERC1271Signature(index, part.signer);
            }
            part.leaf = ConfigurationHashes.erc1271SignerLeaf(part.signer, part.weight);
        } else {
            // PART_PREAPPROVED_DIGEST: _checkStructure admitted no other kind.
            part.leaf = ConfigurationHashes.preapprovedDigestLeaf(digest);
            part.preapproved = true;
            next = cursor;
        }
    }

    /// @dev Step 3 of the spec: checks the flags describe a well-formed multiproof, then hands it to OpenZeppelin.
    function _processMultiProof(bytes calldata signature, uint256 proofStart, bytes32[] memory leaves)
        private
        pure
        returns (bytes32)
    {
        uint256 leafCount = leaves.length;
        uint256 proofLength = _byte(signature, proofStart);
        bytes32[] memory proof = new bytes32[](proofLength);
        assembly ("memory-safe") {
            // Copy the proof hashes straight from calldata into the array's body; _checkStructure
            // already proved they lie within the signature.
            calldatacopy(add(proof, 0x20), add(add(signature.offset, proofStart), 1), mul(proofLength, 0x20))
        }

        uint256 flagsStart = proofStart + 1 + proofLength * 32;
        uint256 flagCount = leafCount + proofLength - 1;
        bool[] memory proofFlags = new bool[](flagCount);
        uint256 taken;
        uint256 merges;
        for (uint256 j; j < flagCount; ++j) {
            bool merge = _byte(signature, flagsStart + j) == 1;
            proofFlags[j] = merge;
            if (merge) ++merges;
            taken += merge ? 2 : 1;
            // Before step j the queue holds the leaves and the j hashes computed so far.
            if (taken > leafCount + j) revert MerkleProof.MerkleProofInvalidMultiproof();
        }
        if (merges != leafCount - 1) revert MerkleProof.MerkleProofInvalidMultiproof();
        return MerkleProof.processMultiProof(proof, proofFlags, leaves);
    }

    function _need(bytes calldata signature, uint256 end) private pure {
        if (end > signature.length) revert SignatureTruncated(end, signature.length);
    }

    // The readers below load from calldata without bounds checks: every caller reads only bytes
    // that _checkStructure (or the _need just before) proved lie inside the signature.

    function _byte(bytes calldata signature, uint256 at) private pure returns (uint8 value) {
        assembly ("memory-safe") {
            value := byte(0, calldataload(add(signature.offset, at)))
        }
    }

    function _uint24(bytes calldata signature, uint256 at) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(232, calldataload(add(signature.offset, at)))
        }
    }

    function _address(bytes calldata signature, uint256 at) private pure returns (address value) {
        assembly ("memory-safe") {
            value := shr(96, calldataload(add(signature.offset, at)))
        }
    }

    function _word(bytes calldata signature, uint256 at) private pure returns (bytes32 value) {
        assembly ("memory-safe") {
            value := calldataload(add(signature.offset, at))
        }
    }
}
