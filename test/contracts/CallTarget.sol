// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @dev Test-only call target: records calls, reverts on demand, reports its execution context.
contract CallTarget {
    error Refused(uint256 code);

    event Called(address sender, uint256 value, bytes data);

    uint256 public calls;
    mapping(address => uint256) public received;

    function record(bytes calldata data) external payable {
        ++calls;
        received[msg.sender] += msg.value;
        emit Called(msg.sender, msg.value, data);
    }

    function refuse(uint256 code) external pure {
        revert Refused(code);
    }

    function burn(uint256 iterations) external {
        for (uint256 i; i < iterations; ++i) {
            calls += 1;
        }
    }

    /// @dev Run by delegatecall: writes into the caller's storage slot 0xa7b0 to prove the context.
    function writeContext(uint256 value) external {
        assembly {
            sstore(0xa7b0, value)
        }
    }

    function readContext(address account) external view returns (bytes32 value) {
        // Only meaningful in tests, through eth_getStorageAt; kept for symmetry.
        account;
        assembly {
            value := sload(0xa7b0)
        }
    }
}
