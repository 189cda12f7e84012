// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {AccessControlUpgradeable} from "@openzeppelin/contracts-upgradeable/access/AccessControlUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {BLSSignatureChecker} from "../checker/BLSSignatureChecker.sol";
import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IBLSSignatureChecker} from "../interfaces/IBLSSignatureChecker.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {ITaskManager} from "../interfaces/ITaskManager.sol";
import {BN254} from "../libraries/BN254.sol";
import {QuorumBitmap} from "../libraries/QuorumBitmap.sol";
import {TaskManagerStorage} from "./TaskManagerStorage.sol";

/// @title TaskManager
/// @notice The "sum two integers" AVS. Stores one hash per task (`taskRecord`: the task's, then
///         the task's and its response's together); everything an off-chain party needs is in the
///         events.
/// @dev Deployed behind a TransparentUpgradeableProxy. Roles (OpenZeppelin AccessControl):
///      DEFAULT_ADMIN_ROLE (grants roles, toggles the stale-stake guard), TASK_GENERATOR_ROLE,
///      AGGREGATOR_ROLE.
contract TaskManager is Initializable, AccessControlUpgradeable, BLSSignatureChecker, TaskManagerStorage {
    /// @notice Quorum numbers of a task name a quorum that does not exist.
    error UnknownQuorum();

    /// @notice Sets the registries (proxies), the delegation contract and the windows (in blocks)
    ///         as immutables, and locks the implementation.
    constructor(
        IRegistryCoordinator registryCoordinator_,
        IStakeRegistry stakeRegistry_,
        IBLSApkRegistry blsApkRegistry_,
        IDelegationManager delegation_,
        uint32 taskResponseWindowBlock,
        uint32 taskChallengeWindowBlock
    )
        BLSSignatureChecker(registryCoordinator_, stakeRegistry_, blsApkRegistry_, delegation_)
        TaskManagerStorage(taskResponseWindowBlock, taskChallengeWindowBlock)
    {
        _disableInitializers();
    }

    /// @notice Initializes the proxy: `admin` gets DEFAULT_ADMIN_ROLE; `aggregator` and
    ///         `taskGenerator` (each skipped if zero) get their roles.
    function initialize(address admin, address aggregator, address taskGenerator) external initializer {
        __AccessControl_init();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (aggregator != address(0)) _grantRole(AGGREGATOR_ROLE, aggregator);
        if (taskGenerator != address(0)) _grantRole(TASK_GENERATOR_ROLE, taskGenerator);
    }

    /// @inheritdoc ITaskManager
    /// @dev quorumThresholdPercentage must be 1..100; quorumNumbers non-empty, strictly ascending
    ///      and existing.
    function createNewTask(uint256 a, uint256 b, uint32 quorumThresholdPercentage, bytes calldata quorumNumbers)
        external
        onlyRole(TASK_GENERATOR_ROLE)
    {
        if (quorumThresholdPercentage == 0 || quorumThresholdPercentage > 100) {
            revert InvalidQuorumThreshold(quorumThresholdPercentage);
        }
        unchecked {
            if (a + b < a) revert TaskInputsOverflow();
        }
        uint256 bitmap = QuorumBitmap.fromNumbersCalldata(quorumNumbers);
        if (bitmap == 0) revert EmptyQuorumNumbers();
        if (bitmap >> registryCoordinator.quorumCount() != 0) revert UnknownQuorum();

        Task memory task = Task({
            a: a,
            b: b,
            taskCreatedBlock: uint32(block.number),
            quorumThresholdPercentage: quorumThresholdPercentage,
            quorumNumbers: quorumNumbers
        });
        uint32 taskIndex = latestTaskNum;
        taskRecord[taskIndex] = _unanswered(keccak256(abi.encode(task)));
        latestTaskNum = taskIndex + 1;
        emit NewTaskCreated(taskIndex, task);
    }

    /// @inheritdoc ITaskManager
    function respondToTask(
        Task calldata task,
        TaskResponse calldata taskResponse,
        IBLSSignatureChecker.NonSignerStakesAndSignature calldata nonSignerStakesAndSignature
    ) external onlyRole(AGGREGATOR_ROLE) {
        uint32 taskIndex = taskResponse.referenceTaskIndex;
        bytes32 record = taskRecord[taskIndex];
        if (record & RESPONDED != 0) revert TaskAlreadyResponded(taskIndex);
        bytes32 taskHash = _unanswered(keccak256(abi.encode(task)));
        if (taskHash != record) revert WrongTaskHash(taskIndex);
        uint32 deadline = task.taskCreatedBlock + TASK_RESPONSE_WINDOW_BLOCK;
        if (block.number > deadline) revert ResponseTooLate(taskIndex, deadline);

        (QuorumStakeTotals memory stakeTotals, bytes32 signatoryRecordHash) = checkSignatures(
            keccak256(abi.encode(taskResponse)), task.quorumNumbers, task.taskCreatedBlock, nonSignerStakesAndSignature
        );
        for (uint256 i = 0; i < task.quorumNumbers.length; ++i) {
            uint96 signed = stakeTotals.signedStakeForQuorum[i];
            uint96 total = stakeTotals.totalStakeForQuorum[i];
            // An empty quorum cannot vouch for anything.
            if (total == 0 || uint256(signed) * 100 < uint256(total) * task.quorumThresholdPercentage) {
                revert InsufficientStake(uint8(task.quorumNumbers[i]), signed, total);
            }
        }

        TaskResponseMetadata memory metadata =
            TaskResponseMetadata({taskRespondedBlock: uint32(block.number), hashOfNonSigners: signatoryRecordHash});
        taskRecord[taskIndex] = _answeredRecord(taskHash, taskResponse, metadata);
        emit TaskResponded(taskResponse, metadata);
    }

    /// @inheritdoc ITaskManager
    function raiseAndResolveChallenge(
        Task calldata task,
        TaskResponse calldata taskResponse,
        TaskResponseMetadata calldata taskResponseMetadata,
        BN254.G1Point[] calldata pubkeysOfNonSigningOperators
    ) external {
        uint32 taskIndex = taskResponse.referenceTaskIndex;
        bytes32 record = taskRecord[taskIndex];
        bytes32 taskHash = _unanswered(keccak256(abi.encode(task)));
        if (record & RESPONDED == 0) {
            // Unanswered (or no such task): the record is the task's own hash.
            if (record != taskHash) revert WrongTaskHash(taskIndex);
            revert WrongTaskResponse(taskIndex);
        }
        if (record != _answeredRecord(taskHash, taskResponse, taskResponseMetadata)) {
            revert WrongTaskResponse(taskIndex);
        }
        if (taskChallenged[taskIndex]) revert TaskAlreadyChallenged(taskIndex);
        uint32 deadline = taskResponseMetadata.taskRespondedBlock + TASK_CHALLENGE_WINDOW_BLOCK;
        if (block.number > deadline) revert ChallengeWindowClosed(taskIndex, deadline);

        // The non-signers must be the ones the response was accepted with: the slasher derives the
        // signers (to punish) as the task's quorums at taskCreatedBlock minus these.
        bytes32[] memory nonSignerIds = new bytes32[](pubkeysOfNonSigningOperators.length);
        for (uint256 i = 0; i < nonSignerIds.length; ++i) {
            nonSignerIds[i] = keccak256(abi.encodePacked(pubkeysOfNonSigningOperators[i].X, pubkeysOfNonSigningOperators[i].Y));
        }
        if (keccak256(abi.encodePacked(task.taskCreatedBlock, nonSignerIds)) != taskResponseMetadata.hashOfNonSigners) {
            revert WrongNonSignerPubkeys(taskIndex);
        }

        taskChallenged[taskIndex] = true;
        // createNewTask rejected inputs whose sum overflows.
        if (taskResponse.sum == task.a + task.b) {
            emit TaskChallengedUnsuccessfully(taskIndex, msg.sender);
        } else {
            taskSuccessfullyChallenged[taskIndex] = true;
            emit TaskChallengedSuccessfully(taskIndex, msg.sender);
        }
    }

    /// @inheritdoc ITaskManager
    function taskResponded(uint32 taskIndex) external view returns (bool) {
        return taskRecord[taskIndex] & RESPONDED != 0;
    }

    /// @dev The record's flag bit: set once the task is answered.
    bytes32 private constant RESPONDED = bytes32(uint256(1));

    /// @dev An unanswered task's record: keccak256(abi.encode(task)) with the flag bit cleared.
    function _unanswered(bytes32 taskHash) private pure returns (bytes32) {
        return taskHash & ~RESPONDED;
    }

    /// @dev An answered task's record: task and response hashed together, the flag bit set.
    function _answeredRecord(bytes32 taskHash, TaskResponse calldata response, TaskResponseMetadata memory metadata)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskHash, keccak256(abi.encode(response, metadata)))) | RESPONDED;
    }

    /// @dev The stale-stake guard belongs to the admin.
    function _authorizeCheckerAdmin() internal view override {
        _checkRole(DEFAULT_ADMIN_ROLE);
    }
}
