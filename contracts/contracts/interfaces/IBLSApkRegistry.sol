// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../libraries/BN254.sol";

/// @title IBLSApkRegistry
/// @notice BLS public keys of operators (one per operator, registered once with a proof of
///         possession) and, per quorum, the aggregate G1 public key (APK) with its history.
/// @dev State-changing functions are callable only by the registry coordinator.
interface IBLSApkRegistry {
    /// @notice What an operator submits to register its BLS key.
    /// @param pubkeyRegistrationSignature sk·H where H = coordinator.pubkeyRegistrationMessageHash(operator).
    /// @param pubkeyG1 sk·G1.
    /// @param pubkeyG2 sk·G2 (EIP-197 order: imaginary part first).
    struct PubkeyRegistrationParams {
        BN254.G1Point pubkeyRegistrationSignature;
        BN254.G1Point pubkeyG1;
        BN254.G2Point pubkeyG2;
    }

    /// @notice One entry of a quorum's APK history: the first 24 bytes of keccak256(apk.X, apk.Y),
    ///         valid from the end of `updateBlockNumber` until `nextUpdateBlockNumber` (0 = current).
    struct ApkUpdate {
        bytes24 apkHash;
        uint32 updateBlockNumber;
        uint32 nextUpdateBlockNumber;
    }

    /// @notice `operator` registered the BLS key pair (pubkeyG1, pubkeyG2).
    event NewPubkeyRegistration(address indexed operator, BN254.G1Point pubkeyG1, BN254.G2Point pubkeyG2);
    /// @notice `operator`'s key was added to the APKs of `quorumNumbers`.
    event OperatorAddedToQuorums(address operator, bytes32 operatorId, bytes quorumNumbers);
    /// @notice `operator`'s key was removed from the APKs of `quorumNumbers`.
    event OperatorRemovedFromQuorums(address operator, bytes32 operatorId, bytes quorumNumbers);

    /// @notice The caller is not the registry coordinator.
    error OnlyRegistryCoordinator();
    /// @notice The G1 key is the point at infinity.
    error ZeroPubkey();
    /// @notice `operator` already has a registered key (keys cannot be replaced).
    error OperatorAlreadyHasPubkey(address operator);
    /// @notice The key (`pubkeyHash` = operatorId) belongs to another operator.
    error PubkeyAlreadyRegistered(bytes32 pubkeyHash);
    /// @notice The proof of possession does not verify.
    error InvalidPubkeyRegistrationSignature();
    /// @notice `operator` has no registered key.
    error OperatorHasNoPubkey(address operator);
    /// @notice The quorum was already initialized.
    error QuorumAlreadyExists(uint8 quorumNumber);
    /// @notice The quorum does not exist.
    error QuorumDoesNotExist(uint8 quorumNumber);
    /// @notice Input arrays have different lengths.
    error InputLengthMismatch();

    // ------------------------------------------------------------------ coordinator only

    /// @notice Registers `operator`'s key after checking the proof of possession against
    ///         `pubkeyRegistrationMessageHash`. Returns the operatorId, keccak256(pubkeyG1).
    function registerBLSPublicKey(
        address operator,
        PubkeyRegistrationParams calldata params,
        BN254.G1Point calldata pubkeyRegistrationMessageHash
    ) external returns (bytes32 operatorId);

    /// @notice Adds `operator`'s key to the APK of each quorum in `quorumNumbers`.
    /// @return apkHashes Each quorum's new APK hash (the stake registry keeps a copy).
    function registerOperator(address operator, bytes calldata quorumNumbers)
        external
        returns (bytes24[] memory apkHashes);

    /// @notice Subtracts `operator`'s key from the APK of each quorum in `quorumNumbers`.
    /// @return apkHashes Each quorum's new APK hash (the stake registry keeps a copy).
    function deregisterOperator(address operator, bytes calldata quorumNumbers)
        external
        returns (bytes24[] memory apkHashes);

    /// @notice Starts the APK history of a new quorum (APK = point at infinity).
    function initializeQuorum(uint8 quorumNumber) external;

    // ------------------------------------------------------------------ views

    /// @notice The registry coordinator allowed to change this registry.
    function registryCoordinator() external view returns (address);

    /// @notice operatorId (keccak256 of the G1 key) of `operator`, or 0 if none.
    function getOperatorId(address operator) external view returns (bytes32);

    /// @notice The operator owning the key with hash `pubkeyHash`, or address(0).
    function getOperatorFromPubkeyHash(bytes32 pubkeyHash) external view returns (address);

    /// @notice `operator`'s G1 key and operatorId. Reverts OperatorHasNoPubkey if none.
    function getRegisteredPubkey(address operator) external view returns (BN254.G1Point memory, bytes32);

    /// @notice `operator`'s G2 key. Reverts OperatorHasNoPubkey if none.
    function getOperatorPubkeyG2(address operator) external view returns (BN254.G2Point memory);

    /// @notice Current APK of `quorumNumber`.
    function getApk(uint8 quorumNumber) external view returns (BN254.G1Point memory);

    /// @notice Number of entries in `quorumNumber`'s APK history (0 = quorum does not exist).
    function getApkHistoryLength(uint8 quorumNumber) external view returns (uint32);

    /// @notice Entry `index` of `quorumNumber`'s APK history.
    function getApkUpdateAtIndex(uint8 quorumNumber, uint256 index) external view returns (ApkUpdate memory);

    /// @notice APK hash of `quorumNumber` at `blockNumber`, read at history `index`; reverts unless
    ///         that entry is the one in force at `blockNumber`.
    function getApkHashAtBlockNumberAndIndex(uint8 quorumNumber, uint32 blockNumber, uint256 index)
        external
        view
        returns (bytes24);

    /// @notice Batch form of getApkHashAtBlockNumberAndIndex for the signature checker: one call
    ///         for all of a task's quorums. Reverts QuorumDoesNotExist / history errors.
    function getApkHashesAtBlockNumber(bytes calldata quorumNumbers, uint32 blockNumber, uint32[] calldata indices)
        external
        view
        returns (bytes24[] memory);

    /// @notice For each quorum, the index of its APK history entry in force at `blockNumber`
    ///         (binary search; for off-chain callers).
    function getApkIndicesAtBlockNumber(bytes calldata quorumNumbers, uint32 blockNumber)
        external
        view
        returns (uint32[] memory);
}
