// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PayloadHashes} from "../../../contracts/payload/PayloadHashes.sol";
import {SessionAttestation} from "../../../contracts/sessions/SessionAttestation.sol";

/**
 * @dev Test-only app whose `acceptAttestedRequest` answers one word followed by `extraBytes` zero
 * bytes: the accept magic (`answersMagic`) or the magic with its lowest bit flipped. It measures
 * how much of a long answer the sessions module pays for (only the first word should be copied).
 */
contract LongAnswerApp {
    bool public immutable answersMagic;
    uint256 public immutable extraBytes;

    mapping(address player => uint256) public plays;

    constructor(bool magicFirst, uint256 extra) {
        answersMagic = magicFirst;
        extraBytes = extra;
    }

    function acceptAttestedRequest(
        address wallet,
        SessionAttestation.Attestation calldata attestation,
        PayloadHashes.Call calldata
    ) external view returns (bytes32) {
        bytes32 magic = SessionAttestation.acceptMagic(wallet, attestation.audienceHash, attestation.issuerHash);
        bytes32 first = answersMagic ? magic : magic ^ bytes32(uint256(1));
        uint256 size = 32 + extraBytes;
        assembly ("memory-safe") {
            let at := mload(0x40)
            mstore(at, first)
            // The bytes after the first word are fresh memory, so zero; this app pays for expanding to them.
            return(at, size)
        }
    }

    function play() external {
        plays[msg.sender] += 1;
    }
}
