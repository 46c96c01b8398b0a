// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC6492Verifier} from "./IERC6492Verifier.sol";

/**
 * @title ERC6492Verifier
 * @notice ERC-6492 signature verification without a deployed verifier: `eth_call` with no `to`
 * and `data = creationCode ‖ abi.encode(signer, hash, signature)`. The constructor checks the
 * signature and returns one byte as the "deployed code": 0x01 valid, 0x00 invalid. Nothing is
 * ever deployed, so the prepare call's side effects live only inside that `eth_call`.
 *
 * Behaviour follows the ERC's reference `UniversalSigValidator` (side effects allowed):
 * - a signature ending in the 32-byte magic is `abi.encode(factory, factoryCalldata, inner)`;
 *   if the signer has no code, `factory.call(factoryCalldata)` runs first (a revert is
 *   `ERC6492PrepareFailed`), then ERC-1271 checks `inner`;
 * - if the signer has code, ERC-1271 checks `inner` as is; if that fails and the signature is
 *   wrapped, the prepare call runs ("deployed but not ready", e.g. a pending configuration
 *   update) and ERC-1271 is asked again;
 * - an unwrapped signature for a signer without code must be a 65-byte ECDSA signature by it.
 * @dev WARNING: this contract must never be deployed and called: its prepare call runs
 * arbitrary calldata against an arbitrary address. It is only meant for `eth_call`.
 */
contract ERC6492Verifier is IERC6492Verifier {
    /// @dev The ERC-6492 detection suffix: 0x6492 repeated 16 times, as the ERC fixes it.
    bytes32 internal constant ERC6492_MAGIC = 0x6492649264926492649264926492649264926492649264926492649264926492;

    constructor(address signer, bytes32 hash, bytes memory signature) {
        bool valid = _isValid(signer, hash, signature, false);
        assembly ("memory-safe") {
            // Word 0 holds the bool right-aligned: its last byte is 0x00 or 0x01.
            mstore(0, valid)
            // Return that one byte as the created code, which is what eth_call of a creation answers.
            return(31, 1)
        }
    }

    /// @dev The reference algorithm; `prepare` forces the prepare call even when the signer has code.
    function _isValid(address signer, bytes32 hash, bytes memory signature, bool prepare) private returns (bool) {
        uint256 codeLength = signer.code.length;
        bool wrapped = _isWrapped(signature);
        bytes memory inner = signature;
        if (wrapped) {
            address factory;
            bytes memory factoryCalldata;
            (factory, factoryCalldata, inner) = _unwrap(signature);
            if (codeLength == 0 || prepare) {
                (bool ok, bytes memory returnData) = factory.call(factoryCalldata);
                if (!ok) revert ERC6492PrepareFailed(factory, returnData);
            }
        }
        if (wrapped || codeLength != 0) {
            (bool ok, bytes memory returnData) =
                signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (hash, inner)));
            // Exactly one word that starts with the selector: anything else (an EOA's empty answer
            // after a prepare that deployed elsewhere, a short answer) is "not valid".
            bool valid = ok && returnData.length == 32 && bytes4(returnData) == IERC1271.isValidSignature.selector;
            if (!valid && wrapped && codeLength != 0 && !prepare) return _isValid(signer, hash, signature, true);
            if (!ok) revert ERC1271Reverted(signer, returnData);
            return valid;
        }
        if (signature.length != 65) revert ECDSASignatureLength(signer, signature.length);
        (address recovered, ECDSA.RecoverError error,) = ECDSA.tryRecover(hash, signature);
        return error == ECDSA.RecoverError.NoError && recovered == signer;
    }

    /// @dev Whether `signature` ends with the ERC-6492 suffix.
    function _isWrapped(bytes memory signature) private pure returns (bool wrapped) {
        uint256 length = signature.length;
        if (length < 32) return false;
        assembly ("memory-safe") {
            // The last word of the bytes: data starts at signature + 32, so it ends at signature + 32 + length.
            wrapped := eq(mload(add(signature, length)), ERC6492_MAGIC)
        }
    }

    /// @dev Decodes `abi.encode(factory, factoryCalldata, inner)` in front of the suffix.
    function _unwrap(bytes memory signature)
        private
        pure
        returns (address factory, bytes memory factoryCalldata, bytes memory inner)
    {
        bytes memory body = new bytes(signature.length - 32);
        // Cannot underflow: `_isWrapped` returned true, so signature.length >= 32.
        assembly ("memory-safe") {
            // Copy the bytes before the suffix into `body`.
            mcopy(add(body, 32), add(signature, 32), mload(body))
        }
        return abi.decode(body, (address, bytes, bytes));
    }
}
