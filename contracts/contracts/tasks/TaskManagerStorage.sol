// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {ITaskManager} from "../interfaces/ITaskManager.sol";

/// @title TaskManagerStorage
/// @notice State of the task manager, kept apart from its logic for upgrade safety.
abstract contract TaskManagerStorage is ITaskManager {
    /// @inheritdoc ITaskManager
    bytes32 public constant TASK_GENERATOR_ROLE = keccak256("TASK_GENERATOR_ROLE");
    /// @inheritdoc ITaskManager
    bytes32 public constant AGGREGATOR_ROLE = keccak256("AGGREGATOR_ROLE");

    /// @inheritdoc ITaskManager
    uint32 public immutable TASK_RESPONSE_WINDOW_BLOCK;
    /// @inheritdoc ITaskManager
    uint32 public immutable TASK_CHALLENGE_WINDOW_BLOCK;

    /// @inheritdoc ITaskManager
    uint32 public latestTaskNum;
    /// @inheritdoc ITaskManager
    mapping(uint32 taskIndex => bytes32) public taskRecord;
    /// @inheritdoc ITaskManager
    mapping(uint32 taskIndex => bool) public taskChallenged;
    /// @inheritdoc ITaskManager
    mapping(uint32 taskIndex => bool) public taskSuccessfullyChallenged;

    uint256[46] private __gap;

    constructor(uint32 taskResponseWindowBlock, uint32 taskChallengeWindowBlock) {
        TASK_RESPONSE_WINDOW_BLOCK = taskResponseWindowBlock;
        TASK_CHALLENGE_WINDOW_BLOCK = taskChallengeWindowBlock;
    }
}
