// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {ITaskManager} from "../../contracts/interfaces/ITaskManager.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {QuorumBitmap} from "../../contracts/libraries/QuorumBitmap.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev Operators: 1: quorums 0,1 (10)  2: quorum 0 (20)  3: quorum 1 (30)  4: quorums 0,1 (40).
contract TaskManagerTest is AvsTestBase {
    event NewTaskCreated(uint32 indexed taskIndex, ITaskManager.Task task);
    event TaskResponded(ITaskManager.TaskResponse taskResponse, ITaskManager.TaskResponseMetadata taskResponseMetadata);
    event TaskChallengedSuccessfully(uint32 indexed taskIndex, address indexed challenger);
    event TaskChallengedUnsuccessfully(uint32 indexed taskIndex, address indexed challenger);

    function setUp() public override {
        super.setUp();
        _register(1, _q(0, 1), 10 ether);
        _register(2, _q(0), 20 ether);
        _register(3, _q(1), 30 ether);
        _register(4, _q(0, 1), 40 ether);
        vm.roll(block.number + 1);
    }

    // ------------------------------------------------------------------ creation

    function _create(uint256 a, uint256 b, uint32 threshold, bytes memory quorums)
        internal
        returns (ITaskManager.Task memory task, uint32 index)
    {
        index = taskManager.latestTaskNum();
        task = ITaskManager.Task(a, b, uint32(block.number), threshold, quorums);
        vm.prank(taskGenerator);
        taskManager.createNewTask(a, b, threshold, quorums);
    }

    function test_create() public {
        ITaskManager.Task memory expected = ITaskManager.Task(2, 3, uint32(block.number), 67, _q(0, 1));
        vm.expectEmit();
        emit NewTaskCreated(0, expected);
        (ITaskManager.Task memory task, uint32 index) = _create(2, 3, 67, _q(0, 1));
        assertEq(index, 0, "first task");
        assertEq(taskManager.latestTaskNum(), 1, "counter");
        assertEq(taskManager.taskRecord(0), keccak256(abi.encode(task)) & ~bytes32(uint256(1)), "stored hash");
        assertFalse(taskManager.taskResponded(0), "not answered yet");
    }

    function test_create_refusals() public {
        bytes32 role = taskManager.TASK_GENERATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role)
        );
        taskManager.createNewTask(1, 2, 50, _q(0));
        vm.startPrank(taskGenerator);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InvalidQuorumThreshold.selector, 101));
        taskManager.createNewTask(1, 2, 101, _q(0));
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InvalidQuorumThreshold.selector, 0));
        taskManager.createNewTask(1, 2, 0, _q(0));
        vm.expectRevert(ITaskManager.TaskInputsOverflow.selector);
        taskManager.createNewTask(type(uint256).max, 1, 50, _q(0));
        vm.expectRevert(IBLSSignatureChecker.EmptyQuorumNumbers.selector);
        taskManager.createNewTask(1, 2, 50, "");
        vm.expectRevert(QuorumBitmap.QuorumNumbersNotStrictlyAscending.selector);
        taskManager.createNewTask(1, 2, 50, hex"0000");
        vm.expectRevert(TaskManager.UnknownQuorum.selector);
        taskManager.createNewTask(1, 2, 50, _q(0, 2));
        vm.stopPrank();
    }

    // ------------------------------------------------------------------ responses

    function _respondInput(ITaskManager.Task memory task, ITaskManager.TaskResponse memory response, uint256[] memory signers)
        internal
        view
        returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory)
    {
        uint256[] memory ks = new uint256[](signers.length);
        for (uint256 j = 0; j < signers.length; ++j) {
            ks[j] = QuorumBitmap.count(
                uint256(coordinator.getQuorumBitmapAtBlockNumber(_operatorId(signers[j]), task.taskCreatedBlock))
                    & QuorumBitmap.fromNumbers(task.quorumNumbers)
            );
        }
        return _checkInput(keccak256(abi.encode(response)), task.quorumNumbers, task.taskCreatedBlock, signers, ks);
    }

    function test_respond() public {
        (ITaskManager.Task memory task, uint32 index) = _create(20, 22, 67, _q(0, 1));
        vm.roll(block.number + 1);
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 42);
        // Non-signer: operator 2 (20 of 70 in quorum 0 -> 71% signed; quorum 1 fully signed).
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _list(1, 3, 4));
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = _operatorId(2);
        ITaskManager.TaskResponseMetadata memory metadata =
            ITaskManager.TaskResponseMetadata(uint32(block.number), keccak256(abi.encodePacked(task.taskCreatedBlock, ids)));
        vm.expectEmit();
        emit TaskResponded(response, metadata);
        vm.prank(aggregator);
        taskManager.respondToTask(task, response, p);
        assertTrue(taskManager.taskResponded(index), "answered");
        bytes32 taskHash = keccak256(abi.encode(task)) & ~bytes32(uint256(1));
        assertEq(
            taskManager.taskRecord(index),
            keccak256(abi.encode(taskHash, keccak256(abi.encode(response, metadata)))) | bytes32(uint256(1)),
            "stored"
        );
    }

    function test_respond_exactThresholdAccepted() public {
        // Quorum 1 only: signers 1 and 3 = 40 of 80 = exactly 50%.
        (ITaskManager.Task memory task, uint32 index) = _create(1, 1, 50, _q(1));
        vm.roll(block.number + 1);
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 2);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _list(1, 3));
        vm.prank(aggregator);
        taskManager.respondToTask(task, response, p);
    }

    function test_respond_insufficientStake() public {
        (ITaskManager.Task memory task, uint32 index) = _create(1, 1, 51, _q(1));
        vm.roll(block.number + 1);
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 2);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _list(1, 3));
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InsufficientStake.selector, 1, 40 ether, 80 ether));
        taskManager.respondToTask(task, response, p);
    }

    function test_respond_emptyQuorumRefused() public {
        IRegistryCoordinator.OperatorSetParam memory setParams = coordinator.getOperatorSetParams(0);
        IStakeRegistry.StrategyParams[] memory strategies = stakeRegistry.getStrategyParams(0);
        vm.prank(owner);
        coordinator.createQuorum(setParams, 0, strategies);
        vm.roll(block.number + 1);
        (ITaskManager.Task memory task, uint32 index) = _create(1, 1, 1, _q(2));
        vm.roll(block.number + 1);
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 2);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, new uint256[](0));
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.InsufficientStake.selector, 2, 0, 0));
        taskManager.respondToTask(task, response, p);
    }

    function test_respond_refusals() public {
        (ITaskManager.Task memory task, uint32 index) = _create(20, 22, 50, _q(0, 1));
        vm.roll(block.number + 1);
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 42);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _range(1, 4));

        bytes32 role = taskManager.AGGREGATOR_ROLE();
        vm.expectRevert(
            abi.encodeWithSelector(IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role)
        );
        taskManager.respondToTask(task, response, p);

        vm.startPrank(aggregator);
        ITaskManager.Task memory forged =
            ITaskManager.Task(task.a, task.b, task.taskCreatedBlock, 1, task.quorumNumbers);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskHash.selector, index));
        taskManager.respondToTask(forged, response, p);
        ITaskManager.TaskResponse memory noSuchTask = ITaskManager.TaskResponse(index + 1, 42);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskHash.selector, index + 1));
        taskManager.respondToTask(task, noSuchTask, p);

        // A signature over another answer does not verify for this one.
        ITaskManager.TaskResponse memory other = ITaskManager.TaskResponse(index, 43);
        vm.expectRevert(IBLSSignatureChecker.InvalidHashHint.selector); // witness is for 42
        taskManager.respondToTask(task, other, p);
        IBLSSignatureChecker.HashToG1Hint memory hint = p.hashHint;
        delete p.hashHint;
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        taskManager.respondToTask(task, other, p);
        p.hashHint = hint;

        taskManager.respondToTask(task, response, p);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskAlreadyResponded.selector, index));
        taskManager.respondToTask(task, response, p);
        vm.stopPrank();
    }

    function test_respond_tooLate() public {
        (ITaskManager.Task memory task, uint32 index) = _create(1, 2, 50, _q(0));
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 3);
        vm.roll(block.number + 1);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _list(1, 2, 4));
        uint32 deadline = task.taskCreatedBlock + RESPONSE_WINDOW;
        vm.roll(deadline + 1);
        vm.prank(aggregator);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ResponseTooLate.selector, index, deadline));
        taskManager.respondToTask(task, response, p);
        vm.roll(deadline); // the last block of the window still works
        vm.prank(aggregator);
        taskManager.respondToTask(task, response, p);
    }

    function test_respond_sameBlockAsCreationRefused() public {
        (ITaskManager.Task memory task, uint32 index) = _create(1, 2, 50, _q(0));
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 3);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p;
        p.quorumApks = new BN254.G1Point[](1);
        p.quorumApkIndices = new uint32[](1);
        p.totalStakeIndices = new uint32[](1);
        p.nonSignerStakeIndices = new uint32[][](1);
        vm.prank(aggregator);
        vm.expectRevert(
            abi.encodeWithSelector(
                IBLSSignatureChecker.ReferenceBlockNotInPast.selector, task.taskCreatedBlock, block.number
            )
        );
        taskManager.respondToTask(task, response, p);
    }

    // ------------------------------------------------------------------ challenges

    /// @dev A response by operators 1, 3, 4 (non-signer 2) with the given sum.
    function _responded(uint256 sum)
        internal
        returns (
            ITaskManager.Task memory task,
            ITaskManager.TaskResponse memory response,
            ITaskManager.TaskResponseMetadata memory metadata,
            BN254.G1Point[] memory nonSigners
        )
    {
        uint32 index;
        (task, index) = _create(20, 22, 50, _q(0, 1));
        vm.roll(block.number + 1);
        response = ITaskManager.TaskResponse(index, sum);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _respondInput(task, response, _list(1, 3, 4));
        vm.prank(aggregator);
        taskManager.respondToTask(task, response, p);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = _operatorId(2);
        metadata = ITaskManager.TaskResponseMetadata(
            uint32(block.number), keccak256(abi.encodePacked(task.taskCreatedBlock, ids))
        );
        nonSigners = p.nonSignerPubkeys;
    }

    function test_challenge_wrongSum() public {
        (
            ITaskManager.Task memory task,
            ITaskManager.TaskResponse memory response,
            ITaskManager.TaskResponseMetadata memory metadata,
            BN254.G1Point[] memory nonSigners
        ) = _responded(41);
        address challenger = address(0xC0FFEE);
        vm.roll(block.number + 3);
        vm.expectEmit();
        emit TaskChallengedSuccessfully(response.referenceTaskIndex, challenger);
        vm.prank(challenger);
        taskManager.raiseAndResolveChallenge(task, response, metadata, nonSigners);
        assertTrue(taskManager.taskSuccessfullyChallenged(response.referenceTaskIndex), "recorded");
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.TaskAlreadyChallenged.selector, response.referenceTaskIndex));
        taskManager.raiseAndResolveChallenge(task, response, metadata, nonSigners);
    }

    function test_challenge_correctSum() public {
        (
            ITaskManager.Task memory task,
            ITaskManager.TaskResponse memory response,
            ITaskManager.TaskResponseMetadata memory metadata,
            BN254.G1Point[] memory nonSigners
        ) = _responded(42);
        vm.expectEmit();
        emit TaskChallengedUnsuccessfully(response.referenceTaskIndex, address(this));
        taskManager.raiseAndResolveChallenge(task, response, metadata, nonSigners);
        assertFalse(taskManager.taskSuccessfullyChallenged(response.referenceTaskIndex), "not slashable");
        assertTrue(taskManager.taskChallenged(response.referenceTaskIndex), "challenged");
    }

    function test_challenge_refusals() public {
        (
            ITaskManager.Task memory task,
            ITaskManager.TaskResponse memory response,
            ITaskManager.TaskResponseMetadata memory metadata,
            BN254.G1Point[] memory nonSigners
        ) = _responded(41);
        uint32 index = response.referenceTaskIndex;

        BN254.G1Point[] memory wrong = new BN254.G1Point[](1);
        wrong[0] = _pubkeyG1(3);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongNonSignerPubkeys.selector, index));
        taskManager.raiseAndResolveChallenge(task, response, metadata, wrong);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongNonSignerPubkeys.selector, index));
        taskManager.raiseAndResolveChallenge(task, response, metadata, new BN254.G1Point[](0));

        ITaskManager.TaskResponseMetadata memory badMetadata =
            ITaskManager.TaskResponseMetadata(metadata.taskRespondedBlock + 1, metadata.hashOfNonSigners);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskResponse.selector, index));
        taskManager.raiseAndResolveChallenge(task, response, badMetadata, nonSigners);

        ITaskManager.Task memory otherTask =
            ITaskManager.Task(task.a, 21, task.taskCreatedBlock, task.quorumThresholdPercentage, task.quorumNumbers);
        // An answered task's record covers task and response together.
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskResponse.selector, index));
        taskManager.raiseAndResolveChallenge(otherTask, response, metadata, nonSigners);

        uint32 deadline = metadata.taskRespondedBlock + CHALLENGE_WINDOW;
        vm.roll(deadline + 1);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.ChallengeWindowClosed.selector, index, deadline));
        taskManager.raiseAndResolveChallenge(task, response, metadata, nonSigners);
    }

    function test_challenge_unansweredTask() public {
        (ITaskManager.Task memory task, uint32 index) = _create(1, 2, 50, _q(0));
        ITaskManager.TaskResponse memory response = ITaskManager.TaskResponse(index, 4);
        ITaskManager.TaskResponseMetadata memory metadata;
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskResponse.selector, index));
        taskManager.raiseAndResolveChallenge(task, response, metadata, new BN254.G1Point[](0));
        ITaskManager.Task memory otherTask =
            ITaskManager.Task(task.a, 5, task.taskCreatedBlock, task.quorumThresholdPercentage, task.quorumNumbers);
        vm.expectRevert(abi.encodeWithSelector(ITaskManager.WrongTaskHash.selector, index));
        taskManager.raiseAndResolveChallenge(otherTask, response, metadata, new BN254.G1Point[](0));
    }

    // ------------------------------------------------------------------ deployment

    function test_initializerLocked() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        taskManager.initialize(address(1), address(2), address(3));
        assertTrue(taskManager.hasRole(taskManager.AGGREGATOR_ROLE(), aggregator), "aggregator role");
        assertTrue(taskManager.hasRole(taskManager.DEFAULT_ADMIN_ROLE(), owner), "admin role");
        assertEq(taskManager.TASK_RESPONSE_WINDOW_BLOCK(), RESPONSE_WINDOW, "window");
    }
}
