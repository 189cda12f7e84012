// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../libraries/BN254.sol";
import {IBLSSignatureChecker} from "./IBLSSignatureChecker.sol";

/// @title ITaskManager
/// @notice The "sum two integers" AVS: the task generator posts (a, b); operators sign a + b; the
///         aggregator posts the aggregate signature; anyone can challenge a wrong sum.
interface ITaskManager {
    /// @notice A task as emitted at creation; only its hash is stored.
    /// @param taskCreatedBlock Block of creation; the operator set and stakes of that block count.
    /// @param quorumThresholdPercentage Per quorum, the share of stake (0..100) that must sign.
    struct Task {
        uint256 a;
        uint256 b;
        uint32 taskCreatedBlock;
        uint32 quorumThresholdPercentage;
        bytes quorumNumbers;
    }

    /// @notice What operators sign: keccak256(abi.encode(TaskResponse)).
    struct TaskResponse {
        uint32 referenceTaskIndex;
        uint256 sum;
    }

    /// @notice Recorded with a response.
    /// @param taskRespondedBlock Block of the response.
    /// @param hashOfNonSigners signatoryRecordHash = keccak256(abi.encodePacked(taskCreatedBlock, nonSignerOperatorIds)).
    struct TaskResponseMetadata {
        uint32 taskRespondedBlock;
        bytes32 hashOfNonSigners;
    }

    /// @notice Task `taskIndex` was created.
    event NewTaskCreated(uint32 indexed taskIndex, Task task);
    /// @notice The aggregator posted a response that met every quorum's threshold.
    event TaskResponded(TaskResponse taskResponse, TaskResponseMetadata taskResponseMetadata);
    /// @notice A challenge proved the response to `taskIndex` wrong (what a slasher consumes).
    event TaskChallengedSuccessfully(uint32 indexed taskIndex, address indexed challenger);
    /// @notice A challenge found the response to `taskIndex` correct.
    event TaskChallengedUnsuccessfully(uint32 indexed taskIndex, address indexed challenger);

    /// @notice quorumThresholdPercentage above 100.
    error InvalidQuorumThreshold(uint32 quorumThresholdPercentage);
    /// @notice a + b does not fit in a uint256, so no correct response could exist.
    error TaskInputsOverflow();
    /// @notice The task does not hash to the recorded one (or no such task).
    error WrongTaskHash(uint32 taskIndex);
    /// @notice The task already has a response.
    error TaskAlreadyResponded(uint32 taskIndex);
    /// @notice The response arrives after the response window.
    error ResponseTooLate(uint32 taskIndex, uint32 deadlineBlock);
    /// @notice A quorum's signed stake is below the threshold.
    error InsufficientStake(uint8 quorumNumber, uint96 signedStake, uint96 totalStake);
    /// @notice No response was recorded for the task, or the task, response and metadata are not
    ///         the recorded ones (an answered task's record covers all three).
    error WrongTaskResponse(uint32 taskIndex);
    /// @notice The task's response was already challenged.
    error TaskAlreadyChallenged(uint32 taskIndex);
    /// @notice The challenge window has closed.
    error ChallengeWindowClosed(uint32 taskIndex, uint32 deadlineBlock);
    /// @notice The supplied non-signer keys do not hash to the recorded hashOfNonSigners.
    error WrongNonSignerPubkeys(uint32 taskIndex);

    /// @notice Creates a task. Task generator only.
    function createNewTask(uint256 a, uint256 b, uint32 quorumThresholdPercentage, bytes calldata quorumNumbers)
        external;

    /// @notice Posts the aggregate response to `task`. Aggregator only. The signature is checked at
    ///         reference block task.taskCreatedBlock; every quorum must reach the task's threshold.
    function respondToTask(
        Task calldata task,
        TaskResponse calldata taskResponse,
        IBLSSignatureChecker.NonSignerStakesAndSignature calldata nonSignerStakesAndSignature
    ) external;

    /// @notice Challenges the recorded response to `task` within the challenge window. Emits
    ///         TaskChallengedSuccessfully when the sum is wrong, TaskChallengedUnsuccessfully otherwise.
    /// @param pubkeysOfNonSigningOperators The non-signers' G1 keys, in the order used in the response.
    function raiseAndResolveChallenge(
        Task calldata task,
        TaskResponse calldata taskResponse,
        TaskResponseMetadata calldata taskResponseMetadata,
        BN254.G1Point[] calldata pubkeysOfNonSigningOperators
    ) external;

    /// @notice Number of tasks created (the next task's index).
    function latestTaskNum() external view returns (uint32);
    /// @notice Task `taskIndex`'s one storage slot (0 if none). Unanswered: keccak256(abi.encode(task))
    ///         with its lowest bit cleared. Answered: keccak256(abi.encode(that, keccak256(abi.encode(
    ///         taskResponse, taskResponseMetadata)))) with its lowest bit set. One slot, so a response
    ///         overwrites a slot it reads anyway instead of filling a fresh one.
    function taskRecord(uint32 taskIndex) external view returns (bytes32);
    /// @notice Whether task `taskIndex` has a response.
    function taskResponded(uint32 taskIndex) external view returns (bool);
    /// @notice Whether the response to `taskIndex` was proven wrong.
    function taskSuccessfullyChallenged(uint32 taskIndex) external view returns (bool);
    /// @notice Whether the response to `taskIndex` was challenged at all.
    function taskChallenged(uint32 taskIndex) external view returns (bool);
    /// @notice Blocks after creation during which a response is accepted.
    function TASK_RESPONSE_WINDOW_BLOCK() external view returns (uint32);
    /// @notice Blocks after the response during which a challenge is accepted.
    function TASK_CHALLENGE_WINDOW_BLOCK() external view returns (uint32);
    /// @notice Role that may create tasks.
    function TASK_GENERATOR_ROLE() external view returns (bytes32);
    /// @notice Role that may post responses.
    function AGGREGATOR_ROLE() external view returns (bytes32);
}
