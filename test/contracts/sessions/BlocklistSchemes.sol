// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/**
 * @dev Benchmark-only: the two blocklist schemes considered for `ArborSessions`, side by side, so
 * `bench/sessions.ts` can measure a lookup (a session key and a target, both not blocked: the
 * common case) and an insertion with cold storage, for lists of any size.
 *
 * - "count + mapping" (what ArborSessions uses): one word with the number of blocked accounts,
 *   read once; a mapping lookup per address only when that number is not zero.
 * - "sorted array": the accounts in ascending order, searched by binary search.
 */
contract BlocklistSchemes {
    struct CountedMapping {
        uint256 count;
        mapping(address account => bool) blocked;
    }

    mapping(address wallet => CountedMapping) private _mapped;
    mapping(address wallet => address[]) private _sorted;

    /// @dev Sets both schemes to the same accounts, given in ascending order.
    function fill(address wallet, address[] calldata ascending) external {
        CountedMapping storage list = _mapped[wallet];
        for (uint256 i; i < ascending.length; ++i) {
            list.blocked[ascending[i]] = true;
        }
        list.count = ascending.length;
        _sorted[wallet] = ascending;
    }

    function lookupMapping(address wallet, address key, address target)
        external
        view
        returns (bool blocked, uint256 gasUsed)
    {
        uint256 start = gasleft();
        CountedMapping storage list = _mapped[wallet];
        if (list.count != 0) {
            blocked = list.blocked[key];
            blocked = list.blocked[target] || blocked;
        }
        gasUsed = start - gasleft();
    }

    function lookupSorted(address wallet, address key, address target)
        external
        view
        returns (bool blocked, uint256 gasUsed)
    {
        uint256 start = gasleft();
        address[] storage list = _sorted[wallet];
        blocked = _search(list, key);
        blocked = _search(list, target) || blocked;
        gasUsed = start - gasleft();
    }

    function insertMapping(address wallet, address account) external returns (uint256 gasUsed) {
        uint256 start = gasleft();
        CountedMapping storage list = _mapped[wallet];
        if (!list.blocked[account]) {
            list.blocked[account] = true;
            ++list.count;
        }
        gasUsed = start - gasleft();
    }

    function insertSorted(address wallet, address account) external returns (uint256 gasUsed) {
        uint256 start = gasleft();
        address[] storage list = _sorted[wallet];
        // Shift every larger account one place up, then write the new one in the gap.
        list.push(account);
        uint256 i = list.length - 1;
        while (i > 0 && list[i - 1] > account) {
            list[i] = list[i - 1];
            --i;
        }
        list[i] = account;
        gasUsed = start - gasleft();
    }

    function _search(address[] storage list, address account) private view returns (bool) {
        uint256 low;
        uint256 high = list.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            address value = list[mid];
            if (value == account) return true;
            if (value < account) low = mid + 1;
            else high = mid;
        }
        return false;
    }
}
