// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {PackedStakeHistory} from "../libraries/PackedStakeHistory.sol";

/// @title StakeRegistryStorage
/// @notice State of the stake registry, kept apart from its logic for upgrade safety.
abstract contract StakeRegistryStorage is Initializable, IStakeRegistry {
    /// @notice Multipliers are fixed-point with 18 decimals.
    uint256 public constant WEIGHTING_DIVISOR = 1e18;
    /// @notice Upper bound on strategies per quorum (bounds the gas of every stake read).
    uint256 public constant MAX_STRATEGIES_PER_QUORUM = 32;

    /// @inheritdoc IStakeRegistry
    address public immutable registryCoordinator;
    /// @inheritdoc IStakeRegistry
    IDelegationManager public immutable delegation;

    /// @inheritdoc IStakeRegistry
    mapping(uint8 quorumNumber => uint96) public minimumStakeForQuorum;
    /// @dev Per quorum, total stake history. Empty = quorum does not exist.
    mapping(uint8 quorumNumber => StakeUpdate[]) internal _totalStakeHistory;
    /// @dev Per operator and quorum, stake history (two entries a slot) and quorum membership.
    mapping(bytes32 operatorId => mapping(uint8 quorumNumber => PackedStakeHistory.History)) internal
        _operatorStakeHistory;
    /// @dev Per quorum, strategies and multipliers.
    mapping(uint8 quorumNumber => StrategyParams[]) internal _strategyParams;
    /// @dev Per quorum, a copy of the BLS APK registry's APK hash history (same entries, same
    ///      indices), so that the signature checker reads both quorum aggregates in one call.
    mapping(uint8 quorumNumber => IBLSApkRegistry.ApkUpdate[]) internal _apkHashHistory;

    uint256[45] private __gap;

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to record stakes.
    /// @param delegation_ Where operator shares are read (IDelegationManager.getOperatorsShares).
    constructor(address registryCoordinator_, IDelegationManager delegation_) {
        registryCoordinator = registryCoordinator_;
        delegation = delegation_;
        _disableInitializers();
    }
}
