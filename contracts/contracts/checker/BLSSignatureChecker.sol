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
        if (
            params.quorumApks.length != quorumCount || params.quorumApkIndices.length != quorumCount
                || params.totalStakeIndices.length != quorumCount || params.nonSignerStakeIndices.length != quorumCount
                || params.nonSignerPubkeys.length != params.nonSignerQuorumBitmapIndices.length
        ) revert InputArrayLengthMismatch();
        uint256 quorumBitmap = QuorumBitmap.fromNumbersCalldata(quorumNumbers);

        BN254.G1Point memory apk = _sumQuorumApks(quorumNumbers, referenceBlockNumber, params);

        bytes32[] memory nonSignerIds;
        bytes32[][] memory nonSignerIdsPerQuorum;
        (apk, nonSignerIds, nonSignerIdsPerQuorum) =
            _subtractNonSigners(apk, quorumNumbers, quorumBitmap, referenceBlockNumber, params);

        stakeTotals = _stakeTotals(quorumNumbers, referenceBlockNumber, params, nonSignerIdsPerQuorum);

        if (staleStakesForbidden) _requireFreshStakes(quorumNumbers, referenceBlockNumber);

        _verifyAggregate(msgHash, apk, params);

        signatoryRecordHash = keccak256(abi.encodePacked(referenceBlockNumber, nonSignerIds));
    }

    /// @dev Who may toggle the stale-stake guard; reverts for anyone else.
    function _authorizeCheckerAdmin() internal view virtual;

    /// @dev Σ quorumApks, each checked against the APK history (one registry call).
    function _sumQuorumApks(
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    ) internal view returns (BN254.G1Point memory apk) {
        bytes24[] memory apkHashes =
            blsApkRegistry.getApkHashesAtBlockNumber(quorumNumbers, referenceBlockNumber, params.quorumApkIndices);
        for (uint256 i = 0; i < quorumNumbers.length; ++i) {
            BN254.G1Point memory quorumApk = params.quorumApks[i];
            if (bytes24(BN254.hashG1Point(quorumApk)) != apkHashes[i]) revert InvalidQuorumApk(uint8(quorumNumbers[i]));
            apk = i == 0 ? quorumApk : BN254.plus(apk, quorumApk);
        }
    }

    /// @dev apk - Σ k·pk over the non-signers (k = task quorums the non-signer was in), after
    ///      checking they are strictly ascending by operatorId; also sorts them per quorum for the
    ///      stake lookup.
    function _subtractNonSigners(
        BN254.G1Point memory apk,
        bytes calldata quorumNumbers,
        uint256 quorumBitmap,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    )
        internal
        view
        returns (BN254.G1Point memory, bytes32[] memory nonSignerIds, bytes32[][] memory nonSignerIdsPerQuorum)
    {
        uint256 count = params.nonSignerPubkeys.length;
        nonSignerIds = new bytes32[](count);
        nonSignerIdsPerQuorum = new bytes32[][](quorumNumbers.length);
        if (count == 0) return (apk, nonSignerIds, nonSignerIdsPerQuorum);

        for (uint256 i = 0; i < count; ++i) {
            BN254.G1Point calldata pk = params.nonSignerPubkeys[i];
            bytes32 operatorId = keccak256(abi.encodePacked(pk.X, pk.Y));
            if (i != 0 && operatorId <= nonSignerIds[i - 1]) revert NonSignersNotSorted(i);
            nonSignerIds[i] = operatorId;
        }
        uint256[] memory bitmaps = registryCoordinator.getQuorumBitmapsAtBlockNumber(
            nonSignerIds, referenceBlockNumber, params.nonSignerQuorumBitmapIndices
        );

        BN254.G1Point memory nonSignerSum;
        for (uint256 i = 0; i < count; ++i) {
            uint256 inTask = bitmaps[i] & quorumBitmap;
            if (inTask == 0) revert NonSignerNotInQuorums(nonSignerIds[i]);
            bitmaps[i] = inTask;
            BN254.G1Point memory pk = params.nonSignerPubkeys[i];
            uint256 multiplicity = QuorumBitmap.count(inTask);
            if (multiplicity != 1) pk = BN254.scalarMulTiny(pk, multiplicity);
            nonSignerSum = i == 0 ? pk : BN254.plus(nonSignerSum, pk);
        }
        apk = BN254.plus(apk, BN254.negate(nonSignerSum));

        for (uint256 q = 0; q < quorumNumbers.length; ++q) {
            uint8 quorumNumber = uint8(quorumNumbers[q]);
            uint256 inQuorum = params.nonSignerStakeIndices[q].length;
            bytes32[] memory ids = new bytes32[](inQuorum);
            uint256 filled = 0;
            for (uint256 i = 0; i < count; ++i) {
                if ((bitmaps[i] >> quorumNumber) & 1 == 1) {
                    if (filled == inQuorum) revert InputArrayLengthMismatch();
                    ids[filled++] = nonSignerIds[i];
                }
            }
            if (filled != inQuorum) revert InputArrayLengthMismatch();
            nonSignerIdsPerQuorum[q] = ids;
        }
        return (apk, nonSignerIds, nonSignerIdsPerQuorum);
    }

    /// @dev Total and signed stake per quorum (one registry call).
    function _stakeTotals(
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params,
        bytes32[][] memory nonSignerIdsPerQuorum
    ) internal view returns (QuorumStakeTotals memory stakeTotals) {
        (uint96[] memory totalStakes, uint96[] memory nonSignerStakes) = stakeRegistry
            .getTotalAndOperatorStakesAtBlockNumber(
            quorumNumbers, referenceBlockNumber, params.totalStakeIndices, nonSignerIdsPerQuorum, params.nonSignerStakeIndices
        );
        stakeTotals.totalStakeForQuorum = totalStakes;
        // Reuse the array: signed = total - non-signing.
        for (uint256 i = 0; i < totalStakes.length; ++i) {
            nonSignerStakes[i] = totalStakes[i] - nonSignerStakes[i];
        }
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
    function _verifyAggregate(bytes32 msgHash, BN254.G1Point memory apk, NonSignerStakesAndSignature calldata params)
        internal
        view
    {
        BN254.G1Point memory messagePoint = _messagePoint(msgHash, params.hashHint);
        uint256 gamma = uint256(
            keccak256(
                abi.encodePacked(
                    msgHash,
                    apk.X,
                    apk.Y,
                    params.apkG2.X[0],
                    params.apkG2.X[1],
                    params.apkG2.Y[0],
                    params.apkG2.Y[1],
                    params.sigma.X,
                    params.sigma.Y
                )
            )
        ) % BN254.FR_MODULUS;
        (bool success, bool valid) = BN254.safePairing(
            BN254.plus(params.sigma, BN254.scalarMul(apk, gamma)),
            BN254.negGeneratorG2(),
            BN254.plus(messagePoint, BN254.scalarMul(BN254.generatorG1(), gamma)),
            params.apkG2,
            PAIRING_EQUALITY_CHECK_GAS
        );
        if (!success) revert PairingPrecompileFailed();
        if (!valid) revert InvalidSignature();
    }

    /// @dev H = hashToG1(msgHash), from the witness when given, else computed.
    function _messagePoint(bytes32 msgHash, HashToG1Hint calldata hint) internal view returns (BN254.G1Point memory) {
        if (hint.y == 0 && hint.nonResidueRoots.length == 0) return BN254.hashToG1(msgHash);
        (bool valid, BN254.G1Point memory point) =
            BN254Ext.hashToG1WithHint(msgHash, hint.nonResidueRoots, hint.y, hint.yRoot);
        if (!valid) revert InvalidHashHint();
        return point;
    }
}
