// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title BlockHistory
/// @notice The validity rule and the search shared by every block-stamped history in the
///         registries: an entry `{updateBlockNumber, nextUpdateBlockNumber}` describes the state
///         from the end of block `updateBlockNumber` up to (not including) `nextUpdateBlockNumber`;
///         0 as next means "still current". Several updates in one block overwrite one entry, so a
///         history's `updateBlockNumber`s are strictly ascending and an entry always has one >= 1.
///         Histories without a next field (the index registry's, stamped `fromBlockNumber`)
///         follow the same rule with the following entry's stamp as their end.
library BlockHistory {
    /// @notice No entry at the given index (a history entry always has updateBlockNumber >= 1;
    ///         reading past the end of a history yields an all-zero entry, rejected here).
    error HistoryEntryMissing(uint256 index);
    /// @notice The entry at the given index starts after `blockNumber`.
    error HistoryEntryAfterBlock(uint32 blockNumber, uint32 updateBlockNumber);
    /// @notice The entry at the given index was superseded at or before `blockNumber`.
    error HistoryEntrySuperseded(uint32 blockNumber, uint32 nextUpdateBlockNumber);
    /// @notice The history has no entry at or before `blockNumber`.
    error NoHistoryAtBlock(uint32 blockNumber);

    /// @notice Reverts unless the entry `{updateBlockNumber, nextUpdateBlockNumber}` found at
    ///         `index` is the one in force at `blockNumber`.
    function checkEntryAt(uint32 updateBlockNumber, uint32 nextUpdateBlockNumber, uint32 blockNumber, uint256 index)
        internal
        pure
    {
        if (updateBlockNumber == 0) revert HistoryEntryMissing(index);
        if (blockNumber < updateBlockNumber) revert HistoryEntryAfterBlock(blockNumber, updateBlockNumber);
        if (nextUpdateBlockNumber != 0 && blockNumber >= nextUpdateBlockNumber) {
            revert HistoryEntrySuperseded(blockNumber, nextUpdateBlockNumber);
        }
    }

    /// @notice The entry of a history in force at `blockNumber`: the last one whose stamp
    ///         (updateBlockNumber or fromBlockNumber) is <= blockNumber, by binary search.
    /// @dev Reads the stamps straight from storage, so that one search serves every history
    ///      struct: each entry takes `entrySlots` storage slots and keeps its stamp as the uint32
    ///      `stampShift` bits up in its first slot (0 when the stamp is the struct's first member).
    /// @param history The storage slot of the history array (`.slot` of a `T[] storage`).
    /// @return found false if the history is empty or every entry starts after `blockNumber`.
    /// @return index The entry's position in the history (0 when not found).
    function search(uint256 history, uint256 entrySlots, uint256 stampShift, uint32 blockNumber)
        internal
        view
        returns (bool found, uint256 index)
    {
        (uint256 first, uint256 length) = _entries(history);
        uint256 low = 0;
        uint256 high = length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (_stampAt(first, mid * entrySlots, stampShift) <= blockNumber) low = mid + 1;
            else high = mid;
        }
        if (low == 0) return (false, 0);
        return (true, low - 1);
    }

    /// @dev Slot of entry 0 (keccak256 of the array's slot) and the length of a storage array.
    function _entries(uint256 history) private view returns (uint256 first, uint256 length) {
        assembly ("memory-safe") {
            length := sload(history)
            mstore(0x00, history)
            first := keccak256(0x00, 0x20)
        }
    }

    /// @dev The uint32 `shift` bits up in the slot `offset` past `first` (wrapping, as Solidity's
    ///      storage arrays do).
    function _stampAt(uint256 first, uint256 offset, uint256 shift) private view returns (uint32 stamp) {
        assembly ("memory-safe") {
            stamp := and(shr(shift, sload(add(first, offset))), 0xffffffff)
        }
    }
}
