// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {IBLSApkRegistry} from "../../contracts/interfaces/IBLSApkRegistry.sol";
import {IIndexRegistry} from "../../contracts/interfaces/IIndexRegistry.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {StakeRegistry} from "../../contracts/registries/StakeRegistry.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {BlockHistory} from "../../contracts/libraries/BlockHistory.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev Stake, BLS APK and index registries: bookkeeping, histories at past blocks, configuration.
contract RegistriesTest is AvsTestBase {
    event OperatorStakeUpdate(bytes32 indexed operatorId, uint8 quorumNumber, uint96 stake);

    // ------------------------------------------------------------------ stake registry

    function test_stake_weightWithMultipliers() public {
        _deposit(1, strategy, 3 ether);
        _deposit(1, strategy2, 2 ether);
        // Quorum 1 counts strategy 1 x1 and strategy 2 x2.
        assertEq(stakeRegistry.weightOfOperatorForQuorum(1, _operator(1)), 7 ether, "3 + 2*2");
        assertEq(stakeRegistry.weightOfOperatorForQuorum(0, _operator(1)), 3 ether, "quorum 0: strategy 1 only");
    }

    function testFuzz_stake_weightFormula(uint96 shares1, uint96 shares2, uint96 multiplier) public {
        vm.assume(shares1 > 0 && shares2 > 0 && multiplier > 0);
        _deposit(1, strategy, shares1);
        _deposit(1, strategy2, shares2);
        uint256[] memory indices = new uint256[](1);
        indices[0] = 1;
        uint96[] memory multipliers = new uint96[](1);
        multipliers[0] = multiplier;
        vm.prank(owner);
        stakeRegistry.modifyStrategyParams(1, indices, multipliers);
        uint256 expected = uint256(shares1) + uint256(shares2) * multiplier / 1e18;
        vm.assume(expected <= type(uint96).max);
        assertEq(stakeRegistry.weightOfOperatorForQuorum(1, _operator(1)), expected, "weight");
    }

    /// @dev The stake registry's APK hash copy has the BLS APK registry's entries, index for index.
    function test_apkHashCopy_matchesBlsApkRegistry() public {
        _register(1, _q(0, 1), 2 ether);
        _register(2, _q(0), 2 ether); // same block: one entry
        vm.roll(block.number + 2);
        _register(3, _q(1), 2 ether);
        vm.roll(block.number + 1);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));
        for (uint8 q = 0; q < 2; ++q) {
            uint256 length = apkRegistry.getApkHistoryLength(q);
            assertEq(stakeRegistry.getApkHashHistoryLength(q), length, "length");
            for (uint256 i = 0; i < length; ++i) {
                IBLSApkRegistry.ApkUpdate memory original = apkRegistry.getApkUpdateAtIndex(q, i);
                IBLSApkRegistry.ApkUpdate memory copy = stakeRegistry.getApkHashUpdateAtIndex(q, i);
                assertEq(bytes32(copy.apkHash), bytes32(original.apkHash), "hash");
                assertEq(copy.updateBlockNumber, original.updateBlockNumber, "from");
                assertEq(copy.nextUpdateBlockNumber, original.nextUpdateBlockNumber, "until");
            }
        }
        vm.expectRevert(IStakeRegistry.OnlyRegistryCoordinator.selector);
        stakeRegistry.updateApkHashes(_q(0), new bytes24[](1));
    }

    function test_stake_weightOverflowRefused() public {
        _deposit(1, strategy, uint256(type(uint96).max) + 1);
        vm.expectRevert(abi.encodeWithSelector(StakeRegistry.WeightOverflow.selector, _operator(1)));
        stakeRegistry.weightOfOperatorForQuorum(0, _operator(1));
        // 2^160 shares and more: refused before any product is formed.
        _deposit(2, strategy, uint256(1) << 200);
        vm.expectRevert(abi.encodeWithSelector(StakeRegistry.WeightOverflow.selector, _operator(2)));
        stakeRegistry.weightOfOperatorForQuorum(0, _operator(2));
    }

    function test_stake_historySameBlockOverwriteAndUnchangedSkipped() public {
        uint32 b0 = uint32(block.number);
        _register(1, _q(0), 2 ether);
        bytes32 id = _operatorId(1);
        address[] memory ops = new address[](1);
        ops[0] = _operator(1);

        // Same block: the stake change overwrites the entry written at registration.
        _deposit(1, strategy, 1 ether);
        coordinator.updateOperators(ops);
        assertEq(stakeRegistry.getStakeHistoryLength(id, 0), 1, "overwritten");
        assertEq(stakeRegistry.getCurrentStake(id, 0), 3 ether, "3");

        // Later block, unchanged stake: nothing written, no event.
        vm.roll(b0 + 3);
        coordinator.updateOperators(ops);
        assertEq(stakeRegistry.getStakeHistoryLength(id, 0), 1, "unchanged skipped");

        vm.roll(b0 + 6);
        _deposit(1, strategy, 1 ether);
        vm.expectEmit();
        emit OperatorStakeUpdate(id, 0, 4 ether);
        coordinator.updateOperators(ops);
        assertEq(stakeRegistry.getStakeHistoryLength(id, 0), 2, "new entry");
        IStakeRegistry.StakeUpdate memory first = stakeRegistry.getStakeUpdateAtIndex(0, id, 0);
        assertEq(first.updateBlockNumber, b0, "first from");
        assertEq(first.nextUpdateBlockNumber, b0 + 6, "first until");

        assertEq(stakeRegistry.getStakeAtBlockNumber(id, 0, b0 + 5), 3 ether, "at b0+5");
        assertEq(stakeRegistry.getStakeAtBlockNumber(id, 0, b0 + 6), 4 ether, "at b0+6");
        assertEq(stakeRegistry.getStakeAtBlockNumber(id, 0, b0 - 1), 0, "before registration");
        assertEq(stakeRegistry.getStakeUpdateIndexAtBlockNumber(id, 0, b0 + 5), 0, "index b0+5");
        assertEq(stakeRegistry.getStakeAtBlockNumberAndIndex(0, b0 + 5, id, 0), 3 ether, "checked read");
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntrySuperseded.selector, b0 + 6, b0 + 6));
        stakeRegistry.getStakeAtBlockNumberAndIndex(0, b0 + 6, id, 0);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b0 - 1));
        stakeRegistry.getStakeUpdateIndexAtBlockNumber(id, 0, b0 - 1);

        // Totals follow.
        assertEq(stakeRegistry.getTotalStakeAtBlockNumberFromIndex(0, b0 + 5, 1), 3 ether, "total b0+5");
        uint32[] memory idx = stakeRegistry.getTotalStakeIndicesAtBlockNumber(b0 + 7, _q(0, 1));
        assertEq(idx[0], 2, "total index quorum 0");
        assertEq(idx[1], 0, "total index quorum 1 (creation entry)");
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 9));
        stakeRegistry.getTotalStakeAtBlockNumberFromIndex(0, b0 + 7, 9);
    }

    function testFuzz_stake_totalIsSumOfOperators(uint64[4] memory amounts, uint8 leaveMask) public {
        uint256 expected = 0;
        for (uint256 i = 0; i < 4; ++i) {
            uint256 amount = uint256(amounts[i]) + 1;
            _register(i + 1, _q(1), amount);
            expected += amount;
        }
        vm.roll(block.number + 1);
        for (uint256 i = 0; i < 4; ++i) {
            if ((leaveMask >> i) & 1 == 1) {
                vm.prank(_operator(i + 1));
                coordinator.deregisterOperator(_q(1));
                expected -= uint256(amounts[i]) + 1;
            }
        }
        assertEq(stakeRegistry.getCurrentTotalStake(1), expected, "total = sum of remaining");
        uint256 sum = 0;
        for (uint256 i = 0; i < 4; ++i) {
            sum += stakeRegistry.getCurrentStake(_operatorId(i + 1), 1);
        }
        assertEq(sum, expected, "operators' current stakes");
    }

    function test_stake_configuration() public {
        IStakeRegistry.StrategyParams[] memory add = new IStakeRegistry.StrategyParams[](1);
        add[0] = IStakeRegistry.StrategyParams(IStrategy(address(strategy2)), 5e17);
        vm.expectRevert(IStakeRegistry.OnlyRegistryCoordinatorOwner.selector);
        stakeRegistry.addStrategies(0, add);

        vm.startPrank(owner);
        stakeRegistry.addStrategies(0, add);
        assertEq(stakeRegistry.strategyParamsLength(0), 2, "added");
        vm.expectRevert(abi.encodeWithSelector(IStakeRegistry.DuplicateStrategy.selector, address(strategy2)));
        stakeRegistry.addStrategies(0, add);
        add[0].multiplier = 0;
        add[0].strategy = IStrategy(address(0x1234));
        vm.expectRevert(IStakeRegistry.ZeroMultiplier.selector);
        stakeRegistry.addStrategies(0, add);
        vm.expectRevert(abi.encodeWithSelector(IStakeRegistry.QuorumDoesNotExist.selector, 9));
        stakeRegistry.addStrategies(9, add);

        add[0].multiplier = 1;
        stakeRegistry.addStrategies(0, add); // quorum 0: [strategy, strategy2, 0x1234]
        uint256[] memory indices = new uint256[](2);
        indices[0] = 0;
        indices[1] = 1;
        vm.expectRevert(IStakeRegistry.IndicesNotDescending.selector);
        stakeRegistry.removeStrategies(0, indices);
        uint256[] memory all = new uint256[](3);
        (all[0], all[1], all[2]) = (2, 1, 0);
        vm.expectRevert(IStakeRegistry.NoStrategies.selector);
        stakeRegistry.removeStrategies(0, all);
        indices[0] = 2; // remove 0x1234 again
        indices[1] = 5;
        vm.expectRevert(IStakeRegistry.IndicesNotDescending.selector);
        stakeRegistry.removeStrategies(0, indices);
        uint256[] memory lastOne = new uint256[](1);
        lastOne[0] = 2;
        stakeRegistry.removeStrategies(0, lastOne);
        uint256[] memory one = new uint256[](1);
        one[0] = 0;
        stakeRegistry.removeStrategies(0, one);
        assertEq(address(stakeRegistry.strategyParamsByIndex(0, 0).strategy), address(strategy2), "swap-and-pop");

        stakeRegistry.setMinimumStakeForQuorum(0, 5);
        assertEq(stakeRegistry.minimumStakeForQuorum(0), 5, "min");
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ BLS APK registry

    function test_apk_historyAtBlocks() public {
        uint32 b0 = uint32(block.number);
        _register(1, _q(0), 2 ether);
        _register(2, _q(0), 2 ether); // same block: one entry
        vm.roll(b0 + 4);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));

        BN254.G1Point memory pk1 = _pubkeyG1(1);
        BN254.G1Point memory pk2 = _pubkeyG1(2);
        BN254.G1Point memory both = BN254.plus(pk1, pk2);
        assertEq(apkRegistry.getApkHistoryLength(0), 3, "creation + 2 blocks");
        assertEq(
            apkRegistry.getApkHashAtBlockNumberAndIndex(0, b0 + 3, 1), bytes24(BN254.hashG1Point(both)), "both at b0+3"
        );
        assertEq(apkRegistry.getApkHashAtBlockNumberAndIndex(0, b0 + 4, 2), bytes24(BN254.hashG1Point(pk2)), "pk2");
        BN254.G1Point memory current = apkRegistry.getApk(0);
        assertEq(current.X, pk2.X, "current apk");
        uint32[] memory idx = apkRegistry.getApkIndicesAtBlockNumber(_q(0, 1), b0 + 3);
        assertEq(idx[0], 1, "quorum 0 index");
        assertEq(idx[1], 0, "quorum 1 index");
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryAfterBlock.selector, b0 + 3, b0 + 4));
        apkRegistry.getApkHashAtBlockNumberAndIndex(0, b0 + 3, 2);
        vm.expectRevert(abi.encodeWithSelector(IBLSApkRegistry.QuorumDoesNotExist.selector, 7));
        apkRegistry.getApkIndicesAtBlockNumber(_q(7), b0);
        // The G2 key is stored for the retriever.
        BN254.G2Point memory g2 = apkRegistry.getOperatorPubkeyG2(_operator(2));
        assertEq(g2.X[0], _pubkeyG2(2).X[0], "G2 key");
        vm.expectRevert(abi.encodeWithSelector(IBLSApkRegistry.OperatorHasNoPubkey.selector, _operator(9)));
        apkRegistry.getOperatorPubkeyG2(_operator(9));
    }

    // ------------------------------------------------------------------ index registry

    function test_index_swapAndPopWithHistory() public {
        uint32 b0 = uint32(block.number);
        for (uint256 i = 1; i <= 4; ++i) {
            _register(i, _q(0), 2 ether);
        }
        vm.roll(b0 + 2);
        vm.prank(_operator(2));
        coordinator.deregisterOperator(_q(0)); // operator 4 moves to position 1
        vm.roll(b0 + 5);
        _register(5, _q(0), 2 ether);

        bytes32[] memory atStart = indexRegistry.getOperatorListAtBlockNumber(0, b0);
        assertEq(atStart.length, 4, "4 at b0");
        assertEq(atStart[1], _operatorId(2), "op 2 at position 1");
        bytes32[] memory mid = indexRegistry.getOperatorListAtBlockNumber(0, b0 + 3);
        assertEq(mid.length, 3, "3 at b0+3");
        assertEq(mid[1], _operatorId(4), "op 4 moved to 1");
        bytes32[] memory last = indexRegistry.getOperatorListAtBlockNumber(0, b0 + 5);
        assertEq(last.length, 4, "4 again");
        assertEq(last[3], _operatorId(5), "op 5 appended");
        assertEq(indexRegistry.currentOperatorIndex(0, _operatorId(4)), 1, "current index");
        assertEq(indexRegistry.getOperatorCountAtBlockNumber(0, b0 + 4), 3, "count");
        vm.expectRevert(abi.encodeWithSelector(IIndexRegistry.QuorumDidNotExistAtBlock.selector, 0, 0));
        indexRegistry.getOperatorCountAtBlockNumber(0, 0);
        bytes32 gone = _operatorId(2);
        vm.expectRevert(abi.encodeWithSelector(IIndexRegistry.OperatorNotInQuorum.selector, gone, 0));
        indexRegistry.currentOperatorIndex(0, gone);
    }

    /// @dev Random joins and leaves over several blocks; the list rebuilt at each past block must
    ///      hold exactly the operators that were in the quorum then.
    function testFuzz_index_listAtEveryBlockMatchesMembership(uint256 seed) public {
        uint256 n = 6;
        bool[7] memory member;
        uint32 start = uint32(block.number);
        uint256[8] memory snapshots; // membership bitmask at the end of each block
        for (uint256 step = 0; step < 8; ++step) {
            vm.roll(start + step);
            uint256 i = (uint256(keccak256(abi.encode(seed, step))) % n) + 1;
            if (member[i]) {
                vm.prank(_operator(i));
                coordinator.deregisterOperator(_q(1));
            } else if (uint256(coordinator.getOperatorStatus(_operator(i))) == 0) {
                _register(i, _q(1), 1 ether);
            } else {
                IBLSApkRegistry.PubkeyRegistrationParams memory junk;
                IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(i);
                vm.prank(_operator(i));
                coordinator.registerOperator(_q(1), "", junk, sig);
            }
            member[i] = !member[i];
            uint256 mask = 0;
            for (uint256 j = 1; j <= n; ++j) {
                if (member[j]) mask |= 1 << j;
            }
            snapshots[step] = mask;
        }
        for (uint256 step = 0; step < 8; ++step) {
            bytes32[] memory list = indexRegistry.getOperatorListAtBlockNumber(1, uint32(start + step));
            uint256 mask = 0;
            for (uint256 k = 0; k < list.length; ++k) {
                for (uint256 j = 1; j <= n; ++j) {
                    if (list[k] == _operatorId(j)) mask |= 1 << j;
                }
            }
            assertEq(mask, snapshots[step], "membership at block");
            assertEq(list.length, _popcount(mask), "no duplicates");
        }
    }

    // ------------------------------------------------------------------ history searches

    /// @dev Random joins, leaves and stake changes in blocks two apart. At every block from just
    ///      before the quorum existed to past the last update, each history search must name the
    ///      entry the index-checked read accepts (which checks it against the entry's own
    ///      update/next blocks), and revert NoHistoryAtBlock before a history's first entry.
    function testFuzz_history_searchesFindTheEntryInForce(uint256 seed) public {
        uint256 n = 4;
        uint32 created = stakeRegistry.getTotalStakeUpdateAtIndex(1, 0).updateBlockNumber;
        uint32 start = uint32(block.number);
        uint32[5] memory firstBlock; // first registration of each operator (0 = never)
        bool[5] memory member;
        for (uint256 step = 0; step < 10; ++step) {
            uint32 b = start + 1 + uint32(2 * step);
            vm.roll(b);
            uint256 r = uint256(keccak256(abi.encode(seed, step)));
            uint256 i = (r % n) + 1;
            if (member[i] && (r >> 8) % 2 == 0) {
                _deposit(i, strategy, 1 ether);
                address[] memory ops = new address[](1);
                ops[0] = _operator(i);
                coordinator.updateOperators(ops);
            } else if (member[i]) {
                vm.prank(_operator(i));
                coordinator.deregisterOperator(_q(1));
                member[i] = false;
            } else if (firstBlock[i] == 0) {
                _register(i, _q(1), 1 ether);
                firstBlock[i] = b;
                member[i] = true;
            } else {
                IBLSApkRegistry.PubkeyRegistrationParams memory junk;
                IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(i);
                vm.prank(_operator(i));
                coordinator.registerOperator(_q(1), "", junk, sig);
                member[i] = true;
            }
        }
        for (uint32 b = created - 1; b <= start + 21; ++b) {
            _checkQuorumSearchesAt(b, b >= created);
            for (uint256 i = 1; i <= n; ++i) {
                _checkOperatorSearchesAt(_operatorId(i), b, firstBlock[i] != 0 && b >= firstBlock[i]);
            }
        }
    }

    /// @dev Quorum 1's APK, total stake and operator count histories at `b`.
    function _checkQuorumSearchesAt(uint32 b, bool exists) internal {
        if (!exists) {
            vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b));
            apkRegistry.getApkIndicesAtBlockNumber(_q(1), b);
            vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b));
            stakeRegistry.getTotalStakeIndicesAtBlockNumber(b, _q(1));
            vm.expectRevert(abi.encodeWithSelector(IIndexRegistry.QuorumDidNotExistAtBlock.selector, 1, b));
            indexRegistry.getOperatorCountAtBlockNumber(1, b);
            return;
        }
        apkRegistry.getApkHashAtBlockNumberAndIndex(1, b, apkRegistry.getApkIndicesAtBlockNumber(_q(1), b)[0]);
        stakeRegistry.getTotalStakeAtBlockNumberFromIndex(
            1, b, stakeRegistry.getTotalStakeIndicesAtBlockNumber(b, _q(1))[0]
        );
        assertEq(
            indexRegistry.getOperatorCountAtBlockNumber(1, b),
            indexRegistry.getOperatorListAtBlockNumber(1, b).length,
            "count = list length"
        );
    }

    /// @dev One operator's quorum bitmap and quorum 1 stake histories at `b`.
    function _checkOperatorSearchesAt(bytes32 id, uint32 b, bool hasHistory) internal {
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = id;
        if (!hasHistory) {
            assertEq(coordinator.getQuorumBitmapAtBlockNumber(id, b), 0, "no bitmap yet");
            assertEq(stakeRegistry.getStakeAtBlockNumber(id, 1, b), 0, "no stake yet");
            vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b));
            coordinator.getQuorumBitmapIndicesAtBlockNumber(b, ids);
            vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b));
            stakeRegistry.getStakeUpdateIndexAtBlockNumber(id, 1, b);
            return;
        }
        uint32 bitmapIndex = coordinator.getQuorumBitmapIndicesAtBlockNumber(b, ids)[0];
        assertEq(
            coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b, bitmapIndex),
            coordinator.getQuorumBitmapAtBlockNumber(id, b),
            "bitmap: searched = index-checked"
        );
        uint32 stakeIndex = stakeRegistry.getStakeUpdateIndexAtBlockNumber(id, 1, b);
        assertEq(
            stakeRegistry.getStakeAtBlockNumberAndIndex(1, b, id, stakeIndex),
            stakeRegistry.getStakeAtBlockNumber(id, 1, b),
            "stake: searched = index-checked"
        );
    }

    function _popcount(uint256 x) internal pure returns (uint256 c) {
        for (; x != 0; x &= x - 1) {
            ++c;
        }
    }
}
