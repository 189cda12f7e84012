// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IAVSDirectory} from "../interfaces/IAVSDirectory.sol";
import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IIndexRegistry} from "../interfaces/IIndexRegistry.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IServiceManager} from "../interfaces/IServiceManager.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {BlockHistory} from "../libraries/BlockHistory.sol";
import {BN254} from "../libraries/BN254.sol";
import {QuorumBitmap} from "../libraries/QuorumBitmap.sol";
import {RegistryCoordinatorStorage} from "./RegistryCoordinatorStorage.sol";

/// @title RegistryCoordinator
/// @notice Operators join and leave the AVS's quorums here. The coordinator keeps each operator's
///         quorum bitmap history and drives the BLS APK, stake and index registries.
/// @dev Deployed behind a TransparentUpgradeableProxy. Roles: owner (quorums, roles, pausing),
///      ejector (ejectOperator), churn approver (signs churn registrations).
contract RegistryCoordinator is Initializable, OwnableUpgradeable, EIP712Upgradeable, RegistryCoordinatorStorage {
    modifier whenNotPaused(uint8 index) {
        if ((_pausedStatus >> index) & 1 == 1) revert FunctionPaused(index);
        _;
    }

    modifier onlyEjector() {
        if (msg.sender != ejector) revert OnlyEjector();
        _;
    }

    /// @notice Sets the registries (their proxies) as immutables and locks the implementation.
    constructor(
        IServiceManager serviceManager_,
        IStakeRegistry stakeRegistry_,
        IBLSApkRegistry blsApkRegistry_,
        IIndexRegistry indexRegistry_
    ) RegistryCoordinatorStorage(serviceManager_, stakeRegistry_, blsApkRegistry_, indexRegistry_) {
        _disableInitializers();
    }

    /// @notice Initializes the proxy: owner, roles, paused bitmap and the first quorums.
    /// @dev The registries must already run their implementations (createQuorum calls them).
    /// @param operatorSetParams,minimumStakes,strategyParams One entry per quorum to create.
    function initialize(
        address initialOwner,
        address churnApprover_,
        address ejector_,
        uint256 initialPausedStatus,
        OperatorSetParam[] calldata operatorSetParams,
        uint96[] calldata minimumStakes,
        IStakeRegistry.StrategyParams[][] calldata strategyParams
    ) external initializer {
        __Ownable_init(initialOwner);
        __EIP712_init("AVSRegistryCoordinator", "v0.0.1");
        _setChurnApprover(churnApprover_);
        _setEjector(ejector_);
        _pausedStatus = initialPausedStatus;
        emit PausedStatusUpdated(initialPausedStatus);
        if (operatorSetParams.length != minimumStakes.length || operatorSetParams.length != strategyParams.length) {
            revert InputLengthMismatch();
        }
        for (uint256 i = 0; i < operatorSetParams.length; ++i) {
            _createQuorum(operatorSetParams[i], minimumStakes[i], strategyParams[i]);
        }
    }

    // ------------------------------------------------------------------ operators

    /// @inheritdoc IRegistryCoordinator
    function registerOperator(
        bytes calldata quorumNumbers,
        string calldata socket,
        IBLSApkRegistry.PubkeyRegistrationParams calldata params,
        IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature
    ) external whenNotPaused(PAUSED_REGISTER_OPERATOR) {
        bytes32 operatorId = _getOrCreateOperatorId(msg.sender, params);
        uint32[] memory counts = _registerOperator(msg.sender, operatorId, quorumNumbers, socket, operatorSignature);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            if (counts[i] > _quorumParams[quorumNumber].maxOperatorCount) revert MaxOperatorCountReached(quorumNumber);
        }
    }

    /// @inheritdoc IRegistryCoordinator
    /// @dev `operatorKickParams` lists, in ascending quorum order, exactly the quorums that would
    ///      exceed maxOperatorCount after this registration.
    function registerOperatorWithChurn(
        bytes calldata quorumNumbers,
        string calldata socket,
        IBLSApkRegistry.PubkeyRegistrationParams calldata params,
        OperatorKickParam[] calldata operatorKickParams,
        IAVSDirectory.SignatureWithSaltAndExpiry memory churnApproverSignature,
        IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature
    ) external whenNotPaused(PAUSED_REGISTER_OPERATOR) {
        bytes32 operatorId = _getOrCreateOperatorId(msg.sender, params);
        _useChurnApproval(msg.sender, operatorId, operatorKickParams, churnApproverSignature);
        uint32[] memory counts = _registerOperator(msg.sender, operatorId, quorumNumbers, socket, operatorSignature);

        uint256 next = 0;
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            OperatorSetParam memory setParams = _quorumParams[quorumNumber];
            bool hasKick = next < operatorKickParams.length && operatorKickParams[next].quorumNumber == quorumNumber;
            if (counts[i] > setParams.maxOperatorCount) {
                if (!hasKick) revert MissingKickParam(quorumNumber);
                _kickForChurn(quorumNumber, operatorId, operatorKickParams[next].operator, setParams);
                ++next;
            } else if (hasKick) {
                revert QuorumNotFull(quorumNumber);
            }
        }
        if (next != operatorKickParams.length) revert InvalidKickQuorum(operatorKickParams[next].quorumNumber);
    }

    /// @inheritdoc IRegistryCoordinator
    function deregisterOperator(bytes calldata quorumNumbers) external whenNotPaused(PAUSED_DEREGISTER_OPERATOR) {
        _deregisterOperator(msg.sender, quorumNumbers);
    }

    /// @inheritdoc IRegistryCoordinator
    function updateSocket(string calldata socket) external {
        OperatorInfo memory info = _operatorInfo[msg.sender];
        if (info.status != OperatorStatus.REGISTERED) revert OperatorNotRegistered(msg.sender);
        _setSocket(info.operatorId, socket);
    }

    // ------------------------------------------------------------------ stake updates (anyone)

    /// @inheritdoc IRegistryCoordinator
    function updateOperators(address[] calldata operators) external whenNotPaused(PAUSED_UPDATE_OPERATOR) {
        for (uint256 i = 0; i < operators.length; ++i) {
            OperatorInfo memory info = _operatorInfo[operators[i]];
            if (info.status != OperatorStatus.REGISTERED) continue;
            bytes memory quorumNumbers = QuorumBitmap.toNumbers(_currentBitmap(info.operatorId));
            uint256 quorumsToRemove = stakeRegistry.updateOperatorStake(operators[i], info.operatorId, quorumNumbers);
            if (quorumsToRemove != 0) _deregisterOperator(operators[i], QuorumBitmap.toNumbers(quorumsToRemove));
        }
    }

    /// @inheritdoc IRegistryCoordinator
    function updateOperatorsForQuorum(address[][] calldata operatorsPerQuorum, bytes calldata quorumNumbers)
        external
        whenNotPaused(PAUSED_UPDATE_OPERATOR)
    {
        _requireValidQuorums(QuorumBitmap.fromNumbersCalldata(quorumNumbers));
        if (operatorsPerQuorum.length != quorumNumbers.length) revert InputLengthMismatch();
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            address[] calldata operators = operatorsPerQuorum[i];
            uint256 expected = indexRegistry.totalOperatorsForQuorum(quorumNumber);
            if (operators.length != expected) {
                revert QuorumOperatorCountMismatch(quorumNumber, operators.length, expected);
            }
            // Strictly ascending + every one in the quorum + the quorum's count = the whole quorum.
            // Membership is checked by the stake registry, whose per-quorum flag changes with the
            // bitmap (it reverts OperatorNotInQuorum), so the bitmap history is not read here.
            bytes32[] memory operatorIds = new bytes32[](operators.length);
            address previous = address(0);
            for (uint256 j = 0; j < operators.length; ++j) {
                address operator = operators[j];
                if (operator <= previous) revert OperatorsNotSorted(quorumNumber);
                operatorIds[j] = _operatorInfo[operator].operatorId;
                previous = operator;
            }
            uint256[] memory belowMinimum = stakeRegistry.updateOperatorsStake(operators, operatorIds, quorumNumber);
            if (belowMinimum.length != 0) {
                bytes memory single = abi.encodePacked(quorumNumber);
                for (uint256 j = 0; j < belowMinimum.length; ++j) {
                    _deregisterOperator(operators[belowMinimum[j]], single);
                }
            }
            quorumUpdateBlockNumber[quorumNumber] = block.number;
            emit QuorumBlockNumberUpdated(quorumNumber, block.number);
        }
    }

    // ------------------------------------------------------------------ roles

    /// @inheritdoc IRegistryCoordinator
    function ejectOperator(address operator, bytes calldata quorumNumbers) external onlyEjector {
        OperatorInfo memory info = _operatorInfo[operator];
        if (info.status != OperatorStatus.REGISTERED) revert OperatorNotRegistered(operator);
        uint256 toRemove = QuorumBitmap.fromNumbersCalldata(quorumNumbers) & _currentBitmap(info.operatorId);
        if (toRemove != 0) _deregisterOperator(operator, QuorumBitmap.toNumbers(toRemove));
    }

    /// @inheritdoc IRegistryCoordinator
    function createQuorum(
        OperatorSetParam memory operatorSetParams,
        uint96 minimumStake,
        IStakeRegistry.StrategyParams[] memory strategyParams
    ) external onlyOwner {
        _createQuorum(operatorSetParams, minimumStake, strategyParams);
    }

    /// @inheritdoc IRegistryCoordinator
    function setOperatorSetParams(uint8 quorumNumber, OperatorSetParam memory operatorSetParams) external onlyOwner {
        if (quorumNumber >= quorumCount) revert QuorumDoesNotExist();
        _setOperatorSetParams(quorumNumber, operatorSetParams);
    }

    /// @inheritdoc IRegistryCoordinator
    function setChurnApprover(address churnApprover_) external onlyOwner {
        _setChurnApprover(churnApprover_);
    }

    /// @inheritdoc IRegistryCoordinator
    function setEjector(address ejector_) external onlyOwner {
        _setEjector(ejector_);
    }

    /// @inheritdoc IRegistryCoordinator
    function pause(uint256 pausedBits) external onlyOwner {
        _pausedStatus |= pausedBits;
        emit PausedStatusUpdated(_pausedStatus);
    }

    /// @inheritdoc IRegistryCoordinator
    function unpause(uint256 unpausedBits) external onlyOwner {
        _pausedStatus &= ~unpausedBits;
        emit PausedStatusUpdated(_pausedStatus);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRegistryCoordinator
    function owner() public view override(OwnableUpgradeable, IRegistryCoordinator) returns (address) {
        return super.owner();
    }

    /// @inheritdoc IRegistryCoordinator
    function paused() external view returns (uint256) {
        return _pausedStatus;
    }

    /// @inheritdoc IRegistryCoordinator
    function paused(uint8 index) external view returns (bool) {
        return (_pausedStatus >> index) & 1 == 1;
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperatorSetParams(uint8 quorumNumber) external view returns (OperatorSetParam memory) {
        return _quorumParams[quorumNumber];
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperator(address operator) external view returns (OperatorInfo memory) {
        return _operatorInfo[operator];
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperatorId(address operator) external view returns (bytes32) {
        return _operatorInfo[operator].operatorId;
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperatorFromId(bytes32 operatorId) external view returns (address) {
        return blsApkRegistry.getOperatorFromPubkeyHash(operatorId);
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperatorStatus(address operator) external view returns (OperatorStatus) {
        return _operatorInfo[operator].status;
    }

    /// @inheritdoc IRegistryCoordinator
    function getOperatorSocket(bytes32 operatorId) external view returns (string memory) {
        return _operatorSocket[operatorId];
    }

    /// @inheritdoc IRegistryCoordinator
    function getCurrentQuorumBitmap(bytes32 operatorId) external view returns (uint192) {
        return uint192(_currentBitmap(operatorId));
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapHistoryLength(bytes32 operatorId) external view returns (uint256) {
        return _operatorBitmapHistory[operatorId].length;
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapUpdateByIndex(bytes32 operatorId, uint256 index)
        external
        view
        returns (QuorumBitmapUpdate memory)
    {
        return _operatorBitmapHistory[operatorId][index];
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapAtBlockNumberByIndex(bytes32 operatorId, uint32 blockNumber, uint256 index)
        external
        view
        returns (uint192)
    {
        return _bitmapAt(operatorId, blockNumber, index);
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapsAtBlockNumber(
        bytes32[] calldata operatorIds,
        uint32 blockNumber,
        uint32[] calldata indices
    ) external view returns (uint256[] memory bitmaps) {
        uint256 length = operatorIds.length;
        if (indices.length != length) revert InputLengthMismatch();
        bitmaps = new uint256[](length);
        for (uint256 i = 0; i < length; ++i) {
            bitmaps[i] = _bitmapAt(operatorIds[i], blockNumber, indices[i]);
        }
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapIndicesAtBlockNumber(uint32 blockNumber, bytes32[] calldata operatorIds)
        external
        view
        returns (uint32[] memory indices)
    {
        indices = new uint32[](operatorIds.length);
        for (uint256 i = 0; i < operatorIds.length; ++i) {
            (bool found, uint256 index) = _searchBitmap(operatorIds[i], blockNumber);
            if (!found) revert BlockHistory.NoHistoryAtBlock(blockNumber);
            indices[i] = uint32(index);
        }
    }

    /// @inheritdoc IRegistryCoordinator
    function getQuorumBitmapAtBlockNumber(bytes32 operatorId, uint32 blockNumber) external view returns (uint192) {
        (bool found, uint256 index) = _searchBitmap(operatorId, blockNumber);
        return found ? _operatorBitmapHistory[operatorId][index].quorumBitmap : 0;
    }

    /// @inheritdoc IRegistryCoordinator
    function pubkeyRegistrationMessageHash(address operator) public view returns (BN254.G1Point memory) {
        return BN254.hashToG1(calculatePubkeyRegistrationMessageDigest(operator));
    }

    /// @inheritdoc IRegistryCoordinator
    function calculatePubkeyRegistrationMessageDigest(address operator) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PUBKEY_REGISTRATION_TYPEHASH, operator)));
    }

    /// @inheritdoc IRegistryCoordinator
    function calculateOperatorChurnApprovalDigestHash(
        address registeringOperator,
        bytes32 registeringOperatorId,
        OperatorKickParam[] memory operatorKickParams,
        bytes32 salt,
        uint256 expiry
    ) public view returns (bytes32) {
        bytes32[] memory kickHashes = new bytes32[](operatorKickParams.length);
        for (uint256 i = 0; i < operatorKickParams.length; ++i) {
            kickHashes[i] = keccak256(
                abi.encode(
                    OPERATOR_KICK_PARAM_TYPEHASH, operatorKickParams[i].quorumNumber, operatorKickParams[i].operator
                )
            );
        }
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    OPERATOR_CHURN_APPROVAL_TYPEHASH,
                    registeringOperator,
                    registeringOperatorId,
                    keccak256(abi.encodePacked(kickHashes)),
                    salt,
                    expiry
                )
            )
        );
    }

    // ------------------------------------------------------------------ internals

    /// @dev The operator's id; registers its BLS key (with proof of possession) the first time.
    function _getOrCreateOperatorId(address operator, IBLSApkRegistry.PubkeyRegistrationParams calldata params)
        internal
        returns (bytes32 operatorId)
    {
        operatorId = blsApkRegistry.getOperatorId(operator);
        if (operatorId == bytes32(0)) {
            operatorId = blsApkRegistry.registerBLSPublicKey(operator, params, pubkeyRegistrationMessageHash(operator));
        }
    }

    /// @dev Adds the quorums to the operator's bitmap and to every registry. Registers with the
    ///      AVSDirectory when the operator is not currently registered. Returns the new counts.
    function _registerOperator(
        address operator,
        bytes32 operatorId,
        bytes calldata quorumNumbers,
        string calldata socket,
        IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature
    ) internal returns (uint32[] memory) {
        uint256 bitmap = QuorumBitmap.fromNumbersCalldata(quorumNumbers);
        _requireValidQuorums(bitmap);
        uint256 current = _currentBitmap(operatorId);
        if (bitmap & current != 0) revert AlreadyRegisteredForQuorums(bitmap & current);
        _updateBitmap(operatorId, current | bitmap);

        OperatorInfo storage info = _operatorInfo[operator];
        if (info.status != OperatorStatus.REGISTERED) {
            serviceManager.registerOperatorToAVS(operator, operatorSignature);
            info.operatorId = operatorId;
            info.status = OperatorStatus.REGISTERED;
            emit OperatorRegistered(operator, operatorId);
        }
        _setSocket(operatorId, socket);

        _updateApks(operator, quorumNumbers, true);
        stakeRegistry.registerOperator(operator, operatorId, quorumNumbers);
        return indexRegistry.registerOperator(operatorId, quorumNumbers);
    }

    /// @dev Removes the quorums from the operator's bitmap and from every registry; deregisters
    ///      from the AVSDirectory when no quorum is left.
    function _deregisterOperator(address operator, bytes memory quorumNumbers) internal {
        OperatorInfo storage info = _operatorInfo[operator];
        if (info.status != OperatorStatus.REGISTERED) revert OperatorNotRegistered(operator);
        bytes32 operatorId = info.operatorId;
        uint256 bitmap = QuorumBitmap.fromNumbers(quorumNumbers);
        _requireValidQuorums(bitmap);
        uint256 current = _currentBitmap(operatorId);
        uint256 missing = bitmap & ~current;
        if (missing != 0) revert NotRegisteredForQuorums(missing);
        uint256 remaining = current & ~bitmap;
        _updateBitmap(operatorId, remaining);

        if (remaining == 0) {
            info.status = OperatorStatus.DEREGISTERED;
            serviceManager.deregisterOperatorFromAVS(operator);
            emit OperatorDeregistered(operator, operatorId);
        }

        _updateApks(operator, quorumNumbers, false);
        stakeRegistry.deregisterOperator(operatorId, quorumNumbers);
        indexRegistry.deregisterOperator(operatorId, quorumNumbers);
    }

    /// @dev Adds the operator's key to (or removes it from) the quorums' APKs and hands the new
    ///      APK hashes to the stake registry's copy, in the same transaction.
    function _updateApks(address operator, bytes memory quorumNumbers, bool adding) internal {
        bytes24[] memory apkHashes = adding
            ? blsApkRegistry.registerOperator(operator, quorumNumbers)
            : blsApkRegistry.deregisterOperator(operator, quorumNumbers);
        stakeRegistry.updateApkHashes(quorumNumbers, apkHashes);
    }

    /// @dev Checks and spends the churn approver's signature.
    function _useChurnApproval(
        address registeringOperator,
        bytes32 registeringOperatorId,
        OperatorKickParam[] calldata operatorKickParams,
        IAVSDirectory.SignatureWithSaltAndExpiry memory signature
    ) internal {
        if (signature.expiry < block.timestamp) revert SignatureExpired();
        if (isChurnApproverSaltUsed[signature.salt]) revert ChurnApproverSaltUsed(signature.salt);
        bytes32 digest = calculateOperatorChurnApprovalDigestHash(
            registeringOperator, registeringOperatorId, operatorKickParams, signature.salt, signature.expiry
        );
        if (!SignatureChecker.isValidSignatureNow(churnApprover, digest, signature.signature)) {
            revert InvalidChurnApproverSignature();
        }
        isChurnApproverSaltUsed[signature.salt] = true;
    }

    /// @dev Removes `operatorToKick` from the full quorum if the newcomer outweighs it enough and
    ///      it holds a small enough share of the quorum (all comparisons exact, in uint256).
    function _kickForChurn(
        uint8 quorumNumber,
        bytes32 newOperatorId,
        address operatorToKick,
        OperatorSetParam memory setParams
    ) internal {
        if (operatorToKick == msg.sender) revert CannotKickSelf();
        OperatorInfo memory kicked = _operatorInfo[operatorToKick];
        if (
            kicked.status != OperatorStatus.REGISTERED
                || !QuorumBitmap.isSet(_currentBitmap(kicked.operatorId), quorumNumber)
        ) revert KickedOperatorNotInQuorum(quorumNumber, operatorToKick);

        uint256 newStake = stakeRegistry.getCurrentStake(newOperatorId, quorumNumber);
        uint256 kickedStake = stakeRegistry.getCurrentStake(kicked.operatorId, quorumNumber);
        uint256 totalStake = stakeRegistry.getCurrentTotalStake(quorumNumber);
        // newStake > kickedStake · kickBIPsOfOperatorStake / 10000
        if (newStake * BIPS_DENOMINATOR <= kickedStake * setParams.kickBIPsOfOperatorStake) {
            revert InsufficientStakeForChurn(quorumNumber);
        }
        // kickedStake < totalStake · kickBIPsOfTotalStake / 10000
        if (kickedStake * BIPS_DENOMINATOR >= totalStake * setParams.kickBIPsOfTotalStake) {
            revert CannotKickOperatorAboveThreshold(quorumNumber);
        }
        _deregisterOperator(operatorToKick, abi.encodePacked(quorumNumber));
    }

    function _createQuorum(
        OperatorSetParam memory operatorSetParams,
        uint96 minimumStake,
        IStakeRegistry.StrategyParams[] memory strategyParams
    ) internal {
        uint8 quorumNumber = quorumCount;
        if (quorumNumber >= QuorumBitmap.MAX_QUORUM_COUNT) revert MaxQuorumsReached();
        quorumCount = quorumNumber + 1;
        _setOperatorSetParams(quorumNumber, operatorSetParams);
        stakeRegistry.initializeQuorum(quorumNumber, minimumStake, strategyParams);
        indexRegistry.initializeQuorum(quorumNumber);
        blsApkRegistry.initializeQuorum(quorumNumber);
        emit QuorumCreated(quorumNumber, operatorSetParams, minimumStake);
    }

    function _setOperatorSetParams(uint8 quorumNumber, OperatorSetParam memory operatorSetParams) internal {
        _quorumParams[quorumNumber] = operatorSetParams;
        emit OperatorSetParamsUpdated(quorumNumber, operatorSetParams);
    }

    function _setChurnApprover(address newChurnApprover) internal {
        emit ChurnApproverUpdated(churnApprover, newChurnApprover);
        churnApprover = newChurnApprover;
    }

    function _setEjector(address newEjector) internal {
        emit EjectorUpdated(ejector, newEjector);
        ejector = newEjector;
    }

    function _setSocket(bytes32 operatorId, string calldata socket) internal {
        _operatorSocket[operatorId] = socket;
        emit OperatorSocketUpdate(operatorId, socket);
    }

    function _requireValidQuorums(uint256 bitmap) internal view {
        if (bitmap == 0) revert EmptyQuorumNumbers();
        if (bitmap >> quorumCount != 0) revert QuorumDoesNotExist();
    }

    function _currentBitmap(bytes32 operatorId) internal view returns (uint256) {
        QuorumBitmapUpdate[] storage history = _operatorBitmapHistory[operatorId];
        uint256 length = history.length;
        return length == 0 ? 0 : history[length - 1].quorumBitmap;
    }

    /// @dev Same block: overwrite the last entry. Otherwise close it and append.
    function _updateBitmap(bytes32 operatorId, uint256 newBitmap) internal {
        QuorumBitmapUpdate[] storage history = _operatorBitmapHistory[operatorId];
        uint256 length = history.length;
        uint32 blockNumber = uint32(block.number);
        if (length != 0 && history[length - 1].updateBlockNumber == blockNumber) {
            history[length - 1].quorumBitmap = uint192(newBitmap);
        } else {
            if (length != 0) history[length - 1].nextUpdateBlockNumber = blockNumber;
            history.push(
                QuorumBitmapUpdate({
                    updateBlockNumber: blockNumber,
                    nextUpdateBlockNumber: 0,
                    quorumBitmap: uint192(newBitmap)
                })
            );
        }
        emit OperatorQuorumBitmapUpdated(operatorId, uint192(newBitmap));
    }

    /// @dev Index-checked read without the array-length SLOAD; a read past the end yields an
    ///      all-zero entry, which checkEntryAt rejects.
    function _bitmapAt(bytes32 operatorId, uint32 blockNumber, uint256 index) internal view returns (uint192) {
        QuorumBitmapUpdate[] storage history = _operatorBitmapHistory[operatorId];
        QuorumBitmapUpdate storage entry;
        assembly ("memory-safe") {
            mstore(0x00, history.slot)
            entry.slot := add(keccak256(0x00, 0x20), index)
        }
        QuorumBitmapUpdate memory update = entry;
        BlockHistory.checkEntryAt(update.updateBlockNumber, update.nextUpdateBlockNumber, blockNumber, index);
        return update.quorumBitmap;
    }

    /// @dev BlockHistory.search over an operator's bitmap history: one slot an entry,
    ///      updateBlockNumber first.
    function _searchBitmap(bytes32 operatorId, uint32 blockNumber) internal view returns (bool, uint256) {
        QuorumBitmapUpdate[] storage history = _operatorBitmapHistory[operatorId];
        uint256 slot;
        assembly ("memory-safe") {
            slot := history.slot
        }
        return BlockHistory.search({history: slot, entrySlots: 1, stampShift: 0, blockNumber: blockNumber});
    }
}
