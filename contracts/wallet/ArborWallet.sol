// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC1155Receiver} from "@openzeppelin/contracts/token/ERC1155/IERC1155Receiver.sol";
import {ConfigurationHashes} from "../configuration/ConfigurationHashes.sol";
import {PayloadHashes} from "../payload/PayloadHashes.sol";
import {WalletSignature} from "../signature/WalletSignature.sol";
import {IArborWallet} from "./IArborWallet.sol";
import {IArborSessions} from "../sessions/IArborSessions.sol";

/**
 * @title ArborWallet
 * @notice Wallet implementation behind EIP-1167 minimal proxies created by `ArborFactory` with
 * `salt = ` the first configuration's image hash.
 *
 * Until its first configuration update a wallet stores nothing: it accepts an image hash when
 * its own address is the CREATE2 address of a proxy deployed with that image hash as salt. After
 * an update it stores the new image hash (one slot) and accepts only that.
 *
 * IMPORTANT: the implementation itself accepts no signature: its storage holds no image hash and
 * its address is no proxy's address.
 */
contract ArborWallet is IArborWallet, IERC1271, IERC5267, IERC165, IERC721Receiver, IERC1155Receiver {
    /// @custom:storage-location erc7201:arbor.wallet
    struct WalletStorage {
        /// Image hash of the current configuration; zero until the first update.
        bytes32 imageHash;
        /// Next nonce of each nonce space.
        mapping(uint256 space => uint256) nonces;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("arbor.wallet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant WALLET_STORAGE = 0x5fa3519ea79c9bd5b138300857d5ac2107d31272b56636012810965f880aaf00;

    /// @dev Transient slot holding the checkpoint of the configuration that authorised the
    /// running transaction (set on every successful signature check and every update), so a
    /// self-call can tell whether a new checkpoint goes up. keccak256("arbor.wallet.transient.checkpoint") - 1
    bytes32 private constant CHECKPOINT_SLOT = 0xec6793d572c40eadc50846cc3cf7186073e165b815034e52bf2e2feb4914a888;

    /// @dev How much of a failed call's return data `CallFailed`, `CallIgnored` and `CallAborted` carry.
    uint256 private constant MAX_RETURN_DATA = 1024;

    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant ERC1271_FAILURE = 0xffffffff;

    /// @notice The factory whose CREATE2 proxies this implementation serves.
    address public immutable FACTORY;

    /// @notice The sessions module that authorises batches signed by session keys.
    address public immutable SESSIONS;

    /// @dev keccak256 of the EIP-1167 init code that points at this implementation.
    bytes32 private immutable PROXY_INIT_CODE_HASH;

    constructor(address factory, address sessions) {
        FACTORY = factory;
        SESSIONS = sessions;
        PROXY_INIT_CODE_HASH = keccak256(
            abi.encodePacked(hex"3d602d80600a3d3981f3363d3d373d3d3d363d73", address(this), hex"5af43d82803e903d91602b57fd5bf3")
        );
    }

    receive() external payable {}

    // ---------------------------------------------------------------------------------------
    // Execution
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Runs a batch of calls signed by the current configuration, or by session keys
     * under the rules of the current configuration (signature flag bit 1, see `IArborSessions`).
     * @dev Anyone may relay it. Reverts if the nonce is not `nonce(space)`, if the signature is
     * invalid (see `WalletSignature`), if it proves another configuration (`ImageHashMismatch`),
     * if a call is malformed, or if a call set to revert on failure fails (`CallFailed`).
     */
    function execute(PayloadHashes.Call[] calldata calls, uint256 space, uint256 nonce, bytes calldata signature)
        external
        payable
    {
        WalletStorage storage $ = _storage();
        uint256 current = $.nonces[space];
        if (nonce != current) revert BadNonce(space, nonce, current);
        // Consumed before any call runs, so a call cannot replay the batch.
        unchecked {
            // A nonce is incremented by one per batch: it cannot reach 2^256.
            $.nonces[space] = current + 1;
        }

        bytes32 structHash = PayloadHashes.hashCalls(calls, space, nonce);
        bytes32 digest;
        if (signature.length != 0 && uint8(signature[0]) & WalletSignature.FLAG_SESSION != 0) {
            // Session keys sign under rules the sessions module enforces; they never authorise a
            // self-call, so the authorised checkpoint stays unset and no update can follow.
            digest = PayloadHashes.digest(block.chainid, address(this), structHash);
            bytes32 proven = IArborSessions(SESSIONS).validateSessionCalls(calls, space, digest, signature);
            if (!_isValidImageHash(proven)) revert ImageHashMismatch(proven);
        } else {
            (, digest) = _authorise(signature, structHash, false);
        }

        uint256 count = calls.length;
        for (uint256 i; i < count; ++i) {
            PayloadHashes.Call calldata c = calls[i];
            uint8 onFailure = c.onFailure;
            if (onFailure > PayloadHashes.ON_FAILURE_ABORT) revert UnknownFailureMode(i, onFailure);
            if (_call(c, i)) continue;
            if (onFailure == PayloadHashes.ON_FAILURE_REVERT) revert CallFailed(i, _returnData());
            if (onFailure == PayloadHashes.ON_FAILURE_IGNORE) {
                emit CallIgnored(digest, i, _returnData());
            } else {
                emit CallAborted(digest, i, _returnData());
                break;
            }
        }
        emit Executed(digest);
    }

    // ---------------------------------------------------------------------------------------
    // Configuration
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Moves the wallet to a new configuration from inside a signed batch (a self-call).
     * @dev Reverts if not called by the wallet itself, if `threshold` is zero, or if `checkpoint`
     * is not above the checkpoint of the configuration that authorised the batch.
     */
    function updateConfiguration(bytes32 root, uint256 threshold, uint256 checkpoint) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        // The wallet only makes calls from `execute`, after `_authorise` set the slot.
        _setConfiguration(root, threshold, checkpoint, _authorisedCheckpoint());
    }

    /**
     * @notice Moves the wallet to a new configuration with a signature of the current one over
     * `ConfigUpdate(root, threshold, checkpoint)`. Anyone may relay it. Signed with chain id 0
     * (signature flag bit 0), the same update applies on every chain.
     * @dev No nonce: the checkpoint must be above the signing configuration's, and that
     * configuration is gone once the update lands, so the update can never be replayed.
     * Reverts like `execute` on a bad signature, and like `updateConfiguration` on a bad configuration.
     */
    function updateConfigurationWithSignature(
        bytes32 root,
        uint256 threshold,
        uint256 checkpoint,
        bytes calldata signature
    ) external {
        (uint256 current,) = _authorise(signature, PayloadHashes.hashConfigUpdate(root, threshold, checkpoint), true);
        _setConfiguration(root, threshold, checkpoint, current);
    }

    // ---------------------------------------------------------------------------------------
    // Signatures
    // ---------------------------------------------------------------------------------------

    /**
     * @notice ERC-1271. The signers sign `Message(hash)` under this wallet's EIP-712 domain.
     * @dev Returns 0xffffffff for any invalid signature instead of reverting; call
     * `checkMessageSignature` to learn why a signature is invalid.
     */
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        try this.checkMessageSignature(hash, signature) {
            return ERC1271_MAGIC_VALUE;
        } catch {
            return ERC1271_FAILURE;
        }
    }

    /**
     * @notice Reverts with the reason a message signature is invalid; returns nothing if it is valid.
     */
    function checkMessageSignature(bytes32 hash, bytes calldata signature) external view {
        WalletSignature.Recovered memory recovered =
            WalletSignature.recover(signature, PayloadHashes.hashMessage(hash), false);
        if (!_isValidImageHash(recovered.imageHash)) revert ImageHashMismatch(recovered.imageHash);
    }

    // ---------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------

    /// @notice The stored image hash; zero while the wallet still runs on its first configuration.
    function imageHash() external view returns (bytes32) {
        return _storage().imageHash;
    }

    /// @notice Whether `hash` is the image hash of the wallet's current configuration.
    function isValidImageHash(bytes32 hash) external view returns (bool) {
        return _isValidImageHash(hash);
    }

    /// @notice The next nonce of `space`.
    function nonces(uint256 space) external view returns (uint256) {
        return _storage().nonces[space];
    }

    /// @notice ERC-5267: the EIP-712 domain signers sign under (chain-bound payloads).
    function eip712Domain()
        external
        view
        returns (bytes1, string memory, string memory, uint256, address, bytes32, uint256[] memory)
    {
        return (hex"0f", "Arbor Wallet", "1", block.chainid, address(this), bytes32(0), new uint256[](0));
    }

    // ---------------------------------------------------------------------------------------
    // Receiving tokens
    // ---------------------------------------------------------------------------------------

    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC721Receiver.onERC721Received.selector;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return IERC1155Receiver.onERC1155Received.selector;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata, bytes calldata)
        external
        pure
        returns (bytes4)
    {
        return IERC1155Receiver.onERC1155BatchReceived.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC1271).interfaceId
            || interfaceId == type(IERC721Receiver).interfaceId || interfaceId == type(IERC1155Receiver).interfaceId;
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev Verifies a signature for this wallet and records the signing configuration's
    /// checkpoint for self-calls later in the transaction. Returns that checkpoint and the digest.
    function _authorise(bytes calldata signature, bytes32 structHash, bool allowChainIdZero)
        private
        returns (uint256 checkpoint, bytes32 digest)
    {
        WalletSignature.Recovered memory recovered = WalletSignature.recover(signature, structHash, allowChainIdZero);
        if (!_isValidImageHash(recovered.imageHash)) revert ImageHashMismatch(recovered.imageHash);
        checkpoint = recovered.checkpoint;
        digest = recovered.digest;
        _setAuthorisedCheckpoint(checkpoint);
    }

    function _setConfiguration(bytes32 root, uint256 threshold, uint256 checkpoint, uint256 current) private {
        if (threshold == 0) revert ZeroThreshold();
        if (checkpoint <= current) revert CheckpointNotIncreasing(current, checkpoint);
        bytes32 newImageHash = ConfigurationHashes.imageHash(root, threshold, checkpoint);
        _storage().imageHash = newImageHash;
        _setAuthorisedCheckpoint(checkpoint);
        emit ConfigurationUpdated(newImageHash, root, threshold, checkpoint);
    }

    function _isValidImageHash(bytes32 hash) private view returns (bool) {
        bytes32 stored = _storage().imageHash;
        if (stored != bytes32(0)) return hash == stored;
        // First configuration: the wallet's own address commits to it (CREATE2 salt).
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), FACTORY, hash, PROXY_INIT_CODE_HASH)))))
            == address(this);
    }

    /// @dev Runs call `index`; returns whether it succeeded, leaving its return data in the
    /// return data buffer instead of copying it to memory (most calls succeed, and copying costs gas).
    ///
    /// A call with a gas limit gets all of it, or the batch reverts with `NotEnoughGas`: a relayer
    /// cannot make a call fail by sending too little gas. The EVM passes a callee at most 63/64 of
    /// the gas left once the CALL's own costs are paid (cold account 2,600; value 9,000; a new
    /// account 25,000), so the check asks for `gasLimit * 64 / 63` plus those costs, measured just
    /// before the call. With gas limit 0 the call gets whatever the relayer left, by design.
    function _call(PayloadHashes.Call calldata c, uint256 index) private returns (bool success) {
        uint256 gasLimit = c.gasLimit;
        address target = c.target;
        uint256 value = c.value;
        bytes calldata data = c.data;
        bool delegateCall = c.delegateCall;
        if (delegateCall && value != 0) revert DelegateCallWithValue(index);
        uint256 gasLeft;
        bool starved;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, data.offset, data.length)
            let forward := gasLimit
            switch forward
            case 0 { forward := gas() }
            default {
                // A limit above 2^64 gas can never be met (and would overflow the product below).
                switch gt(forward, 0xffffffffffffffff)
                case 1 { starved := 1 }
                default {
                    // 2,700: cold account access plus the few opcodes between here and the call;
                    // 34,000: value transfer to an account that may not exist yet.
                    let needed := add(div(mul(forward, 64), 63), add(2700, mul(iszero(iszero(value)), 34000)))
                    starved := lt(gas(), needed)
                }
            }
            switch starved
            case 1 { gasLeft := gas() }
            default {
                switch delegateCall
                case 1 { success := delegatecall(forward, target, ptr, data.length, 0, 0) }
                default { success := call(forward, target, value, ptr, data.length, 0, 0) }
            }
        }
        if (starved) revert NotEnoughGas(index, gasLimit, gasLeft);
    }

    /// @dev The first `MAX_RETURN_DATA` bytes of the last call's return data, copied to memory.
    /// Bounded so that a callee cannot make the wallet pay for copying (and logging) an arbitrarily
    /// large revert blob beyond the gas limit it was given.
    function _returnData() private pure returns (bytes memory data) {
        assembly ("memory-safe") {
            let size := returndatasize()
            if gt(size, MAX_RETURN_DATA) { size := MAX_RETURN_DATA }
            data := mload(0x40)
            mstore(data, size)
            returndatacopy(add(data, 0x20), 0, size)
            mstore(0x40, add(add(data, 0x20), and(add(size, 0x1f), not(0x1f))))
        }
    }

    function _authorisedCheckpoint() private view returns (uint256 checkpoint) {
        assembly ("memory-safe") {
            checkpoint := tload(CHECKPOINT_SLOT)
        }
    }

    function _setAuthorisedCheckpoint(uint256 checkpoint) private {
        assembly ("memory-safe") {
            tstore(CHECKPOINT_SLOT, checkpoint)
        }
    }

    function _storage() private pure returns (WalletStorage storage $) {
        assembly ("memory-safe") {
            $.slot := WALLET_STORAGE
        }
    }
}
