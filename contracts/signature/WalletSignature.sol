// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CalldataReader} from "../utils/CalldataReader.sol";
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
    using CalldataReader for bytes;

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
    /// @param digest The EIP-712 digest that was signed (chain id 0 or this chain's, per the flags).
    struct Recovered {
        uint256 weight;
        uint256 threshold;
        uint256 checkpoint;
        bytes32 imageHash;
        bytes32 digest;
    }

    /// @dev Failures found by the assembly structure walk, turned into custom errors in Solidity.
    uint256 private constant STRUCTURE_OK = 0;
    uint256 private constant STRUCTURE_TRUNCATED = 1;
    uint256 private constant STRUCTURE_UNKNOWN_PART = 2;
    uint256 private constant STRUCTURE_BAD_FLAG = 3;
    uint256 private constant STRUCTURE_TRAILING = 4;

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
        uint256 proofAt;
        assembly ("memory-safe") {
            proofAt := add(signature.offset, proofStart)
        }
        bytes32 root = processPackedMultiProof(proofAt, leaves);

        result.weight = weight;
        result.threshold = uint256(signature.readBytes32(1));
        result.checkpoint = uint256(signature.readBytes32(33));
        result.digest = digest;
        if (!preapproved && weight < result.threshold) revert ThresholdNotMet(weight, result.threshold);
        result.imageHash = ConfigurationHashes.imageHash(root, result.threshold, result.checkpoint);
    }

    /// @dev Step 1 of the spec: walks the layout once, before any cryptography.
    function _checkStructure(bytes calldata signature, bool allowChainIdZero)
        private
        pure
        returns (bool chainIdZero, uint256 partCount, uint256 proofStart)
    {
        uint256 length = signature.length;
        if (length < HEADER_LENGTH) revert SignatureTruncated(HEADER_LENGTH, length);
        uint8 flags = signature.readUint8(0);
        if (flags & ~FLAG_CHAIN_ID_ZERO != 0) revert UnsupportedSignatureFlags(flags);
        chainIdZero = flags & FLAG_CHAIN_ID_ZERO != 0;
        if (chainIdZero && !allowChainIdZero) revert ChainIdZeroNotAllowed();
        partCount = signature.readUint8(65);
        if (partCount == 0) revert EmptySignature();

        uint256 failure;
        uint256 a;
        uint256 b;
        // The walk is written in assembly because, in Solidity, its bounds checks and helper calls
        // cost more than everything it checks (measured: ~2,000 gas for two parts, now ~300).
        // No arithmetic here can overflow: every offset is a sum of a few values below 2^24.
        assembly ("memory-safe") {
            let base := signature.offset
            let cursor := 66 // HEADER_LENGTH
            for { let i := 0 } lt(i, partCount) { i := add(i, 1) } {
                // The part's kind byte must exist.
                if iszero(lt(cursor, length)) {
                    failure := 1 // STRUCTURE_TRUNCATED
                    a := add(cursor, 1)
                    break
                }
                let kind := byte(0, calldataload(add(base, cursor)))
                cursor := add(cursor, 1)
                let known := 1
                switch kind
                case 1 { cursor := add(cursor, 97) } // ECDSA: weight, r, s, v
                case 2 { cursor := add(cursor, 96) } // ECDSA compact: weight, r, yParityAndS
                case 3 {
                    // ERC-1271: signer, weight, uint24 length, then the contract signature.
                    if gt(add(cursor, 55), length) {
                        failure := 1 // STRUCTURE_TRUNCATED
                        a := add(cursor, 55)
                        break
                    }
                    cursor := add(add(cursor, 55), shr(232, calldataload(add(base, add(cursor, 52)))))
                }
                case 4 {} // pre-approved digest: no body
                default { known := 0 }
                if iszero(known) {
                    failure := 2 // STRUCTURE_UNKNOWN_PART
                    a := i
                    b := kind
                    break
                }
                // The part's body must end inside the signature.
                if gt(cursor, length) {
                    failure := 1 // STRUCTURE_TRUNCATED
                    a := cursor
                    break
                }
            }
            if iszero(failure) {
                switch lt(cursor, length)
                case 0 {
                    failure := 1 // STRUCTURE_TRUNCATED: no proof length byte
                    a := add(cursor, 1)
                }
                default {
                    proofStart := cursor
                    let proofLength := byte(0, calldataload(add(base, cursor)))
                    let flagsStart := add(add(cursor, 1), shl(5, proofLength))
                    // partCount >= 1, so the flag count partCount + proofLength - 1 cannot underflow.
                    let end := sub(add(flagsStart, add(partCount, proofLength)), 1)
                    switch gt(end, length)
                    case 1 {
                        failure := 1 // STRUCTURE_TRUNCATED
                        a := end
                    }
                    default {
                        // Flags are bytes 0 or 1: 32 at a time, a byte above 1 has a bit of 0xfe set.
                        for { let j := flagsStart } lt(j, end) { j := add(j, 32) } {
                            let word := calldataload(add(base, j))
                            let remaining := sub(end, j)
                            if lt(remaining, 32) {
                                // Keep only the bytes before `end`.
                                word := and(word, not(shr(shl(3, remaining), not(0))))
                            }
                            if and(word, 0xfefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefefe) {
                                // Find the first bad byte for the error.
                                for { let k := 0 } lt(k, 32) { k := add(k, 1) } {
                                    let value := byte(k, word)
                                    if gt(value, 1) {
                                        failure := 3 // STRUCTURE_BAD_FLAG
                                        a := sub(add(j, k), flagsStart)
                                        b := value
                                        break
                                    }
                                }
                                break
                            }
                        }
                        if iszero(failure) {
                            if iszero(eq(end, length)) {
                                failure := 4 // STRUCTURE_TRAILING
                                a := end
                            }
                        }
                    }
                }
            }
        }
        if (failure == STRUCTURE_OK) return (chainIdZero, partCount, proofStart);
        if (failure == STRUCTURE_TRUNCATED) revert SignatureTruncated(a, length);
        if (failure == STRUCTURE_UNKNOWN_PART) revert UnknownSignaturePart(a, uint8(b));
        if (failure == STRUCTURE_BAD_FLAG) revert InvalidProofFlag(a, uint8(b));
        revert SignatureTrailingBytes(a, length);
    }

    /// @dev Step 2 of the spec: recovers every part's leaf, in order, and sums the weights.
    function _recoverParts(bytes calldata signature, bytes32 digest, bytes32[] memory leaves)
        private
        view
        returns (uint256 total, bool preapproved)
    {
        address[] memory signers = new address[](leaves.length);
        uint256 cursor = HEADER_LENGTH;

        for (uint256 i; i < leaves.length; ++i) {
            address signer;
            uint256 weight;
            bytes32 leaf;
            (cursor, signer, weight, leaf) = _recoverPart(signature, digest, cursor, i);

            // Insertion sort into ascending order, the multiproof's leaf order. Signers put parts
            // in that order already, so this is one comparison per part; a signature made for
            // another digest recovers strangers in random order and still fails on the image
            // hash, which is what it is, rather than on an ordering detail.
            uint256 j = i;
            while (j != 0 && leaves[j - 1] > leaf) {
                leaves[j] = leaves[j - 1];
                unchecked {
                    // j != 0 on this path.
                    --j;
                }
            }
            if (j != 0 && leaves[j - 1] == leaf) revert DuplicateLeaf(i, leaf);
            leaves[j] = leaf;

            if (signer == address(0)) {
                // Only a pre-approved digest part has no signer: ECDSA recovery never yields the
                // zero address, and a zero-address contract signer fails ERC-1271.
                preapproved = true;
            } else {
                // Quadratic, but over a handful of signers it is cheaper than any set structure.
                for (uint256 k; k < i; ++k) {
                    if (signers[k] == signer) revert DuplicateSigner(i, signer);
                }
                signers[i] = signer;
            }

            if (weight > type(uint256).max - total) revert WeightOverflow(i, total, weight);
            unchecked {
                // Cannot overflow: checked on the line above.
                total += weight;
            }
        }
    }

    /// @dev Recovers part `index`, which starts at `cursor`; returns where the next part starts.
    function _recoverPart(bytes calldata signature, bytes32 digest, uint256 cursor, uint256 index)
        private
        view
        returns (uint256 next, address signer, uint256 weight, bytes32 leaf)
    {
        uint8 kind = signature.readUint8(cursor);
        unchecked {
            // _checkStructure proved every part lies inside the signature: no offset below can
            // pass its length, let alone 2^256.
            ++cursor;
            if (kind == PART_ECDSA || kind == PART_ECDSA_COMPACT) {
                (signer, weight, next) = _recoverEcdsa(signature, digest, cursor, kind == PART_ECDSA_COMPACT, index);
                leaf = ConfigurationHashes.ecdsaSignerLeaf(signer, weight);
            } else if (kind == PART_ERC1271) {
                signer = signature.readAddress(cursor);
                weight = uint256(signature.readBytes32(cursor + 20));
                uint256 start = cursor + ERC1271_HEAD;
                next = start + signature.readUint24(cursor + 52);
                if (!SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature[start:next])) {
                    revert InvalidERC1271Signature(index, signer);
                }
                leaf = ConfigurationHashes.erc1271SignerLeaf(signer, weight);
            } else {
                // PART_PREAPPROVED_DIGEST: _checkStructure admitted no other kind.
                leaf = ConfigurationHashes.preapprovedDigestLeaf(digest);
                next = cursor;
            }
        }
    }

    /// @dev Recovers an ECDSA part's signer; the body (weight, r, then s and v or yParityAndS) starts at `cursor`.
    function _recoverEcdsa(bytes calldata signature, bytes32 digest, uint256 cursor, bool compact, uint256 index)
        private
        pure
        returns (address signer, uint256 weight, uint256 next)
    {
        ECDSA.RecoverError error;
        unchecked {
            // _checkStructure proved the whole body lies inside the signature.
            weight = uint256(signature.readBytes32(cursor));
            bytes32 r = signature.readBytes32(cursor + 32);
            bytes32 sOrVs = signature.readBytes32(cursor + 64);
            if (compact) {
                (signer, error,) = ECDSA.tryRecover(digest, r, sOrVs);
                next = cursor + ECDSA_COMPACT_BODY;
            } else {
                (signer, error,) = ECDSA.tryRecover(digest, signature.readUint8(cursor + 96), r, sOrVs);
                next = cursor + ECDSA_BODY;
            }
        }
        if (error != ECDSA.RecoverError.NoError) revert InvalidECDSASignature(index);
    }

    /**
     * @notice Step 3 of the spec: rebuilds the root from `leaves` (ascending) and the packed
     * calldata proof at absolute calldata offset `proofAt` (`proofLength:uint8 proof:bytes32[]
     * proofFlag:uint8[leaves + proofLength - 1]`, flags already checked to be 0 or 1).
     *
     * This is OpenZeppelin's `MerkleProof.processMultiProof` algorithm, step for step, with the
     * node hash of `Hashes.commutativeKeccak256`, but it reads the proof and its flags straight
     * from the packed signature instead of from memory arrays, and it folds the spec's
     * well-formedness check into the same loop: it fails exactly when a step would read a hash
     * not yet computed or a proof element that does not exist, or when proof elements are left
     * over. Measured with the rest of this file's rewrite: a 2-of-3 transfer went from 70,871 to
     * 63,874 gas. `test/wallet/multiproof.test.ts` checks it against OpenZeppelin's own function
     * on random multiproofs, malformed ones included.
     */
    function processPackedMultiProof(uint256 proofAt, bytes32[] memory leaves) internal pure returns (bytes32 root) {
        bool malformed;
        assembly ("memory-safe") {
            // proofAt: absolute calldata offset of the proof length byte. Pointers advance through
            // the leaves (memory), the computed hashes (memory), the proof and its flags (calldata).
            let leafPtr := add(leaves, 0x20)
            let leafEnd := add(leafPtr, shl(5, mload(leaves)))
            let proofPtr := add(proofAt, 1)
            let proofEnd := add(proofPtr, shl(5, byte(0, calldataload(proofAt))))
            let flagPtr := proofEnd
            // leafCount >= 1, so leafCount + proofLength - 1 flags cannot underflow.
            let flagEnd := sub(add(flagPtr, add(mload(leaves), byte(0, calldataload(proofAt)))), 1)
            // The queue of computed hashes lives past the free memory pointer: scratch space
            // nothing else uses before this function returns.
            let hashRead := mload(0x40)
            let hashWrite := hashRead
            // One leaf and no proof (no flags): the leaf is the root.
            root := mload(add(leaves, 0x20))
            for {} lt(flagPtr, flagEnd) { flagPtr := add(flagPtr, 1) } {
                // a: the next leaf, else the next computed hash (which must exist already).
                let a
                switch lt(leafPtr, leafEnd)
                case 1 {
                    a := mload(leafPtr)
                    leafPtr := add(leafPtr, 0x20)
                }
                default {
                    if iszero(lt(hashRead, hashWrite)) {
                        malformed := 1
                        break
                    }
                    a := mload(hashRead)
                    hashRead := add(hashRead, 0x20)
                }
                // b: the same queue when the flag is 1, else the next proof element.
                let b
                switch byte(0, calldataload(flagPtr))
                case 1 {
                    switch lt(leafPtr, leafEnd)
                    case 1 {
                        b := mload(leafPtr)
                        leafPtr := add(leafPtr, 0x20)
                    }
                    default {
                        if iszero(lt(hashRead, hashWrite)) {
                            malformed := 1
                            break
                        }
                        b := mload(hashRead)
                        hashRead := add(hashRead, 0x20)
                    }
                }
                default {
                    if iszero(lt(proofPtr, proofEnd)) {
                        malformed := 1
                        break
                    }
                    b := calldataload(proofPtr)
                    proofPtr := add(proofPtr, 0x20)
                }
                // Sorted-pair keccak256 in scratch space, as Hashes.commutativeKeccak256.
                switch lt(a, b)
                case 1 {
                    mstore(0x00, a)
                    mstore(0x20, b)
                }
                default {
                    mstore(0x00, b)
                    mstore(0x20, a)
                }
                root := keccak256(0x00, 0x40)
                mstore(hashWrite, root)
                hashWrite := add(hashWrite, 0x20)
            }
            // Every proof element must be used (equivalently, exactly leafCount - 1 merges).
            if iszero(eq(proofPtr, proofEnd)) { malformed := 1 }
        }
        if (malformed) revert MerkleProof.MerkleProofInvalidMultiproof();
    }
}
