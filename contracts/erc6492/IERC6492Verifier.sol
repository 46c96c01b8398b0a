// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title IERC6492Verifier
 * @notice Errors of {ERC6492Verifier}, the deployless ERC-6492 signature checker the library runs
 * with `eth_call`. A signature that is well formed but wrong is not an error: the verifier answers
 * `false`. These errors say why no answer could be given.
 */
interface IERC6492Verifier {
    /**
     * @notice Thrown when the wrapper's prepare call (`factory.call(factoryCalldata)`) reverts.
     * @param factory The address the wrapper names as factory (or the wallet, for a prepare step).
     * @param returnData Its revert data.
     */
    error ERC6492PrepareFailed(address factory, bytes returnData);

    /**
     * @notice Thrown when the signer's ERC-1271 `isValidSignature` reverts instead of answering.
     * @param signer The contract asked.
     * @param returnData Its revert data.
     */
    error ERC1271Reverted(address signer, bytes returnData);

    /**
     * @notice Thrown when the signer has no code and the signature is neither an ERC-6492 wrapper
     * nor a 65-byte ECDSA signature, so nothing can check it.
     * @param signer The signer without code.
     * @param length The signature's length in bytes.
     */
    error ECDSASignatureLength(address signer, uint256 length);
}
