// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ConfigurationHashes} from "../../contracts/configuration/ConfigurationHashes.sol";
import {PayloadHashes} from "../../contracts/payload/PayloadHashes.sol";

/// @dev Test-only: exposes the Solidity encodings so the parity tests can compare them with `lib/`.
contract ConfigurationHarness {
    function ecdsaSignerLeaf(address signer, uint256 weight) external pure returns (bytes32) {
        return ConfigurationHashes.ecdsaSignerLeaf(signer, weight);
    }

    function erc1271SignerLeaf(address signer, uint256 weight) external pure returns (bytes32) {
        return ConfigurationHashes.erc1271SignerLeaf(signer, weight);
    }

    function passkeySignerLeaf(bytes32 x, bytes32 y, bool requireUserVerification, uint256 weight)
        external
        pure
        returns (bytes32)
    {
        return ConfigurationHashes.passkeySignerLeaf(x, y, requireUserVerification, weight);
    }

    function sessionPermissionsLeaf(
        address sessionSigner,
        uint256 chainId,
        uint256 valueLimit,
        uint256 deadline,
        bytes32 permissionsHash
    ) external pure returns (bytes32) {
        return ConfigurationHashes.sessionPermissionsLeaf(sessionSigner, chainId, valueLimit, deadline, permissionsHash);
    }

    function identitySignerLeaf(address signer) external pure returns (bytes32) {
        return ConfigurationHashes.identitySignerLeaf(signer);
    }

    function recoveryKeyLeaf(address signer, uint256 timelock) external pure returns (bytes32) {
        return ConfigurationHashes.recoveryKeyLeaf(signer, timelock);
    }

    function guardLeaf(address guard, uint256 weight) external pure returns (bytes32) {
        return ConfigurationHashes.guardLeaf(guard, weight);
    }

    function preapprovedDigestLeaf(bytes32 payloadDigest) external pure returns (bytes32) {
        return ConfigurationHashes.preapprovedDigestLeaf(payloadDigest);
    }

    function imageHash(bytes32 root, uint256 threshold, uint256 checkpoint) external pure returns (bytes32) {
        return ConfigurationHashes.imageHash(root, threshold, checkpoint);
    }

    /// @notice PayloadHashes.hashPackedCalls, run in this harness's context (its address is `self`).
    function hashPackedCalls(bytes calldata payload)
        external
        view
        returns (uint256 space, uint256 nonce, bytes32 structHash, bool selfOrDelegate)
    {
        return PayloadHashes.hashPackedCalls(payload);
    }

    function hashCalls(PayloadHashes.Call[] calldata calls, uint256 space, uint256 nonce)
        external
        pure
        returns (bytes32)
    {
        return PayloadHashes.hashCalls(calls, space, nonce);
    }

    function hashConfigUpdate(bytes32 root, uint256 threshold, uint256 checkpoint) external pure returns (bytes32) {
        return PayloadHashes.hashConfigUpdate(root, threshold, checkpoint);
    }

    function hashMessage(bytes32 hash) external pure returns (bytes32) {
        return PayloadHashes.hashMessage(hash);
    }

    function digest(uint256 chainId, address wallet, bytes32 structHash) external pure returns (bytes32) {
        return PayloadHashes.digest(chainId, wallet, structHash);
    }

    function typehashes() external pure returns (bytes32[5] memory) {
        return [
            PayloadHashes.DOMAIN_TYPEHASH,
            PayloadHashes.CALL_TYPEHASH,
            PayloadHashes.CALLS_TYPEHASH,
            PayloadHashes.CONFIG_UPDATE_TYPEHASH,
            PayloadHashes.MESSAGE_TYPEHASH
        ];
    }

    function tags() external pure returns (bytes32[9] memory) {
        return [
            ConfigurationHashes.ECDSA_SIGNER_TAG,
            ConfigurationHashes.ERC1271_SIGNER_TAG,
            ConfigurationHashes.PASSKEY_SIGNER_TAG,
            ConfigurationHashes.SESSION_PERMISSIONS_TAG,
            ConfigurationHashes.IDENTITY_SIGNER_TAG,
            ConfigurationHashes.RECOVERY_KEY_TAG,
            ConfigurationHashes.GUARD_TAG,
            ConfigurationHashes.PREAPPROVED_DIGEST_TAG,
            ConfigurationHashes.IMAGE_HASH_TAG
        ];
    }
}
