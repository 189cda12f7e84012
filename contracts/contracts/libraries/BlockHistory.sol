// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title BlockHistory
/// @notice The validity rule shared by every block-stamped history in the registries: an entry
///         `{updateBlockNumber, nextUpdateBlockNumber}` describes the state from the end of block
///         `updateBlockNumber` up to (not including) `nextUpdateBlockNumber`; 0 as next means
///         "still current". Several updates in one block overwrite one entry, so a history's
///         `updateBlockNumber`s are strictly ascending and an entry always has one >= 1.
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
}
