// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAVSDirectory} from "./IAVSDirectory.sol";
import {IStrategy} from "./IStrategy.sol";

/// @title IServiceManager
/// @notice The AVS's identity towards EigenLayer: registers and deregisters operators with the
///         AVSDirectory on behalf of the registry coordinator, and holds the AVS metadata URI.
interface IServiceManager {
    /// @notice The AVS metadata URI changed.
    event AVSMetadataURIUpdated(string metadataURI);

    /// @notice The caller is not the registry coordinator.
    error OnlyRegistryCoordinator();
    /// @notice A constructor argument is the zero address.
    error ZeroAddress();

    /// @notice Registers `operator` with this AVS in the AVSDirectory. Registry coordinator only.
    function registerOperatorToAVS(address operator, IAVSDirectory.SignatureWithSaltAndExpiry memory operatorSignature)
        external;

    /// @notice Deregisters `operator` from this AVS in the AVSDirectory. Registry coordinator only.
    function deregisterOperatorFromAVS(address operator) external;

    /// @notice Sets the AVS metadata URI. Owner only.
    function updateAVSMetadataURI(string calldata metadataURI) external;

    /// @notice The AVSDirectory this AVS registers operators with.
    function avsDirectory() external view returns (address);

    /// @notice The registry coordinator allowed to (de)register operators.
    function registryCoordinator() external view returns (address);

    /// @notice The AVS's task manager.
    function taskManager() external view returns (address);

    /// @notice The AVS metadata URI.
    function avsMetadataURI() external view returns (string memory);

    /// @notice Every strategy counted by at least one quorum (no duplicates).
    function getRestakeableStrategies() external view returns (IStrategy[] memory);
}
