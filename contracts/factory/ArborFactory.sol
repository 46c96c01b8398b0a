// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {WalletProxy} from "../proxy/WalletProxy.sol";

/**
 * @title ArborFactory
 * @notice Deploys Arbor wallets (`WalletProxy`, baking in `implementation`) with CREATE2,
 * `salt = ` the image hash of the wallet's first configuration, so a wallet's address depends
 * only on this factory, the first implementation and that first configuration, on every chain.
 * @dev Deploying a wallet that already exists returns it, so anyone can deploy a wallet on first
 * use without racing anyone else; that also makes `deploy` an idempotent ERC-4337 `initCode` factory.
 */
contract ArborFactory {
    /// @notice Thrown when `implementation` has no code, which would make a wallet that does nothing.
    error ImplementationHasNoCode(address implementation);
    /// @notice Thrown when CREATE2 fails (out of gas for the deposit).
    error WalletCreationFailed(address implementation, bytes32 imageHash);
    /// @notice Thrown when the call into a freshly deployed (or existing) wallet reverts; carries its revert data.
    error WalletCallFailed(address wallet, bytes returnData);

    /// @notice Emitted when a wallet is created.
    event WalletDeployed(address indexed wallet, address indexed implementation, bytes32 indexed imageHash);

    /**
     * @notice Deploys the wallet for `imageHash` if it does not exist yet, and returns its address.
     * @dev Reverts if `implementation` has no code, or if CREATE2 fails.
     */
    function deploy(address implementation, bytes32 imageHash) public returns (address wallet) {
        bytes memory code = WalletProxy.initCode(implementation);
        wallet = _predict(code, imageHash);
        if (wallet.code.length != 0) return wallet;
        if (implementation.code.length == 0) revert ImplementationHasNoCode(implementation);
        address created;
        assembly ("memory-safe") {
            created := create2(0, add(code, 0x20), mload(code), imageHash)
        }
        if (created != wallet) revert WalletCreationFailed(implementation, imageHash);
        emit WalletDeployed(wallet, implementation, imageHash);
    }

    /**
     * @notice Deploys the wallet if needed, then calls it with `data` (typically a signed
     * `execute`), forwarding the value sent. One transaction deploys a wallet on first use.
     * @dev Reverts with `WalletCallFailed` carrying the wallet's revert data if the call fails.
     */
    function deployAndCall(address implementation, bytes32 imageHash, bytes calldata data)
        external
        payable
        returns (address wallet, bytes memory result)
    {
        wallet = deploy(implementation, imageHash);
        bool success;
        (success, result) = wallet.call{value: msg.value}(data);
        if (!success) revert WalletCallFailed(wallet, result);
    }

    /// @notice The address of the wallet for `imageHash`, deployed or not.
    function predict(address implementation, bytes32 imageHash) external view returns (address) {
        return _predict(WalletProxy.initCode(implementation), imageHash);
    }

    function _predict(bytes memory code, bytes32 imageHash) private view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), imageHash, keccak256(code))))));
    }
}
