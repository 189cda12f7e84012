// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IBLSSignatureChecker} from "../interfaces/IBLSSignatureChecker.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {BN254} from "../libraries/BN254.sol";
import {BN254Ext} from "../libraries/BN254Ext.sol";
import {QuorumBitmap} from "../libraries/QuorumBitmap.sol";

/// @title BLSSignatureChecker
/// @notice Checks an aggregate BLS signature against the operator sets and stakes recorded by
///         the registries at a past block. Meant to be inherited (the TaskManager is one).
/// @dev Registry addresses are immutables (no SLOAD); each registry is called at most once per
///      check with batched inputs, and history reads are index-checked O(1) lookups.
abstract contract BLSSignatureChecker is IBLSSignatureChecker {
    /// @dev Gas handed to the 2-pair pairing (113,000 since EIP-1108) so that a bad input cannot
    ///      burn all the gas.
    uint256 internal constant PAIRING_EQUALITY_CHECK_GAS = 120_000;

    /// @inheritdoc IBLSSignatureChecker
    IRegistryCoordinator public immutable registryCoordinator;
    /// @inheritdoc IBLSSignatureChecker
    IStakeRegistry public immutable stakeRegistry;
    /// @inheritdoc IBLSSignatureChecker
    IBLSApkRegistry public immutable blsApkRegistry;
    /// @inheritdoc IBLSSignatureChecker
    IDelegationManager public immutable delegation;

    /// @inheritdoc IBLSSignatureChecker
    bool public staleStakesForbidden;

    uint256[49] private __checkerGap;

    /// @param registryCoordinator_,stakeRegistry_,blsApkRegistry_ The registries (their proxies).
    /// @param delegation_ The delegation contract (withdrawal delay for the stale-stake guard).
    constructor(
        IRegistryCoordinator registryCoordinator_,
        IStakeRegistry stakeRegistry_,
        IBLSApkRegistry blsApkRegistry_,
        IDelegationManager delegation_
    ) {
        registryCoordinator = registryCoordinator_;
        stakeRegistry = stakeRegistry_;
        blsApkRegistry = blsApkRegistry_;
        delegation = delegation_;
    }

    /// @inheritdoc IBLSSignatureChecker
    function setStaleStakesForbidden(bool value) external {
        _authorizeCheckerAdmin();
        staleStakesForbidden = value;
        emit StaleStakesForbiddenUpdate(value);
    }

    /// @inheritdoc IBLSSignatureChecker
    function checkSignatures(
        bytes32 msgHash,
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    ) public view returns (QuorumStakeTotals memory stakeTotals, bytes32 signatoryRecordHash) {
        uint256 quorumCount = quorumNumbers.length;
        if (quorumCount == 0) revert EmptyQuorumNumbers();
        if (referenceBlockNumber >= block.number) revert ReferenceBlockNotInPast(referenceBlockNumber, block.number);
        uint256 nonSignerCount = params.nonSignerPubkeys.length;
        if (
            params.quorumApks.length != quorumCount || params.quorumApkIndices.length != quorumCount
                || params.totalStakeIndices.length != quorumCount || params.nonSignerStakeIndices.length != quorumCount
                || params.nonSignerQuorumBitmapIndices.length != nonSignerCount
        ) revert InputArrayLengthMismatch();
        uint256 quorumBitmap = QuorumBitmap.fromNumbersCalldata(quorumNumbers);

        bytes32[] memory nonSignerIds = new bytes32[](nonSignerCount);
        uint256[] memory nonSignerBitmaps;
        if (nonSignerCount != 0) {
            nonSignerBitmaps = _nonSignerBitmaps(nonSignerIds, quorumBitmap, referenceBlockNumber, params);
        }

        bytes24[] memory apkHashes;
        (apkHashes, stakeTotals) =
            _quorumAggregates(quorumNumbers, referenceBlockNumber, params, nonSignerIds, nonSignerBitmaps);
        (uint256 apkX, uint256 apkY) = _sumQuorumApks(quorumNumbers, apkHashes, params.quorumApks);
        if (nonSignerCount != 0) {
            (apkX, apkY) = _subtractNonSigners(apkX, apkY, nonSignerBitmaps, params.nonSignerPubkeys);
        }

        if (staleStakesForbidden) _requireFreshStakes(quorumNumbers, referenceBlockNumber);

        _verifyAggregate(msgHash, apkX, apkY, params);

        signatoryRecordHash = keccak256(abi.encodePacked(referenceBlockNumber, nonSignerIds));
    }

    /// @dev Who may toggle the stale-stake guard; reverts for anyone else.
    function _authorizeCheckerAdmin() internal view virtual;

    /// @dev Σ quorumApks, each checked against its quorum's APK hash at the reference block.
    function _sumQuorumApks(
        bytes calldata quorumNumbers,
        bytes24[] memory apkHashes,
        BN254.G1Point[] calldata quorumApks
    ) internal view returns (uint256 apkX, uint256 apkY) {
        for (uint256 i = 0; i < quorumApks.length; ++i) {
            uint256 x = quorumApks[i].X;
            uint256 y = quorumApks[i].Y;
            bytes32 apkHash;
            assembly ("memory-safe") {
                mstore(0x00, x)
                mstore(0x20, y)
                apkHash := keccak256(0x00, 0x40)
            }
            if (bytes24(apkHash) != apkHashes[i]) revert InvalidQuorumApk(uint8(quorumNumbers[i]));
            if (i == 0) (apkX, apkY) = (x, y);
            else (apkX, apkY) = BN254Ext.add(apkX, apkY, x, y);
        }
    }

    /// @dev Fills `nonSignerIds` (checking strict ascending order) and returns each non-signer's
    ///      quorum bitmap at the reference block restricted to the task's quorums (one registry call).
    function _nonSignerBitmaps(
        bytes32[] memory nonSignerIds,
        uint256 quorumBitmap,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    ) internal view returns (uint256[] memory bitmaps) {
        BN254.G1Point[] calldata pubkeys = params.nonSignerPubkeys;
        bytes32 previous = bytes32(0);
        for (uint256 i = 0; i < pubkeys.length; ++i) {
            uint256 x = pubkeys[i].X;
            uint256 y = pubkeys[i].Y;
            bytes32 operatorId;
            assembly ("memory-safe") {
                mstore(0x00, x)
                mstore(0x20, y)
                operatorId := keccak256(0x00, 0x40)
            }
            if (i != 0 && operatorId <= previous) revert NonSignersNotSorted(i);
            nonSignerIds[i] = operatorId;
            previous = operatorId;
        }
        bitmaps = registryCoordinator.getQuorumBitmapsAtBlockNumber(
            nonSignerIds, referenceBlockNumber, params.nonSignerQuorumBitmapIndices
        );
        for (uint256 i = 0; i < bitmaps.length; ++i) {
            uint256 inTask = bitmaps[i] & quorumBitmap;
            if (inTask == 0) revert NonSignerNotInQuorums(nonSignerIds[i]);
            bitmaps[i] = inTask;
        }
    }

    /// @dev apk - Σ k_i·pk_i, k_i = number of the task's quorums non-signer i was in.
    function _subtractNonSigners(
        uint256 apkX,
        uint256 apkY,
        uint256[] memory bitmaps,
        BN254.G1Point[] calldata pubkeys
    ) internal view returns (uint256, uint256) {
        uint256 sumX;
        uint256 sumY;
        for (uint256 i = 0; i < pubkeys.length; ++i) {
            uint256 x = pubkeys[i].X;
            uint256 y = pubkeys[i].Y;
            uint256 multiplicity = QuorumBitmap.count(bitmaps[i]);
            if (multiplicity != 1) (x, y) = BN254Ext.mulSmall(x, y, multiplicity);
            if (i == 0) (sumX, sumY) = (x, y);
            else (sumX, sumY) = BN254Ext.add(sumX, sumY, x, y);
        }
        (sumX, sumY) = BN254Ext.negate(sumX, sumY);
        return BN254Ext.add(apkX, apkY, sumX, sumY);
    }

    /// @dev APK hash, total and signed stake per quorum: one registry call, which keeps both
    ///      quorum aggregates (its APK hash history copies the BLS APK registry's, index for index).
    function _quorumAggregates(
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params,
        bytes32[] memory nonSignerIds,
        uint256[] memory nonSignerBitmaps
    ) internal view returns (bytes24[] memory apkHashes, QuorumStakeTotals memory stakeTotals) {
        uint96[] memory totalStakes;
        uint96[] memory nonSignerStakes;
        (apkHashes, totalStakes, nonSignerStakes) = stakeRegistry.getQuorumAggregatesAtBlockNumber(
            IStakeRegistry.AggregatesQuery({
                quorumNumbers: quorumNumbers,
                blockNumber: referenceBlockNumber,
                quorumApkIndices: params.quorumApkIndices,
                totalStakeIndices: params.totalStakeIndices,
                nonSignerIds: nonSignerIds,
                nonSignerQuorumBitmaps: nonSignerBitmaps,
                nonSignerStakeIndices: params.nonSignerStakeIndices
            })
        );
        // Reuse the array: signed = total - non-signing (a subset never exceeds the total).
        for (uint256 i = 0; i < totalStakes.length; ++i) {
            nonSignerStakes[i] = totalStakes[i] - nonSignerStakes[i];
        }
        stakeTotals.totalStakeForQuorum = totalStakes;
        stakeTotals.signedStakeForQuorum = nonSignerStakes;
    }

    /// @dev Stale-stake guard: each quorum's last full stake update must be younger than the
    ///      withdrawal delay at the reference block (stake that could have left is not trusted).
    function _requireFreshStakes(bytes calldata quorumNumbers, uint32 referenceBlockNumber) internal view {
        uint256 withdrawalDelayBlocks = delegation.minWithdrawalDelayBlocks();
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            uint256 updateBlock = registryCoordinator.quorumUpdateBlockNumber(quorumNumber);
            if (updateBlock + withdrawalDelayBlocks <= referenceBlockNumber) revert StaleStakes(quorumNumber, updateBlock);
        }
    }

    /// @dev e(sigma + γ·apk, -G2) · e(H + γ·G1, apkG2) == 1.
    function _verifyAggregate(bytes32 msgHash, uint256 apkX, uint256 apkY, NonSignerStakesAndSignature calldata params)
        internal
        view
    {
        (uint256 hX, uint256 hY) = _messagePoint(msgHash, params.hashHint);
        (bool success, bool valid) = BN254Ext.checkAggregate(
            msgHash, apkX, apkY, params.apkG2, params.sigma, hX, hY, PAIRING_EQUALITY_CHECK_GAS
        );
        if (!success) revert PairingPrecompileFailed();
        if (!valid) revert InvalidSignature();
    }

    /// @dev H = hashToG1(msgHash), from the witness when given, else computed (modexp).
    function _messagePoint(bytes32 msgHash, HashToG1Hint calldata hint) internal view returns (uint256, uint256) {
        uint256 y = hint.y;
        if (y == 0 && hint.nonResidueRoots.length == 0) {
            BN254.G1Point memory point = BN254.hashToG1(msgHash);
            return (point.X, point.Y);
        }
        (bool valid, uint256 x) = BN254Ext.hashToG1WithHint(msgHash, hint.nonResidueRoots, y, hint.yRoot);
        if (!valid) revert InvalidHashHint();
        return (x, y);
    }
}
