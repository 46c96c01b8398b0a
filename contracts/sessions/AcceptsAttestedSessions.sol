// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PayloadHashes} from "../payload/PayloadHashes.sol";
import {IAcceptsAttestedSessions} from "./IAcceptsAttestedSessions.sol";
import {SessionAttestation} from "./SessionAttestation.sol";

/**
 * @title AcceptsAttestedSessions
 * @notice Base contract for an app that accepts calls from attested sessions made for its own
 * domains (audience hashes, `keccak256(utf8(origin))`). A session attested for another app is
 * refused, so one app's session keys cannot drive this app's contract.
 * @dev Inherit, pass the accepted audience hashes to the constructor, and override
 * `_acceptsAttestedCall` to narrow further (e.g. only some functions). Example:
 *
 *     contract Game is AcceptsAttestedSessions {
 *         constructor(bytes32[] memory audiences) AcceptsAttestedSessions(audiences) {}
 *     }
 */
abstract contract AcceptsAttestedSessions is IAcceptsAttestedSessions {
    /// @notice Emitted when an audience hash starts or stops being accepted.
    event AttestedAudienceUpdated(bytes32 indexed audienceHash, bool accepted);

    mapping(bytes32 audienceHash => bool) private _acceptedAudiences;

    constructor(bytes32[] memory audienceHashes) {
        for (uint256 i; i < audienceHashes.length; ++i) {
            _setAudienceAccepted(audienceHashes[i], true);
        }
    }

    /// @notice Whether attested sessions for `audienceHash` may call this contract.
    function acceptsAudience(bytes32 audienceHash) public view returns (bool) {
        return _acceptedAudiences[audienceHash];
    }

    /// @inheritdoc IAcceptsAttestedSessions
    function acceptAttestedRequest(
        address wallet,
        SessionAttestation.Attestation calldata attestation,
        PayloadHashes.Call calldata call
    ) external view returns (bytes32) {
        // Refusing returns zero instead of reverting, as ERC-1271 does: the module names the error.
        if (!_acceptedAudiences[attestation.audienceHash]) return bytes32(0);
        if (!_acceptsAttestedCall(wallet, attestation, call)) return bytes32(0);
        return SessionAttestation.acceptMagic(wallet, attestation.audienceHash, attestation.issuerHash);
    }

    /// @dev Hook for apps that accept only some calls; the default accepts every call.
    function _acceptsAttestedCall(
        address wallet,
        SessionAttestation.Attestation calldata attestation,
        PayloadHashes.Call calldata call
    ) internal view virtual returns (bool) {
        (wallet, attestation, call);
        return true;
    }

    /// @dev For apps with an admin: add or remove an accepted audience.
    function _setAudienceAccepted(bytes32 audienceHash, bool accepted) internal {
        _acceptedAudiences[audienceHash] = accepted;
        emit AttestedAudienceUpdated(audienceHash, accepted);
    }
}
