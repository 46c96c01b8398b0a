// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title ConfigurationHashes
 * @notice Leaf hashes and the image hash of an Arbor configuration, exactly as specified in
 * `lib/configuration/ENCODING.md` (the TypeScript library implements the same spec; the parity
 * tests run both on random inputs).
 * @dev Every leaf is `keccak256(abi.encode(TAG, fields...))`. Each tag is the keccak256 of a
 * readable string, so a leaf of one kind can never be read as another kind, and no leaf can be
 * read as an inner node without a keccak256 preimage of a tag (see the spec).
 */
library ConfigurationHashes {
    bytes32 internal constant ECDSA_SIGNER_TAG = keccak256("arbor.leaf.ecdsa-signer");
    bytes32 internal constant ERC1271_SIGNER_TAG = keccak256("arbor.leaf.erc1271-signer");
    bytes32 internal constant PASSKEY_SIGNER_TAG = keccak256("arbor.leaf.passkey-signer");
    bytes32 internal constant SESSION_PERMISSIONS_TAG = keccak256("arbor.leaf.session-permissions");
    bytes32 internal constant IDENTITY_SIGNER_TAG = keccak256("arbor.leaf.identity-signer");
    bytes32 internal constant RECOVERY_KEY_TAG = keccak256("arbor.leaf.recovery-key");
    bytes32 internal constant GUARD_TAG = keccak256("arbor.leaf.guard");
    bytes32 internal constant PREAPPROVED_DIGEST_TAG = keccak256("arbor.leaf.preapproved-digest");
    bytes32 internal constant IMAGE_HASH_TAG = keccak256("arbor.image-hash");

    function ecdsaSignerLeaf(address signer, uint256 weight) internal pure returns (bytes32) {
        return _hash3(ECDSA_SIGNER_TAG, bytes32(uint256(uint160(signer))), bytes32(weight));
    }

    function erc1271SignerLeaf(address signer, uint256 weight) internal pure returns (bytes32) {
        return _hash3(ERC1271_SIGNER_TAG, bytes32(uint256(uint160(signer))), bytes32(weight));
    }

    function passkeySignerLeaf(bytes32 x, bytes32 y, bool requireUserVerification, uint256 weight)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(PASSKEY_SIGNER_TAG, x, y, requireUserVerification, weight));
    }

    function sessionPermissionsLeaf(
        address sessionSigner,
        uint256 chainId,
        uint256 valueLimit,
        uint256 deadline,
        bytes32 permissionsHash
    ) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(SESSION_PERMISSIONS_TAG, sessionSigner, chainId, valueLimit, deadline, permissionsHash)
        );
    }

    function identitySignerLeaf(address signer) internal pure returns (bytes32) {
        return keccak256(abi.encode(IDENTITY_SIGNER_TAG, signer));
    }

    function recoveryKeyLeaf(address signer, uint256 timelock) internal pure returns (bytes32) {
        return _hash3(RECOVERY_KEY_TAG, bytes32(uint256(uint160(signer))), bytes32(timelock));
    }

    function guardLeaf(address guard, uint256 weight) internal pure returns (bytes32) {
        return _hash3(GUARD_TAG, bytes32(uint256(uint160(guard))), bytes32(weight));
    }

    function preapprovedDigestLeaf(bytes32 digest) internal pure returns (bytes32 leaf) {
        bytes32 tag = PREAPPROVED_DIGEST_TAG;
        // Same bytes as keccak256(abi.encode(tag, digest)), hashed in scratch space (0x00-0x3f).
        assembly ("memory-safe") {
            mstore(0x00, tag)
            mstore(0x20, digest)
            leaf := keccak256(0x00, 0x40)
        }
    }

    /// @notice The image hash binds a tree root, a threshold and a checkpoint.
    function imageHash(bytes32 root, uint256 threshold, uint256 checkpoint) internal pure returns (bytes32 hash) {
        bytes32 tag = IMAGE_HASH_TAG;
        // Same bytes as keccak256(abi.encode(tag, root, threshold, checkpoint)), built at the free
        // memory pointer without moving it: nothing else is allocated before the hash is taken.
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, tag)
            mstore(add(ptr, 0x20), root)
            mstore(add(ptr, 0x40), threshold)
            mstore(add(ptr, 0x60), checkpoint)
            hash := keccak256(ptr, 0x80)
        }
    }

    /// @dev keccak256(abi.encode(a, b, c)) for three words, without allocating memory.
    function _hash3(bytes32 a, bytes32 b, bytes32 c) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, a)
            mstore(add(ptr, 0x20), b)
            mstore(add(ptr, 0x40), c)
            hash := keccak256(ptr, 0x60)
        }
    }
}
