// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {DowntimeEjector} from "../../contracts/downtime/DowntimeEjector.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {AvsTestBase} from "../avs/AvsTestBase.sol";

/// @dev The ejection path of the downtime log on the real registries and checker (the TaskManager
///      proxy's). Operators 1..4 in quorum 0 with 10, 20, 30, 40: total 100. Threshold 67 %,
///      ejection above 10 % of a 1 h epoch (360 s).
contract DowntimeEjectorTest is AvsTestBase {
    uint64 internal constant EPOCH_LENGTH = 3600;
    DowntimeEjector internal ejectorContract;
    uint32 internal ref;
    uint64 internal origin;

    function setUp() public override {
        super.setUp();
        _register(1, _q(0), 10 ether);
        _register(2, _q(0), 20 ether);
        _register(3, _q(0), 30 ether);
        _register(4, _q(0), 40 ether);
        vm.warp(1_800_000_000);
        origin = uint64(block.timestamp - 600);
        ejectorContract = new DowntimeEjector(
            IBLSSignatureChecker(address(taskManager)), _q(0), 67, 1000, origin, EPOCH_LENGTH
        );
        vm.prank(owner);
        coordinator.setEjector(address(ejectorContract));
        ref = uint32(block.number);
        vm.roll(block.number + 1);
    }

    function _report(address operator, uint64 downtimeMs, uint64 asOfIndex)
        internal
        view
        returns (DowntimeEjector.DowntimeReport memory)
    {
        return DowntimeEjector.DowntimeReport({
            operator: operator,
            epoch: ejectorContract.currentEpoch(),
            downtimeMs: downtimeMs,
            asOfIndex: asOfIndex,
            referenceBlock: ref
        });
    }

    function _signed(DowntimeEjector.DowntimeReport memory report, uint256[] memory signers)
        internal
        view
        returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory)
    {
        return _checkInput(ejectorContract.reportHash(report), _q(0), report.referenceBlock, signers, _ones(signers.length));
    }

    function _status(uint256 i) internal view returns (IRegistryCoordinator.OperatorStatus) {
        return coordinator.getOperatorStatus(_operator(i));
    }

    // ------------------------------------------------------------------ accepted

    function test_overThresholdReportEjects() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 600_000, 42);
        vm.expectEmit();
        emit DowntimeEjector.OperatorEjectedForDowntime(
            _operator(1), report.epoch, 600_000, 42, ejectorContract.reportHash(report)
        );
        ejectorContract.ejectForDowntime(report, _signed(report, _list(2, 3, 4)));
        assertTrue(_status(1) == IRegistryCoordinator.OperatorStatus.DEREGISTERED, "ejected");
        assertEq(coordinator.getCurrentQuorumBitmap(_operatorId(1)), 0, "in no quorum");
        assertTrue(ejectorContract.ejectedInEpoch(_operator(1), report.epoch), "recorded for the epoch");
    }

    function test_ejectedOperatorIsGoneForLaterTasks() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 600_000, 42);
        ejectorContract.ejectForDowntime(report, _signed(report, _list(2, 3, 4)));
        uint32 later = uint32(block.number);
        vm.roll(block.number + 1);
        bytes32 task = keccak256("a later task");
        // Everyone left signs: the quorum's stake no longer holds the ejected operator's 10.
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) =
            taskManager.checkSignatures(task, _q(0), later, _checkInput(task, _q(0), later, _list(2, 3, 4), _ones(3)));
        assertEq(t.totalStakeForQuorum[0], 90 ether, "total without the ejected operator");
        assertEq(t.signedStakeForQuorum[0], 90 ether, "all remaining signed");
        // And a signature that counts it fails: its key is no longer part of the quorum's aggregate.
        IBLSSignatureChecker.NonSignerStakesAndSignature memory withIt =
            _checkInput(task, _q(0), later, _list(2, 3, 4), _ones(3));
        (withIt.sigma,) = _aggregate(task, _range(1, 4), _ones(4));
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        taskManager.checkSignatures(task, _q(0), later, withIt);
    }

    function test_nextEpochMayEjectAgain() public {
        DowntimeEjector.DowntimeReport memory first = _report(_operator(1), 600_000, 42);
        ejectorContract.ejectForDowntime(first, _signed(first, _list(2, 3, 4)));
        _register(1, _q(0), 10 ether);
        vm.warp(block.timestamp + EPOCH_LENGTH);
        ref = uint32(block.number);
        vm.roll(block.number + 1);
        DowntimeEjector.DowntimeReport memory second = _report(_operator(1), 700_000, 77);
        ejectorContract.ejectForDowntime(second, _signed(second, _list(2, 3, 4)));
        assertTrue(_status(1) == IRegistryCoordinator.OperatorStatus.DEREGISTERED, "ejected again");
    }

    // ------------------------------------------------------------------ refused, each with its error

    function test_refuses_belowThreshold() public {
        // 2 and 3 hold 50 of 100: three quarters of the operators would not do either, stake decides.
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 600_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3));
        vm.expectRevert(
            abi.encodeWithSelector(DowntimeEjector.InsufficientSignedStake.selector, uint8(0), 50 ether, 100 ether)
        );
        ejectorContract.ejectForDowntime(report, sig);
        assertTrue(_status(1) == IRegistryCoordinator.OperatorStatus.REGISTERED, "still registered");
    }

    function test_refuses_otherEpoch() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 600_000, 42);
        report.epoch += 1;
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        vm.expectRevert(abi.encodeWithSelector(DowntimeEjector.WrongEpoch.selector, report.epoch, report.epoch - 1));
        ejectorContract.ejectForDowntime(report, sig);
        // Two epochs later the report is stale.
        DowntimeEjector.DowntimeReport memory old = _report(_operator(1), 600_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory oldSig = _signed(old, _list(2, 3, 4));
        vm.warp(block.timestamp + 2 * EPOCH_LENGTH);
        vm.expectRevert(abi.encodeWithSelector(DowntimeEjector.WrongEpoch.selector, old.epoch, old.epoch + 2));
        ejectorContract.ejectForDowntime(old, oldSig);
    }

    function test_refuses_tampered() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 400_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        report.downtimeMs = 3_000_000;
        // The hashToG1 witness is for the signed digest, so a tampered report fails it first.
        vm.expectRevert(IBLSSignatureChecker.InvalidHashHint.selector);
        ejectorContract.ejectForDowntime(report, sig);
        // Without the witness the checker hashes the tampered digest itself: the signature fails.
        sig.hashHint.nonResidueRoots = new uint256[](0);
        sig.hashHint.y = 0;
        sig.hashHint.yRoot = 0;
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        ejectorContract.ejectForDowntime(report, sig);
    }

    function test_refuses_replayed() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 600_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        ejectorContract.ejectForDowntime(report, sig);
        _register(1, _q(0), 10 ether);
        bytes32 digest = ejectorContract.reportHash(report);
        vm.expectRevert(abi.encodeWithSelector(DowntimeEjector.ReportAlreadyUsed.selector, digest));
        ejectorContract.ejectForDowntime(report, sig);
    }

    function test_refuses_secondEjectionInOneEpoch() public {
        DowntimeEjector.DowntimeReport memory first = _report(_operator(1), 600_000, 42);
        ejectorContract.ejectForDowntime(first, _signed(first, _list(2, 3, 4)));
        _register(1, _q(0), 10 ether);
        ref = uint32(block.number);
        vm.roll(block.number + 1);
        DowntimeEjector.DowntimeReport memory second = _report(_operator(1), 900_000, 43);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(second, _list(2, 3, 4));
        vm.expectRevert(
            abi.encodeWithSelector(DowntimeEjector.AlreadyEjectedThisEpoch.selector, _operator(1), second.epoch)
        );
        ejectorContract.ejectForDowntime(second, sig);
    }

    function test_refuses_belowShare() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 360_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        vm.expectRevert(abi.encodeWithSelector(DowntimeEjector.DowntimeBelowEjectionShare.selector, 360_000, 360_000));
        ejectorContract.ejectForDowntime(report, sig);
    }

    function test_refuses_longerThanEpoch() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(1), 3_600_001, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        vm.expectRevert(
            abi.encodeWithSelector(DowntimeEjector.DowntimeLongerThanEpoch.selector, 3_600_001, 3_600_000)
        );
        ejectorContract.ejectForDowntime(report, sig);
    }

    function test_refuses_unregisteredOperator() public {
        DowntimeEjector.DowntimeReport memory report = _report(_operator(9), 600_000, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory sig = _signed(report, _list(2, 3, 4));
        vm.expectRevert(abi.encodeWithSelector(DowntimeEjector.OperatorNotRegistered.selector, _operator(9)));
        ejectorContract.ejectForDowntime(report, sig);
    }
}
