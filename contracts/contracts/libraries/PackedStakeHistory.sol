// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BlockHistory} from "./BlockHistory.sol";

/// @title PackedStakeHistory
/// @notice One operator's block-stamped stake history in one quorum, two entries per slot.
///         An entry is `{updateBlockNumber, stake}` in 128 bits; its end (EigenLayer's
///         `nextUpdateBlockNumber`) is the following entry's stamp, so appending never rewrites the
///         entry before it. The same validity rule as every registry history (BlockHistory).
/// @dev Layout, chosen so that the usual update (a new stake in a new block) writes one slot that
///      was just read plus, every other time, one fresh slot:
///      - `head`: the latest entry (bits 0-127), the entry count (bits 128-159) and whether the
///        operator is in the quorum (bit 160);
///      - `pairs[k]`: entries 2k (bits 0-127) and 2k+1 (bits 128-255), written when entry 2k+1 is
///        appended. So an odd latest entry is in its pair and in the head, an even one only in the
///        head, and every other entry only in its pair.
library PackedStakeHistory {
    struct History {
        uint256 head;
        mapping(uint256 pairIndex => uint256) pairs;
    }

    /// @notice One entry as the registries' views return it.
    struct Entry {
        uint32 updateBlockNumber;
        uint32 nextUpdateBlockNumber;
        uint96 stake;
    }

    uint256 private constant ENTRY_MASK = type(uint128).max;
    uint256 private constant LENGTH_SHIFT = 128;
    uint256 private constant MEMBER_BIT = 1 << 160;

    /// @notice Sets the latest stake to `stake` at this block and the membership flag to `member`.
    ///         Same block as the latest entry: overwrites it. Unchanged stake: no new entry (the
    ///         first entry is always written).
    /// @return previous The latest stake before (0 for an empty history).
    /// @return written Whether the stake history changed.
    function record(History storage history, uint96 stake, bool member)
        internal
        returns (uint96 previous, bool written)
    {
        uint256 head = history.head;
        uint256 count = _length(head);
        uint256 flag = member ? MEMBER_BIT : 0;
        if (count != 0) {
            previous = _stake(head);
            if (previous == stake) {
                if (head & MEMBER_BIT != flag) history.head = (head & ~MEMBER_BIT) | flag;
                return (previous, false);
            }
        }
        uint32 blockNumber = uint32(block.number);
        uint256 entry = _encode(blockNumber, stake);
        if (count != 0 && _stamp(head) == blockNumber) {
            uint256 latest = count - 1;
            if (latest % 2 == 1) _setHigh(history, latest / 2, entry);
        } else {
            // Appending an odd entry completes its pair: the even one before it is the head's.
            if (count % 2 == 1) history.pairs[count / 2] = (head & ENTRY_MASK) | (entry << 128);
            ++count;
        }
        history.head = entry | (count << LENGTH_SHIFT) | flag;
        return (previous, true);
    }

    /// @notice Number of entries.
    function entryCount(History storage history) internal view returns (uint256) {
        return _length(history.head);
    }

    /// @notice Whether the flag set by the last `record` says the operator is in the quorum.
    function isMember(History storage history) internal view returns (bool) {
        return history.head & MEMBER_BIT != 0;
    }

    /// @notice The latest stake (0 for an empty history).
    function latestStake(History storage history) internal view returns (uint96) {
        return _stake(history.head);
    }

    /// @notice Entry `index` with its end; all zero past the end (BlockHistory.checkEntryAt
    ///         rejects it).
    function entryAt(History storage history, uint256 index) internal view returns (Entry memory entry) {
        uint256 head = history.head;
        uint256 count = _length(head);
        if (index >= count) return entry;
        uint256 packed = _packedAt(history, head, count, index);
        entry.updateBlockNumber = _stamp(packed);
        entry.stake = _stake(packed);
        if (index + 1 < count) entry.nextUpdateBlockNumber = _stamp(_packedAt(history, head, count, index + 1));
    }

    /// @notice Stake at `blockNumber` read at `index`; reverts unless entry `index` is the one in
    ///         force then.
    function stakeAt(History storage history, uint32 blockNumber, uint256 index) internal view returns (uint96) {
        uint256 head = history.head;
        uint256 count = _length(head);
        // Past the end: stamp 0, which checkEntryAt rejects.
        uint256 packed = index < count ? _packedAt(history, head, count, index) : 0;
        uint32 next = index + 1 < count ? _stamp(_packedAt(history, head, count, index + 1)) : 0;
        BlockHistory.checkEntryAt(_stamp(packed), next, blockNumber, index);
        return _stake(packed);
    }

    /// @notice The entry in force at `blockNumber` (binary search over the stamps).
    /// @return found false if the history is empty or starts after `blockNumber`.
    /// @return index The entry's position (0 when not found).
    function search(History storage history, uint32 blockNumber) internal view returns (bool found, uint256 index) {
        uint256 head = history.head;
        uint256 count = _length(head);
        uint256 low = 0;
        uint256 high = count;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (_stamp(_packedAt(history, head, count, mid)) <= blockNumber) low = mid + 1;
            else high = mid;
        }
        if (low == 0) return (false, 0);
        return (true, low - 1);
    }

    /// @dev Entry `index` (< count) in its 128-bit form.
    function _packedAt(History storage history, uint256 head, uint256 count, uint256 index)
        private
        view
        returns (uint256)
    {
        if (index == count - 1) return head & ENTRY_MASK;
        uint256 pair = history.pairs[index / 2];
        return index % 2 == 0 ? pair & ENTRY_MASK : pair >> 128;
    }

    function _setHigh(History storage history, uint256 pairIndex, uint256 entry) private {
        history.pairs[pairIndex] = (history.pairs[pairIndex] & ENTRY_MASK) | (entry << 128);
    }

    function _encode(uint32 blockNumber, uint96 stake) private pure returns (uint256) {
        return uint256(blockNumber) | (uint256(stake) << 32);
    }

    function _stamp(uint256 packed) private pure returns (uint32) {
        return uint32(packed);
    }

    function _stake(uint256 packed) private pure returns (uint96) {
        return uint96(packed >> 32);
    }

    function _length(uint256 head) private pure returns (uint256) {
        return uint32(head >> LENGTH_SHIFT);
    }
}
