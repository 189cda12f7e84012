// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {BN254} from "../libraries/BN254.sol";

/// @title BLSApkRegistryStorage
/// @notice State of the BLS APK registry, kept apart from its logic for upgrade safety.
abstract contract BLSApkRegistryStorage is Initializable, IBLSApkRegistry {
    /// @inheritdoc IBLSApkRegistry
    address public immutable registryCoordinator;

    /// @notice operatorId (keccak256 of the G1 key) of each operator.
    mapping(address operator => bytes32) public operatorToPubkeyHash;
    /// @notice Owner of each registered key, by key hash.
    mapping(bytes32 pubkeyHash => address) public pubkeyHashToOperator;
    /// @notice G1 key of each operator.
    mapping(address operator => BN254.G1Point) public operatorToPubkey;
    /// @dev G2 key of each operator: lets OperatorStateRetriever build apkG2 on-chain.
    mapping(address operator => BN254.G2Point) internal _operatorToPubkeyG2;
    /// @dev Per quorum, the APK history (one slot per entry). Empty = quorum does not exist.
    mapping(uint8 quorumNumber => ApkUpdate[]) internal _apkHistory;
    /// @notice Current APK of each quorum.
    mapping(uint8 quorumNumber => BN254.G1Point) public currentApk;

    uint256[44] private __gap;

    /// @param registryCoordinator_ The coordinator (its proxy) allowed to change this registry.
    constructor(address registryCoordinator_) {
        registryCoordinator = registryCoordinator_;
        _disableInitializers();
    }
}
