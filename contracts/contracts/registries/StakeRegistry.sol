// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IBLSSignatureChecker} from "../interfaces/IBLSSignatureChecker.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {IStrategy} from "../interfaces/IStrategy.sol";
import {BlockHistory} from "../libraries/BlockHistory.sol";
import {BN254} from "../libraries/BN254.sol";
import {PackedStakeHistory} from "../libraries/PackedStakeHistory.sol";
import {ReturnData} from "../libraries/ReturnData.sol";
import {StakeRegistryStorage} from "./StakeRegistryStorage.sol";

/// @title StakeRegistry
/// @notice Weights operators per quorum from their delegated shares and keeps block-stamped
///         stake histories (per operator, two entries a slot: `PackedStakeHistory`; per quorum
///         total, one slot per entry).
/// @dev Deployed behind a TransparentUpgradeableProxy; has no initializer (quorums are created
///      through the coordinator). Updates within one block overwrite that block's entry, and an
///      unchanged stake writes nothing.
contract StakeRegistry is StakeRegistryStorage {
    using PackedStakeHistory for PackedStakeHistory.History;

    /// @notice The shares array returned by the delegation contract has the wrong length.
    error SharesLengthMismatch();
    /// @notice A weight does not fit in uint96.
    error WeightOverflow(address operator);

    /// @dev Operators whose shares one `getOperatorsShares` call reads in a batch update. The
    ///      callee's memory grows quadratically in cost with its answer (one array per operator), so
    ///      a 200-operator quorum is read in a few calls rather than one: 32 keep that expansion
    ///      under ~130 gas an operator with 10 strategies while sharing each call's fixed cost.
    uint256 internal constant SHARES_BATCH = 32;

    /// @dev A quorum's weighting rule, loaded from storage once per batch, with a reusable
    ///      `getOperatorsShares(operators, strategies)` call and a buffer for its answer, so that
    ///      a batch encodes the strategies once and allocates no memory per operator or per call.
    ///      The call's tails are laid out strategies first (fixed), operators last, so only the
    ///      operator count and words change between calls (the ABI allows tails in any order).
    struct Weighting {
        uint96[] multipliers;
        uint96 minimumStake;
        bytes sharesCall;
        bytes sharesAnswer;
    }

    modifier onlyRegistryCoordinator() {
        if (msg.sender != registryCoordinator) revert OnlyRegistryCoordinator();
        _;
    }

    modifier onlyCoordinatorOwner() {
        if (msg.sender != IRegistryCoordinator(registryCoordinator).owner()) revert OnlyRegistryCoordinatorOwner();
        _;
    }

    modifier quorumExists(uint8 quorumNumber) {
        if (_totalStakeHistory[quorumNumber].length == 0) revert QuorumDoesNotExist(quorumNumber);
        _;
    }

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to record stakes.
    /// @param delegation_ Where operator shares are read.
    constructor(address registryCoordinator_, IDelegationManager delegation_)
        StakeRegistryStorage(registryCoordinator_, delegation_)
    {}

    // ------------------------------------------------------------------ coordinator only

    /// @inheritdoc IStakeRegistry
    function registerOperator(address operator, bytes32 operatorId, bytes calldata quorumNumbers)
        external
        onlyRegistryCoordinator
        returns (uint96[] memory operatorStakes, uint96[] memory totalStakes)
    {
        uint256 length = quorumNumbers.length;
        operatorStakes = new uint96[](length);
        totalStakes = new uint96[](length);
        for (uint256 i = 0; i < length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            _requireQuorumExists(quorumNumber);
            uint96 weight = _weightOf(quorumNumber, operator);
            uint96 minimumStake = minimumStakeForQuorum[quorumNumber];
            if (weight < minimumStake) revert BelowMinimumStakeRequirement(quorumNumber, weight, minimumStake);
            int256 delta = _recordOperatorStake(_operatorStakeHistory[operatorId][quorumNumber], operatorId, quorumNumber, weight, true);
            operatorStakes[i] = weight;
            totalStakes[i] = _recordTotalStakeDelta(quorumNumber, delta);
        }
    }

    /// @inheritdoc IStakeRegistry
    function deregisterOperator(bytes32 operatorId, bytes calldata quorumNumbers) external onlyRegistryCoordinator {
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            _requireQuorumExists(quorumNumber);
            _recordTotalStakeDelta(quorumNumber, _recordOperatorStake(_operatorStakeHistory[operatorId][quorumNumber], operatorId, quorumNumber, 0, false));
        }
    }

    /// @inheritdoc IStakeRegistry
    function updateApkHashes(bytes calldata quorumNumbers, bytes24[] calldata apkHashes)
        external
        onlyRegistryCoordinator
    {
        if (apkHashes.length != quorumNumbers.length) revert InputLengthMismatch();
        for (uint256 i = 0; i < apkHashes.length; ++i) {
            _recordApkHash(uint8(quorumNumbers[i]), apkHashes[i]);
        }
    }

    /// @inheritdoc IStakeRegistry
    function updateOperatorStake(address operator, bytes32 operatorId, bytes calldata quorumNumbers)
        external
        onlyRegistryCoordinator
        returns (uint256 quorumsToRemove)
    {
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            _requireQuorumExists(quorumNumber);
            uint96 weight = _weightOf(quorumNumber, operator);
            if (weight < minimumStakeForQuorum[quorumNumber]) {
                weight = 0;
                quorumsToRemove |= uint256(1) << quorumNumber;
            }
            _recordTotalStakeDelta(quorumNumber, _recordOperatorStake(_operatorStakeHistory[operatorId][quorumNumber], operatorId, quorumNumber, weight, true));
        }
    }

    /// @inheritdoc IStakeRegistry
    function updateOperatorsStake(address[] calldata operators, bytes32[] calldata operatorIds, uint8 quorumNumber)
        external
        onlyRegistryCoordinator
        quorumExists(quorumNumber)
        returns (uint256[] memory belowMinimum)
    {
        uint256 count = operators.length;
        if (operatorIds.length != count) revert InputLengthMismatch();
        // Room for every index; the length counts those found (see _updateBatch).
        belowMinimum = new uint256[](count);
        assembly ("memory-safe") {
            mstore(belowMinimum, 0)
        }
        Weighting memory weighting = _loadWeighting(quorumNumber, count < SHARES_BATCH ? count : SHARES_BATCH);
        int256 totalDelta = 0;
        for (uint256 start = 0; start < count; start += SHARES_BATCH) {
            uint256 end = start + SHARES_BATCH < count ? start + SHARES_BATCH : count;
            totalDelta += _updateBatch(
                weighting, quorumNumber, operators[start:end], operatorIds[start:end], belowMinimum, start
            );
        }
        _recordTotalStakeDelta(quorumNumber, totalDelta);
    }

    /// @dev `updateOperatorsStake` for the operators of one share call; `first` is the index of
    ///      the batch's first operator. Appends the indices below the minimum to `belowMinimum`
    ///      (allocated for all of them) and returns the change of the quorum's total.
    function _updateBatch(
        Weighting memory weighting,
        uint8 quorumNumber,
        address[] calldata operators,
        bytes32[] calldata operatorIds,
        uint256[] memory belowMinimum,
        uint256 first
    ) internal returns (int256 delta) {
        _readOperatorsShares(weighting, operators);
        for (uint256 k = 0; k < operators.length; ++k) {
            bytes32 operatorId = operatorIds[k];
            // The coordinator's quorum bitmap and this flag change together (register/deregister).
            PackedStakeHistory.History storage history = _operatorStakeHistory[operatorId][quorumNumber];
            if (!history.isMember()) revert OperatorNotInQuorum(quorumNumber, operators[k]);
            uint96 weight = _weight(weighting, k, operators[k]);
            if (weight < weighting.minimumStake) {
                weight = 0;
                uint256 index = first + k;
                assembly ("memory-safe") {
                    let found := add(mload(belowMinimum), 1)
                    mstore(belowMinimum, found)
                    mstore(add(belowMinimum, shl(5, found)), index)
                }
            }
            delta += _recordOperatorStake(history, operatorId, quorumNumber, weight, true);
        }
    }

    /// @inheritdoc IStakeRegistry
    function initializeQuorum(uint8 quorumNumber, uint96 minimumStake, StrategyParams[] calldata strategyParams)
        external
        onlyRegistryCoordinator
    {
        StakeUpdate[] storage totalHistory = _totalStakeHistory[quorumNumber];
        if (totalHistory.length != 0) revert QuorumAlreadyExists(quorumNumber);
        if (strategyParams.length == 0) revert NoStrategies();
        totalHistory.push(StakeUpdate({updateBlockNumber: uint32(block.number), nextUpdateBlockNumber: 0, stake: 0}));
        // The BLS APK registry starts every quorum with the hash of the zero point.
        _apkHashHistory[quorumNumber].push(
            IBLSApkRegistry.ApkUpdate({
                apkHash: bytes24(BN254.hashG1Point(BN254.G1Point(0, 0))),
                updateBlockNumber: uint32(block.number),
                nextUpdateBlockNumber: 0
            })
        );
        _addStrategies(quorumNumber, strategyParams);
        _setMinimumStake(quorumNumber, minimumStake);
        emit QuorumCreated(quorumNumber);
    }

    // ------------------------------------------------------------------ coordinator owner only

    /// @inheritdoc IStakeRegistry
    function setMinimumStakeForQuorum(uint8 quorumNumber, uint96 minimumStake)
        external
        onlyCoordinatorOwner
        quorumExists(quorumNumber)
    {
        _setMinimumStake(quorumNumber, minimumStake);
    }

    /// @inheritdoc IStakeRegistry
    function addStrategies(uint8 quorumNumber, StrategyParams[] calldata strategyParams)
        external
        onlyCoordinatorOwner
        quorumExists(quorumNumber)
    {
        if (strategyParams.length == 0) revert NoStrategies();
        _addStrategies(quorumNumber, strategyParams);
    }

    /// @inheritdoc IStakeRegistry
    function removeStrategies(uint8 quorumNumber, uint256[] calldata indicesToRemove)
        external
        onlyCoordinatorOwner
        quorumExists(quorumNumber)
    {
        StrategyParams[] storage params = _strategyParams[quorumNumber];
        uint256 count = indicesToRemove.length;
        if (count == 0) revert InputLengthMismatch();
        if (count >= params.length) revert NoStrategies();
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = indicesToRemove[i];
            if (i > 0 && index >= indicesToRemove[i - 1]) revert IndicesNotDescending();
            if (index >= params.length) revert StrategyIndexOutOfRange(index);
            IStrategy strategy = params[index].strategy;
            params[index] = params[params.length - 1];
            params.pop();
            emit StrategyRemovedFromQuorum(quorumNumber, strategy);
            emit StrategyMultiplierUpdated(quorumNumber, strategy, 0);
        }
    }

    /// @inheritdoc IStakeRegistry
    function modifyStrategyParams(uint8 quorumNumber, uint256[] calldata strategyIndices, uint96[] calldata newMultipliers)
        external
        onlyCoordinatorOwner
        quorumExists(quorumNumber)
    {
        uint256 count = strategyIndices.length;
        if (count == 0 || newMultipliers.length != count) revert InputLengthMismatch();
        StrategyParams[] storage params = _strategyParams[quorumNumber];
        for (uint256 i = 0; i < count; ++i) {
            uint256 index = strategyIndices[i];
            if (index >= params.length) revert StrategyIndexOutOfRange(index);
            if (newMultipliers[i] == 0) revert ZeroMultiplier();
            params[index].multiplier = newMultipliers[i];
            emit StrategyMultiplierUpdated(quorumNumber, params[index].strategy, newMultipliers[i]);
        }
    }

    // ------------------------------------------------------------------ views: configuration

    /// @inheritdoc IStakeRegistry
    function strategyParamsLength(uint8 quorumNumber) external view returns (uint256) {
        return _strategyParams[quorumNumber].length;
    }

    /// @inheritdoc IStakeRegistry
    function strategyParamsByIndex(uint8 quorumNumber, uint256 index) external view returns (StrategyParams memory) {
        return _strategyParams[quorumNumber][index];
    }

    /// @inheritdoc IStakeRegistry
    function getStrategyParams(uint8 quorumNumber) external view returns (StrategyParams[] memory) {
        return _strategyParams[quorumNumber];
    }

    /// @inheritdoc IStakeRegistry
    function weightOfOperatorForQuorum(uint8 quorumNumber, address operator)
        external
        view
        quorumExists(quorumNumber)
        returns (uint96)
    {
        return _weightOf(quorumNumber, operator);
    }

    // ------------------------------------------------------------------ views: histories

    /// @inheritdoc IStakeRegistry
    function getCurrentStake(bytes32 operatorId, uint8 quorumNumber) external view returns (uint96) {
        return _operatorStakeHistory[operatorId][quorumNumber].latestStake();
    }

    /// @inheritdoc IStakeRegistry
    function getCurrentTotalStake(uint8 quorumNumber) external view returns (uint96) {
        StakeUpdate[] storage history = _totalStakeHistory[quorumNumber];
        uint256 length = history.length;
        return length == 0 ? 0 : history[length - 1].stake;
    }

    /// @inheritdoc IStakeRegistry
    function getStakeHistory(bytes32 operatorId, uint8 quorumNumber)
        external
        view
        returns (StakeUpdate[] memory history)
    {
        PackedStakeHistory.History storage packed = _operatorStakeHistory[operatorId][quorumNumber];
        history = new StakeUpdate[](packed.entryCount());
        for (uint256 i = 0; i < history.length; ++i) {
            history[i] = _toStakeUpdate(packed.entryAt(i));
        }
    }

    /// @inheritdoc IStakeRegistry
    function getStakeHistoryLength(bytes32 operatorId, uint8 quorumNumber) external view returns (uint256) {
        return _operatorStakeHistory[operatorId][quorumNumber].entryCount();
    }

    /// @inheritdoc IStakeRegistry
    function getStakeUpdateAtIndex(uint8 quorumNumber, bytes32 operatorId, uint256 index)
        external
        view
        returns (StakeUpdate memory)
    {
        PackedStakeHistory.History storage packed = _operatorStakeHistory[operatorId][quorumNumber];
        if (index >= packed.entryCount()) revert BlockHistory.HistoryEntryMissing(index);
        return _toStakeUpdate(packed.entryAt(index));
    }

    /// @inheritdoc IStakeRegistry
    function getTotalStakeHistoryLength(uint8 quorumNumber) external view returns (uint256) {
        return _totalStakeHistory[quorumNumber].length;
    }

    /// @inheritdoc IStakeRegistry
    function getTotalStakeUpdateAtIndex(uint8 quorumNumber, uint256 index) external view returns (StakeUpdate memory) {
        return _totalStakeHistory[quorumNumber][index];
    }

    /// @inheritdoc IStakeRegistry
    function getStakeAtBlockNumber(bytes32 operatorId, uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (uint96)
    {
        PackedStakeHistory.History storage history = _operatorStakeHistory[operatorId][quorumNumber];
        (bool found, uint256 index) = history.search(blockNumber);
        return found ? history.entryAt(index).stake : 0;
    }

    /// @inheritdoc IStakeRegistry
    function getStakeUpdateIndexAtBlockNumber(bytes32 operatorId, uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (uint32)
    {
        (bool found, uint256 index) = _operatorStakeHistory[operatorId][quorumNumber].search(blockNumber);
        if (!found) revert BlockHistory.NoHistoryAtBlock(blockNumber);
        return uint32(index);
    }

    /// @inheritdoc IStakeRegistry
    function getStakeAtBlockNumberAndIndex(uint8 quorumNumber, uint32 blockNumber, bytes32 operatorId, uint256 index)
        external
        view
        returns (uint96)
    {
        return _operatorStakeAt(operatorId, quorumNumber, blockNumber, index);
    }

    /// @inheritdoc IStakeRegistry
    function getTotalStakeAtBlockNumberFromIndex(uint8 quorumNumber, uint32 blockNumber, uint256 index)
        external
        view
        returns (uint96)
    {
        return _totalStakeAt(quorumNumber, blockNumber, index);
    }

    /// @inheritdoc IStakeRegistry
    function getTotalStakeIndicesAtBlockNumber(uint32 blockNumber, bytes calldata quorumNumbers)
        external
        view
        returns (uint32[] memory indices)
    {
        indices = new uint32[](quorumNumbers.length);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            _requireQuorumExists(quorumNumber);
            (bool found, uint256 index) = _search(_totalStakeHistory[quorumNumber], blockNumber);
            if (!found) revert BlockHistory.NoHistoryAtBlock(blockNumber);
            indices[i] = uint32(index);
        }
    }

    /// @inheritdoc IStakeRegistry
    function getApkHashHistoryLength(uint8 quorumNumber) external view returns (uint256) {
        return _apkHashHistory[quorumNumber].length;
    }

    /// @inheritdoc IStakeRegistry
    function getApkHashUpdateAtIndex(uint8 quorumNumber, uint256 index)
        external
        view
        returns (IBLSApkRegistry.ApkUpdate memory)
    {
        return _apkHashHistory[quorumNumber][index];
    }

    /// @inheritdoc IStakeRegistry
    function getQuorumAggregatesAtBlockNumber(
        bytes calldata quorumNumbers,
        uint32 blockNumber,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata nonSignerQuorumBitmaps,
        IBLSSignatureChecker.NonSignerStakesAndSignature calldata params
    ) external view returns (bytes24[] memory apkHashes, uint96[] memory totalStakes, uint96[] memory nonSignerStakes) {
        uint256 quorumCount = quorumNumbers.length;
        if (params.quorumApkIndices.length != quorumCount) revert InputLengthMismatch();
        _requireStakeQueryLengths(
            quorumCount,
            params.totalStakeIndices.length,
            params.nonSignerStakeIndices.length,
            nonSignerIds.length,
            nonSignerQuorumBitmaps.length
        );
        apkHashes = new bytes24[](quorumCount);
        totalStakes = new uint96[](quorumCount);
        nonSignerStakes = new uint96[](quorumCount);
        // Every quorum's APK first: a quorum that does not exist fails there, before any stake.
        for (uint256 i = 0; i < quorumCount; ++i) {
            apkHashes[i] = _apkHashAt(uint8(quorumNumbers[i]), blockNumber, params.quorumApkIndices[i]);
        }
        for (uint256 i = 0; i < quorumCount; ++i) {
            (totalStakes[i], nonSignerStakes[i]) = _quorumStakes(
                uint8(quorumNumbers[i]),
                blockNumber,
                params.totalStakeIndices[i],
                nonSignerIds,
                nonSignerQuorumBitmaps,
                params.nonSignerStakeIndices[i]
            );
        }
    }

    /// @inheritdoc IStakeRegistry
    function getTotalAndNonSignerStakesAtBlockNumber(
        bytes calldata quorumNumbers,
        uint32 blockNumber,
        uint32[] calldata totalStakeIndices,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata nonSignerQuorumBitmaps,
        uint32[][] calldata nonSignerStakeIndices
    ) external view returns (uint96[] memory totalStakes, uint96[] memory nonSignerStakes) {
        uint256 quorumCount = quorumNumbers.length;
        _requireStakeQueryLengths(
            quorumCount,
            totalStakeIndices.length,
            nonSignerStakeIndices.length,
            nonSignerIds.length,
            nonSignerQuorumBitmaps.length
        );
        totalStakes = new uint96[](quorumCount);
        nonSignerStakes = new uint96[](quorumCount);
        for (uint256 i = 0; i < quorumCount; ++i) {
            (totalStakes[i], nonSignerStakes[i]) = _quorumStakes(
                uint8(quorumNumbers[i]),
                blockNumber,
                totalStakeIndices[i],
                nonSignerIds,
                nonSignerQuorumBitmaps,
                nonSignerStakeIndices[i]
            );
        }
    }

    // ------------------------------------------------------------------ internals

    /// @dev One total-stake index and one non-signer index list per quorum, one bitmap per non-signer.
    function _requireStakeQueryLengths(
        uint256 quorumCount,
        uint256 totalStakeIndices,
        uint256 nonSignerStakeIndices,
        uint256 nonSigners,
        uint256 bitmaps
    ) internal pure {
        if (totalStakeIndices != quorumCount || nonSignerStakeIndices != quorumCount || bitmaps != nonSigners) {
            revert InputLengthMismatch();
        }
    }

    /// @dev A quorum's total stake and its non-signers' stake at `blockNumber`.
    function _quorumStakes(
        uint8 quorumNumber,
        uint32 blockNumber,
        uint32 totalStakeIndex,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata bitmaps,
        uint32[] calldata stakeIndices
    ) internal view returns (uint96 total, uint96 nonSigning) {
        total = _totalStakeAt(quorumNumber, blockNumber, totalStakeIndex);
        if (nonSignerIds.length != 0) {
            nonSigning = _sumNonSignerStakes(quorumNumber, blockNumber, nonSignerIds, bitmaps, stakeIndices);
        } else if (stakeIndices.length != 0) {
            revert InputLengthMismatch();
        }
    }

    /// @dev The BLS APK registry's rule: same block overwrites, otherwise close and append.
    function _recordApkHash(uint8 quorumNumber, bytes24 apkHash) internal {
        IBLSApkRegistry.ApkUpdate[] storage history = _apkHashHistory[quorumNumber];
        uint256 length = history.length;
        if (length == 0) revert QuorumDoesNotExist(quorumNumber);
        IBLSApkRegistry.ApkUpdate storage last = history[length - 1];
        uint32 blockNumber = uint32(block.number);
        if (last.updateBlockNumber == blockNumber) {
            last.apkHash = apkHash;
        } else {
            last.nextUpdateBlockNumber = blockNumber;
            history.push(
                IBLSApkRegistry.ApkUpdate({apkHash: apkHash, updateBlockNumber: blockNumber, nextUpdateBlockNumber: 0})
            );
        }
    }

    /// @dev Index-checked read of the APK hash copy without the array-length SLOAD.
    function _apkHashAt(uint8 quorumNumber, uint32 blockNumber, uint256 index) internal view returns (bytes24) {
        IBLSApkRegistry.ApkUpdate[] storage history = _apkHashHistory[quorumNumber];
        IBLSApkRegistry.ApkUpdate storage entry;
        assembly ("memory-safe") {
            mstore(0x00, history.slot)
            entry.slot := add(keccak256(0x00, 0x20), index)
        }
        BlockHistory.checkEntryAt(entry.updateBlockNumber, entry.nextUpdateBlockNumber, blockNumber, index);
        return entry.apkHash;
    }

    function _requireQuorumExists(uint8 quorumNumber) internal view {
        if (_totalStakeHistory[quorumNumber].length == 0) revert QuorumDoesNotExist(quorumNumber);
    }

    function _setMinimumStake(uint8 quorumNumber, uint96 minimumStake) internal {
        minimumStakeForQuorum[quorumNumber] = minimumStake;
        emit MinimumStakeForQuorumUpdated(quorumNumber, minimumStake);
    }

    function _addStrategies(uint8 quorumNumber, StrategyParams[] calldata newParams) internal {
        StrategyParams[] storage params = _strategyParams[quorumNumber];
        uint256 existing = params.length;
        if (existing + newParams.length > MAX_STRATEGIES_PER_QUORUM) revert TooManyStrategies();
        for (uint256 i = 0; i < newParams.length; ++i) {
            IStrategy strategy = newParams[i].strategy;
            if (newParams[i].multiplier == 0) revert ZeroMultiplier();
            for (uint256 j = 0; j < existing + i; ++j) {
                if (params[j].strategy == strategy) revert DuplicateStrategy(strategy);
            }
            params.push(newParams[i]);
            emit StrategyAddedToQuorum(quorumNumber, strategy);
            emit StrategyMultiplierUpdated(quorumNumber, strategy, newParams[i].multiplier);
        }
    }

    /// @dev Strategies, multipliers and minimum stake of a quorum, loaded once for a batch, with the
    ///      share call and answer buffers sized for `capacity` operators a call.
    function _loadWeighting(uint8 quorumNumber, uint256 capacity) internal view returns (Weighting memory weighting) {
        StrategyParams[] storage params = _strategyParams[quorumNumber];
        uint256 count = params.length;
        weighting.multipliers = new uint96[](count);
        // selector, two head offsets, the strategies (length + words), the operators (length + words)
        bytes4 selector = IDelegationManager.getOperatorsShares.selector;
        bytes memory request = new bytes(0x04 + 0x40 + 0x20 * (1 + count) + 0x20 * (1 + capacity));
        assembly ("memory-safe") {
            mstore(add(request, 0x20), selector)
            mstore(add(request, 0x24), add(0x60, shl(5, count))) // operators' tail, after the strategies
            mstore(add(request, 0x44), 0x40) // strategies' tail
            mstore(add(request, 0x64), count)
        }
        for (uint256 i = 0; i < count; ++i) {
            StrategyParams memory p = params[i];
            weighting.multipliers[i] = p.multiplier;
            address strategy = address(p.strategy);
            assembly ("memory-safe") {
                mstore(add(add(request, 0x84), shl(5, i)), strategy)
            }
        }
        weighting.minimumStake = minimumStakeForQuorum[quorumNumber];
        weighting.sharesCall = request;
        // The ABI answer for `capacity` operators: offset, length, one offset an operator, then
        // each operator's array (length, one word a strategy).
        weighting.sharesAnswer = new bytes(0x40 + 0x20 * capacity + capacity * 0x20 * (1 + count));
    }

    function _weightOf(uint8 quorumNumber, address operator) internal view returns (uint96) {
        Weighting memory weighting = _loadWeighting(quorumNumber, 1);
        _readOperatorShares(weighting, operator);
        return _weight(weighting, 0, operator);
    }

    /// @dev Σ shares_i · multiplier_i / 1e18, each term rounded down (as EigenLayer's middleware
    ///      does), over the shares of the `k`-th operator of the last `getOperatorsShares` answer.
    function _weight(Weighting memory weighting, uint256 k, address operator) internal pure returns (uint96) {
        bytes memory answer = weighting.sharesAnswer;
        uint96[] memory multipliers = weighting.multipliers;
        uint256 weight = 0;
        uint256 tooMany = 0;
        // _readOperatorsShares checked that the answer is canonical: operator k's array starts at
        // word 2 + n + k·(1 + count) and holds one share count per multiplier.
        // 2^160 shares or more weigh more than a uint96 holds (multipliers are >= 1, the divisor
        // is below 2^64), so refusing them keeps every product and sum below 2^256.
        assembly ("memory-safe") {
            let count := mload(multipliers)
            let n := mload(add(answer, 0x40))
            let share := add(add(answer, 0x80), shl(5, add(n, mul(k, add(count, 1)))))
            let factor := add(multipliers, 0x20)
            for { let end := add(factor, shl(5, count)) } lt(factor, end) {
                factor := add(factor, 0x20)
                share := add(share, 0x20)
            } {
                let shares := mload(share)
                tooMany := or(tooMany, shares)
                weight := add(weight, div(mul(shares, mload(factor)), WEIGHTING_DIVISOR))
            }
            tooMany := shr(160, tooMany)
        }
        if (tooMany != 0 || weight > type(uint96).max) revert WeightOverflow(operator);
        return uint96(weight);
    }

    /// @dev One `getOperatorsShares` call for `operators` (at most the weighting's capacity).
    function _readOperatorsShares(Weighting memory weighting, address[] calldata operators) internal view {
        bytes memory request = weighting.sharesCall;
        uint256 n = operators.length;
        assembly ("memory-safe") {
            let tail := add(add(request, 0x24), mload(add(request, 0x24)))
            mstore(tail, n)
            calldatacopy(add(tail, 0x20), operators.offset, shl(5, n))
        }
        _callOperatorsShares(weighting, n);
    }

    /// @dev The same call for one operator.
    function _readOperatorShares(Weighting memory weighting, address operator) internal view {
        bytes memory request = weighting.sharesCall;
        assembly ("memory-safe") {
            let tail := add(add(request, 0x24), mload(add(request, 0x24)))
            mstore(tail, 1)
            mstore(add(tail, 0x20), operator)
        }
        _callOperatorsShares(weighting, 1);
    }

    /// @dev Sends the prepared call for its first `n` operators and copies the answer into the
    ///      buffer, which must be exactly the canonical ABI encoding of n arrays of the strategies'
    ///      count (what Solidity returns): anything else is refused rather than half-read.
    function _callOperatorsShares(Weighting memory weighting, uint256 n) internal view {
        bytes memory request = weighting.sharesCall;
        bytes memory answer = weighting.sharesAnswer;
        uint256 count = weighting.multipliers.length;
        address target = address(delegation);
        uint256 expected = 0x40 + 0x20 * n + n * 0x20 * (1 + count);
        bool success;
        uint256 size;
        assembly ("memory-safe") {
            let callSize := add(mload(add(request, 0x24)), add(0x24, shl(5, n)))
            success := staticcall(gas(), target, add(request, 0x20), callSize, 0, 0)
            size := returndatasize()
        }
        if (!success) ReturnData.bubble();
        if (size != expected) revert SharesLengthMismatch();
        bool canonical;
        assembly ("memory-safe") {
            let data := add(answer, 0x20)
            returndatacopy(data, 0, size)
            canonical := and(eq(mload(data), 0x20), eq(mload(add(data, 0x20)), n))
            let offsets := add(data, 0x40)
            let stride := shl(5, add(count, 1))
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let offset := add(shl(5, n), mul(k, stride))
                canonical := and(canonical, eq(mload(add(offsets, shl(5, k))), offset))
                canonical := and(canonical, eq(mload(add(offsets, offset)), count))
            }
        }
        if (!canonical) revert SharesLengthMismatch();
    }

    /// @dev Records `newStake` and the membership flag for the operator; returns the stake's change.
    ///      No new entry (and no event) if unchanged, except the first entry, which is always written.
    function _recordOperatorStake(
        PackedStakeHistory.History storage history,
        bytes32 operatorId,
        uint8 quorumNumber,
        uint96 newStake,
        bool member
    ) internal returns (int256 delta) {
        (uint96 previous, bool written) = history.record(newStake, member);
        if (!written) return 0;
        emit OperatorStakeUpdate(operatorId, quorumNumber, newStake);
        return int256(uint256(newStake)) - int256(uint256(previous));
    }

    function _toStakeUpdate(PackedStakeHistory.Entry memory entry) private pure returns (StakeUpdate memory) {
        return StakeUpdate({
            updateBlockNumber: entry.updateBlockNumber,
            nextUpdateBlockNumber: entry.nextUpdateBlockNumber,
            stake: entry.stake
        });
    }

    /// @dev Applies `delta` to the quorum total; returns the new total.
    function _recordTotalStakeDelta(uint8 quorumNumber, int256 delta) internal returns (uint96 total) {
        StakeUpdate[] storage history = _totalStakeHistory[quorumNumber];
        uint256 length = history.length;
        total = history[length - 1].stake;
        if (delta == 0) return total;
        // Totals are sums of recorded stakes, so they can never go negative or exceed uint96 sums.
        total = SafeCast.toUint96(SafeCast.toUint256(int256(uint256(total)) + delta));
        _writeStake(history, length, total);
    }

    /// @dev Same block: overwrite the last entry. Otherwise close it and append a new one.
    function _writeStake(StakeUpdate[] storage history, uint256 length, uint96 stake) private {
        StakeUpdate storage last = history[length - 1];
        uint32 blockNumber = uint32(block.number);
        if (last.updateBlockNumber == blockNumber) {
            last.stake = stake;
        } else {
            last.nextUpdateBlockNumber = blockNumber;
            history.push(StakeUpdate({updateBlockNumber: blockNumber, nextUpdateBlockNumber: 0, stake: stake}));
        }
    }

    /// @dev Index-checked read: one slot (the head) for the latest entry, one or two more for
    ///      older ones; past the end an all-zero entry, which checkEntryAt rejects.
    function _operatorStakeAt(bytes32 operatorId, uint8 quorumNumber, uint32 blockNumber, uint256 index)
        internal
        view
        returns (uint96)
    {
        return _operatorStakeHistory[operatorId][quorumNumber].stakeAt(blockNumber, index);
    }

    /// @dev Index-checked read of the quorum total without the array-length SLOAD; a read past
    ///      the end yields an all-zero entry, which checkEntryAt rejects.
    function _totalStakeAt(uint8 quorumNumber, uint32 blockNumber, uint256 index) internal view returns (uint96) {
        StakeUpdate memory update = _unsafeAt(_totalStakeHistory[quorumNumber], index);
        BlockHistory.checkEntryAt(update.updateBlockNumber, update.nextUpdateBlockNumber, blockNumber, index);
        return update.stake;
    }

    /// @dev Storage pointer to entry `index` of `history`, without a bounds check.
    function _unsafeAt(StakeUpdate[] storage history, uint256 index) private pure returns (StakeUpdate storage entry) {
        assembly ("memory-safe") {
            mstore(0x00, history.slot)
            entry.slot := add(keccak256(0x00, 0x20), index)
        }
    }

    /// @dev Σ stakes at `blockNumber` of the non-signers whose bitmap has `quorumNumber`, in
    ///      order, each read at the next index of `stakeIndices` (which must be used up exactly).
    function _sumNonSignerStakes(
        uint8 quorumNumber,
        uint32 blockNumber,
        bytes32[] calldata nonSignerIds,
        uint256[] calldata bitmaps,
        uint32[] calldata stakeIndices
    ) internal view returns (uint96) {
        uint256 used = 0;
        uint256 sum = 0;
        for (uint256 j = 0; j < nonSignerIds.length; ++j) {
            if ((bitmaps[j] >> quorumNumber) & 1 == 0) continue;
            if (used == stakeIndices.length) revert InputLengthMismatch();
            sum += _operatorStakeAt(nonSignerIds[j], quorumNumber, blockNumber, stakeIndices[used]);
            ++used;
        }
        if (used != stakeIndices.length) revert InputLengthMismatch();
        return uint96(sum);
    }

    /// @dev BlockHistory.search over a stake history: one slot an entry, updateBlockNumber first.
    function _search(StakeUpdate[] storage history, uint32 blockNumber) internal view returns (bool, uint256) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := history.slot
        }
        return BlockHistory.search({history: slot, entrySlots: 1, stampShift: 0, blockNumber: blockNumber});
    }
}
