// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {CalldataReader} from "../utils/CalldataReader.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {ConfigurationHashes} from "../configuration/ConfigurationHashes.sol";
import {PayloadHashes} from "../payload/PayloadHashes.sol";
import {WalletSignature} from "../signature/WalletSignature.sol";
import {IAcceptsAttestedSessions} from "./IAcceptsAttestedSessions.sol";
import {IArborSessions} from "./IArborSessions.sol";
import {SessionAttestation} from "./SessionAttestation.sol";

/**
 * @title ArborSessions
 * @notice Smart sessions for Arbor wallets. A wallet hands this singleton a batch whose signature
 * has flag bit 1 set; the module proves the session leaves the signature uses to the wallet's
 * configuration root, checks every call against its session's rules, records cumulative usage
 * for the calling wallet, and returns the image hash the wallet must recognise as its own.
 *
 * Two kinds of session:
 * - explicit: a `session-permissions` leaf names a session key, a chain, a native value limit, a
 *   deadline and permissions (a target and rules over the calldata);
 * - attested: an `identity-signer` leaf names a key that attests "this session key belongs to
 *   this identity, for this app, until then"; the target must accept the app (audience).
 *
 * A session batch runs only in the nonce space of the key that signs its first call
 * (`SessionNonceSpace`), so a session never consumes the owners' nonces or another session's.
 *
 * Byte layout and check order: `lib/sessions/ENCODING.md`.
 *
 * IMPORTANT: every storage entry is keyed by `msg.sender`. Anyone may call `validateSessionCalls`,
 * but only to spend from their own namespace; a wallet only calls it from `execute`, and sessions
 * can never call this module (`SessionModuleCall`).
 */
contract ArborSessions is IArborSessions {
    using CalldataReader for bytes;

    /// @dev keccak256("arbor.session-call.v2"): for each call the session key signs
    /// keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, sessionLeaf, permissionIndex))
    /// (explicit) or keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, attestationHash))
    /// (attested). v1 signed (digest, callIndex) only, which let a relayer move a call to another
    /// grant of the same key.
    bytes32 private constant SESSION_CALL_TAG = keccak256("arbor.session-call.v2");

    uint8 private constant LEAF_SESSION_PERMISSIONS = 0x01;
    uint8 private constant LEAF_IDENTITY_SIGNER = 0x02;
    uint8 private constant AUTH_EXPLICIT = 0x01;
    uint8 private constant AUTH_ATTESTED = 0x02;

    uint256 private constant OPERATION_EQUAL = 0;
    uint256 private constant OPERATION_NOT_EQUAL = 1;
    uint256 private constant OPERATION_AT_LEAST = 2;
    /// @dev Operations 4 and 5 bound the calldata length instead of comparing a word: without
    /// them a selector rule whose selector ends in 0x00 passes on a 3-byte calldata prefix, since
    /// bytes past the end read as zero.
    uint256 private constant OPERATION_LENGTH_AT_LEAST = 4;
    uint256 private constant OPERATION_LENGTH_AT_MOST = 5;

    /// @dev flags (1) + threshold (32) + checkpoint (32) + leafCount (1).
    uint256 private constant HEADER_LENGTH = 66;
    /// @dev sessionSigner (20) + chainId (32) + valueLimit (32) + deadline (32) + permissionsLength (3).
    uint256 private constant SESSION_LEAF_HEAD = 119;
    /// @dev identityLeaf (1) + approvedSigner (20) + identityType (4) + issuerHash (32) +
    /// audienceHash (32) + issuedAt (8) + expiresAt (8) + applicationDataLength (3).
    uint256 private constant ATTESTATION_HEAD = 108;
    /// @dev r (32) + s (32) + v (1).
    uint256 private constant ECDSA_LENGTH = 65;
    /// @dev kind (1) + leafIndex (1) + permissionIndex (1), then the signature.
    uint256 private constant EXPLICIT_AUTH_HEAD = 3;
    /// @dev kind (1) + attestationIndex (1), then the signature.
    uint256 private constant ATTESTED_AUTH_HEAD = 2;
    /// @dev A permission is target, rules offset and rules length, then 5 words per rule.
    uint256 private constant PERMISSION_HEAD = 96;
    uint256 private constant RULE_LENGTH = 160;

    /// @dev A session leaf or an identity-signer leaf, as the signature gives it.
    struct Leaf {
        uint8 kind;
        /// The session key (explicit) or the identity signer.
        address signer;
        uint256 chainId;
        uint256 valueLimit;
        uint256 deadline;
        /// Where the leaf's `abi.encode(Permission[])` starts in the signature.
        uint256 permissionsStart;
        uint256 permissionCount;
        bytes32 hash;
    }

    /// @dev One attestation, copied to memory (the accept-request call needs it whole).
    struct AttestationEntry {
        uint256 leafIndex;
        SessionAttestation.Attestation attestation;
        uint256 signatureStart;
        /// `SessionAttestation.hash(attestation)`, kept from step 2: call signatures sign it.
        bytes32 hash;
    }

    /// @dev What the structure walk found.
    struct Parsed {
        Leaf[] leaves;
        AttestationEntry[] attestations;
        /// Where the authorisation of each call starts (its kind byte).
        uint256[] auths;
        uint256 proofStart;
        /// Whether the wallet's blocklist is empty, read once: then no lookup is needed.
        bool blocklistEmpty;
    }

    /// @dev A wallet's blocklist. `count` lets the common case (nothing blocked) cost one read.
    struct Blocklist {
        uint256 count;
        mapping(address account => bool) blocked;
    }

    mapping(address wallet => mapping(bytes32 sessionLeaf => mapping(uint256 permissionIndex => mapping(uint256 ruleIndex => uint256))))
        private _usage;
    mapping(address wallet => mapping(bytes32 sessionLeaf => uint256)) private _valueUsed;
    mapping(address wallet => Blocklist) private _blocklists;

    // ---------------------------------------------------------------------------------------
    // Validation
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IArborSessions
    function validateSessionCalls(
        PayloadHashes.Call[] calldata calls,
        uint256 space,
        bytes32 digest,
        bytes calldata signature
    ) external returns (bytes32) {
        Parsed memory parsed = _parse(calls.length, signature);
        _recoverAttestations(signature, parsed);
        bytes32 root = _processMultiProof(signature, parsed);
        parsed.blocklistEmpty = _blocklists[msg.sender].count == 0;
        for (uint256 i; i < calls.length; ++i) {
            _checkCall(calls[i], i, space, digest, signature, parsed);
        }
        return ConfigurationHashes.imageHash(root, uint256(signature.readBytes32(1)), uint256(signature.readBytes32(33)));
    }

    // ---------------------------------------------------------------------------------------
    // Blocklist and usage
    // ---------------------------------------------------------------------------------------

    /// @inheritdoc IArborSessions
    function setBlocked(address[] calldata accounts, bool blocked) external {
        Blocklist storage list = _blocklists[msg.sender];
        for (uint256 i; i < accounts.length; ++i) {
            address account = accounts[i];
            // Only a change moves the count, so it always equals the number of blocked accounts.
            if (list.blocked[account] == blocked) continue;
            list.blocked[account] = blocked;
            if (blocked) {
                ++list.count;
            } else {
                --list.count;
            }
            emit BlocklistUpdated(msg.sender, account, blocked);
        }
    }

    /// @inheritdoc IArborSessions
    function isBlocked(address wallet, address account) external view returns (bool) {
        return _blocklists[wallet].blocked[account];
    }

    /// @inheritdoc IArborSessions
    function blockedCount(address wallet) external view returns (uint256) {
        return _blocklists[wallet].count;
    }

    /// @inheritdoc IArborSessions
    function usage(address wallet, bytes32 sessionLeaf, uint256 permissionIndex, uint256 ruleIndex)
        external
        view
        returns (uint256)
    {
        return _usage[wallet][sessionLeaf][permissionIndex][ruleIndex];
    }

    /// @inheritdoc IArborSessions
    function valueUsed(address wallet, bytes32 sessionLeaf) external view returns (uint256) {
        return _valueUsed[wallet][sessionLeaf];
    }

    /// @inheritdoc IArborSessions
    function explicitSessionCallHash(bytes32 digest, uint256 callIndex, bytes32 sessionLeaf, uint256 permissionIndex)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, sessionLeaf, permissionIndex));
    }

    /// @inheritdoc IArborSessions
    function attestedSessionCallHash(bytes32 digest, uint256 callIndex, bytes32 attestationHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(SESSION_CALL_TAG, digest, callIndex, attestationHash));
    }

    // ---------------------------------------------------------------------------------------
    // Step 1: structure
    // ---------------------------------------------------------------------------------------

    /// @dev Walks the signature once, before any signature is recovered (ENCODING.md, step 1).
    function _parse(uint256 callsLength, bytes calldata signature) private pure returns (Parsed memory parsed) {
        _need(signature, HEADER_LENGTH);
        uint8 flags = signature.readUint8(0);
        if (flags != WalletSignature.FLAG_SESSION) revert WalletSignature.UnsupportedSignatureFlags(flags);
        if (callsLength == 0) revert SessionBatchEmpty();
        uint256 leafCount = signature.readUint8(65);
        if (leafCount == 0) revert EmptySessionSignature();

        uint256 cursor = HEADER_LENGTH;
        parsed.leaves = new Leaf[](leafCount);
        bytes32 previous;
        for (uint256 l; l < leafCount; ++l) {
            (Leaf memory leaf, uint256 next) = _parseLeaf(signature, cursor, l);
            cursor = next;
            if (leaf.hash <= previous) revert SessionLeavesNotAscending(l, previous, leaf.hash);
            previous = leaf.hash;
            parsed.leaves[l] = leaf;
        }

        _need(signature, cursor + 1);
        uint256 attestationCount = signature.readUint8(cursor);
        ++cursor;
        parsed.attestations = new AttestationEntry[](attestationCount);
        for (uint256 a; a < attestationCount; ++a) {
            (parsed.attestations[a], cursor) = _parseAttestation(signature, cursor, a, parsed.leaves);
        }

        _need(signature, cursor + 1);
        uint256 callCount = signature.readUint8(cursor);
        ++cursor;
        if (callCount != callsLength) revert SessionCallCountMismatch(callCount, callsLength);
        parsed.auths = new uint256[](callCount);
        for (uint256 i; i < callCount; ++i) {
            parsed.auths[i] = cursor;
            cursor = _parseAuthorisation(signature, cursor, i, parsed);
        }

        parsed.proofStart = cursor;
        _need(signature, cursor + 1);
        uint256 proofLength = signature.readUint8(cursor);
        uint256 flagsStart = cursor + 1 + proofLength * 32;
        // leafCount >= 1, so the flag count cannot underflow.
        uint256 end = flagsStart + leafCount + proofLength - 1;
        _need(signature, end);
        for (uint256 j; j < end - flagsStart; ++j) {
            uint8 value = signature.readUint8(flagsStart + j);
            if (value > 1) revert WalletSignature.InvalidProofFlag(j, value);
        }
        if (end != signature.length) revert WalletSignature.SignatureTrailingBytes(end, signature.length);
    }

    /// @dev Reads leaf `index` at `cursor` and computes its hash from its fields.
    function _parseLeaf(bytes calldata signature, uint256 cursor, uint256 index)
        private
        pure
        returns (Leaf memory leaf, uint256 next)
    {
        _need(signature, cursor + 1);
        leaf.kind = signature.readUint8(cursor);
        ++cursor;
        if (leaf.kind == LEAF_SESSION_PERMISSIONS) {
            _need(signature, cursor + SESSION_LEAF_HEAD);
            leaf.signer = signature.readAddress(cursor);
            leaf.chainId = uint256(signature.readBytes32(cursor + 20));
            leaf.valueLimit = uint256(signature.readBytes32(cursor + 52));
            leaf.deadline = uint256(signature.readBytes32(cursor + 84));
            uint256 length = signature.readUint24(cursor + 116);
            leaf.permissionsStart = cursor + SESSION_LEAF_HEAD;
            next = leaf.permissionsStart + length;
            _need(signature, next);
            leaf.permissionCount = _checkPermissions(signature, leaf.permissionsStart, length, index);
            leaf.hash = ConfigurationHashes.sessionPermissionsLeaf(
                leaf.signer, leaf.chainId, leaf.valueLimit, leaf.deadline, _hashSlice(signature, leaf.permissionsStart, length)
            );
        } else if (leaf.kind == LEAF_IDENTITY_SIGNER) {
            next = cursor + 20;
            _need(signature, next);
            leaf.signer = signature.readAddress(cursor);
            leaf.hash = ConfigurationHashes.identitySignerLeaf(leaf.signer);
        } else {
            revert UnknownSessionLeaf(index, leaf.kind);
        }
    }

    /**
     * @dev Checks that `length` bytes at `start` are exactly the canonical `abi.encode(Permission[])`
     * (what Solidity and ethers produce), and returns the number of permissions. Canonical means
     * unique: any ABI decoder (a wallet's UI, ethers, this contract) reads the same permissions
     * from these bytes, so a leaf cannot show one cap to the owner and enforce another. After this
     * the per-call checks read permissions straight from calldata with no bounds checks. Positions
     * in errors are relative to `start`.
     */
    function _checkPermissions(bytes calldata signature, uint256 start, uint256 length, uint256 leafIndex)
        private
        pure
        returns (uint256 count)
    {
        // Calldata position of the permissions' first byte; _parseLeaf proved all `length` bytes
        // lie inside the signature, and every read below stays below `length`.
        uint256 first;
        assembly ("memory-safe") {
            first := add(signature.offset, start)
        }
        if (length < 32 || _load(first) != 0x20) revert SessionPermissionsMalformed(leafIndex, 0);
        if (length < 64) revert SessionPermissionsMalformed(leafIndex, 32);
        count = _load(first + 32);
        // Every permission needs at least its 32-byte offset in the head.
        if (count > (length - 64) / 32) revert SessionPermissionsMalformed(leafIndex, 32);

        unchecked {
            // length < 2^24 (a uint24) and count, ruleCount are bounded by it: no sum below overflows,
            // and every position `base` stays at most `length`.
            // Offsets in the head are relative to the first byte after the array length (position 64).
            uint256 expected = count * 32;
            for (uint256 p; p < count; ++p) {
                uint256 head = 64 + p * 32;
                if (_load(first + head) != expected) revert SessionPermissionsMalformed(leafIndex, head);
                uint256 base = 64 + expected;
                if (base + PERMISSION_HEAD > length) revert SessionPermissionsMalformed(leafIndex, base);
                // An address word has its 12 high bytes clear.
                if (_load(first + base) >> 160 != 0) revert SessionPermissionsMalformed(leafIndex, base);
                if (_load(first + base + 32) != 0x40) revert SessionPermissionsMalformed(leafIndex, base + 32);
                uint256 ruleCount = _load(first + base + 64);
                if (ruleCount > (length - base - PERMISSION_HEAD) / RULE_LENGTH) {
                    revert SessionPermissionsMalformed(leafIndex, base + 64);
                }
                uint256 rule = base + PERMISSION_HEAD;
                for (uint256 r; r < ruleCount; ++r) {
                    // operation is a uint8 in 0..5, cumulative a bool.
                    uint256 operation = _load(first + rule);
                    if (operation > OPERATION_LENGTH_AT_MOST) revert SessionPermissionsMalformed(leafIndex, rule);
                    if (_load(first + rule + 32) > 1) revert SessionPermissionsMalformed(leafIndex, rule + 32);
                    if (operation >= OPERATION_LENGTH_AT_LEAST) {
                        // A length rule reads no word: cumulative, offset and mask must be zero,
                        // so each length rule has one encoding.
                        if (_load(first + rule + 32) != 0) revert SessionPermissionsMalformed(leafIndex, rule + 32);
                        if (_load(first + rule + 64) != 0) revert SessionPermissionsMalformed(leafIndex, rule + 64);
                        if (_load(first + rule + 96) != 0) revert SessionPermissionsMalformed(leafIndex, rule + 96);
                    }
                    rule += RULE_LENGTH;
                }
                expected = rule - 64;
            }
            if (64 + expected != length) revert SessionPermissionsMalformed(leafIndex, 64 + expected);
        }
    }

    /// @dev Reads attestation `index` at `cursor` into memory.
    function _parseAttestation(bytes calldata signature, uint256 cursor, uint256 index, Leaf[] memory leaves)
        private
        pure
        returns (AttestationEntry memory entry, uint256 next)
    {
        _need(signature, cursor + ATTESTATION_HEAD);
        entry.leafIndex = signature.readUint8(cursor);
        if (entry.leafIndex >= leaves.length || leaves[entry.leafIndex].kind != LEAF_IDENTITY_SIGNER) {
            revert NotAnIdentityLeaf(index, entry.leafIndex);
        }
        SessionAttestation.Attestation memory a = entry.attestation;
        a.approvedSigner = signature.readAddress(cursor + 1);
        a.identityType = bytes4(signature.readBytes32(cursor + 21));
        a.issuerHash = signature.readBytes32(cursor + 25);
        a.audienceHash = signature.readBytes32(cursor + 57);
        a.issuedAt = uint64(uint256(signature.readBytes32(cursor + 89)) >> 192);
        a.expiresAt = uint64(uint256(signature.readBytes32(cursor + 97)) >> 192);
        uint256 dataStart = cursor + ATTESTATION_HEAD;
        entry.signatureStart = dataStart + signature.readUint24(cursor + 105);
        next = entry.signatureStart + ECDSA_LENGTH;
        _need(signature, next);
        a.applicationData = signature[dataStart:entry.signatureStart];
    }

    /// @dev Checks the references of call authorisation `index` at `cursor`; returns where the next one starts.
    function _parseAuthorisation(bytes calldata signature, uint256 cursor, uint256 index, Parsed memory parsed)
        private
        pure
        returns (uint256 next)
    {
        _need(signature, cursor + 1);
        uint8 kind = signature.readUint8(cursor);
        if (kind == AUTH_EXPLICIT) {
            next = cursor + EXPLICIT_AUTH_HEAD + ECDSA_LENGTH;
            _need(signature, next);
            uint256 leafIndex = signature.readUint8(cursor + 1);
            if (leafIndex >= parsed.leaves.length || parsed.leaves[leafIndex].kind != LEAF_SESSION_PERMISSIONS) {
                revert NotASessionLeaf(index, leafIndex);
            }
            uint256 permissionIndex = signature.readUint8(cursor + 2);
            uint256 permissionCount = parsed.leaves[leafIndex].permissionCount;
            if (permissionIndex >= permissionCount) {
                revert SessionPermissionIndexOutOfRange(index, permissionIndex, permissionCount);
            }
        } else if (kind == AUTH_ATTESTED) {
            next = cursor + ATTESTED_AUTH_HEAD + ECDSA_LENGTH;
            _need(signature, next);
            uint256 attestationIndex = signature.readUint8(cursor + 1);
            if (attestationIndex >= parsed.attestations.length) {
                revert AttestationIndexOutOfRange(index, attestationIndex, parsed.attestations.length);
            }
        } else {
            revert UnknownCallAuthorisation(index, kind);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Steps 2 and 3: attestations, multiproof
    // ---------------------------------------------------------------------------------------

    /// @dev Each attestation must be signed by the identity signer of the leaf it names.
    function _recoverAttestations(bytes calldata signature, Parsed memory parsed) private pure {
        for (uint256 a; a < parsed.attestations.length; ++a) {
            AttestationEntry memory entry = parsed.attestations[a];
            entry.hash = SessionAttestation.hash(entry.attestation);
            (address recovered, ECDSA.RecoverError error,) = _recover(entry.hash, signature, entry.signatureStart);
            if (error != ECDSA.RecoverError.NoError) revert InvalidAttestationSignature(a);
            address identitySigner = parsed.leaves[entry.leafIndex].signer;
            if (recovered != identitySigner) revert AttestationSignerMismatch(a, identitySigner, recovered);
        }
    }

    /// @dev The multiproof of every leaf, read in place from the signature by WalletSignature's
    /// packed OpenZeppelin multiproof (same layout, same `MerkleProofInvalidMultiproof` rule).
    function _processMultiProof(bytes calldata signature, Parsed memory parsed) private pure returns (bytes32) {
        uint256 leafCount = parsed.leaves.length;
        bytes32[] memory leaves = new bytes32[](leafCount);
        for (uint256 l; l < leafCount; ++l) {
            leaves[l] = parsed.leaves[l].hash;
        }
        uint256 proofAt;
        uint256 proofStart = parsed.proofStart;
        assembly ("memory-safe") {
            proofAt := add(signature.offset, proofStart)
        }
        return WalletSignature.processPackedMultiProof(proofAt, leaves);
    }

    // ---------------------------------------------------------------------------------------
    // Step 4: calls
    // ---------------------------------------------------------------------------------------

    /// @dev Checks call `index` under its authorisation and records its usage; for call 0 also
    /// that the batch runs in its session key's nonce space.
    function _checkCall(
        PayloadHashes.Call calldata call,
        uint256 index,
        uint256 space,
        bytes32 digest,
        bytes calldata signature,
        Parsed memory parsed
    ) private {
        if (call.delegateCall) revert SessionDelegateCall(index);
        address target = call.target;
        if (target == msg.sender) revert SessionSelfCall(index);
        if (target == address(this)) revert SessionModuleCall(index);

        uint256 auth = parsed.auths[index];
        bool explicit = signature.readUint8(auth) == AUTH_EXPLICIT;
        (address expected, bytes32 signed) = _callSigner(index, digest, signature, auth, explicit, parsed);
        (address recovered, ECDSA.RecoverError error,) =
            _recover(signed, signature, auth + (explicit ? EXPLICIT_AUTH_HEAD : ATTESTED_AUTH_HEAD));
        if (error != ECDSA.RecoverError.NoError) revert InvalidSessionCallSignature(index);
        if (recovered != expected) revert SessionSignerMismatch(index, expected, recovered);
        // The wallet has already consumed `space`: only the space named after the proven key of
        // call 0 is a session's own, so no session can spend the owners' or another session's nonces.
        if (index == 0 && space != uint256(uint160(expected))) revert SessionNonceSpace(space, expected);

        if (!parsed.blocklistEmpty) _checkBlocklist(index, expected, explicit, target, signature, auth, parsed);

        if (explicit) {
            _checkExplicitCall(
                call, index, parsed.leaves[signature.readUint8(auth + 1)], signature.readUint8(auth + 2), signature
            );
        } else {
            _checkAttestedCall(call, index, parsed.attestations[signature.readUint8(auth + 1)].attestation);
        }
    }

    /// @dev The key that must sign call `index` and the hash it signs, which names the grant the
    /// authorisation at `auth` points at (explicit: leaf hash and permission index; attested: the
    /// attestation's hash), so the signature holds only for that grant.
    function _callSigner(
        uint256 index,
        bytes32 digest,
        bytes calldata signature,
        uint256 auth,
        bool explicit,
        Parsed memory parsed
    ) private pure returns (address key, bytes32 signed) {
        if (explicit) {
            Leaf memory leaf = parsed.leaves[signature.readUint8(auth + 1)];
            return (leaf.signer, explicitSessionCallHash(digest, index, leaf.hash, signature.readUint8(auth + 2)));
        }
        AttestationEntry memory entry = parsed.attestations[signature.readUint8(auth + 1)];
        return (entry.attestation.approvedSigner, attestedSessionCallHash(digest, index, entry.hash));
    }

    /// @dev The session key, for an attested call the identity signer behind it, then the target.
    function _checkBlocklist(
        uint256 index,
        address key,
        bool explicit,
        address target,
        bytes calldata signature,
        uint256 auth,
        Parsed memory parsed
    ) private view {
        mapping(address => bool) storage blocked = _blocklists[msg.sender].blocked;
        if (blocked[key]) revert SessionKeyBlocked(index, key);
        if (!explicit) {
            address identitySigner = parsed.leaves[parsed.attestations[signature.readUint8(auth + 1)].leafIndex].signer;
            if (blocked[identitySigner]) revert IdentitySignerBlocked(index, identitySigner);
        }
        if (blocked[target]) revert SessionTargetBlocked(index, target);
    }

    function _checkExplicitCall(
        PayloadHashes.Call calldata call,
        uint256 index,
        Leaf memory leaf,
        uint256 permissionIndex,
        bytes calldata signature
    ) private {
        if (leaf.chainId != 0 && leaf.chainId != block.chainid) {
            revert SessionWrongChain(index, leaf.chainId, block.chainid);
        }
        // A session is valid while now < deadline, as an attestation is while now < expiresAt.
        if (block.timestamp >= leaf.deadline) revert SessionExpired(index, leaf.deadline, block.timestamp);

        // The permission starts where its head offset says (checked canonical in _checkPermissions).
        uint256 base = leaf.permissionsStart + 64
            + uint256(signature.readBytes32(leaf.permissionsStart + 64 + permissionIndex * 32));
        address permitted = signature.readAddress(base + 12);
        if (call.target != permitted) revert SessionTargetNotPermitted(index, call.target, permitted);

        uint256 value = call.value;
        if (value != 0) {
            uint256 used = _valueUsed[msg.sender][leaf.hash];
            // used <= valueLimit always holds (only totals within the limit are stored, and the
            // limit is part of the leaf hash); the first test keeps the subtraction safe regardless.
            if (used > leaf.valueLimit || value > leaf.valueLimit - used) {
                revert SessionValueLimitExceeded(index, used, value, leaf.valueLimit);
            }
            _valueUsed[msg.sender][leaf.hash] = used + value;
        }

        uint256 ruleCount = uint256(signature.readBytes32(base + 64));
        for (uint256 r; r < ruleCount; ++r) {
            _checkRule(call.data, index, leaf.hash, permissionIndex, r, signature, base + PERMISSION_HEAD + r * RULE_LENGTH);
        }
    }

    /// @dev Rule `ruleIndex` (at `at` in the signature): a masked calldata word compared with the
    /// rule's value; a cumulative rule compares the running total instead and records it; a length
    /// rule (operation 4 or 5) bounds `data.length` by the rule's value.
    /// Reverts with `SessionRuleFailed`, `SessionUsageOverflow`, `SessionLimitExceeded` or
    /// `SessionCalldataLengthFailed` when the rule does not hold.
    function _checkRule(
        bytes calldata data,
        uint256 callIndex,
        bytes32 sessionLeaf,
        uint256 permissionIndex,
        uint256 ruleIndex,
        bytes calldata signature,
        uint256 at
    ) private {
        uint256 operation = uint256(signature.readBytes32(at));
        bytes32 value = signature.readBytes32(at + 128);
        if (operation >= OPERATION_LENGTH_AT_LEAST) {
            // A length rule (never cumulative: _checkPermissions saw to it) bounds data.length.
            uint256 length = data.length;
            uint256 bound = uint256(value);
            if (operation == OPERATION_LENGTH_AT_LEAST ? length < bound : length > bound) {
                revert SessionCalldataLengthFailed(callIndex, permissionIndex, ruleIndex, length, bound);
            }
            return;
        }
        bytes32 word = _dataWord(data, uint256(signature.readBytes32(at + 64))) & signature.readBytes32(at + 96);
        if (signature.readBytes32(at + 32) == 0) {
            if (!_compare(operation, word, value)) {
                revert SessionRuleFailed(callIndex, permissionIndex, ruleIndex, word, value);
            }
            return;
        }
        mapping(uint256 => uint256) storage totals = _usage[msg.sender][sessionLeaf][permissionIndex];
        uint256 used = totals[ruleIndex];
        uint256 amount = uint256(word);
        if (amount > type(uint256).max - used) {
            revert SessionUsageOverflow(callIndex, permissionIndex, ruleIndex, used, amount);
        }
        uint256 total;
        unchecked {
            // Cannot overflow: checked on the line above.
            total = used + amount;
        }
        if (!_compare(operation, bytes32(total), value)) {
            revert SessionLimitExceeded(callIndex, permissionIndex, ruleIndex, total, uint256(value));
        }
        if (amount != 0) totals[ruleIndex] = total;
    }

    function _checkAttestedCall(
        PayloadHashes.Call calldata call,
        uint256 index,
        SessionAttestation.Attestation memory attestation
    ) private view {
        if (block.timestamp < attestation.issuedAt) {
            revert AttestationNotYetValid(index, attestation.issuedAt, block.timestamp);
        }
        if (block.timestamp >= attestation.expiresAt) {
            revert AttestationExpired(index, attestation.expiresAt, block.timestamp);
        }
        if (call.value != 0) revert AttestedSessionValue(index, call.value);

        bytes32 magic = SessionAttestation.acceptMagic(msg.sender, attestation.audienceHash, attestation.issuerHash);
        bytes memory request = abi.encodeCall(IAcceptsAttestedSessions.acceptAttestedRequest, (msg.sender, attestation, call));
        address target = call.target;
        bool accepted;
        // Only the first word of the answer is copied (as OpenZeppelin's SignatureChecker reads an
        // ERC-1271 answer): a target that answers with a huge blob pays for building it, and the
        // batch never pays again to copy it. No code, a revert, a short answer or another first
        // word: all refuse.
        assembly ("memory-safe") {
            // Out area: the scratch space 0x00-0x1f, which Solidity lets inline assembly overwrite.
            let success := staticcall(gas(), target, add(request, 0x20), mload(request), 0x00, 0x20)
            // With fewer than 32 bytes returned, the scratch word holds stale bytes: the size test rules it out.
            accepted := and(success, and(gt(returndatasize(), 0x1f), eq(mload(0x00), magic)))
        }
        if (!accepted) revert AttestedRequestRejected(index, target);
    }

    // ---------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------

    function _compare(uint256 operation, bytes32 word, bytes32 value) private pure returns (bool) {
        if (operation == OPERATION_EQUAL) return word == value;
        if (operation == OPERATION_NOT_EQUAL) return word != value;
        if (operation == OPERATION_AT_LEAST) return uint256(word) >= uint256(value);
        // OPERATION_AT_MOST: _checkPermissions admitted no other word operation (4 and 5 never get here).
        return uint256(word) <= uint256(value);
    }

    /// @dev The 32-byte word of `data` at `offset`; bytes past the end of `data` read as zero,
    /// as `calldataload` reads past the end of calldata (a target reading its arguments sees the same).
    function _dataWord(bytes calldata data, uint256 offset) private pure returns (bytes32 word) {
        uint256 length = data.length;
        if (offset >= length) return bytes32(0);
        assembly ("memory-safe") {
            word := calldataload(add(data.offset, offset))
        }
        uint256 available = length - offset;
        if (available < 32) {
            // Keep the `available` high bytes: what follows `data` in calldata is not part of it.
            word &= bytes32(~(type(uint256).max >> (available * 8)));
        }
    }

    /// @dev ECDSA recovery of `r ‖ s ‖ v` at `at` in `signature` (OpenZeppelin: low s, v 27 or 28).
    function _recover(bytes32 hash, bytes calldata signature, uint256 at)
        private
        pure
        returns (address, ECDSA.RecoverError, bytes32)
    {
        return ECDSA.tryRecover(hash, signature.readUint8(at + 64), signature.readBytes32(at), signature.readBytes32(at + 32));
    }

    /// @dev keccak256 of `length` bytes at `start`, hashed at the free memory pointer without moving it.
    function _hashSlice(bytes calldata signature, uint256 start, uint256 length) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, add(signature.offset, start), length)
            hash := keccak256(ptr, length)
        }
    }

    /// @dev The word at absolute calldata position `at`.
    function _load(uint256 at) private pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := calldataload(at)
        }
    }

    function _need(bytes calldata signature, uint256 end) private pure {
        if (end > signature.length) revert WalletSignature.SignatureTruncated(end, signature.length);
    }
}
