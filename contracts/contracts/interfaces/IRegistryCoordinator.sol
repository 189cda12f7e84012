// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../libraries/BN254.sol";
import {IAVSDirectory} from "./IAVSDirectory.sol";
import {IBLSApkRegistry} from "./IBLSApkRegistry.sol";
import {IIndexRegistry} from "./IIndexRegistry.sol";
import {IServiceManager} from "./IServiceManager.sol";
import {IStakeRegistry} from "./IStakeRegistry.sol";

/// @title IRegistryCoordinator
/// @notice Entry point for operators joining and leaving an AVS's quorums. Keeps each operator's
///         quorum bitmap (with block-stamped history) and drives the BLS APK, stake and index
///         registries, which each own one concern.
interface IRegistryCoordinator {
    /// @notice Lifecycle of an operator in this AVS.
    enum OperatorStatus {
        NEVER_REGISTERED,
        REGISTERED,
        DEREGISTERED
    }

    /// @notice An operator's id (keccak256 of its G1 key) and status.
    struct OperatorInfo {
        bytes32 operatorId;
        OperatorStatus status;
    }

    /// @notice One entry of an operator's quorum bitmap history, packed in one slot.
    struct QuorumBitmapUpdate {
        uint32 updateBlockNumber;
        uint32 nextUpdateBlockNumber;
        uint192 quorumBitmap;
    }

    /// @notice Per-quorum operator-set limits. When the quorum is full, a newcomer may replace an
    ///         operator whose stake is below `kickBIPsOfOperatorStake`/10000 of the newcomer's and
    ///         below `kickBIPsOfTotalStake`/10000 of the quorum total (with the churn approver's signature).
    struct OperatorSetParam {
        uint32 maxOperatorCount;
        uint16 kickBIPsOfOperatorStake;
        uint16 kickBIPsOfTotalStake;
    }

    /// @notice Operator to kick from a full quorum during registerOperatorWithChurn.
    struct OperatorKickParam {
        uint8 quorumNumber;
        address operator;
    }

    /// @notice `operator` joined the AVS (first quorum).
    event OperatorRegistered(address indexed operator, bytes32 indexed operatorId);
    /// @notice `operator` left the AVS (last quorum).
    event OperatorDeregistered(address indexed operator, bytes32 indexed operatorId);
    /// @notice `operatorId`'s quorum bitmap is now `quorumBitmap`.
    event OperatorQuorumBitmapUpdated(bytes32 indexed operatorId, uint192 quorumBitmap);
    /// @notice `operatorId`'s socket (how to reach the operator) is now `socket`.
    event OperatorSocketUpdate(bytes32 indexed operatorId, string socket);
    /// @notice Quorum `quorumNumber` was created.
    event QuorumCreated(uint8 indexed quorumNumber, OperatorSetParam operatorSetParams, uint96 minimumStake);
    /// @notice `quorumNumber`'s operator-set limits changed.
    event OperatorSetParamsUpdated(uint8 indexed quorumNumber, OperatorSetParam operatorSetParams);
    /// @notice Every operator of `quorumNumber` had its stake updated in block `blocknumber`.
    event QuorumBlockNumberUpdated(uint8 indexed quorumNumber, uint256 blocknumber);
    /// @notice The churn approver changed.
    event ChurnApproverUpdated(address previousChurnApprover, address newChurnApprover);
    /// @notice The ejector changed.
    event EjectorUpdated(address previousEjector, address newEjector);
    /// @notice The paused-functions bitmap is now `pausedStatus`.
    event PausedStatusUpdated(uint256 pausedStatus);

    /// @notice The caller is not the ejector.
    error OnlyEjector();
    /// @notice The function is paused (bit `index` of the paused bitmap).
    error FunctionPaused(uint8 index);
    /// @notice Empty quorum numbers.
    error EmptyQuorumNumbers();
    /// @notice A quorum in the input does not exist.
    error QuorumDoesNotExist();
    /// @notice No more quorums can be created.
    error MaxQuorumsReached();
    /// @notice The operator is already registered for some of the quorums.
    error AlreadyRegisteredForQuorums(uint256 overlapBitmap);
    /// @notice The operator is not registered for some of the quorums.
    error NotRegisteredForQuorums(uint256 missingBitmap);
    /// @notice The operator is not registered with this AVS.
    error OperatorNotRegistered(address operator);
    /// @notice Registering would exceed the quorum's maxOperatorCount.
    error MaxOperatorCountReached(uint8 quorumNumber);
    /// @notice Input arrays have different lengths.
    error InputLengthMismatch();
    /// @notice An operator list of updateOperatorsForQuorum does not have the quorum's operator count.
    error QuorumOperatorCountMismatch(uint8 quorumNumber, uint256 given, uint256 expected);
    /// @notice An operator list of updateOperatorsForQuorum is not strictly ascending by address.
    error OperatorsNotSorted(uint8 quorumNumber);
    /// @notice An operator in updateOperatorsForQuorum's list is not in the quorum.
    error OperatorNotInQuorum(uint8 quorumNumber, address operator);
    /// @notice The churn approver's signature has expired.
    error SignatureExpired();
    /// @notice The churn approver's salt was already used.
    error ChurnApproverSaltUsed(bytes32 salt);
    /// @notice The churn approver's signature does not verify.
    error InvalidChurnApproverSignature();
    /// @notice A kick parameter names a quorum the newcomer did not join, or is out of order.
    error InvalidKickQuorum(uint8 quorumNumber);
    /// @notice The newcomer kicked itself.
    error CannotKickSelf();
    /// @notice The operator to kick is not in the quorum.
    error KickedOperatorNotInQuorum(uint8 quorumNumber, address operator);
    /// @notice The newcomer's stake is not large enough to replace the kicked operator.
    error InsufficientStakeForChurn(uint8 quorumNumber);
    /// @notice The kicked operator holds too large a share of the quorum's total stake.
    error CannotKickOperatorAboveThreshold(uint8 quorumNumber);
    /// @notice Churn is only for quorums that would otherwise exceed maxOperatorCount.
    error QuorumNotFull(uint8 quorumNumber);
    /// @notice A full quorum in registerOperatorWithChurn has no kick parameter.
    error MissingKickParam(uint8 quorumNumber);
    /// @notice Bits set in the unpause argument that are not paused, or pause bits being cleared.
    error InvalidPausedStatus();
    /// @notice A required address is zero.
    error ZeroAddress();

    // ------------------------------------------------------------------ operators

    /// @notice Registers the caller for `quorumNumbers`. On its first registration with this AVS the
    ///         BLS key in `params` is registered (proof of possession over
    ///         `pubkeyRegistrationMessageHash(msg.sender)`); when the caller is not currently in any
    ///         quorum, the service manager registers it with the AVSDirectory using `operatorSignature`.
    function registerOperator(
        bytes calldata quorumNumbers,
        string calldata socket,
        IBLSApkRegistry.PubkeyRegistrationParams calldata params,
        IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature
    ) external;

    /// @notice registerOperator for full quorums: for each quorum that would exceed its maximum,
    ///         `operatorKickParams` names the operator to remove, subject to the quorum's kick
    ///         thresholds and to `churnApproverSignature` over
    ///         `calculateOperatorChurnApprovalDigestHash(msg.sender, operatorId, operatorKickParams, salt, expiry)`.
    function registerOperatorWithChurn(
        bytes calldata quorumNumbers,
        string calldata socket,
        IBLSApkRegistry.PubkeyRegistrationParams calldata params,
        OperatorKickParam[] calldata operatorKickParams,
        IAVSDirectory.SignatureWithSaltAndExpiry memory churnApproverSignature,
        IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature
    ) external;

    /// @notice Deregisters the caller from `quorumNumbers`.
    function deregisterOperator(bytes calldata quorumNumbers) external;

    /// @notice Updates the caller's socket.
    function updateSocket(string calldata socket) external;

    // ------------------------------------------------------------------ anyone

    /// @notice Re-reads the stakes of `operators` in all their quorums; operators that fell below a
    ///         quorum's minimum are deregistered from it. Unregistered operators are skipped.
    function updateOperators(address[] calldata operators) external;

    /// @notice Re-reads the stakes of every operator of each quorum and stamps
    ///         `quorumUpdateBlockNumber`. `operatorsPerQuorum[i]` must be the entire operator set
    ///         of `quorumNumbers[i]`, strictly ascending by address.
    function updateOperatorsForQuorum(address[][] calldata operatorsPerQuorum, bytes calldata quorumNumbers)
        external;

    // ------------------------------------------------------------------ roles

    /// @notice Deregisters `operator` from those of `quorumNumbers` it is in. Ejector only.
    function ejectOperator(address operator, bytes calldata quorumNumbers) external;

    /// @notice Creates a quorum. Owner only.
    function createQuorum(
        OperatorSetParam memory operatorSetParams,
        uint96 minimumStake,
        IStakeRegistry.StrategyParams[] memory strategyParams
    ) external;

    /// @notice Changes a quorum's operator-set limits. Owner only.
    function setOperatorSetParams(uint8 quorumNumber, OperatorSetParam memory operatorSetParams) external;

    /// @notice Sets the churn approver. Owner only.
    function setChurnApprover(address churnApprover) external;

    /// @notice Sets the ejector. Owner only.
    function setEjector(address ejector) external;

    /// @notice Pauses the functions whose bits are set in `pausedBits` (bit 0 registration, bit 1
    ///         deregistration, bit 2 stake updates). Owner only.
    function pause(uint256 pausedBits) external;

    /// @notice Unpauses the functions whose bits are set in `unpausedBits`. Owner only.
    function unpause(uint256 unpausedBits) external;

    // ------------------------------------------------------------------ views

    /// @notice The service manager.
    function serviceManager() external view returns (IServiceManager);
    /// @notice The BLS APK registry.
    function blsApkRegistry() external view returns (IBLSApkRegistry);
    /// @notice The stake registry.
    function stakeRegistry() external view returns (IStakeRegistry);
    /// @notice The index registry.
    function indexRegistry() external view returns (IIndexRegistry);

    /// @notice The owner (also the owner of quorum configuration in the registries).
    function owner() external view returns (address);
    /// @notice The churn approver.
    function churnApprover() external view returns (address);
    /// @notice The ejector.
    function ejector() external view returns (address);
    /// @notice The paused-functions bitmap.
    function paused() external view returns (uint256);
    /// @notice Whether function bit `index` is paused.
    function paused(uint8 index) external view returns (bool);

    /// @notice Number of quorums created so far (quorums are numbered 0..quorumCount-1).
    function quorumCount() external view returns (uint8);
    /// @notice Block of the last updateOperatorsForQuorum for `quorumNumber` (0 if never).
    function quorumUpdateBlockNumber(uint8 quorumNumber) external view returns (uint256);
    /// @notice `quorumNumber`'s operator-set limits.
    function getOperatorSetParams(uint8 quorumNumber) external view returns (OperatorSetParam memory);

    /// @notice `operator`'s id and status.
    function getOperator(address operator) external view returns (OperatorInfo memory);
    /// @notice `operator`'s id (0 if it never registered a key here).
    function getOperatorId(address operator) external view returns (bytes32);
    /// @notice The operator with id `operatorId` (address(0) if none).
    function getOperatorFromId(bytes32 operatorId) external view returns (address);
    /// @notice `operator`'s status.
    function getOperatorStatus(address operator) external view returns (OperatorStatus);
    /// @notice `operatorId`'s socket.
    function getOperatorSocket(bytes32 operatorId) external view returns (string memory);

    /// @notice `operatorId`'s current quorum bitmap.
    function getCurrentQuorumBitmap(bytes32 operatorId) external view returns (uint192);
    /// @notice Length of `operatorId`'s bitmap history.
    function getQuorumBitmapHistoryLength(bytes32 operatorId) external view returns (uint256);
    /// @notice Entry `index` of `operatorId`'s bitmap history.
    function getQuorumBitmapUpdateByIndex(bytes32 operatorId, uint256 index)
        external
        view
        returns (QuorumBitmapUpdate memory);
    /// @notice `operatorId`'s bitmap at `blockNumber`, read at history `index`; reverts unless that
    ///         entry is the one in force at `blockNumber`.
    function getQuorumBitmapAtBlockNumberByIndex(bytes32 operatorId, uint32 blockNumber, uint256 index)
        external
        view
        returns (uint192);
    /// @notice For each operator, the index of its bitmap history entry in force at `blockNumber`
    ///         (binary search; reverts NoHistoryAtBlock for an operator with none by then).
    function getQuorumBitmapIndicesAtBlockNumber(uint32 blockNumber, bytes32[] calldata operatorIds)
        external
        view
        returns (uint32[] memory);
    /// @notice `operatorId`'s bitmap at `blockNumber` (binary search; 0 if no history by then).
    function getQuorumBitmapAtBlockNumber(bytes32 operatorId, uint32 blockNumber) external view returns (uint192);
    /// @notice Batch of getQuorumBitmapAtBlockNumberByIndex for the signature checker.
    function getQuorumBitmapsAtBlockNumber(
        bytes32[] calldata operatorIds,
        uint32 blockNumber,
        uint32[] calldata indices
    ) external view returns (uint256[] memory);

    /// @notice The point an operator signs to prove possession of its BLS key: hashToG1 of the
    ///         EIP-712 digest of `BN254PubkeyRegistration(address operator)` over this contract's domain.
    function pubkeyRegistrationMessageHash(address operator) external view returns (BN254.G1Point memory);
    /// @notice The EIP-712 digest behind pubkeyRegistrationMessageHash.
    function calculatePubkeyRegistrationMessageDigest(address operator) external view returns (bytes32);
    /// @notice The EIP-712 digest the churn approver signs.
    function calculateOperatorChurnApprovalDigestHash(
        address registeringOperator,
        bytes32 registeringOperatorId,
        OperatorKickParam[] memory operatorKickParams,
        bytes32 salt,
        uint256 expiry
    ) external view returns (bytes32);
    /// @notice Whether the churn approver's `salt` was used.
    function isChurnApproverSaltUsed(bytes32 salt) external view returns (bool);
}
