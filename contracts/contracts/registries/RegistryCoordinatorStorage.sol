// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IIndexRegistry} from "../interfaces/IIndexRegistry.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IServiceManager} from "../interfaces/IServiceManager.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";

/// @title RegistryCoordinatorStorage
/// @notice State of the registry coordinator, kept apart from its logic for upgrade safety.
///         OpenZeppelin's upgradeable parents (Ownable, EIP712) use namespaced storage.
abstract contract RegistryCoordinatorStorage is IRegistryCoordinator {
    /// @notice EIP-712 type of the proof-of-possession message.
    bytes32 public constant PUBKEY_REGISTRATION_TYPEHASH = keccak256("BN254PubkeyRegistration(address operator)");
    /// @notice EIP-712 type of one kick in a churn approval.
    bytes32 public constant OPERATOR_KICK_PARAM_TYPEHASH =
        keccak256("OperatorKickParam(uint8 quorumNumber,address operator)");
    /// @notice EIP-712 type the churn approver signs.
    bytes32 public constant OPERATOR_CHURN_APPROVAL_TYPEHASH = keccak256(
        "OperatorChurnApproval(address registeringOperator,bytes32 registeringOperatorId,OperatorKickParam[] operatorKickParams,bytes32 salt,uint256 expiry)OperatorKickParam(uint8 quorumNumber,address operator)"
    );
    /// @notice Basis-point denominator of the kick thresholds.
    uint16 internal constant BIPS_DENOMINATOR = 10000;

    /// @notice Bit of the paused bitmap for registerOperator / registerOperatorWithChurn.
    uint8 public constant PAUSED_REGISTER_OPERATOR = 0;
    /// @notice Bit of the paused bitmap for deregisterOperator.
    uint8 public constant PAUSED_DEREGISTER_OPERATOR = 1;
    /// @notice Bit of the paused bitmap for updateOperators / updateOperatorsForQuorum.
    uint8 public constant PAUSED_UPDATE_OPERATOR = 2;

    /// @inheritdoc IRegistryCoordinator
    IServiceManager public immutable serviceManager;
    /// @inheritdoc IRegistryCoordinator
    IBLSApkRegistry public immutable blsApkRegistry;
    /// @inheritdoc IRegistryCoordinator
    IStakeRegistry public immutable stakeRegistry;
    /// @inheritdoc IRegistryCoordinator
    IIndexRegistry public immutable indexRegistry;

    /// @inheritdoc IRegistryCoordinator
    uint8 public quorumCount;
    /// @dev Operator-set limits per quorum.
    mapping(uint8 quorumNumber => OperatorSetParam) internal _quorumParams;
    /// @dev Quorum bitmap history per operator (one slot per entry).
    mapping(bytes32 operatorId => QuorumBitmapUpdate[]) internal _operatorBitmapHistory;
    /// @dev Id and status per operator.
    mapping(address operator => OperatorInfo) internal _operatorInfo;
    /// @dev Socket per operator.
    mapping(bytes32 operatorId => string) internal _operatorSocket;
    /// @inheritdoc IRegistryCoordinator
    mapping(uint8 quorumNumber => uint256) public quorumUpdateBlockNumber;
    /// @inheritdoc IRegistryCoordinator
    mapping(bytes32 salt => bool) public isChurnApproverSaltUsed;
    /// @inheritdoc IRegistryCoordinator
    address public churnApprover;
    /// @inheritdoc IRegistryCoordinator
    address public ejector;
    /// @dev Bit i set = function group i paused.
    uint256 internal _pausedStatus;

    uint256[40] private __gap;

    constructor(
        IServiceManager serviceManager_,
        IStakeRegistry stakeRegistry_,
        IBLSApkRegistry blsApkRegistry_,
        IIndexRegistry indexRegistry_
    ) {
        serviceManager = serviceManager_;
        stakeRegistry = stakeRegistry_;
        blsApkRegistry = blsApkRegistry_;
        indexRegistry = indexRegistry_;
    }
}
