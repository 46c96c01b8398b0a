// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PayloadHashes} from "../payload/PayloadHashes.sol";

/**
 * @title IArborSessions
 * @notice The sessions module: a singleton that wallets call to authorise a batch signed by
 * session keys (explicit sessions with permissions, attested sessions with an identity signer),
 * and that keeps each wallet's session usage (cumulative limits) keyed by the calling wallet.
 * @dev A wallet hands over the whole session signature (signature flag bit 1) and compares the
 * returned image hash with its own; a mismatch reverts the whole transaction, usage included.
 * The signature layout and the order of the checks are in `lib/sessions/ENCODING.md`;
 * `lib/sessions` (`checkSessionCalls`) performs the same checks with the same error names.
 * Structural errors shared with wallet signatures (`SignatureTruncated`, `SignatureTrailingBytes`,
 * `UnsupportedSignatureFlags`, `InvalidProofFlag`) are `WalletSignature`'s, and a malformed
 * multiproof is OpenZeppelin's `MerkleProofInvalidMultiproof`.
 */
interface IArborSessions {
    // ---------------------------------------------------------------------------------------
    // Structure (no cryptography yet)
    // ---------------------------------------------------------------------------------------

    /// @notice Thrown when a session signature is offered for a batch without calls.
    error SessionBatchEmpty();
    /// @notice Thrown when a session signature names no configuration leaf.
    error EmptySessionSignature();
    /// @notice Thrown when leaf `leafIndex` of the signature has a kind the module does not know.
    error UnknownSessionLeaf(uint256 leafIndex, uint8 kind);
    /// @notice Thrown when the permissions of leaf `leafIndex` are not the canonical
    /// `abi.encode(Permission[])`; `at` is the byte offset, inside the permissions, of the first bad word.
    error SessionPermissionsMalformed(uint256 leafIndex, uint256 at);
    /// @notice Thrown when the hash of leaf `leafIndex` is not above the previous leaf's hash
    /// (the multiproof's order; it also rules out a repeated leaf).
    error SessionLeavesNotAscending(uint256 leafIndex, bytes32 previousLeaf, bytes32 leaf);
    /// @notice Thrown when attestation `attestationIndex` points at leaf `leafIndex`, which is not an identity-signer leaf.
    error NotAnIdentityLeaf(uint256 attestationIndex, uint256 leafIndex);
    /// @notice Thrown when the signature authorises `count` calls but the batch has `callsLength`.
    error SessionCallCountMismatch(uint256 count, uint256 callsLength);
    /// @notice Thrown when the authorisation of call `callIndex` has a kind the module does not know.
    error UnknownCallAuthorisation(uint256 callIndex, uint8 kind);
    /// @notice Thrown when call `callIndex` names leaf `leafIndex`, which is not a session-permissions leaf.
    error NotASessionLeaf(uint256 callIndex, uint256 leafIndex);
    /// @notice Thrown when call `callIndex` names permission `permissionIndex` of a session that has `permissionCount`.
    error SessionPermissionIndexOutOfRange(uint256 callIndex, uint256 permissionIndex, uint256 permissionCount);
    /// @notice Thrown when call `callIndex` names attestation `attestationIndex` of `attestationCount`.
    error AttestationIndexOutOfRange(uint256 callIndex, uint256 attestationIndex, uint256 attestationCount);

    // ---------------------------------------------------------------------------------------
    // Attestations
    // ---------------------------------------------------------------------------------------

    /// @notice Thrown when the identity signer's ECDSA signature of attestation `attestationIndex`
    /// does not recover (bad v, high s, no address).
    error InvalidAttestationSignature(uint256 attestationIndex);
    /// @notice Thrown when attestation `attestationIndex` was signed by `recovered`, not by the
    /// `identitySigner` of the leaf it names.
    error AttestationSignerMismatch(uint256 attestationIndex, address identitySigner, address recovered);

    // ---------------------------------------------------------------------------------------
    // Calls
    // ---------------------------------------------------------------------------------------

    /// @notice Thrown when call `callIndex` is a delegate call: no session may run code in the wallet's context.
    error SessionDelegateCall(uint256 callIndex);
    /// @notice Thrown when call `callIndex` targets the wallet itself (configuration, nonces, modules).
    error SessionSelfCall(uint256 callIndex);
    /// @notice Thrown when call `callIndex` targets this module (a session must not edit the blocklist or usage).
    error SessionModuleCall(uint256 callIndex);
    /// @notice Thrown when the session key's ECDSA signature of call `callIndex` does not recover.
    error InvalidSessionCallSignature(uint256 callIndex);
    /// @notice Thrown when call `callIndex` was signed by `recovered` instead of the session key `expected`.
    /// A signature made for another wallet, chain, nonce, position or authorisation (another leaf,
    /// permission or attestation) recovers to an unrelated `recovered` and fails here too.
    error SessionSignerMismatch(uint256 callIndex, address expected, address recovered);
    /// @notice Thrown when a session batch runs in nonce space `space` instead of the space of
    /// `sessionKey`, the key that signs its first call (`uint256(uint160(sessionKey))`): a session
    /// may only consume its own nonces, never the owners' or another session's.
    /// @param space The nonce space the wallet was asked to consume.
    /// @param sessionKey The session key of call 0 (explicit: the leaf's session signer; attested: the approved signer).
    error SessionNonceSpace(uint256 space, address sessionKey);
    /// @notice Thrown when the session key `key` of call `callIndex` is on the wallet's blocklist.
    error SessionKeyBlocked(uint256 callIndex, address key);
    /// @notice Thrown when attested call `callIndex` rests on an attestation by `identitySigner`,
    /// which is on the wallet's blocklist (revoking every session it vouched for).
    error IdentitySignerBlocked(uint256 callIndex, address identitySigner);
    /// @notice Thrown when the target of call `callIndex` is on the wallet's blocklist.
    error SessionTargetBlocked(uint256 callIndex, address target);
    /// @notice Thrown when call `callIndex` uses a session limited to chain `chainId` on chain `currentChainId`.
    error SessionWrongChain(uint256 callIndex, uint256 chainId, uint256 currentChainId);
    /// @notice Thrown when call `callIndex` uses a session whose `deadline` is not after `now`.
    error SessionExpired(uint256 callIndex, uint256 deadline, uint256 now);
    /// @notice Thrown when call `callIndex` goes to `target` under a permission for `permissionTarget`.
    error SessionTargetNotPermitted(uint256 callIndex, address target, address permissionTarget);
    /// @notice Thrown when call `callIndex` sends `value` while the session already sent `used` of its `valueLimit`.
    error SessionValueLimitExceeded(uint256 callIndex, uint256 used, uint256 value, uint256 valueLimit);
    /// @notice Thrown when rule `ruleIndex` of permission `permissionIndex` fails for call
    /// `callIndex`: `word` is the masked calldata word, `value` the rule's value.
    error SessionRuleFailed(uint256 callIndex, uint256 permissionIndex, uint256 ruleIndex, bytes32 word, bytes32 value);
    /// @notice Thrown when a calldata-length rule (operation 4 "length at least" or 5 "length at
    /// most") fails for call `callIndex`: the call's data is `length` bytes, the rule's bound `bound`.
    error SessionCalldataLengthFailed(
        uint256 callIndex, uint256 permissionIndex, uint256 ruleIndex, uint256 length, uint256 bound
    );
    /// @notice Thrown when a cumulative rule's running total, `used` so far plus `amount`, would pass 2^256 - 1.
    error SessionUsageOverflow(uint256 callIndex, uint256 permissionIndex, uint256 ruleIndex, uint256 used, uint256 amount);
    /// @notice Thrown when a cumulative rule's running `total` (this call included) fails its
    /// comparison with `limit` (for an "at most" rule: the cap is exceeded).
    error SessionLimitExceeded(uint256 callIndex, uint256 permissionIndex, uint256 ruleIndex, uint256 total, uint256 limit);
    /// @notice Thrown when call `callIndex` uses an attestation issued at `issuedAt`, after `now`.
    error AttestationNotYetValid(uint256 callIndex, uint256 issuedAt, uint256 now);
    /// @notice Thrown when call `callIndex` uses an attestation that expired at `expiresAt`, not after `now`.
    error AttestationExpired(uint256 callIndex, uint256 expiresAt, uint256 now);
    /// @notice Thrown when call `callIndex` of an attested session carries `value`: attested sessions move no native value.
    error AttestedSessionValue(uint256 callIndex, uint256 value);
    /// @notice Thrown when `target` does not return the accept magic value for attested call `callIndex`.
    error AttestedRequestRejected(uint256 callIndex, address target);

    /// @notice Emitted when `wallet` adds `account` to its blocklist or removes it.
    event BlocklistUpdated(address indexed wallet, address indexed account, bool blocked);

    /**
     * @notice Checks that every call of a batch is authorised by a session of the configuration
     * the signature proves, records the usage of cumulative limits for `msg.sender`, and returns
     * the image hash of that configuration.
     * @dev Reverts `SessionNonceSpace` unless `space` is the nonce space of the key that signs
     * call 0, `uint256(uint160(key))`, so every session key has a nonce counter of its own and a
     * session can never consume a nonce of the owners (any space that is no session key's
     * address, e.g. 0) or of another session. Check order: `lib/sessions/ENCODING.md`.
     * @param calls The batch, exactly as the wallet will run it.
     * @param space The nonce space the wallet consumes for this batch (the one in the digest).
     * @param digest The batch's EIP-712 digest for this wallet and chain (`Calls(calls, space, nonce)`).
     * @param signature The session signature, flags byte included.
     */
    function validateSessionCalls(
        PayloadHashes.Call[] calldata calls,
        uint256 space,
        bytes32 digest,
        bytes calldata signature
    ) external returns (bytes32 imageHash);

    /**
     * @notice Adds `accounts` (session keys, identity signers or targets) to the caller's
     * blocklist, or removes them.
     * A wallet calls this from a batch its signers sign; sessions can never call this module.
     */
    function setBlocked(address[] calldata accounts, bool blocked) external;

    /// @notice Whether `account` is on `wallet`'s blocklist.
    function isBlocked(address wallet, address account) external view returns (bool);

    /// @notice How many accounts `wallet` has on its blocklist.
    function blockedCount(address wallet) external view returns (uint256);

    /// @notice Running total of rule `ruleIndex` of permission `permissionIndex` of the session
    /// whose leaf hash is `sessionLeaf`, for `wallet`.
    function usage(address wallet, bytes32 sessionLeaf, uint256 permissionIndex, uint256 ruleIndex)
        external
        view
        returns (uint256);

    /// @notice Native value the session whose leaf hash is `sessionLeaf` has sent from `wallet`.
    function valueUsed(address wallet, bytes32 sessionLeaf) external view returns (uint256);

    /**
     * @notice What the session key signs for call `callIndex` of the batch with `digest` when
     * permission `permissionIndex` of the explicit session whose leaf hash is `sessionLeaf`
     * authorises it: `keccak256(abi.encode(keccak256("arbor.session-call.v2"), digest, callIndex,
     * sessionLeaf, permissionIndex))`.
     * @dev The leaf and the permission are signed so that nobody who relays the batch can charge
     * the call to another grant of the same key (another permission, another leaf).
     */
    function explicitSessionCallHash(bytes32 digest, uint256 callIndex, bytes32 sessionLeaf, uint256 permissionIndex)
        external
        pure
        returns (bytes32);

    /**
     * @notice What the session key signs for call `callIndex` of the batch with `digest` when the
     * attestation whose `attestationHash` (lib/sessions/ATTESTATION.md) is `attestationHash`
     * authorises it: `keccak256(abi.encode(keccak256("arbor.session-call.v2"), digest, callIndex,
     * attestationHash))`.
     * @dev The attestation is signed so that nobody who relays the batch can move the call to
     * another attestation of the same key (another app, another issuer, another time window).
     */
    function attestedSessionCallHash(bytes32 digest, uint256 callIndex, bytes32 attestationHash)
        external
        pure
        returns (bytes32);
}
