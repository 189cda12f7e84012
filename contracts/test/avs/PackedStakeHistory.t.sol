// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BlockHistory} from "../../contracts/libraries/BlockHistory.sol";
import {PackedStakeHistory} from "../../contracts/libraries/PackedStakeHistory.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @dev One packed history next to the one-entry-a-slot history it replaces (the model).
contract PackedStakeHistoryHarness {
    using PackedStakeHistory for PackedStakeHistory.History;

    PackedStakeHistory.History internal history;
    PackedStakeHistory.Entry[] internal model;

    /// @dev Records in both; the model follows the registry's old rules (same block
    ///      overwrites, unchanged skipped, first entry always written).
    function record(uint96 stake, bool member) external returns (bool written) {
        (uint96 previous, bool wrote) = history.record(stake, member);
        uint256 length = model.length;
        bool expected = true;
        if (length != 0) {
            PackedStakeHistory.Entry storage last = model[length - 1];
            if (previous != last.stake) revert PreviousMismatch(previous, last.stake);
            if (last.stake == stake) expected = false;
            else if (last.updateBlockNumber == uint32(block.number)) last.stake = stake;
            else {
                last.nextUpdateBlockNumber = uint32(block.number);
                model.push(PackedStakeHistory.Entry(uint32(block.number), 0, stake));
            }
        } else {
            model.push(PackedStakeHistory.Entry(uint32(block.number), 0, stake));
        }
        if (wrote != expected) revert WrittenMismatch(wrote);
        return wrote;
    }

    error PreviousMismatch(uint96 packed, uint96 expected);
    error WrittenMismatch(bool packed);

    function count() external view returns (uint256 packed, uint256 expected) {
        return (history.entryCount(), model.length);
    }

    function entryAt(uint256 index)
        external
        view
        returns (PackedStakeHistory.Entry memory packed, PackedStakeHistory.Entry memory expected)
    {
        packed = history.entryAt(index);
        if (index < model.length) expected = model[index];
    }

    function search(uint32 blockNumber) external view returns (bool found, uint256 index) {
        return history.search(blockNumber);
    }

    function stakeAt(uint32 blockNumber, uint256 index) external view returns (uint96) {
        return history.stakeAt(blockNumber, index);
    }

    function nextStamp(uint256 index) external view returns (uint32) {
        return history.entryAt(index + 1).updateBlockNumber;
    }

    function state() external view returns (bool member, uint96 latest) {
        return (history.isMember(), history.latestStake());
    }
}

contract PackedStakeHistoryTest is TestBase {
    PackedStakeHistoryHarness internal harness;

    function setUp() public {
        harness = new PackedStakeHistoryHarness();
    }

    /// @dev Random updates over random block gaps (0 = same block): every entry, every search and
    ///      every index-checked read agree with the model, at every block of the range.
    function testFuzz_matchesOneEntryASlotHistory(uint256 seed) public {
        uint32 start = uint32(block.number);
        uint256 steps = 3 + seed % 13;
        for (uint256 i = 0; i < steps; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // A small stake range, so that unchanged stakes happen.
            harness.record(uint96((r >> 8) % 4), (r >> 16) % 5 != 0);
            vm.roll(block.number + r % 3);
        }
        uint32 end = uint32(block.number);
        (uint256 packedCount, uint256 expectedCount) = harness.count();
        assertEq(packedCount, expectedCount, "count");
        for (uint256 i = 0; i <= packedCount; ++i) {
            (PackedStakeHistory.Entry memory packed, PackedStakeHistory.Entry memory expected) = harness.entryAt(i);
            assertEq(packed.updateBlockNumber, expected.updateBlockNumber, "from");
            assertEq(packed.nextUpdateBlockNumber, expected.nextUpdateBlockNumber, "until");
            assertEq(packed.stake, expected.stake, "stake");
        }
        for (uint32 b = start - 1; b <= end + 1; ++b) {
            (bool found, uint256 index) = harness.search(b);
            assertEq(found ? 1 : 0, b >= start ? 1 : 0, "found");
            if (!found) continue;
            (PackedStakeHistory.Entry memory entry,) = harness.entryAt(index);
            assertEq(entry.updateBlockNumber <= b ? 1 : 0, 1, "starts by then");
            assertEq(entry.nextUpdateBlockNumber == 0 || b < entry.nextUpdateBlockNumber ? 1 : 0, 1, "in force");
            assertEq(harness.stakeAt(b, index), entry.stake, "checked read");
            if (index + 1 < packedCount) {
                vm.expectRevert(
                    abi.encodeWithSelector(BlockHistory.HistoryEntryAfterBlock.selector, b, harness.nextStamp(index))
                );
                harness.stakeAt(b, index + 1);
            }
        }
    }

    function test_membershipAndLatest() public {
        harness.record(5, true);
        (bool member, uint96 latest) = harness.state();
        assertEq(member ? 1 : 0, 1, "member");
        assertEq(latest, 5, "latest");
        vm.roll(block.number + 1);
        // Unchanged stake, flag cleared: no new entry, flag written.
        assertEq(harness.record(5, false) ? 1 : 0, 0, "no entry");
        (member,) = harness.state();
        assertEq(member ? 1 : 0, 0, "left");
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 1));
        harness.stakeAt(uint32(block.number), 1);
    }
}
