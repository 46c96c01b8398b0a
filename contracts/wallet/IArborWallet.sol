// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IArborWallet
 * @notice A wallet whose whole configuration is one image hash: the Merkle root of its signer
 * leaves, bound to a threshold and a checkpoint (see `lib/configuration/ENCODING.md`).
 */
interface IArborWallet {
    /// @notice Thrown when the image hash a signature proves is not the wallet's current one.
    error ImageHashMismatch(bytes32 imageHash);
    /// @notice Thrown when a batch's nonce is not the current nonce of its space.
    /// @param space The nonce space.
    /// @param provided The nonce the payload carries.
    /// @param current The nonce the wallet expects in that space.
    error BadNonce(uint256 space, uint256 provided, uint256 current);
    /// @notice Thrown when call `index` of a batch set to revert on failure fails.
    /// @param returnData What the call returned (its first 1,024 bytes), so a relayer can decode the callee's error.
    error CallFailed(uint256 index, bytes returnData);
    /// @notice Thrown when too little gas is left to give call `index` its whole `gasLimit` (the
    /// EVM forwards at most 63/64 of what is left after the call's own costs), so a relayer cannot
    /// make a call fail by starving it.
    error NotEnoughGas(uint256 index, uint256 gasLimit, uint256 gasLeft);
    /// @notice Thrown when a function reserved to the wallet itself is called by `caller`.
    error OnlySelf(address caller);
    /// @notice Thrown when a new configuration's checkpoint is not above the current one.
    error CheckpointNotIncreasing(uint256 current, uint256 proposed);
    /// @notice Thrown when a new configuration has a zero threshold.
    error ZeroThreshold();
    /// @notice Thrown when an upgrade names an address without code.
    error ImplementationHasNoCode(address implementation);
    /// @notice Thrown when an upgrade names an implementation whose `STORAGE_LAYOUT_ID()` is
    /// `layout` (zero when it has none) instead of this implementation's.
    error StorageLayoutMismatch(address implementation, bytes32 layout);

    /// @notice Thrown when a function reserved to the ERC-4337 EntryPoint is called by `caller`.
    error OnlyEntryPoint(address caller);
    /// @notice Thrown when a UserOp batch holds a call to the wallet itself or a delegate call:
    /// the EntryPoint path does not know the checkpoint of the configuration that signed it, which
    /// `updateConfiguration` and `upgradeTo` need. Such batches go through `execute`.
    error UserOpSelfOrDelegateCall();

    /// @notice Emitted when the wallet moves to a new configuration.
    event ConfigurationUpdated(bytes32 indexed imageHash, bytes32 root, uint256 threshold, uint256 checkpoint);
    /// @notice Emitted when the wallet moved to a new implementation.
    event Upgraded(address indexed implementation);
    /// @notice Emitted after a batch ran (also when some calls were ignored or the batch was aborted).
    event Executed(bytes32 indexed digest);
    /// @notice Emitted when call `index` failed and the batch went on (`onFailure` = ignore);
    /// `returnData` is the first 1,024 bytes of what it returned.
    event CallIgnored(bytes32 indexed digest, uint256 index, bytes returnData);
    /// @notice Emitted when call `index` failed and the batch stopped there (`onFailure` = abort);
    /// `returnData` is the first 1,024 bytes of what it returned.
    event CallAborted(bytes32 indexed digest, uint256 index, bytes returnData);

    function execute(bytes calldata payload, bytes calldata signature) external payable;

    function executeUserOpCalls(bytes calldata calls) external;

    function checkUserOpSignature(bytes32 userOpHash, bytes calldata signature) external view;

    function upgradeTo(address newImplementation) external;

    function upgradeToWithSignature(address newImplementation, bytes calldata signature) external;

    function implementation() external view returns (address);

    function updateConfiguration(bytes32 root, uint256 threshold, uint256 checkpoint) external;

    function updateConfigurationWithSignature(
        bytes32 root,
        uint256 threshold,
        uint256 checkpoint,
        bytes calldata signature
    ) external;

    function checkMessageSignature(bytes32 hash, bytes calldata signature) external view;

    function imageHash() external view returns (bytes32);

    function isValidImageHash(bytes32 imageHash) external view returns (bool);

    function nonces(uint256 space) external view returns (uint256);
}
