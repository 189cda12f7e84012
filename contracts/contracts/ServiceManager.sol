// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {IAVSDirectory} from "./interfaces/IAVSDirectory.sol";
import {IRegistryCoordinator} from "./interfaces/IRegistryCoordinator.sol";
import {IServiceManager} from "./interfaces/IServiceManager.sol";
import {IStakeRegistry} from "./interfaces/IStakeRegistry.sol";
import {IStrategy} from "./interfaces/IStrategy.sol";

/// @dev EigenLayer's AVSDirectory entry point for an AVS's metadata (same selector); kept out of
///      the shared IAVSDirectory, which lists only what the registries need.
interface IAVSDirectoryMetadata {
    function updateAVSMetadataURI(string calldata metadataURI) external;
}

/// @title ServiceManager
/// @notice The AVS's address towards EigenLayer: the AVSDirectory sees this contract as the AVS.
///         Registers and deregisters operators there on behalf of the registry coordinator.
/// @dev Deployed behind a TransparentUpgradeableProxy.
contract ServiceManager is Initializable, OwnableUpgradeable, IServiceManager {
    /// @inheritdoc IServiceManager
    address public immutable avsDirectory;
    /// @inheritdoc IServiceManager
    address public immutable registryCoordinator;
    /// @notice The stake registry (source of the restakeable strategies).
    IStakeRegistry public immutable stakeRegistry;
    /// @inheritdoc IServiceManager
    address public immutable taskManager;

    /// @inheritdoc IServiceManager
    string public avsMetadataURI;

    uint256[49] private __gap;

    modifier onlyRegistryCoordinator() {
        if (msg.sender != registryCoordinator) revert OnlyRegistryCoordinator();
        _;
    }

    /// @notice Sets the cross-contract references (proxies) and locks the implementation.
    constructor(IAVSDirectory avsDirectory_, IRegistryCoordinator registryCoordinator_, IStakeRegistry stakeRegistry_, address taskManager_) {
        if (
            address(avsDirectory_) == address(0) || address(registryCoordinator_) == address(0)
                || address(stakeRegistry_) == address(0) || taskManager_ == address(0)
        ) revert ZeroAddress();
        avsDirectory = address(avsDirectory_);
        registryCoordinator = address(registryCoordinator_);
        stakeRegistry = stakeRegistry_;
        taskManager = taskManager_;
        _disableInitializers();
    }

    /// @notice Initializes the proxy with its owner and (if non-empty) the AVS metadata URI,
    ///         which is also published through the AVSDirectory.
    function initialize(address initialOwner, string calldata metadataURI) external initializer {
        __Ownable_init(initialOwner);
        if (bytes(metadataURI).length != 0) _updateAVSMetadataURI(metadataURI);
    }

    /// @inheritdoc IServiceManager
    function registerOperatorToAVS(address operator, IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature)
        external
        onlyRegistryCoordinator
    {
        IAVSDirectory(avsDirectory).registerOperatorToAVS(operator, operatorSignature);
    }

    /// @inheritdoc IServiceManager
    function deregisterOperatorFromAVS(address operator) external onlyRegistryCoordinator {
        IAVSDirectory(avsDirectory).deregisterOperatorFromAVS(operator);
    }

    /// @inheritdoc IServiceManager
    function updateAVSMetadataURI(string calldata metadataURI) external onlyOwner {
        _updateAVSMetadataURI(metadataURI);
    }

    /// @inheritdoc IServiceManager
    function getRestakeableStrategies() external view returns (IStrategy[] memory strategies) {
        uint8 quorumCount = IRegistryCoordinator(registryCoordinator).quorumCount();
        uint256 total = 0;
        for (uint8 q = 0; q < quorumCount; ++q) {
            total += stakeRegistry.strategyParamsLength(q);
        }
        strategies = new IStrategy[](total);
        uint256 unique = 0;
        for (uint8 q = 0; q < quorumCount; ++q) {
            IStakeRegistry.StrategyParams[] memory params = stakeRegistry.getStrategyParams(q);
            for (uint256 i = 0; i < params.length; ++i) {
                bool seen = false;
                for (uint256 j = 0; j < unique; ++j) {
                    if (strategies[j] == params[i].strategy) {
                        seen = true;
                        break;
                    }
                }
                if (!seen) strategies[unique++] = params[i].strategy;
            }
        }
        assembly ("memory-safe") {
            mstore(strategies, unique)
        }
    }

    function _updateAVSMetadataURI(string calldata metadataURI) internal {
        avsMetadataURI = metadataURI;
        IAVSDirectoryMetadata(avsDirectory).updateAVSMetadataURI(metadataURI);
        emit AVSMetadataURIUpdated(metadataURI);
    }
}
