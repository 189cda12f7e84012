// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IIndexRegistry} from "../interfaces/IIndexRegistry.sol";

/// @title IndexRegistryStorage
/// @notice State of the index registry, kept apart from its logic for upgrade safety.
abstract contract IndexRegistryStorage is Initializable, IIndexRegistry {
    /// @inheritdoc IIndexRegistry
    address public immutable registryCoordinator;

    /// @dev Per quorum, position + 1 of each operator in the current list (0 = not in it).
    mapping(uint8 quorumNumber => mapping(bytes32 operatorId => uint32)) internal _operatorIndexPlusOne;
    /// @dev Per quorum, history of the operator count. Empty = quorum does not exist.
    mapping(uint8 quorumNumber => QuorumUpdate[]) internal _countHistory;
    /// @dev Per quorum and list position, history of which operator held it. Positions at or
    ///      beyond the count at a block are meaningless for that block.
    mapping(uint8 quorumNumber => mapping(uint32 index => OperatorUpdate[])) internal _indexHistory;

    uint256[47] private __gap;

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to change this registry.
    constructor(address registryCoordinator_) {
        registryCoordinator = registryCoordinator_;
        _disableInitializers();
    }
}
