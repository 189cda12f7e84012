// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {BlockHistory} from "../libraries/BlockHistory.sol";
import {BN254} from "../libraries/BN254.sol";
import {BLSApkRegistryStorage} from "./BLSApkRegistryStorage.sol";

/// @title BLSApkRegistry
/// @notice BLS keys of operators and the per-quorum aggregate G1 key (APK) with history.
/// @dev Deployed behind a TransparentUpgradeableProxy; has no initializer (no own parameters).
contract BLSApkRegistry is BLSApkRegistryStorage {
    /// @dev keccak256(0, 0): hash of the point at infinity, which is never a valid key.
    bytes32 private constant ZERO_PK_HASH = 0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5;

    modifier onlyRegistryCoordinator() {
        if (msg.sender != registryCoordinator) revert OnlyRegistryCoordinator();
        _;
    }

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to change this registry.
    constructor(address registryCoordinator_) BLSApkRegistryStorage(registryCoordinator_) {}

    // ------------------------------------------------------------------ coordinator only

    /// @inheritdoc IBLSApkRegistry
    function registerBLSPublicKey(
        address operator,
        PubkeyRegistrationParams calldata params,
        BN254.G1Point calldata pubkeyRegistrationMessageHash
    ) external onlyRegistryCoordinator returns (bytes32 operatorId) {
        operatorId = BN254.hashG1Point(params.pubkeyG1);
        if (operatorId == ZERO_PK_HASH) revert ZeroPubkey();
        if (operatorToPubkeyHash[operator] != bytes32(0)) revert OperatorAlreadyHasPubkey(operator);
        if (pubkeyHashToOperator[operatorId] != address(0)) revert PubkeyAlreadyRegistered(operatorId);
        if (
            !BN254.verifyPubkeyRegistration(
                params.pubkeyRegistrationSignature, params.pubkeyG1, params.pubkeyG2, pubkeyRegistrationMessageHash
            )
        ) revert InvalidPubkeyRegistrationSignature();

        operatorToPubkeyHash[operator] = operatorId;
        pubkeyHashToOperator[operatorId] = operator;
        operatorToPubkey[operator] = params.pubkeyG1;
        _operatorToPubkeyG2[operator] = params.pubkeyG2;
        emit NewPubkeyRegistration(operator, params.pubkeyG1, params.pubkeyG2);
    }

    /// @inheritdoc IBLSApkRegistry
    function registerOperator(address operator, bytes calldata quorumNumbers)
        external
        onlyRegistryCoordinator
        returns (bytes24[] memory apkHashes)
    {
        (BN254.G1Point memory pubkey, bytes32 operatorId) = _getRegisteredPubkey(operator);
        apkHashes = _updateQuorumApks(quorumNumbers, pubkey);
        emit OperatorAddedToQuorums(operator, operatorId, quorumNumbers);
    }

    /// @inheritdoc IBLSApkRegistry
    function deregisterOperator(address operator, bytes calldata quorumNumbers)
        external
        onlyRegistryCoordinator
        returns (bytes24[] memory apkHashes)
    {
        (BN254.G1Point memory pubkey, bytes32 operatorId) = _getRegisteredPubkey(operator);
        apkHashes = _updateQuorumApks(quorumNumbers, BN254.negate(pubkey));
        emit OperatorRemovedFromQuorums(operator, operatorId, quorumNumbers);
    }

    /// @inheritdoc IBLSApkRegistry
    function initializeQuorum(uint8 quorumNumber) external onlyRegistryCoordinator {
        ApkUpdate[] storage history = _apkHistory[quorumNumber];
        if (history.length != 0) revert QuorumAlreadyExists(quorumNumber);
        history.push(
            ApkUpdate({
                apkHash: bytes24(ZERO_PK_HASH),
                updateBlockNumber: uint32(block.number),
                nextUpdateBlockNumber: 0
            })
        );
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IBLSApkRegistry
    function getOperatorId(address operator) external view returns (bytes32) {
        return operatorToPubkeyHash[operator];
    }

    /// @inheritdoc IBLSApkRegistry
    function getOperatorFromPubkeyHash(bytes32 pubkeyHash) external view returns (address) {
        return pubkeyHashToOperator[pubkeyHash];
    }

    /// @inheritdoc IBLSApkRegistry
    function getRegisteredPubkey(address operator) external view returns (BN254.G1Point memory, bytes32) {
        return _getRegisteredPubkey(operator);
    }

    /// @inheritdoc IBLSApkRegistry
    function getOperatorPubkeyG2(address operator) external view returns (BN254.G2Point memory) {
        if (operatorToPubkeyHash[operator] == bytes32(0)) revert OperatorHasNoPubkey(operator);
        return _operatorToPubkeyG2[operator];
    }

    /// @inheritdoc IBLSApkRegistry
    function getApk(uint8 quorumNumber) external view returns (BN254.G1Point memory) {
        return currentApk[quorumNumber];
    }

    /// @inheritdoc IBLSApkRegistry
    function getApkHistoryLength(uint8 quorumNumber) external view returns (uint32) {
        return uint32(_apkHistory[quorumNumber].length);
    }

    /// @inheritdoc IBLSApkRegistry
    function getApkUpdateAtIndex(uint8 quorumNumber, uint256 index) external view returns (ApkUpdate memory) {
        return _apkHistory[quorumNumber][index];
    }

    /// @inheritdoc IBLSApkRegistry
    function getApkHashAtBlockNumberAndIndex(uint8 quorumNumber, uint32 blockNumber, uint256 index)
        external
        view
        returns (bytes24)
    {
        return _apkHashAt(quorumNumber, blockNumber, index);
    }

    /// @inheritdoc IBLSApkRegistry
    function getApkHashesAtBlockNumber(bytes calldata quorumNumbers, uint32 blockNumber, uint32[] calldata indices)
        external
        view
        returns (bytes24[] memory apkHashes)
    {
        uint256 length = quorumNumbers.length;
        if (indices.length != length) revert InputLengthMismatch();
        apkHashes = new bytes24[](length);
        for (uint256 i = 0; i < length; ++i) {
            apkHashes[i] = _apkHashAt(uint8(quorumNumbers[i]), blockNumber, indices[i]);
        }
    }

    /// @inheritdoc IBLSApkRegistry
    function getApkIndicesAtBlockNumber(bytes calldata quorumNumbers, uint32 blockNumber)
        external
        view
        returns (uint32[] memory indices)
    {
        indices = new uint32[](quorumNumbers.length);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            ApkUpdate[] storage history = _apkHistory[quorumNumber];
            if (history.length == 0) revert QuorumDoesNotExist(quorumNumber);
            (bool found, uint256 index) = _search(history, blockNumber);
            if (!found) revert BlockHistory.NoHistoryAtBlock(blockNumber);
            indices[i] = uint32(index);
        }
    }

    // ------------------------------------------------------------------ internals

    function _getRegisteredPubkey(address operator) internal view returns (BN254.G1Point memory, bytes32) {
        bytes32 operatorId = operatorToPubkeyHash[operator];
        if (operatorId == bytes32(0)) revert OperatorHasNoPubkey(operator);
        return (operatorToPubkey[operator], operatorId);
    }

    /// @dev Adds `point` to each quorum's APK and records the new APK hash (one entry per block).
    function _updateQuorumApks(bytes calldata quorumNumbers, BN254.G1Point memory point)
        internal
        returns (bytes24[] memory apkHashes)
    {
        uint32 blockNumber = uint32(block.number);
        apkHashes = new bytes24[](quorumNumbers.length);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            ApkUpdate[] storage history = _apkHistory[quorumNumber];
            uint256 length = history.length;
            if (length == 0) revert QuorumDoesNotExist(quorumNumber);

            BN254.G1Point memory newApk = BN254.plus(currentApk[quorumNumber], point);
            currentApk[quorumNumber] = newApk;
            bytes24 newApkHash = bytes24(BN254.hashG1Point(newApk));
            apkHashes[i] = newApkHash;

            ApkUpdate storage last = history[length - 1];
            if (last.updateBlockNumber == blockNumber) {
                last.apkHash = newApkHash;
            } else {
                last.nextUpdateBlockNumber = blockNumber;
                history.push(ApkUpdate({apkHash: newApkHash, updateBlockNumber: blockNumber, nextUpdateBlockNumber: 0}));
            }
        }
    }

    /// @dev Reads entry `index` without the array-length SLOAD (hot path). A read past the end
    ///      yields an all-zero entry, which checkEntryAt rejects (updateBlockNumber 0).
    function _apkHashAt(uint8 quorumNumber, uint32 blockNumber, uint256 index) internal view returns (bytes24) {
        ApkUpdate storage entry = _unsafeAt(_apkHistory[quorumNumber], index);
        uint32 updateBlockNumber = entry.updateBlockNumber;
        BlockHistory.checkEntryAt(updateBlockNumber, entry.nextUpdateBlockNumber, blockNumber, index);
        return entry.apkHash;
    }

    /// @dev BlockHistory.search over an APK history: one slot an entry, updateBlockNumber right
    ///      above the 24-byte apkHash.
    function _search(ApkUpdate[] storage history, uint32 blockNumber) private view returns (bool, uint256) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := history.slot
        }
        return BlockHistory.search({history: slot, entrySlots: 1, stampShift: 192, blockNumber: blockNumber});
    }

    function _unsafeAt(ApkUpdate[] storage history, uint256 index) private pure returns (ApkUpdate storage entry) {
        assembly ("memory-safe") {
            mstore(0x00, history.slot)
            entry.slot := add(keccak256(0x00, 0x20), index)
        }
    }
}
