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
import {WalletProxy} from "../proxy/WalletProxy.sol";
import {IAccount} from "@account-abstraction/contracts/interfaces/IAccount.sol";
import {PackedUserOperation} from "@account-abstraction/contracts/interfaces/PackedUserOperation.sol";

/**
 * @title ArborWallet
 * @notice Wallet implementation behind the upgradable proxies `ArborFactory` creates with CREATE2
 * and `salt = ` the first configuration's image hash (`WalletProxy`: it delegates to the
 * implementation stored in this contract's storage, or to the one baked into its code while none is).
 *
 * Until its first configuration update a wallet stores nothing: it accepts an image hash when
 * its own address is the CREATE2 address of a proxy deployed with that image hash as salt. After
 * an update it stores the new image hash (one slot) and accepts only that.
 *
 * IMPORTANT: the implementation itself accepts no signature: its storage holds no image hash and
 * its address is no proxy's address.
 */
contract ArborWallet is IArborWallet, IAccount, IERC1271, IERC5267, IERC165, IERC721Receiver, IERC1155Receiver {
    /// @custom:storage-location erc7201:arbor.wallet
    struct WalletStorage {
        /// Image hash of the current configuration; zero until the first update.
        bytes32 imageHash;
        /// Next nonce of each nonce space but space 0.
        mapping(uint256 space => uint256) nonces;
        /// `implementation << 96 | imageHashStored << 95 | nonce of space 0`. The proxy reads the
        /// implementation from the top 160 bits (zero: the one baked into its code), so the
        /// owners' nonce read that follows in `execute` is warm (100 gas instead of 2,100), and
        /// so is the flag that says whether `imageHash` is stored: a wallet on its first
        /// configuration never reads the `imageHash` slot (2,100 gas saved per batch).
        uint256 implementationAndNonce;
    }

    /// @dev keccak256(abi.encode(uint256(keccak256("arbor.wallet")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant WALLET_STORAGE = 0x5fa3519ea79c9bd5b138300857d5ac2107d31272b56636012810965f880aaf00;

    /// @dev `WALLET_STORAGE + 2`: the slot `WalletProxy` reads the implementation from.
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x5fa3519ea79c9bd5b138300857d5ac2107d31272b56636012810965f880aaf02;

    /// @notice The storage layout this implementation reads and writes; `upgradeTo` refuses an
    /// implementation that declares another. keccak256("arbor.wallet.storage-layout.v1")
    bytes32 public constant STORAGE_LAYOUT_ID = keccak256("arbor.wallet.storage-layout.v1");

    /// @dev Transient slot holding the image hash of the configuration that authorised the running
    /// batch, set before its calls run when one is a self-call or a delegate call, so `upgradeTo` can keep a wallet that
    /// still runs on its first configuration valid. keccak256("arbor.wallet.transient.image-hash") - 1
    bytes32 private constant IMAGE_HASH_SLOT = 0x34e2d90501375b086e0f90fa32ea0d8ae97bfad4c14c5e7f6826bc10518f202d;

    /// @dev Transient slot holding the checkpoint of the configuration that authorised the
    /// running batch (set before the calls of an owner batch with a self-call or delegate call
    /// run, and by every update), so a self-call can tell whether a new checkpoint goes up.
    /// keccak256("arbor.wallet.transient.checkpoint") - 1
    bytes32 private constant CHECKPOINT_SLOT = 0xec6793d572c40eadc50846cc3cf7186073e165b815034e52bf2e2feb4914a888;

    /// @notice The nonce space of signed upgrades (`nonces(UPGRADE_NONCE_SPACE)`): 2^160, above
    /// every space a packed payload can name (uint160), so only `upgradeToWithSignature` moves it.
    uint256 public constant UPGRADE_NONCE_SPACE = 1 << 160;

    /// @dev The low 95 bits of `implementationAndNonce`: the nonce of space 0.
    uint256 private constant NONCE_MASK = (1 << 95) - 1;
    /// @dev Bit 95 of `implementationAndNonce`: the image hash is stored (the wallet was updated or upgraded).
    uint256 private constant IMAGE_HASH_STORED = 1 << 95;

    /// @dev See `_call`: cold target, cold EIP-7702 delegate, opcodes between `gas()` and the CALL.
    uint256 private constant CALL_OVERHEAD = 2600 + 2600 + 100;

    /// @dev How much of a failed call's return data `CallFailed`, `CallIgnored` and `CallAborted` carry.
    uint256 private constant MAX_RETURN_DATA = 1024;

    bytes4 private constant ERC1271_MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant ERC1271_FAILURE = 0xffffffff;

    /// @dev ERC-4337 `validationData` of a UserOp whose signature is invalid (no time range).
    uint256 private constant SIG_VALIDATION_FAILED = 1;

    /// @notice The factory whose CREATE2 proxies this implementation serves.
    address public immutable FACTORY;

    /// @notice The sessions module that authorises batches signed by session keys.
    address public immutable SESSIONS;

    /// @notice The ERC-4337 EntryPoint (v0.8) that may validate and run UserOps for this wallet.
    address public immutable ENTRY_POINT;

    /// @dev This implementation's own address (what proxies that store no implementation run).
    address private immutable SELF;

    /// @dev keccak256 of the `WalletProxy` init code that bakes in this implementation.
    bytes32 private immutable PROXY_INIT_CODE_HASH;

    constructor(address factory, address sessions, address entryPoint) {
        FACTORY = factory;
        SESSIONS = sessions;
        ENTRY_POINT = entryPoint;
        SELF = address(this);
        PROXY_INIT_CODE_HASH = keccak256(WalletProxy.initCode(address(this)));
    }

    receive() external payable {}

    // ---------------------------------------------------------------------------------------
    // Execution
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Runs a batch of calls signed by the current configuration, or by session keys
     * under the rules of the current configuration (signature flag bit 1, see `IArborSessions`).
     * @param payload The packed batch `space:uint160 nonce:uint96 call*` (`lib/payload/ENCODING.md`).
     * @param signature A wallet signature (`lib/signature/ENCODING.md`) or a session signature.
     * @dev Anyone may relay it. Reverts if the payload is malformed (`PayloadHashes` errors), if
     * the nonce is not `nonces(space)` (`BadNonce`), if the signature is invalid (see
     * `WalletSignature`), if it proves another configuration (`ImageHashMismatch`), or if a call
     * set to revert on failure fails (`CallFailed`).
     */
    function execute(bytes calldata payload, bytes calldata signature) external payable {
        (uint256 space, uint256 nonce, bytes32 structHash, bool selfOrDelegate) =
            PayloadHashes.hashPackedCalls(payload);
        uint256 word = _useNonce(space, nonce);

        bytes32 digest;
        if (signature.length != 0 && uint8(signature[0]) & WalletSignature.FLAG_SESSION != 0) {
            // Session keys sign under rules the sessions module enforces; they never authorise a
            // self-call or a delegate call (the module refuses both), so nothing is authorised for one.
            digest = PayloadHashes.digest(block.chainid, address(this), structHash);
            bytes32 proven = IArborSessions(SESSIONS).validateSessionCalls(
                PayloadHashes.unpackCalls(payload), space, digest, signature
            );
            // Read again: the module ran code, though it cannot write this wallet's storage.
            if (!_isValidImageHash(proven)) revert ImageHashMismatch(proven);
        } else {
            WalletSignature.Recovered memory recovered = WalletSignature.recover(signature, structHash, false);
            // `word` was read before any call ran: it is the wallet's current state.
            if (!_isImageHashOf(recovered.imageHash, word)) revert ImageHashMismatch(recovered.imageHash);
            WalletSignature.requireCanonical(recovered);
            digest = recovered.digest;
            // Recorded before any call runs (a call may re-enter and update the configuration,
            // which records its own checkpoint), and only when a call may need it: the two
            // transient writes cost 200 gas a batch that only calls others does not pay.
            if (selfOrDelegate) _setAuthorised(recovered.imageHash, recovered.checkpoint);
        }
        _run(payload, digest);
    }

    /// @dev Consumes nonce `nonce` of `space`, before any call runs, so a call cannot replay the batch.
    /// Returns `implementationAndNonce` as it was read (its flag tells `_isValidImageHash` where to look).
    function _useNonce(uint256 space, uint256 nonce) private returns (uint256 word) {
        WalletStorage storage $ = _storage();
        uint256 current;
        if (space == 0) {
            word = $.implementationAndNonce;
            current = word & NONCE_MASK;
            if (nonce != current) revert BadNonce(space, nonce, current);
            unchecked {
                // The nonce is the low 95 bits and grows by one per batch: it cannot reach 2^95
                // (and carry into the flag) in any chain's lifetime.
                $.implementationAndNonce = word + 1;
            }
        } else {
            word = $.implementationAndNonce;
            current = $.nonces[space];
            if (nonce != current) revert BadNonce(space, nonce, current);
            unchecked {
                // Grows by one per batch; a payload's nonce is below 2^96.
                $.nonces[space] = current + 1;
            }
        }
    }

    /// @dev Runs the calls of a payload `hashPackedCalls` checked.
    function _run(bytes calldata payload, bytes32 digest) private {
        uint256 length = payload.length;
        uint256 index;
        PayloadHashes.PackedCall memory c;
        for (c.next = 32; c.next < length;) {
            PayloadHashes.readPackedCall(payload, c.next, c);
            if (!_call(payload, c, index)) {
                if (c.onFailure == PayloadHashes.ON_FAILURE_REVERT) revert CallFailed(index, _returnData());
                if (c.onFailure == PayloadHashes.ON_FAILURE_IGNORE) {
                    emit CallIgnored(digest, index, _returnData());
                } else {
                    emit CallAborted(digest, index, _returnData());
                    break;
                }
            }
            unchecked {
                // Fewer calls than payload bytes.
                ++index;
            }
        }
        emit Executed(digest);
    }

    // ---------------------------------------------------------------------------------------
    // ERC-4337
    // ---------------------------------------------------------------------------------------

    /**
     * @notice ERC-4337 validation: the owners' signature is an Arbor wallet signature
     * (`lib/signature/ENCODING.md`) over `userOpHash` itself, which binds the chain, the
     * EntryPoint, this wallet and the EntryPoint's nonce. Pays the EntryPoint `missingAccountFunds`.
     * @return validationData 0 when the signature proves the current configuration, 1
     * (`SIG_VALIDATION_FAILED`) for any bad or malformed signature: it never reverts on one, so the
     * EntryPoint reports AA24 and a bundler's simulation sees the failure value.
     * @dev Reverts if not called by `ENTRY_POINT` (`OnlyEntryPoint`). Keeps to ERC-7562: it reads
     * only this wallet's storage, calls only itself (a static self-call, through its proxy, to
     * the implementation, which has code) and the ecrecover precompile, and uses `GAS` only
     * right before a call.
     */
    function validateUserOp(PackedUserOperation calldata userOp, bytes32 userOpHash, uint256 missingAccountFunds)
        external
        returns (uint256 validationData)
    {
        if (msg.sender != ENTRY_POINT) revert OnlyEntryPoint(msg.sender);
        // A static self-call turns every revert of the signature check into the failure value.
        try this.checkUserOpSignature(userOpHash, userOp.signature) {}
        catch {
            validationData = SIG_VALIDATION_FAILED;
        }
        if (missingAccountFunds != 0) {
            // Like eth-infinitism's BaseAccount: the EntryPoint checks the deposit itself, so a
            // failed transfer needs no handling here (the UserOp then fails with AA21).
            (bool paid,) = payable(msg.sender).call{value: missingAccountFunds}("");
            paid;
        }
    }

    /**
     * @notice Reverts with the reason `signature` is not a valid owners' signature of the UserOp
     * whose hash is `userOpHash`; returns nothing if it is valid (`validateUserOp` turns a revert
     * into `SIG_VALIDATION_FAILED`).
     * @dev Reverts with `WalletSignature`'s errors (chain id 0 is refused), `ImageHashMismatch`
     * or `SignatureWalkUnsorted`.
     */
    function checkUserOpSignature(bytes32 userOpHash, bytes calldata signature) external view {
        WalletSignature.Recovered memory recovered = WalletSignature.recoverDigest(signature, userOpHash);
        if (!_isValidImageHash(recovered.imageHash)) revert ImageHashMismatch(recovered.imageHash);
        WalletSignature.requireCanonical(recovered);
    }

    /**
     * @notice Runs the packed calls of a validated UserOp (its `callData` is this function's
     * call): the call encoding of `execute`'s payload without its space and nonce, since the
     * EntryPoint keeps the nonce (`lib/payload/ENCODING.md`, "UserOperations").
     * @dev Reverts if not called by `ENTRY_POINT` (`OnlyEntryPoint`), if a call is malformed
     * (`PayloadHashes` errors), if a call targets the wallet itself or is a delegate call
     * (`UserOpSelfOrDelegateCall`), or if a call set to revert on failure fails (`CallFailed`).
     * The batch emits `Executed(0)`: the EntryPoint's `UserOperationEvent` names the UserOp.
     */
    function executeUserOpCalls(bytes calldata calls) external {
        if (msg.sender != ENTRY_POINT) revert OnlyEntryPoint(msg.sender);
        bytes calldata payload;
        assembly ("memory-safe") {
            // The 32 bytes before ABI-decoded `bytes` are its length word: `calls` preceded by it
            // is a packed payload whose header (space = length >> 96 = 0, nonce = length) is
            // never used, so the calls are checked by the one decoder `execute` uses.
            // calls.offset >= 36 (selector, offset word), so the subtraction cannot underflow.
            payload.offset := sub(calls.offset, 32)
            payload.length := add(calls.length, 32)
        }
        (,,, bool selfOrDelegate) = PayloadHashes.hashPackedCalls(payload);
        if (selfOrDelegate) revert UserOpSelfOrDelegateCall();
        _run(payload, bytes32(0));
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
        uint256 current = _authorise(signature, PayloadHashes.hashConfigUpdate(root, threshold, checkpoint), true).checkpoint;
        _setConfiguration(root, threshold, checkpoint, current);
    }

    // ---------------------------------------------------------------------------------------
    // Upgrades
    // ---------------------------------------------------------------------------------------

    /**
     * @notice Moves the wallet to `implementation` from inside a signed batch (a self-call).
     * Address, balance, nonces, image hash and session usage stay: they live in the wallet's
     * storage and in the sessions module, which the new implementation must read the same way.
     * A wallet still on its first configuration stores the image hash that authorised the batch,
     * since the new implementation's own CREATE2 check would no longer recognise the address.
     * @dev Reverts if not called by the wallet itself (`OnlySelf`), if `implementation` has no
     * code (`ImplementationHasNoCode`), or if it does not declare this `STORAGE_LAYOUT_ID`
     * (`StorageLayoutMismatch`).
     */
    function upgradeTo(address newImplementation) external {
        if (msg.sender != address(this)) revert OnlySelf(msg.sender);
        // Set by `execute` before this self-call: the configuration that signed the batch.
        _upgradeTo(newImplementation, _authorisedImageHash());
    }

    /**
     * @notice Moves the wallet to `implementation` with a signature of the current configuration
     * over `Upgrade(implementation, nonce)`, `nonce` = `nonces(UPGRADE_NONCE_SPACE)`, the wallet's
     * upgrade counter. Anyone may relay it. Signed with chain id 0 (signature flag bit 0), the
     * same upgrade applies on every chain whose wallet has made as many signed upgrades.
     * @dev The counter goes up before the new implementation is asked anything, so a signature is
     * used once: replaying it, even after the wallet came back to the same implementation and
     * configuration, meets another nonce (`ImageHashMismatch`). Reverts like `execute` on a bad
     * signature and like `upgradeTo` on a bad implementation.
     */
    function upgradeToWithSignature(address newImplementation, bytes calldata signature) external {
        WalletStorage storage $ = _storage();
        uint256 nonce = $.nonces[UPGRADE_NONCE_SPACE];
        bytes32 signedBy = _authorise(signature, PayloadHashes.hashUpgrade(newImplementation, nonce), true).imageHash;
        unchecked {
            // One per signed upgrade: cannot reach 2^256.
            $.nonces[UPGRADE_NONCE_SPACE] = nonce + 1;
        }
        _upgradeTo(newImplementation, signedBy);
    }

    /// @dev The checks and the write of both upgrade paths; `signedBy` is the image hash of the
    /// configuration that authorised the upgrade, stored if the wallet still runs on its first.
    function _upgradeTo(address newImplementation, bytes32 signedBy) private {
        if (newImplementation.code.length == 0) revert ImplementationHasNoCode(newImplementation);
        bytes32 layout;
        (bool ok, bytes memory answer) = newImplementation.staticcall(abi.encodeWithSignature("STORAGE_LAYOUT_ID()"));
        if (ok && answer.length == 32) layout = abi.decode(answer, (bytes32));
        if (layout != STORAGE_LAYOUT_ID) revert StorageLayoutMismatch(newImplementation, layout);
        WalletStorage storage $ = _storage();
        uint256 word = $.implementationAndNonce;
        if (word & IMAGE_HASH_STORED == 0) {
            // Stored, because the new implementation's CREATE2 check names its own address.
            $.imageHash = signedBy;
        }
        $.implementationAndNonce = (uint256(uint160(newImplementation)) << 96) | IMAGE_HASH_STORED | (word & NONCE_MASK);
        emit Upgraded(newImplementation);
    }

    /// @notice The implementation the wallet runs: the stored one, or this one while none is stored.
    function implementation() external view returns (address stored) {
        stored = address(uint160(_storage().implementationAndNonce >> 96));
        if (stored == address(0)) stored = SELF;
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
        WalletSignature.requireCanonical(recovered);
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
        if (space == 0) return _storage().implementationAndNonce & NONCE_MASK;
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
            || interfaceId == type(IAccount).interfaceId
            || interfaceId == type(IERC721Receiver).interfaceId || interfaceId == type(IERC1155Receiver).interfaceId;
    }

    // ---------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------

    /// @dev Verifies a signature for this wallet: it must prove the current configuration.
    function _authorise(bytes calldata signature, bytes32 structHash, bool allowChainIdZero)
        private
        view
        returns (WalletSignature.Recovered memory recovered)
    {
        recovered = WalletSignature.recover(signature, structHash, allowChainIdZero);
        if (!_isValidImageHash(recovered.imageHash)) revert ImageHashMismatch(recovered.imageHash);
        WalletSignature.requireCanonical(recovered);
    }

    function _setConfiguration(bytes32 root, uint256 threshold, uint256 checkpoint, uint256 current) private {
        if (threshold == 0) revert ZeroThreshold();
        if (checkpoint <= current) revert CheckpointNotIncreasing(current, checkpoint);
        bytes32 newImageHash = ConfigurationHashes.imageHash(root, threshold, checkpoint);
        WalletStorage storage $ = _storage();
        $.imageHash = newImageHash;
        $.implementationAndNonce |= IMAGE_HASH_STORED;
        _setAuthorisedCheckpoint(checkpoint);
        emit ConfigurationUpdated(newImageHash, root, threshold, checkpoint);
    }

    function _isValidImageHash(bytes32 hash) private view returns (bool) {
        return _isImageHashOf(hash, _storage().implementationAndNonce);
    }

    /// @dev `_isValidImageHash` given `implementationAndNonce` already read.
    function _isImageHashOf(bytes32 hash, uint256 word) private view returns (bool) {
        if (word & IMAGE_HASH_STORED != 0) return hash == _storage().imageHash;
        // First configuration: the wallet's own address commits to it (CREATE2 salt).
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), FACTORY, hash, PROXY_INIT_CODE_HASH)))))
            == address(this);
    }

    /// @dev Runs call `index` of `payload`; returns whether it
    /// succeeded, leaving its return data in the return data buffer instead of copying it to
    /// memory (most calls succeed, and copying costs gas).
    ///
    /// A call with a gas limit gets all of it, or the batch reverts with `NotEnoughGas`: a relayer
    /// cannot make a call fail by sending too little gas. The EVM passes a callee at most 63/64 of
    /// the gas left once the CALL's own costs are paid, so the check asks, measured by the `gas()`
    /// just before the call, for `gasLimit * 64 / 63` plus an upper bound of those costs:
    /// - `CALL_OVERHEAD` = 2,600 (cold target) + 2,600 (the cold delegate account when the target
    ///   is an EIP-7702 delegated EOA, code `0xef0100 ‖ address`; always counted, since finding out
    ///   would cost as much) + 100 (the opcodes between the `gas()` and the CALL: a few stack
    ///   operations and a comparison, a few dozen gas; the audit found the old allowance 7 short);
    /// - 34,000 more with value: 9,000 for the transfer and 25,000 for an account that may not exist.
    /// Asking a little more than needed costs the relayer nothing it does not get back; asking less
    /// would let it starve the call. With gas limit 0 the call gets whatever the relayer left, by design.
    function _call(bytes calldata payload, PayloadHashes.PackedCall memory c, uint256 index)
        private
        returns (bool success)
    {
        address target = c.target;
        uint256 value = c.value;
        uint256 gasLimit = c.gasLimit;
        bool delegateCall = c.delegateCall;
        uint256 dataAt;
        uint256 dataLength;
        uint256 gasLeft;
        bool starved;
        assembly ("memory-safe") {
            // Absolute calldata offset and length of the call's data (next >= dataOffset).
            dataAt := add(payload.offset, mload(add(c, 0xa0)))
            dataLength := sub(mload(add(c, 0xc0)), mload(add(c, 0xa0)))
        }
        assembly ("memory-safe") {
            // The call data goes at the free memory pointer (scratch: nothing is allocated after).
            let ptr := mload(0x40)
            calldatacopy(ptr, dataAt, dataLength)
            switch gasLimit
            case 0 {
                switch delegateCall
                case 1 { success := delegatecall(gas(), target, ptr, dataLength, 0, 0) }
                default { success := call(gas(), target, value, ptr, dataLength, 0, 0) }
            }
            default {
                // gasLimit < 2^64 (a packed field), so the product cannot overflow.
                let needed := add(div(mul(gasLimit, 64), 63), add(CALL_OVERHEAD, mul(iszero(iszero(value)), 34000)))
                gasLeft := gas()
                starved := lt(gasLeft, needed)
                if iszero(starved) {
                    switch delegateCall
                    case 1 { success := delegatecall(gasLimit, target, ptr, dataLength, 0, 0) }
                    default { success := call(gasLimit, target, value, ptr, dataLength, 0, 0) }
                }
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

    function _setAuthorised(bytes32 hash, uint256 checkpoint) private {
        assembly ("memory-safe") {
            tstore(IMAGE_HASH_SLOT, hash)
            tstore(CHECKPOINT_SLOT, checkpoint)
        }
    }

    function _authorisedImageHash() private view returns (bytes32 hash) {
        assembly ("memory-safe") {
            hash := tload(IMAGE_HASH_SLOT)
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
