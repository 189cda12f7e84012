// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {IAVSDirectory} from "../interfaces/IAVSDirectory.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";

/// @title AVSDirectory
/// @notice Local stand-in for EigenLayer's AVSDirectory: an AVS (the caller) registers an
///         operator that signed an EIP-712 `OperatorAVSRegistration` with a single-use salt
///         and an expiry. Signatures are checked with ERC-1271 for contract operators and
///         ECDSA otherwise.
/// @dev EIP-712 domain: name "EigenLayer", version "v1", this chain, this contract (the domain
///      EigenLayer uses since its slashing release; M2 omitted the version field).
contract AVSDirectory is IAVSDirectory, EIP712 {
    /// @notice EIP-712 type hash of the struct an operator signs.
    bytes32 public constant OPERATOR_AVS_REGISTRATION_TYPEHASH =
        keccak256("OperatorAVSRegistration(address operator,address avs,bytes32 salt,uint256 expiry)");

    /// @notice Where operators must be registered before an AVS can register them.
    IDelegationManager public immutable delegation;

    /// @notice Registration status of `operator` with `avs`.
    mapping(address avs => mapping(address operator => OperatorAVSRegistrationStatus)) public avsOperatorStatus;

    /// @inheritdoc IAVSDirectory
    mapping(address operator => mapping(bytes32 salt => bool)) public operatorSaltIsSpent;

    event AVSMetadataURIUpdated(address indexed avs, string metadataURI);

    error ZeroAddress();
    error SignatureExpired(uint256 expiry, uint256 timestamp);
    error SaltSpent(address operator, bytes32 salt);
    error InvalidSignature();
    error OperatorNotRegisteredInDelegation(address operator);
    error AlreadyRegistered(address avs, address operator);
    error NotRegistered(address avs, address operator);

    /// @param delegation_ The delegation contract whose `isOperator` gates registration.
    constructor(IDelegationManager delegation_) EIP712("EigenLayer", "v1") {
        if (address(delegation_) == address(0)) revert ZeroAddress();
        delegation = delegation_;
    }

    /// @inheritdoc IAVSDirectory
    /// @dev Reverts, in this order of checks: `SignatureExpired` (expiry < block.timestamp),
    ///      `AlreadyRegistered`, `SaltSpent`, `OperatorNotRegisteredInDelegation`,
    ///      `InvalidSignature`. On success the salt is spent.
    function registerOperatorToAVS(address operator, SignatureWithSaltAndExpiry memory operatorSignature) external {
        if (operatorSignature.expiry < block.timestamp) {
            revert SignatureExpired(operatorSignature.expiry, block.timestamp);
        }
        if (avsOperatorStatus[msg.sender][operator] == OperatorAVSRegistrationStatus.REGISTERED) {
            revert AlreadyRegistered(msg.sender, operator);
        }
        if (operatorSaltIsSpent[operator][operatorSignature.salt]) revert SaltSpent(operator, operatorSignature.salt);
        if (!delegation.isOperator(operator)) revert OperatorNotRegisteredInDelegation(operator);

        bytes32 digest = _registrationDigest(operator, msg.sender, operatorSignature.salt, operatorSignature.expiry);
        if (!SignatureChecker.isValidSignatureNow(operator, digest, operatorSignature.signature)) {
            revert InvalidSignature();
        }

        operatorSaltIsSpent[operator][operatorSignature.salt] = true;
        avsOperatorStatus[msg.sender][operator] = OperatorAVSRegistrationStatus.REGISTERED;
        emit OperatorAVSRegistrationStatusUpdated(operator, msg.sender, OperatorAVSRegistrationStatus.REGISTERED);
    }

    /// @inheritdoc IAVSDirectory
    /// @dev Reverts `NotRegistered` if `operator` is not registered with the caller.
    function deregisterOperatorFromAVS(address operator) external {
        if (avsOperatorStatus[msg.sender][operator] != OperatorAVSRegistrationStatus.REGISTERED) {
            revert NotRegistered(msg.sender, operator);
        }
        avsOperatorStatus[msg.sender][operator] = OperatorAVSRegistrationStatus.UNREGISTERED;
        emit OperatorAVSRegistrationStatusUpdated(operator, msg.sender, OperatorAVSRegistrationStatus.UNREGISTERED);
    }

    /// @notice Spends `salt` for the caller (as an operator), so no signature using it can be
    ///         used. Reverts `SaltSpent` if it already is.
    function cancelSalt(bytes32 salt) external {
        if (operatorSaltIsSpent[msg.sender][salt]) revert SaltSpent(msg.sender, salt);
        operatorSaltIsSpent[msg.sender][salt] = true;
    }

    /// @notice Emits `metadataURI` for the calling AVS (EigenLayer's service managers call this).
    function updateAVSMetadataURI(string calldata metadataURI) external {
        emit AVSMetadataURIUpdated(msg.sender, metadataURI);
    }

    /// @inheritdoc IAVSDirectory
    function calculateOperatorAVSRegistrationDigestHash(address operator, address avs, bytes32 salt, uint256 expiry)
        external
        view
        returns (bytes32)
    {
        return _registrationDigest(operator, avs, salt, expiry);
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _registrationDigest(address operator, address avs, bytes32 salt, uint256 expiry)
        private
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(OPERATOR_AVS_REGISTRATION_TYPEHASH, operator, avs, salt, expiry)));
    }
}
