// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title IAVSDirectory
/// @notice The subset of EigenLayer's AVSDirectory that an AVS service manager calls. Same
///         selectors and EIP-712 digest as EigenLayer.
interface IAVSDirectory {
    /// @notice An ECDSA signature by the operator, with a single-use salt and an expiry timestamp.
    struct SignatureWithSaltAndExpiry {
        bytes signature;
        bytes32 salt;
        uint256 expiry;
    }

    enum OperatorAVSRegistrationStatus {
        UNREGISTERED,
        REGISTERED
    }

    event OperatorAVSRegistrationStatusUpdated(
        address indexed operator, address indexed avs, OperatorAVSRegistrationStatus status
    );

    /// @notice Called by an AVS (msg.sender) to register `operator`, who signed the digest
    ///         returned by `calculateOperatorAVSRegistrationDigestHash`.
    function registerOperatorToAVS(address operator, SignatureWithSaltAndExpiry memory operatorSignature) external;

    /// @notice Called by an AVS (msg.sender) to deregister `operator`.
    function deregisterOperatorFromAVS(address operator) external;

    /// @notice The EIP-712 digest an operator signs to register with `avs`.
    function calculateOperatorAVSRegistrationDigestHash(address operator, address avs, bytes32 salt, uint256 expiry)
        external
        view
        returns (bytes32);

    /// @notice Whether `salt` has been used (or cancelled) by `operator`.
    function operatorSaltIsSpent(address operator, bytes32 salt) external view returns (bool);
}
