// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Review helper: an app whose `acceptAttestedRequest` returns exactly the bytes a test set,
/// to probe how the sessions module reads the accept magic.
contract AnswerApp {
    bytes private _answer;
    mapping(address player => uint256) public plays;

    function setAnswer(bytes calldata answer) external {
        _answer = answer;
    }

    fallback(bytes calldata data) external returns (bytes memory) {
        // acceptAttestedRequest(address,(address,bytes4,bytes32,bytes32,bytes,uint64,uint64),(address,uint256,bytes,uint256,bool,uint8))
        // is answered from storage whatever its arguments; any other call counts a play.
        if (data.length >= 4 && bytes4(data[:4]) == ACCEPT_SELECTOR) return _answer;
        plays[msg.sender] += 1;
        return "";
    }

    bytes4 private constant ACCEPT_SELECTOR = bytes4(
        keccak256(
            "acceptAttestedRequest(address,(address,bytes4,bytes32,bytes32,bytes,uint64,uint64),(address,uint256,bytes,uint256,bool,uint8))"
        )
    );
}
