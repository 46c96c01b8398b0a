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
 * @notice Decodes and verifies an Arbor wallet signature (encoding v2): a header (flags, the
 * configuration's threshold and checkpoint) and a **tree walk**, a post-order program whose steps
 * push signed leaves (each a signing part), push pruned subtree hashes, or join the two topmost
 * hashes into their sorted-pair parent, recomputing the configuration root. Any tree shape
 * verifies. The byte layout and the order of the checks are specified in
 * `lib/signature/ENCODING.md`; `lib/signature` performs the same checks, in the same order, with
 * the same error names.
 * @dev Runs in the wallet's context (internal functions): `address(this)` is the wallet. Session
 * signatures (flag bit 1) have their own layout (`lib/sessions/ENCODING.md`, still an
 * OpenZeppelin multiproof), checked by the sessions module with `processPackedMultiProof` below.
 */
library WalletSignature {
    using CalldataReader for bytes;

    /// @notice Thrown when a field would end at byte `needed` of a `length`-byte signature.
    error SignatureTruncated(uint256 needed, uint256 length);
    /// @notice Thrown when bytes follow the last field of a session signature (`lib/sessions/ENCODING.md`).
    /// @param consumed Bytes the encoding accounts for.
    /// @param length Bytes the signature has.
    error SignatureTrailingBytes(uint256 consumed, uint256 length);
    /// @notice Thrown when a flag bit other than bit 0 (chain id 0) is set.
    error UnsupportedSignatureFlags(uint8 flags);
    /// @notice Thrown when a signature asks for chain id 0 on a payload that must be chain-bound.
    error ChainIdZeroNotAllowed();
    /// @notice Thrown when a tree walk has no signing part.
    error EmptySignature();
    /// @notice Thrown when the step at byte `offset` has an opcode this wallet does not know.
    error UnknownSignatureStep(uint256 offset, uint8 op);
    /// @notice Thrown when the node step at byte `offset` finds fewer than two hashes on the stack.
    error SignatureWalkUnderflow(uint256 offset);
    /// @notice Thrown when the node step at byte `offset` has its children out of order: the
    /// canonical walk puts the child with the smaller hash first (`first` must be below `second`).
    /// Reported only once the signature proves the wallet's configuration (`requireCanonical`):
    /// a signature of another digest recovers other leaves, whose order means nothing, and must
    /// fail as what it is, a signature of another configuration (`ImageHashMismatch`).
    error SignatureWalkUnsorted(uint256 offset, bytes32 first, bytes32 second);
    /// @notice Thrown when the node step at byte `offset` joins two pruned hashes: the canonical
    /// walk prunes a subtree without signed leaves to one hash step.
    error SignatureWalkPrunable(uint256 offset);
    /// @notice Thrown when the step at byte `offset` would push a hash onto a full stack (`MAX_DEPTH` hashes).
    error SignatureWalkTooDeep(uint256 offset);
    /// @notice Thrown when the walk ends with `depth` hashes on the stack instead of one root.
    error SignatureWalkUnbalanced(uint256 depth);
    /// @notice Thrown when proof flag `index` of a session signature's multiproof is neither 0 nor 1.
    error InvalidProofFlag(uint256 index, uint8 value);
    /// @notice Thrown when the ECDSA signature of the part at byte `offset` does not recover (bad v, high s, no address).
    error InvalidECDSASignature(uint256 offset);
    /// @notice Thrown when contract `signer` of the part at byte `offset` does not accept its signature (ERC-1271).
    error InvalidERC1271Signature(uint256 offset, address signer);
    /// @notice Thrown when `signer` signs a second time, in the part at byte `offset`.
    error DuplicateSigner(uint256 offset, address signer);
    /// @notice Thrown when the signed weight is below the configuration's threshold.
    error ThresholdNotMet(uint256 weight, uint256 threshold);

    uint8 internal constant FLAG_CHAIN_ID_ZERO = 0x01;
    /// @dev A session signature: `execute` hands it to the sessions module; here it is an unsupported flag.
    uint8 internal constant FLAG_SESSION = 0x02;

    /// @dev Walk steps (one opcode byte each, then the step's body).
    uint8 internal constant STEP_NODE = 0x00;
    uint8 internal constant STEP_HASH = 0x01;
    uint8 internal constant STEP_ECDSA = 0x02;
    uint8 internal constant STEP_ECDSA_COMPACT = 0x03;
    uint8 internal constant STEP_ERC1271 = 0x04;
    uint8 internal constant STEP_PREAPPROVED_DIGEST = 0x05;

    /// @dev flags (1) + threshold (2) + checkpoint (8).
    uint256 internal constant HEADER_LENGTH = 11;
    /// @dev Most hashes the walk's stack holds: a canonical walk of a tree of depth d needs d + 1.
    uint256 internal constant MAX_DEPTH = 64;

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
        /// Byte offset of the first node step whose children are out of order (0: none), and its children.
        uint256 unsortedAt;
        bytes32 unsortedFirst;
        bytes32 unsortedSecond;
    }

    /// @dev Where the walk keeps its state between steps (a memory struct: the stack is too deep otherwise).
    struct Walk {
        /// Memory address of the hash stack's bottom; the stack grows upwards by 32 bytes.
        uint256 stackBottom;
        /// Memory address one past the topmost hash.
        uint256 stackTop;
        /// Memory address of the signer list (addresses, 32 bytes each) and one past its end.
        uint256 signersStart;
        uint256 signersEnd;
        /// Sum of the weights of the parts.
        uint256 weight;
        /// How many hash steps came directly before this step (saturating at 2).
        uint256 hashRun;
        /// Whether a pre-approved digest part was seen.
        bool preapproved;
        /// Whether any signing part was seen.
        bool signed;
        /// The first node step with its children out of order (0: none) and those children.
        uint256 unsortedAt;
        bytes32 unsortedFirst;
        bytes32 unsortedSecond;
    }

    /**
     * @notice Verifies `signature` over the EIP-712 digest of `structHash` for this wallet.
     * @dev Reverts with one of this library's errors on the first failed check, in the order of
     * the spec. Does not compare the image hash with the wallet's: the caller does, since only it
     * knows where the wallet keeps it.
     * @param allowChainIdZero Whether the payload may be signed for every chain (configuration updates, upgrades).
     */
    function recover(bytes calldata signature, bytes32 structHash, bool allowChainIdZero)
        internal
        view
        returns (Recovered memory result)
    {
        bool chainIdZero = _readFlags(signature, allowChainIdZero);
        result = _recoverDigest(signature, PayloadHashes.digest(chainIdZero ? 0 : block.chainid, address(this), structHash));
    }

    /**
     * @notice Verifies `signature` over `digest` itself (an ERC-4337 `userOpHash`, which already
     * binds the chain, the EntryPoint and the wallet), with the checks of `recover`.
     * @dev Reverts like `recover`; flag bit 0 (chain id 0) is refused (`ChainIdZeroNotAllowed`):
     * the digest is not an EIP-712 digest this library computed, so the flag would mean nothing.
     */
    function recoverDigest(bytes calldata signature, bytes32 digest) internal view returns (Recovered memory result) {
        _readFlags(signature, false);
        result = _recoverDigest(signature, digest);
    }

    /// @dev The header's checks (`SignatureTruncated`, `UnsupportedSignatureFlags`,
    /// `ChainIdZeroNotAllowed`); returns whether flag bit 0 (chain id 0) is set.
    function _readFlags(bytes calldata signature, bool allowChainIdZero) private pure returns (bool chainIdZero) {
        uint256 length = signature.length;
        if (length < HEADER_LENGTH) revert SignatureTruncated(HEADER_LENGTH, length);
        uint8 flags = signature.readUint8(0);
        if (flags & ~FLAG_CHAIN_ID_ZERO != 0) revert UnsupportedSignatureFlags(flags);
        chainIdZero = flags & FLAG_CHAIN_ID_ZERO != 0;
        if (chainIdZero && !allowChainIdZero) revert ChainIdZeroNotAllowed();
    }

    /// @dev The walk of `recover` over a signature whose header `_readFlags` checked.
    function _recoverDigest(bytes calldata signature, bytes32 digest) private view returns (Recovered memory result) {
        uint256 length = signature.length;

        Walk memory walk;
        // The signer list (at most one entry per 25 signature bytes, the smallest signer part)
        // and then the hash stack (at most MAX_DEPTH hashes) are allocated past the free memory
        // pointer. Memory is paid for when touched, so the small list goes first and the stack,
        // which a shallow walk barely uses, after it (with execute reusing its slot word, the
        // change that came with this one, a one-signer depth-1 transfer went from 60,105 to 59,783 gas).
        result.digest = digest;
        assembly ("memory-safe") {
            let signers := mload(0x40)
            mstore(add(walk, 0x40), signers) // signersStart
            mstore(add(walk, 0x60), signers) // signersEnd
            // length < 2^64 (calldata), so length / 25 + 1 words cannot overflow.
            let stack := add(signers, shl(5, add(div(length, 25), 1)))
            mstore(walk, stack) // stackBottom
            mstore(add(walk, 0x20), stack) // stackTop
            mstore(0x40, add(stack, shl(5, MAX_DEPTH)))
        }

        uint256 cursor = HEADER_LENGTH;
        while (cursor < length) {
            cursor = _step(signature, digest, cursor, walk);
        }

        _conclude(signature, walk, result);
    }

    /// @dev The end of the walk: exactly one hash left (the root), then the threshold and the image hash.
    function _conclude(bytes calldata signature, Walk memory walk, Recovered memory result) private pure {
        if (!walk.signed) revert EmptySignature();
        uint256 depth;
        unchecked {
            // stackTop never goes below stackBottom: a node step checks for two hashes first.
            depth = (walk.stackTop - walk.stackBottom) >> 5;
        }
        if (depth != 1) revert SignatureWalkUnbalanced(depth);
        bytes32 root;
        uint256 bottom = walk.stackBottom;
        assembly ("memory-safe") {
            root := mload(bottom)
        }
        result.weight = walk.weight;
        result.unsortedAt = walk.unsortedAt;
        result.unsortedFirst = walk.unsortedFirst;
        result.unsortedSecond = walk.unsortedSecond;
        // threshold: bytes 1-2; checkpoint: bytes 3-10 (big-endian).
        result.threshold = uint256(signature.readBytes32(1)) >> 240;
        result.checkpoint = uint256(signature.readBytes32(3)) >> 192;
        if (!walk.preapproved && walk.weight < result.threshold) revert ThresholdNotMet(walk.weight, result.threshold);
        result.imageHash = ConfigurationHashes.imageHash(root, result.threshold, result.checkpoint);
    }

    /**
     * @notice The last check of the spec, once the caller knows the signature proves its
     * configuration: the walk must be canonical (`SignatureWalkUnsorted`).
     */
    function requireCanonical(Recovered memory recovered) internal pure {
        if (recovered.unsortedAt != 0) {
            revert SignatureWalkUnsorted(recovered.unsortedAt, recovered.unsortedFirst, recovered.unsortedSecond);
        }
    }

    /// @dev Runs the step whose opcode is at `cursor` (inside the signature); returns where the next step starts.
    function _step(bytes calldata signature, bytes32 digest, uint256 cursor, Walk memory walk)
        private
        view
        returns (uint256 next)
    {
        uint256 length = signature.length;
        uint8 op = signature.readUint8(cursor);
        if (op == STEP_NODE) {
            _node(cursor, walk);
            return cursor + 1;
        }
        bytes32 hash;
        unchecked {
            // Every offset below is a sum of `cursor` < length < 2^64 (calldata) and small constants or a uint24.
            if (op == STEP_HASH) {
                next = cursor + 33;
                if (next > length) revert SignatureTruncated(next, length);
                _push(walk, signature.readBytes32(cursor + 1), cursor);
                walk.hashRun = walk.hashRun == 0 ? 1 : 2;
                return next;
            }
            address signer;
            uint256 weight;
            if (op == STEP_ECDSA || op == STEP_ECDSA_COMPACT) {
                // weight (1), r (32), then s (32) and v (1), or yParityAndS (32).
                next = cursor + (op == STEP_ECDSA ? 67 : 66);
                if (next > length) revert SignatureTruncated(next, length);
                (signer, weight) = _recoverEcdsa(signature, digest, cursor, op == STEP_ECDSA_COMPACT);
                hash = ConfigurationHashes.ecdsaSignerLeaf(signer, weight);
            } else if (op == STEP_ERC1271) {
                // signer (20), weight (1), length (3), then the contract signature.
                uint256 start = cursor + 25;
                if (start > length) revert SignatureTruncated(start, length);
                signer = signature.readAddress(cursor + 1);
                weight = signature.readUint8(cursor + 21);
                next = start + signature.readUint24(cursor + 22);
                if (next > length) revert SignatureTruncated(next, length);
                if (!SignatureChecker.isValidERC1271SignatureNowCalldata(signer, digest, signature[start:next])) {
                    revert InvalidERC1271Signature(cursor, signer);
                }
                hash = ConfigurationHashes.erc1271SignerLeaf(signer, weight);
            } else if (op == STEP_PREAPPROVED_DIGEST) {
                next = cursor + 1;
                walk.preapproved = true;
                hash = ConfigurationHashes.preapprovedDigestLeaf(digest);
            } else {
                revert UnknownSignatureStep(cursor, op);
            }
            if (signer != address(0)) _addSigner(walk, signer, cursor);
            // Cannot overflow: at most one weight below 2^8 per signature byte.
            walk.weight += weight;
        }
        walk.signed = true;
        walk.hashRun = 0;
        _push(walk, hash, cursor);
    }

    /// @dev Recovers the signer of the ECDSA part at byte `cursor` (its whole body lies inside the signature).
    function _recoverEcdsa(bytes calldata signature, bytes32 digest, uint256 cursor, bool compact)
        private
        pure
        returns (address signer, uint256 weight)
    {
        ECDSA.RecoverError error;
        unchecked {
            // cursor + 67 <= signature.length (checked by the caller).
            weight = signature.readUint8(cursor + 1);
            bytes32 r = signature.readBytes32(cursor + 2);
            bytes32 sOrVs = signature.readBytes32(cursor + 34);
            if (compact) (signer, error,) = ECDSA.tryRecover(digest, r, sOrVs);
            else (signer, error,) = ECDSA.tryRecover(digest, signature.readUint8(cursor + 66), r, sOrVs);
        }
        if (error != ECDSA.RecoverError.NoError) revert InvalidECDSASignature(cursor);
    }

    /// @dev A node step at byte `offset`: pops the two topmost hashes, pushes their sorted-pair hash.
    function _node(uint256 offset, Walk memory walk) private pure {
        if (walk.hashRun == 2) revert SignatureWalkPrunable(offset);
        walk.hashRun = 0;
        uint256 top = walk.stackTop;
        unchecked {
            // top >= stackBottom; the subtraction is only used once two hashes are known to be there.
            if (top - walk.stackBottom < 0x40) revert SignatureWalkUnderflow(offset);
        }
        bytes32 first;
        bytes32 second;
        bytes32 parent;
        assembly ("memory-safe") {
            // The first child was pushed first: it sits below the second.
            first := mload(sub(top, 0x40))
            second := mload(sub(top, 0x20))
        }
        if (first >= second && walk.unsortedAt == 0) {
            // Remembered, reported by `requireCanonical` if the signature proves the configuration.
            walk.unsortedAt = offset;
            walk.unsortedFirst = first;
            walk.unsortedSecond = second;
        }
        assembly ("memory-safe") {
            // Sorted-pair keccak256 (as OpenZeppelin's Hashes.commutativeKeccak256), in scratch
            // space, written over the first child's stack slot.
            switch lt(first, second)
            case 1 {
                mstore(0x00, first)
                mstore(0x20, second)
            }
            default {
                mstore(0x00, second)
                mstore(0x20, first)
            }
            parent := keccak256(0x00, 0x40)
            mstore(sub(top, 0x40), parent)
        }
        unchecked {
            // Two hashes are on the stack (checked above).
            walk.stackTop = top - 0x20;
        }
    }

    function _push(Walk memory walk, bytes32 hash, uint256 offset) private pure {
        uint256 top = walk.stackTop;
        unchecked {
            // top >= stackBottom.
            if (top - walk.stackBottom == MAX_DEPTH << 5) revert SignatureWalkTooDeep(offset);
        }
        assembly ("memory-safe") {
            mstore(top, hash)
        }
        unchecked {
            // At most MAX_DEPTH words above stackBottom (checked above).
            walk.stackTop = top + 0x20;
        }
    }

    /// @dev Appends `signer` to the signer list, reverting with `DuplicateSigner` if it is already there.
    /// Quadratic, but over a handful of signers cheaper than any set structure.
    function _addSigner(Walk memory walk, address signer, uint256 offset) private pure {
        uint256 end = walk.signersEnd;
        for (uint256 p = walk.signersStart; p < end; p += 0x20) {
            address seen;
            assembly ("memory-safe") {
                seen := mload(p)
            }
            if (seen == signer) revert DuplicateSigner(offset, signer);
        }
        assembly ("memory-safe") {
            mstore(end, signer)
        }
        unchecked {
            // The list has room for one entry per 25 signature bytes (see `recover`).
            walk.signersEnd = end + 0x20;
        }
    }

    /**
     * @notice Rebuilds the root of a session signature's OpenZeppelin multiproof from `leaves`
     * (ascending) and the packed calldata proof at absolute calldata offset `proofAt`
     * (`proofLength:uint8 proof:bytes32[] proofFlag:uint8[leaves + proofLength - 1]`, flags
     * already checked to be 0 or 1), as `lib/sessions/ENCODING.md` specifies.
     *
     * This is OpenZeppelin's `MerkleProof.processMultiProof` algorithm, step for step, with the
     * node hash of `Hashes.commutativeKeccak256`, reading the proof and its flags straight from
     * calldata. It fails (`MerkleProofInvalidMultiproof`) exactly when a step would read a hash
     * not yet computed or a proof element that does not exist, or when proof elements are left
     * over. `test/wallet/multiproof.test.ts` checks it against OpenZeppelin's own function.
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
