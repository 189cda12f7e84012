// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IIndexRegistry} from "../interfaces/IIndexRegistry.sol";
import {BlockHistory} from "../libraries/BlockHistory.sol";
import {IndexRegistryStorage} from "./IndexRegistryStorage.sol";

/// @title IndexRegistry
/// @notice Operator list of each quorum. Removal moves the last operator into the freed
///         position (swap-and-pop). Counts and position occupants are block-stamped, so the list
///         at any past block can be rebuilt (OperatorStateRetriever does so).
/// @dev Deployed behind a TransparentUpgradeableProxy; has no initializer.
contract IndexRegistry is IndexRegistryStorage {
    modifier onlyRegistryCoordinator() {
        if (msg.sender != registryCoordinator) revert OnlyRegistryCoordinator();
        _;
    }

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to change this registry.
    constructor(address registryCoordinator_) IndexRegistryStorage(registryCoordinator_) {}

    // ------------------------------------------------------------------ coordinator only

    /// @inheritdoc IIndexRegistry
    function registerOperator(bytes32 operatorId, bytes calldata quorumNumbers)
        external
        onlyRegistryCoordinator
        returns (uint32[] memory numOperatorsPerQuorum)
    {
        numOperatorsPerQuorum = new uint32[](quorumNumbers.length);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            uint32 count = _currentCount(quorumNumber);
            if (_operatorIndexPlusOne[quorumNumber][operatorId] != 0) {
                revert OperatorAlreadyInQuorum(operatorId, quorumNumber);
            }
            _setOccupant(quorumNumber, count, operatorId);
            _operatorIndexPlusOne[quorumNumber][operatorId] = count + 1;
            _recordCount(quorumNumber, count + 1);
            numOperatorsPerQuorum[i] = count + 1;
            emit QuorumIndexUpdate(operatorId, quorumNumber, count);
        }
    }

    /// @inheritdoc IIndexRegistry
    function deregisterOperator(bytes32 operatorId, bytes calldata quorumNumbers) external onlyRegistryCoordinator {
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            uint32 count = _currentCount(quorumNumber);
            uint32 indexPlusOne = _operatorIndexPlusOne[quorumNumber][operatorId];
            if (indexPlusOne == 0) revert OperatorNotInQuorum(operatorId, quorumNumber);
            uint32 index = indexPlusOne - 1;
            uint32 lastIndex = count - 1;
            if (index != lastIndex) {
                bytes32 lastOperatorId = _currentOccupant(quorumNumber, lastIndex);
                _setOccupant(quorumNumber, index, lastOperatorId);
                _operatorIndexPlusOne[quorumNumber][lastOperatorId] = indexPlusOne;
                emit QuorumIndexUpdate(lastOperatorId, quorumNumber, index);
            }
            delete _operatorIndexPlusOne[quorumNumber][operatorId];
            _recordCount(quorumNumber, lastIndex);
        }
    }

    /// @inheritdoc IIndexRegistry
    function initializeQuorum(uint8 quorumNumber) external onlyRegistryCoordinator {
        QuorumUpdate[] storage history = _countHistory[quorumNumber];
        if (history.length != 0) revert QuorumAlreadyExists(quorumNumber);
        history.push(QuorumUpdate({fromBlockNumber: uint32(block.number), numOperators: 0}));
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IIndexRegistry
    function totalOperatorsForQuorum(uint8 quorumNumber) external view returns (uint32) {
        QuorumUpdate[] storage history = _countHistory[quorumNumber];
        uint256 length = history.length;
        return length == 0 ? 0 : history[length - 1].numOperators;
    }

    /// @inheritdoc IIndexRegistry
    function currentOperatorIndex(uint8 quorumNumber, bytes32 operatorId) external view returns (uint32) {
        uint32 indexPlusOne = _operatorIndexPlusOne[quorumNumber][operatorId];
        if (indexPlusOne == 0) revert OperatorNotInQuorum(operatorId, quorumNumber);
        return indexPlusOne - 1;
    }

    /// @inheritdoc IIndexRegistry
    function getCurrentOperatorList(uint8 quorumNumber) external view returns (bytes32[] memory list) {
        uint32 count = _currentCount(quorumNumber);
        list = new bytes32[](count);
        for (uint32 i = 0; i < count; ++i) {
            list[i] = _currentOccupant(quorumNumber, i);
        }
    }

    /// @inheritdoc IIndexRegistry
    function getOperatorCountAtBlockNumber(uint8 quorumNumber, uint32 blockNumber) public view returns (uint32) {
        QuorumUpdate[] storage history = _countHistory[quorumNumber];
        if (history.length == 0) revert QuorumDoesNotExist(quorumNumber);
        (bool found, uint256 index) = _search(history, blockNumber);
        if (!found) revert QuorumDidNotExistAtBlock(quorumNumber, blockNumber);
        return history[index].numOperators;
    }

    /// @inheritdoc IIndexRegistry
    function getOperatorListAtBlockNumber(uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (bytes32[] memory list)
    {
        uint32 count = getOperatorCountAtBlockNumber(quorumNumber, blockNumber);
        list = new bytes32[](count);
        for (uint32 i = 0; i < count; ++i) {
            OperatorUpdate[] storage history = _indexHistory[quorumNumber][i];
            (bool found, uint256 index) = _search(history, blockNumber);
            // Every position below the count at a block was filled at or before that block.
            assert(found);
            list[i] = history[index].operatorId;
        }
    }

    /// @inheritdoc IIndexRegistry
    function getQuorumUpdateHistory(uint8 quorumNumber) external view returns (QuorumUpdate[] memory) {
        return _countHistory[quorumNumber];
    }

    /// @inheritdoc IIndexRegistry
    function getOperatorIndexHistory(uint8 quorumNumber, uint32 operatorIndex)
        external
        view
        returns (OperatorUpdate[] memory)
    {
        return _indexHistory[quorumNumber][operatorIndex];
    }

    // ------------------------------------------------------------------ internals

    function _currentCount(uint8 quorumNumber) internal view returns (uint32) {
        QuorumUpdate[] storage history = _countHistory[quorumNumber];
        uint256 length = history.length;
        if (length == 0) revert QuorumDoesNotExist(quorumNumber);
        return history[length - 1].numOperators;
    }

    function _currentOccupant(uint8 quorumNumber, uint32 index) internal view returns (bytes32) {
        OperatorUpdate[] storage history = _indexHistory[quorumNumber][index];
        return history[history.length - 1].operatorId;
    }

    /// @dev Same block: overwrite. Otherwise append.
    function _setOccupant(uint8 quorumNumber, uint32 index, bytes32 operatorId) internal {
        OperatorUpdate[] storage history = _indexHistory[quorumNumber][index];
        uint256 length = history.length;
        uint32 blockNumber = uint32(block.number);
        if (length != 0 && history[length - 1].fromBlockNumber == blockNumber) {
            history[length - 1].operatorId = operatorId;
        } else {
            history.push(OperatorUpdate({fromBlockNumber: blockNumber, operatorId: operatorId}));
        }
    }

    /// @dev BlockHistory.search over a count history: one slot an entry, fromBlockNumber first.
    function _search(QuorumUpdate[] storage history, uint32 blockNumber) private view returns (bool, uint256) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := history.slot
        }
        return BlockHistory.search({history: slot, entrySlots: 1, stampShift: 0, blockNumber: blockNumber});
    }

    /// @dev BlockHistory.search over a position's history: two slots an entry (fromBlockNumber,
    ///      then operatorId).
    function _search(OperatorUpdate[] storage history, uint32 blockNumber) private view returns (bool, uint256) {
        uint256 slot;
        assembly ("memory-safe") {
            slot := history.slot
        }
        return BlockHistory.search({history: slot, entrySlots: 2, stampShift: 0, blockNumber: blockNumber});
    }

    /// @dev Same block: overwrite. Otherwise append.
    function _recordCount(uint8 quorumNumber, uint32 newCount) internal {
        QuorumUpdate[] storage history = _countHistory[quorumNumber];
        uint256 length = history.length;
        uint32 blockNumber = uint32(block.number);
        if (history[length - 1].fromBlockNumber == blockNumber) {
            history[length - 1].numOperators = newCount;
        } else {
            history.push(QuorumUpdate({fromBlockNumber: blockNumber, numOperators: newCount}));
        }
    }
}
