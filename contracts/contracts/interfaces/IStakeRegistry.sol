// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSApkRegistry} from "./IBLSApkRegistry.sol";
import {IDelegationManager} from "./IDelegationManager.sol";
import {IBLSSignatureChecker} from "./IBLSSignatureChecker.sol";
import {IStrategy} from "./IStrategy.sol";

/// @title IStakeRegistry
/// @notice Per quorum, the strategies that count and their multipliers, the minimum stake, and
///         the block-stamped stake histories of each operator and of the quorum total.
///         Weight of an operator = Σ shares(operator, strategy_i) · multiplier_i / 1e18, with
///         shares read from the delegation contract (`IDelegationManager.getOperatorsShares`).
/// @dev Stake bookkeeping is callable only by the registry coordinator; quorum configuration only
///      by the coordinator's owner.
interface IStakeRegistry {
    /// @notice A strategy counted by a quorum and its weight multiplier (1e18 = one weight unit per share).
    struct StrategyParams {
        IStrategy strategy;
        uint96 multiplier;
    }

    /// @notice One history entry (the total's history keeps one a slot; an operator's keeps two a
    ///         slot and derives `nextUpdateBlockNumber` from the next entry): stake valid from the end of
    ///         `updateBlockNumber` until `nextUpdateBlockNumber` (0 = current).
    struct StakeUpdate {
        uint32 updateBlockNumber;
        uint32 nextUpdateBlockNumber;
        uint96 stake;
    }

    /// @notice `operatorId`'s stake in `quorumNumber` is now `stake`.
    event OperatorStakeUpdate(bytes32 indexed operatorId, uint8 quorumNumber, uint96 stake);
    /// @notice Minimum stake of `quorumNumber` changed.
    event MinimumStakeForQuorumUpdated(uint8 indexed quorumNumber, uint96 minimumStake);
    /// @notice A quorum's stake bookkeeping started.
    event QuorumCreated(uint8 indexed quorumNumber);
    /// @notice `strategy` now counts in `quorumNumber`.
    event StrategyAddedToQuorum(uint8 indexed quorumNumber, IStrategy strategy);
    /// @notice `strategy` no longer counts in `quorumNumber`.
    event StrategyRemovedFromQuorum(uint8 indexed quorumNumber, IStrategy strategy);
    /// @notice `strategy`'s multiplier in `quorumNumber` is now `multiplier`.
    event StrategyMultiplierUpdated(uint8 indexed quorumNumber, IStrategy strategy, uint256 multiplier);

    /// @notice The caller is not the registry coordinator.
    error OnlyRegistryCoordinator();
    /// @notice The caller is not the registry coordinator's owner.
    error OnlyRegistryCoordinatorOwner();
    /// @notice The quorum does not exist.
    error QuorumDoesNotExist(uint8 quorumNumber);
    /// @notice The quorum was already initialized.
    error QuorumAlreadyExists(uint8 quorumNumber);
    /// @notice The operator's weight in `quorumNumber` is below the quorum's minimum stake.
    error BelowMinimumStakeRequirement(uint8 quorumNumber, uint96 weight, uint96 minimumStake);
    /// @notice Input arrays have different lengths (or a required array is empty).
    error InputLengthMismatch();
    /// @notice A quorum needs at least one strategy.
    error NoStrategies();
    /// @notice A multiplier of zero.
    error ZeroMultiplier();
    /// @notice The strategy is listed twice for the quorum.
    error DuplicateStrategy(IStrategy strategy);
    /// @notice More strategies than MAX_STRATEGIES_PER_QUORUM.
    error TooManyStrategies();
    /// @notice Strategy indices must be given in strictly descending order (removal is swap-and-pop).
    error IndicesNotDescending();
    /// @notice A strategy index is out of range.
    error StrategyIndexOutOfRange(uint256 index);
    /// @notice The operator has no stake history in the quorum.
    error NoStakeHistory(bytes32 operatorId, uint8 quorumNumber);
    /// @notice `operator` is not registered in `quorumNumber` (same selector as the coordinator's
    ///         error of that name: the whole-quorum update checks membership here).
    error OperatorNotInQuorum(uint8 quorumNumber, address operator);

    // ------------------------------------------------------------------ coordinator only

    /// @notice Records `operator`'s current weight in each quorum. Reverts
    ///         BelowMinimumStakeRequirement if it is below a quorum's minimum.
    /// @return operatorStakes The operator's stake per quorum.
    /// @return totalStakes The new total stake per quorum.
    function registerOperator(address operator, bytes32 operatorId, bytes calldata quorumNumbers)
        external
        returns (uint96[] memory operatorStakes, uint96[] memory totalStakes);

    /// @notice Sets `operatorId`'s stake to 0 in each quorum and removes it from the totals.
    function deregisterOperator(bytes32 operatorId, bytes calldata quorumNumbers) external;

    /// @notice Records each quorum's new APK hash, as the BLS APK registry just did (same block,
    ///         same rule: one entry a block), so that both histories keep the same indices.
    function updateApkHashes(bytes calldata quorumNumbers, bytes24[] calldata apkHashes) external;

    /// @notice Re-reads `operator`'s weight in each quorum and records changes.
    /// @return quorumsToRemove Bitmap of the quorums where the weight fell below the minimum (its
    ///         stake there is recorded as 0; the coordinator must deregister it from them).
    function updateOperatorStake(address operator, bytes32 operatorId, bytes calldata quorumNumbers)
        external
        returns (uint256 quorumsToRemove);

    /// @notice Batch stake update of many operators in one quorum; the total is written once.
    ///         Reverts OperatorNotInQuorum for an operator not registered in the quorum.
    /// @return belowMinimum Ascending indices (into `operators`) of the operators that fell below
    ///         the minimum (recorded as 0), usually none: an answer that does not grow with the
    ///         quorum, unlike one flag per operator.
    function updateOperatorsStake(address[] calldata operators, bytes32[] calldata operatorIds, uint8 quorumNumber)
        external
        returns (uint256[] memory belowMinimum);

    /// @notice Starts the stake bookkeeping of a new quorum.
    function initializeQuorum(uint8 quorumNumber, uint96 minimumStake, StrategyParams[] calldata strategyParams)
        external;

    // ------------------------------------------------------------------ coordinator owner only

    /// @notice Sets the minimum stake of `quorumNumber`. Applies at each operator's next update.
    function setMinimumStakeForQuorum(uint8 quorumNumber, uint96 minimumStake) external;

    /// @notice Adds strategies to `quorumNumber`.
    function addStrategies(uint8 quorumNumber, StrategyParams[] calldata strategyParams) external;

    /// @notice Removes the strategies at `indicesToRemove` (strictly descending) from `quorumNumber`.
    function removeStrategies(uint8 quorumNumber, uint256[] calldata indicesToRemove) external;

    /// @notice Sets new multipliers for the strategies at `strategyIndices` in `quorumNumber`.
    function modifyStrategyParams(uint8 quorumNumber, uint256[] calldata strategyIndices, uint96[] calldata newMultipliers)
        external;

    // ------------------------------------------------------------------ views

    /// @notice The registry coordinator allowed to change this registry.
    function registryCoordinator() external view returns (address);

    /// @notice The delegation contract shares are read from.
    function delegation() external view returns (IDelegationManager);

    /// @notice Minimum stake of `quorumNumber`.
    function minimumStakeForQuorum(uint8 quorumNumber) external view returns (uint96);

    /// @notice Number of strategies of `quorumNumber`.
    function strategyParamsLength(uint8 quorumNumber) external view returns (uint256);

    /// @notice Strategy `index` of `quorumNumber`.
    function strategyParamsByIndex(uint8 quorumNumber, uint256 index) external view returns (StrategyParams memory);

    /// @notice All strategies of `quorumNumber`.
    function getStrategyParams(uint8 quorumNumber) external view returns (StrategyParams[] memory);

    /// @notice `operator`'s current weight in `quorumNumber` (computed live, not recorded).
    function weightOfOperatorForQuorum(uint8 quorumNumber, address operator) external view returns (uint96);

    /// @notice `operatorId`'s latest recorded stake in `quorumNumber` (0 if none).
    function getCurrentStake(bytes32 operatorId, uint8 quorumNumber) external view returns (uint96);

    /// @notice Latest recorded total stake of `quorumNumber`.
    function getCurrentTotalStake(uint8 quorumNumber) external view returns (uint96);

    /// @notice `operatorId`'s whole stake history in `quorumNumber`.
    function getStakeHistory(bytes32 operatorId, uint8 quorumNumber) external view returns (StakeUpdate[] memory);

    /// @notice Length of `operatorId`'s stake history in `quorumNumber`.
    function getStakeHistoryLength(bytes32 operatorId, uint8 quorumNumber) external view returns (uint256);

    /// @notice Entry `index` of `operatorId`'s stake history in `quorumNumber`.
    function getStakeUpdateAtIndex(uint8 quorumNumber, bytes32 operatorId, uint256 index)
        external
        view
        returns (StakeUpdate memory);

    /// @notice Length of `quorumNumber`'s total stake history.
    function getTotalStakeHistoryLength(uint8 quorumNumber) external view returns (uint256);

    /// @notice Entry `index` of `quorumNumber`'s total stake history.
    function getTotalStakeUpdateAtIndex(uint8 quorumNumber, uint256 index) external view returns (StakeUpdate memory);

    /// @notice `operatorId`'s stake in `quorumNumber` at `blockNumber` (binary search; 0 if it
    ///         had no history yet then).
    function getStakeAtBlockNumber(bytes32 operatorId, uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (uint96);

    /// @notice Index of `operatorId`'s stake history entry in force at `blockNumber` (binary search).
    function getStakeUpdateIndexAtBlockNumber(bytes32 operatorId, uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (uint32);

    /// @notice `operatorId`'s stake in `quorumNumber` at `blockNumber`, read at history `index`;
    ///         reverts unless that entry is the one in force at `blockNumber`.
    function getStakeAtBlockNumberAndIndex(uint8 quorumNumber, uint32 blockNumber, bytes32 operatorId, uint256 index)
        external
        view
        returns (uint96);

    /// @notice Total stake of `quorumNumber` at `blockNumber`, read at history `index`; reverts
    ///         unless that entry is the one in force at `blockNumber`.
    function getTotalStakeAtBlockNumberFromIndex(uint8 quorumNumber, uint32 blockNumber, uint256 index)
        external
        view
        returns (uint96);

    /// @notice For each quorum, the index of its total stake history entry in force at
    ///         `blockNumber` (binary search; for off-chain callers).
    function getTotalStakeIndicesAtBlockNumber(uint32 blockNumber, bytes calldata quorumNumbers)
        external
        view
        returns (uint32[] memory);

    /// @notice What the signature checker reads in one call, all at `blockNumber`, each history
    ///         read index-checked: per quorum the APK hash (at `params.quorumApkIndices[i]`, the
    ///         same index as in the BLS APK registry, whose history this registry copies), the total
    ///         stake (at `params.totalStakeIndices[i]`) and the non-signers' stake as in
    ///         getTotalAndNonSignerStakesAtBlockNumber (at `params.nonSignerStakeIndices`). `params`
    ///         is the check's own input, which the checker forwards as it received it (the fields
    ///         this does not read are ignored). Reverts as getTotalAndNonSignerStakesAtBlockNumber
    ///         does, and on an APK index that is not the entry in force at the block.
    /// @param nonSignerIds,nonSignerQuorumBitmaps The non-signers' ids and, for each, its quorum
    ///        bitmap at `blockNumber` (only the bits of `quorumNumbers` are read).
    function getQuorumAggregatesAtBlockNumber(
        bytes calldata quorumNumbers,
        uint32 blockNumber,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata nonSignerQuorumBitmaps,
        IBLSSignatureChecker.NonSignerStakesAndSignature calldata params
    ) external view returns (bytes24[] memory apkHashes, uint96[] memory totalStakes, uint96[] memory nonSignerStakes);

    /// @notice Entries in this registry's copy of `quorumNumber`'s APK hash history.
    function getApkHashHistoryLength(uint8 quorumNumber) external view returns (uint256);

    /// @notice Entry `index` of this registry's copy of `quorumNumber`'s APK hash history.
    function getApkHashUpdateAtIndex(uint8 quorumNumber, uint256 index)
        external
        view
        returns (IBLSApkRegistry.ApkUpdate memory);

    /// @notice Total and non-signer stakes only. Per quorum i: the total stake at `blockNumber`
    ///         (read at `totalStakeIndices[i]`), and the sum of the stakes at `blockNumber` of the
    ///         non-signers whose bitmap (`nonSignerQuorumBitmaps`) includes the quorum, taken in
    ///         order and read at `nonSignerStakeIndices[i][0..]` (which must match them exactly).
    ///         Every read is index-checked against `blockNumber`.
    function getTotalAndNonSignerStakesAtBlockNumber(
        bytes calldata quorumNumbers,
        uint32 blockNumber,
        uint32[] calldata totalStakeIndices,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata nonSignerQuorumBitmaps,
        uint32[][] calldata nonSignerStakeIndices
    ) external view returns (uint96[] memory totalStakes, uint96[] memory nonSignerStakes);
}
