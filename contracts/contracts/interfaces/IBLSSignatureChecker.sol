// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../libraries/BN254.sol";
import {IBLSApkRegistry} from "./IBLSApkRegistry.sol";
import {IDelegationManager} from "./IDelegationManager.sol";
import {IRegistryCoordinator} from "./IRegistryCoordinator.sol";
import {IStakeRegistry} from "./IStakeRegistry.sol";

/// @title IBLSSignatureChecker
/// @notice Verifies an aggregate BLS signature of an AVS's operators over a message, against the
///         operator sets and stakes the registries recorded at a past reference block.
interface IBLSSignatureChecker {
    /// @notice Optional witness that H = hashToG1(msgHash) (EigenLayer's try-and-increment) so the
    ///         checker can verify H with a few mulmods instead of one 4,016-gas modexp per attempt.
    ///         Leave all fields empty/zero to have the checker compute H itself.
    /// @param nonResidueRoots For each x tried before the one that worked (x_i = msgHash mod p + i):
    ///        a square root of -(x_i^3 + 3), proving x_i^3 + 3 is not a square (-1 is not a square mod p).
    /// @param y H's y coordinate: (x^3 + 3)^((p+1)/4), i.e. the square root of x^3 + 3 that is itself a square.
    /// @param yRoot A square root of y (proves y is the square root hashToG1 picks).
    struct HashToG1Hint {
        uint256[] nonResidueRoots;
        uint256 y;
        uint256 yRoot;
    }

    /// @notice Everything checkSignatures needs besides the message, the quorums and the block.
    /// @param nonSignerQuorumBitmapIndices Per non-signer, the index of its quorum-bitmap history
    ///        entry (coordinator) in force at the reference block.
    /// @param nonSignerPubkeys G1 keys of the non-signers, strictly ascending by operatorId.
    /// @param quorumApks Per quorum, its aggregate G1 key at the reference block.
    /// @param apkG2 Σ k_i·pkG2_i over the signers, k_i = number of the task's quorums signer i is in.
    /// @param sigma Σ k_i·sigma_i over the signers.
    /// @param quorumApkIndices Per quorum, index of its APK history entry at the reference block.
    /// @param totalStakeIndices Per quorum, index of its total-stake history entry at the reference block.
    /// @param nonSignerStakeIndices Per quorum, per non-signer in that quorum (in non-signer order),
    ///        index of its stake history entry at the reference block.
    /// @param hashHint Optional hashToG1 witness (see HashToG1Hint).
    struct NonSignerStakesAndSignature {
        uint32[] nonSignerQuorumBitmapIndices;
        BN254.G1Point[] nonSignerPubkeys;
        BN254.G1Point[] quorumApks;
        BN254.G2Point apkG2;
        BN254.G1Point sigma;
        uint32[] quorumApkIndices;
        uint32[] totalStakeIndices;
        uint32[][] nonSignerStakeIndices;
        HashToG1Hint hashHint;
    }

    /// @notice Per quorum (in the order of quorumNumbers): stake that signed and total stake.
    struct QuorumStakeTotals {
        uint96[] signedStakeForQuorum;
        uint96[] totalStakeForQuorum;
    }

    /// @notice The stale-stake guard was switched on or off.
    event StaleStakesForbiddenUpdate(bool value);

    /// @notice No quorum numbers given.
    error EmptyQuorumNumbers();
    /// @notice The reference block is not strictly in the past.
    error ReferenceBlockNotInPast(uint32 referenceBlockNumber, uint256 currentBlockNumber);
    /// @notice Array lengths in the input do not match each other or the quorums.
    error InputArrayLengthMismatch();
    /// @notice Non-signer keys are not strictly ascending by operatorId (or a key is repeated).
    error NonSignersNotSorted(uint256 position);
    /// @notice A non-signer was in none of the quorums at the reference block.
    error NonSignerNotInQuorums(bytes32 operatorId);
    /// @notice A supplied quorum APK does not match the recorded one at the reference block.
    error InvalidQuorumApk(uint8 quorumNumber);
    /// @notice The stale-stake guard is on and the quorum's last full stake update is older than the
    ///         withdrawal delay before the reference block.
    error StaleStakes(uint8 quorumNumber, uint256 quorumUpdateBlockNumber);
    /// @notice The hashToG1 witness does not prove H = hashToG1(msgHash).
    error InvalidHashHint();
    /// @notice The aggregate signature does not verify.
    error InvalidSignature();
    /// @notice The pairing precompile rejected the input (e.g. apkG2 not a valid G2 point).
    error PairingPrecompileFailed();
    /// @notice A registry answered the check's query with something other than the exact ABI
    ///         encoding of what was asked (never expected from the deployed registries).
    error UnexpectedRegistryAnswer();

    /// @notice Verifies `params.sigma` as an aggregate signature over `msgHash` by the operators of
    ///         `quorumNumbers` at `referenceBlockNumber`, minus `params.nonSignerPubkeys`.
    /// @dev Checks e(sigma + γ·apk, -G2) · e(H + γ·G1, apkG2) == 1 with
    ///      apk = Σ quorumApks - Σ_nonsigners k·pk and
    ///      γ = keccak256(msgHash, apk, apkG2, sigma) mod r.
    /// @return stakeTotals Signed and total stake per quorum at the reference block.
    /// @return signatoryRecordHash keccak256(abi.encodePacked(referenceBlockNumber, nonSignerOperatorIds)).
    function checkSignatures(
        bytes32 msgHash,
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    ) external view returns (QuorumStakeTotals memory stakeTotals, bytes32 signatoryRecordHash);

    /// @notice Switches the stale-stake guard on or off. Admin only.
    function setStaleStakesForbidden(bool value) external;

    /// @notice Whether the stale-stake guard is on.
    function staleStakesForbidden() external view returns (bool);

    /// @notice The registry coordinator (operator bitmaps, quorum update blocks).
    function registryCoordinator() external view returns (IRegistryCoordinator);
    /// @notice The stake registry.
    function stakeRegistry() external view returns (IStakeRegistry);
    /// @notice The BLS APK registry.
    function blsApkRegistry() external view returns (IBLSApkRegistry);
    /// @notice The delegation contract (withdrawal delay for the stale-stake guard).
    function delegation() external view returns (IDelegationManager);
}
