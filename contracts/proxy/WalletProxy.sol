// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @title WalletProxy
 * @notice The code of every Arbor wallet: an 85-byte hand-written proxy that delegates every call
 * to the implementation stored in the top 160 bits of the wallet's ERC-7201 slot
 * `IMPLEMENTATION_SLOT` (`ArborWallet`'s `implementationAndNonce`), or, while that is zero, to
 * the implementation baked into its code at creation. It pays one storage read (2,100 gas cold)
 * per transaction; the implementation then reads the nonce of space 0 from the same, now warm,
 * slot (100 gas), which EIP-1167 clones pay 2,100 for.
 *
 * Runtime code, opcode by opcode (stack shown top first):
 *
 *     00 36          CALLDATASIZE       [cds]
 *     01 5f          PUSH0              [0 cds]
 *     02 5f          PUSH0              [0 0 cds]
 *     03 37          CALLDATACOPY       memory[0, cds) = calldata         []
 *     04 5f          PUSH0              [0]                   retSize
 *     05 5f          PUSH0              [0 0]                 retOffset
 *     06 36          CALLDATASIZE       [cds 0 0]             argsSize
 *     07 5f          PUSH0              [0 cds 0 0]           argsOffset
 *     08 7f <slot>   PUSH32 slot        [slot ...]
 *     29 54          SLOAD              [word ...]
 *     2a 60 60       PUSH1 96           [96 word ...]
 *     2c 1c          SHR                [stored ...]          implementation << 96 | nonce
 *     2d 80          DUP1               [stored stored ...]
 *     2e 15          ISZERO             [noneStored stored ...]
 *     2f 73 <impl>   PUSH20 baked       [baked noneStored stored ...]
 *     44 02          MUL                [baked*noneStored stored ...]
 *     45 17          OR                 [implementation ...]  stored, or baked when none is
 *     46 5a          GAS                [gas implementation 0 cds 0 0]
 *     47 f4          DELEGATECALL       [success]
 *     48 3d          RETURNDATASIZE     [rds success]
 *     49 5f          PUSH0              [0 rds success]
 *     4a 5f          PUSH0              [0 0 rds success]
 *     4b 3e          RETURNDATACOPY     memory[0, rds) = return data      [success]
 *     4c 5f          PUSH0              [0 success]
 *     4d 3d          RETURNDATASIZE     [rds 0 success]
 *     4e 91          SWAP2              [success 0 rds]
 *     4f 60 53       PUSH1 0x53         [0x53 success 0 rds]
 *     51 57          JUMPI              [0 rds]               to 0x53 on success
 *     52 fd          REVERT             revert(0, rds)
 *     53 5b          JUMPDEST
 *     54 f3          RETURN             return(0, rds)
 *
 * Init code (9 bytes, then the runtime code):
 *
 *     00 60 55       PUSH1 0x55         [85]                  runtime length
 *     02 80          DUP1               [85 85]
 *     03 60 09       PUSH1 0x09         [9 85 85]             runtime offset
 *     05 5f          PUSH0              [0 9 85 85]
 *     06 39          CODECOPY           memory[0, 85) = code[9, 94)       [85]
 *     07 5f          PUSH0              [0 85]
 *     08 f3          RETURN             return(0, 85)
 */
library WalletProxy {
    /// @dev `ArborWallet`'s ERC-7201 base slot + 2 (`implementationAndNonce`).
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x5fa3519ea79c9bd5b138300857d5ac2107d31272b56636012810965f880aaf02;

    /// @notice The creation code of a wallet proxy whose baked implementation is `implementation` (94 bytes).
    function initCode(address implementation) internal pure returns (bytes memory) {
        return abi.encodePacked(
            hex"60558060095f395ff3",
            hex"365f5f375f5f365f7f",
            IMPLEMENTATION_SLOT,
            hex"5460601c801573",
            implementation,
            hex"02175af43d5f5f3e5f3d91605357fd5bf3"
        );
    }
}
