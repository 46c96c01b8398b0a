// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AcceptsAttestedSessions} from "../../../contracts/sessions/AcceptsAttestedSessions.sol";

/// @dev Test-only app contract that accepts attested sessions for the audiences it is built with.
contract SessionTestApp is AcceptsAttestedSessions {
    event Played(address indexed player, uint256 score);

    mapping(address player => uint256) public scores;

    constructor(bytes32[] memory audienceHashes) AcceptsAttestedSessions(audienceHashes) {}

    function play(uint256 score) external {
        scores[msg.sender] += score;
        emit Played(msg.sender, score);
    }
}
