// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title SessionAttestation
 * @notice Session attestations exactly as `lib/sessions/ATTESTATION.md` specifies them, and the
 * magic value an app's contract answers to accept an attested session's call.
 * @dev `lib/sessions/attestation.ts` implements the same encoding; the frozen vectors in
 * `test/sessions/attestation-vectors.json` are checked against both.
 */
library SessionAttestation {
    /// @notice An identity signer's statement: this session key belongs to this identity, for this
    /// app (`audienceHash`), while `issuedAt <= now < expiresAt`.
    struct Attestation {
        address approvedSigner;
        bytes4 identityType;
        bytes32 issuerHash;
        bytes32 audienceHash;
        bytes applicationData;
        uint64 issuedAt;
        uint64 expiresAt;
    }

    /// @dev keccak256("arbor.attestation.v1")
    bytes32 internal constant ATTESTATION_TAG = keccak256("arbor.attestation.v1");

    /// @dev keccak256("arbor.accept-attested-request")
    bytes32 internal constant ACCEPT_ATTESTED_REQUEST_TAG = keccak256("arbor.accept-attested-request");

    /**
     * @notice `attestationHash` of ATTESTATION.md: what the identity signer signs (no EIP-191 prefix).
     * @dev keccak256(abi.encode(ATTESTATION_TAG, approvedSigner, identityType, issuerHash,
     * audienceHash, keccak256(applicationData), issuedAt, expiresAt)).
     */
    function hash(Attestation memory attestation) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                ATTESTATION_TAG,
                attestation.approvedSigner,
                attestation.identityType,
                attestation.issuerHash,
                attestation.audienceHash,
                keccak256(attestation.applicationData),
                attestation.issuedAt,
                attestation.expiresAt
            )
        );
    }

    /**
     * @notice The value a target contract returns from `acceptAttestedRequest` to accept a call
     * from `wallet` under an attestation for `audienceHash` issued by `issuerHash`.
     * @dev Binding the wallet, the audience and the issuer means a contract cannot accept "any"
     * session by replaying one constant: it has to name the app it serves.
     */
    function acceptMagic(address wallet, bytes32 audienceHash, bytes32 issuerHash) internal pure returns (bytes32) {
        return keccak256(abi.encode(ACCEPT_ATTESTED_REQUEST_TAG, wallet, audienceHash, issuerHash));
    }
}
