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
import {ReturnData} from "../libraries/ReturnData.sol";

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
            nonSignerBitmaps = _nonSignerBitmaps(nonSignerIds, referenceBlockNumber, params);
        }

        bytes24[] memory apkHashes;
        (apkHashes, stakeTotals) =
            _quorumAggregates(quorumNumbers, referenceBlockNumber, params, nonSignerIds, nonSignerBitmaps);
        (uint256 apkX, uint256 apkY) = _sumQuorumApks(quorumNumbers, apkHashes, params.quorumApks);
        if (nonSignerCount != 0) {
            (apkX, apkY) = _subtractNonSigners(apkX, apkY, quorumBitmap, nonSignerBitmaps, params);
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
    ///      quorum bitmap at the reference block (one coordinator call). The bitmaps are not
    ///      restricted to the task's quorums here: the stake registry reads only the task's bits,
    ///      and _subtractNonSigners restricts them where it counts multiplicities.
    function _nonSignerBitmaps(
        bytes32[] memory nonSignerIds,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params
    ) internal view returns (uint256[] memory bitmaps) {
        BN254.G1Point[] calldata pubkeys = params.nonSignerPubkeys;
        bytes32 previous = bytes32(0);
        for (uint256 i = 0; i < pubkeys.length; ++i) {
            bytes32 operatorId;
            // In bounds: Solidity checked the array's extent when `pubkeys` was read from params.
            assembly ("memory-safe") {
                calldatacopy(0x00, add(pubkeys.offset, shl(6, i)), 0x40)
                operatorId := keccak256(0x00, 0x40)
                mstore(add(nonSignerIds, shl(5, add(i, 1))), operatorId)
            }
            if (i != 0 && operatorId <= previous) revert NonSignersNotSorted(i);
            previous = operatorId;
        }
        bitmaps = _quorumBitmaps(nonSignerIds, referenceBlockNumber, params.nonSignerQuorumBitmapIndices);
    }

    /// @dev apk - Σ k_i·pk_i, k_i = number of the task's quorums non-signer i was in (at least one,
    ///      or the input is refused).
    function _subtractNonSigners(
        uint256 apkX,
        uint256 apkY,
        uint256 quorumBitmap,
        uint256[] memory bitmaps,
        NonSignerStakesAndSignature calldata params
    ) internal view returns (uint256, uint256) {
        BN254.G1Point[] calldata pubkeys = params.nonSignerPubkeys;
        uint256 sumX;
        uint256 sumY;
        for (uint256 i = 0; i < pubkeys.length; ++i) {
            uint256 x;
            uint256 y;
            assembly ("memory-safe") {
                let at := add(pubkeys.offset, shl(6, i))
                x := calldataload(at)
                y := calldataload(add(at, 0x20))
            }
            uint256 inTask = bitmaps[i] & quorumBitmap;
            if (inTask == 0) revert NonSignerNotInQuorums(keccak256(abi.encode(x, y)));
            // One quorum (every non-signer of a one-quorum task): no scalar to apply.
            if (inTask & (inTask - 1) != 0) (x, y) = BN254Ext.mulSmall(x, y, QuorumBitmap.count(inTask));
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
        _callStakeRegistry(quorumNumbers, referenceBlockNumber, params, nonSignerIds, nonSignerBitmaps);
        // The answer, (bytes24[], uint96[], uint96[]) of one element a quorum each, as Solidity
        // encodes it: three offsets, then each array's length and words.
        uint256 quorumCount = quorumNumbers.length;
        uint256 stride = 0x20 * (quorumCount + 1);
        if (ReturnData.size() != 0x60 + 3 * stride) revert UnexpectedRegistryAnswer();
        apkHashes = new bytes24[](quorumCount);
        uint96[] memory totalStakes = new uint96[](quorumCount);
        uint96[] memory nonSignerStakes = new uint96[](quorumCount);
        bool canonical;
        assembly ("memory-safe") {
            let offsets := mload(0x40) // scratch: the three arrays are allocated already
            returndatacopy(offsets, 0x00, 0x60)
            canonical := and(eq(mload(offsets), 0x60), eq(mload(add(offsets, 0x20)), add(0x60, stride)))
            canonical := and(canonical, eq(mload(add(offsets, 0x40)), add(0x60, shl(1, stride))))
            returndatacopy(apkHashes, 0x60, stride)
            returndatacopy(totalStakes, add(0x60, stride), stride)
            returndatacopy(nonSignerStakes, add(0x60, shl(1, stride)), stride)
            // Each length is the quorum count; each word is clean for its type.
            canonical := and(canonical, eq(mload(apkHashes), quorumCount))
            canonical := and(canonical, eq(mload(totalStakes), quorumCount))
            canonical := and(canonical, eq(mload(nonSignerStakes), quorumCount))
            let dirty := 0
            for { let i := 0 } lt(i, quorumCount) { i := add(i, 1) } {
                let at := shl(5, add(i, 1))
                dirty := or(dirty, shl(192, mload(add(apkHashes, at))))
                dirty := or(dirty, shr(96, mload(add(totalStakes, at))))
                dirty := or(dirty, shr(96, mload(add(nonSignerStakes, at))))
            }
            canonical := and(canonical, iszero(dirty))
        }
        if (!canonical) revert UnexpectedRegistryAnswer();
        // Reuse the array: signed = total - non-signing (a subset never exceeds the total).
        for (uint256 i = 0; i < totalStakes.length; ++i) {
            nonSignerStakes[i] = totalStakes[i] - nonSignerStakes[i];
        }
        stakeTotals.totalStakeForQuorum = totalStakes;
        stakeTotals.signedStakeForQuorum = nonSignerStakes;
    }

    /// @dev `stakeRegistry.getQuorumAggregatesAtBlockNumber(quorumNumbers, referenceBlockNumber,
    ///      nonSignerIds, nonSignerBitmaps, params)`, encoded by hand: Solidity's encoder would
    ///      re-encode `params` (nested arrays, points) from calldata element by element, which was
    ///      ~5k gas of a 0-non-signer check. `params` is copied as it came, from its head to the end
    ///      of the calldata, so every offset inside it still holds (ABI offsets are relative to the
    ///      head and only point forward); the registry decodes, and so checks, what it reads.
    ///      Reverts with the registry's error; the answer is left in the return data.
    function _callStakeRegistry(
        bytes calldata quorumNumbers,
        uint32 referenceBlockNumber,
        NonSignerStakesAndSignature calldata params,
        bytes32[] memory nonSignerIds,
        uint256[] memory nonSignerBitmaps
    ) private view {
        address registry = address(stakeRegistry);
        bytes4 selector = IStakeRegistry.getQuorumAggregatesAtBlockNumber.selector;
        bool success;
        // Scratch memory past the free pointer, not kept: nothing is allocated until the call returns.
        assembly ("memory-safe") {
            let request := mload(0x40)
            mstore(request, selector)
            let args := add(request, 4)
            let tail := 0xa0 // five head words
            mstore(args, tail)
            mstore(add(args, 0x20), referenceBlockNumber)
            // quorumNumbers: its length, then its bytes zero-padded to whole words
            let length := quorumNumbers.length
            let padded := and(add(length, 31), not(31))
            mstore(add(add(args, tail), padded), 0)
            mstore(add(args, tail), length)
            calldatacopy(add(add(args, tail), 0x20), quorumNumbers.offset, length)
            tail := add(tail, add(0x20, padded))
            // the two memory arrays, length word included
            mstore(add(args, 0x40), tail)
            let size := shl(5, add(mload(nonSignerIds), 1))
            mcopy(add(args, tail), nonSignerIds, size)
            tail := add(tail, size)
            mstore(add(args, 0x60), tail)
            size := shl(5, add(mload(nonSignerBitmaps), 1))
            mcopy(add(args, tail), nonSignerBitmaps, size)
            tail := add(tail, size)
            mstore(add(args, 0x80), tail)
            size := sub(calldatasize(), params)
            calldatacopy(add(args, tail), params, size)
            success := staticcall(gas(), registry, request, add(4, add(tail, size)), 0, 0)
        }
        if (!success) ReturnData.bubble();
    }

    /// @dev `registryCoordinator.getQuorumBitmapsAtBlockNumber(ids, blockNumber, indices)`, encoded
    ///      and decoded by hand (Solidity would copy `indices` element by element both ways): the
    ///      ids' memory array and the indices' calldata array are copied whole, length words
    ///      included, and the answer must be exactly one uint256[] of the ids' count.
    function _quorumBitmaps(bytes32[] memory ids, uint32 blockNumber, uint32[] calldata indices)
        private
        view
        returns (uint256[] memory bitmaps)
    {
        address coordinator = address(registryCoordinator);
        bytes4 selector = IRegistryCoordinator.getQuorumBitmapsAtBlockNumber.selector;
        uint256 count = ids.length;
        bool success;
        assembly ("memory-safe") {
            let request := mload(0x40)
            mstore(request, selector)
            let args := add(request, 4)
            let idsSize := shl(5, add(count, 1))
            mstore(args, 0x60)
            mstore(add(args, 0x20), blockNumber)
            mstore(add(args, 0x40), add(0x60, idsSize))
            mcopy(add(args, 0x60), ids, idsSize)
            let indicesSize := shl(5, add(indices.length, 1))
            calldatacopy(add(add(args, 0x60), idsSize), sub(indices.offset, 0x20), indicesSize)
            success := staticcall(gas(), coordinator, request, add(0x64, add(idsSize, indicesSize)), 0, 0)
        }
        if (!success) ReturnData.bubble();
        if (ReturnData.size() != 0x40 + 0x20 * count) revert UnexpectedRegistryAnswer();
        bitmaps = new uint256[](count);
        bool canonical;
        assembly ("memory-safe") {
            returndatacopy(0x00, 0x00, 0x20)
            canonical := eq(mload(0x00), 0x20)
            returndatacopy(bitmaps, 0x20, shl(5, add(count, 1)))
            canonical := and(canonical, eq(mload(bitmaps), count))
        }
        if (!canonical) revert UnexpectedRegistryAnswer();
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
