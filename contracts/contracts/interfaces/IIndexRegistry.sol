// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IIndexRegistry
/// @notice The list of operators of each quorum (removal is swap-and-pop), with enough history to
///         rebuild the list as it was at any past block: the operator count per block and, per
///         list position, which operator held it from which block.
/// @dev State-changing functions are callable only by the registry coordinator.
interface IIndexRegistry {
    /// @notice Position `index` of a quorum's list holds `operatorId` from the end of `fromBlockNumber`
    ///         (bytes32(0) = the position was vacated).
    struct OperatorUpdate {
        uint32 fromBlockNumber;
        bytes32 operatorId;
    }

    /// @notice A quorum has `numOperators` operators from the end of `fromBlockNumber`.
    struct QuorumUpdate {
        uint32 fromBlockNumber;
        uint32 numOperators;
    }

    /// @notice `operatorId` now sits at position `newOperatorIndex` of `quorumNumber`'s list.
    event QuorumIndexUpdate(bytes32 indexed operatorId, uint8 quorumNumber, uint32 newOperatorIndex);

    /// @notice The caller is not the registry coordinator.
    error OnlyRegistryCoordinator();
    /// @notice The quorum does not exist.
    error QuorumDoesNotExist(uint8 quorumNumber);
    /// @notice The quorum was already initialized.
    error QuorumAlreadyExists(uint8 quorumNumber);
    /// @notice The operator is already in the quorum's list.
    error OperatorAlreadyInQuorum(bytes32 operatorId, uint8 quorumNumber);
    /// @notice The operator is not in the quorum's list.
    error OperatorNotInQuorum(bytes32 operatorId, uint8 quorumNumber);
    /// @notice The quorum did not exist yet at `blockNumber`.
    error QuorumDidNotExistAtBlock(uint8 quorumNumber, uint32 blockNumber);

    // ------------------------------------------------------------------ coordinator only

    /// @notice Appends `operatorId` to the list of each quorum in `quorumNumbers`.
    /// @return numOperatorsPerQuorum The new operator count of each quorum.
    function registerOperator(bytes32 operatorId, bytes calldata quorumNumbers)
        external
        returns (uint32[] memory numOperatorsPerQuorum);

    /// @notice Removes `operatorId` from the list of each quorum in `quorumNumbers` (swap-and-pop).
    function deregisterOperator(bytes32 operatorId, bytes calldata quorumNumbers) external;

    /// @notice Starts the list of a new quorum.
    function initializeQuorum(uint8 quorumNumber) external;

    // ------------------------------------------------------------------ views

    /// @notice The registry coordinator allowed to change this registry.
    function registryCoordinator() external view returns (address);

    /// @notice Current number of operators in `quorumNumber`.
    function totalOperatorsForQuorum(uint8 quorumNumber) external view returns (uint32);

    /// @notice Current position of `operatorId` in `quorumNumber`'s list. Reverts OperatorNotInQuorum.
    function currentOperatorIndex(uint8 quorumNumber, bytes32 operatorId) external view returns (uint32);

    /// @notice `quorumNumber`'s current list, in list order.
    function getCurrentOperatorList(uint8 quorumNumber) external view returns (bytes32[] memory);

    /// @notice Number of operators in `quorumNumber` at `blockNumber`.
    function getOperatorCountAtBlockNumber(uint8 quorumNumber, uint32 blockNumber) external view returns (uint32);

    /// @notice `quorumNumber`'s list as it was at the end of `blockNumber`, in list order.
    function getOperatorListAtBlockNumber(uint8 quorumNumber, uint32 blockNumber)
        external
        view
        returns (bytes32[] memory);

    /// @notice History of `quorumNumber`'s operator count.
    function getQuorumUpdateHistory(uint8 quorumNumber) external view returns (QuorumUpdate[] memory);

    /// @notice History of position `operatorIndex` of `quorumNumber`'s list.
    function getOperatorIndexHistory(uint8 quorumNumber, uint32 operatorIndex)
        external
        view
        returns (OperatorUpdate[] memory);
}
