// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSApkRegistry} from "../interfaces/IBLSApkRegistry.sol";
import {IBLSSignatureChecker} from "../interfaces/IBLSSignatureChecker.sol";
import {IIndexRegistry} from "../interfaces/IIndexRegistry.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../interfaces/IStakeRegistry.sol";
import {BN254} from "../libraries/BN254.sol";
import {BN254Ext} from "../libraries/BN254Ext.sol";
import {BN254G2} from "../libraries/BN254G2.sol";
import {QuorumBitmap} from "../libraries/QuorumBitmap.sol";

/// @title OperatorStateRetriever
/// @notice Read-only helper for off-chain services: operator sets with stakes (and keys) at a
///         block, and the complete signature-check input, each in one eth_call.
/// @dev Stateless (no proxy needed); every function takes the registry coordinator to read.
///      Gas is not a concern here (views), clarity and single-call completeness are.
contract OperatorStateRetriever {
    /// @notice An operator of a quorum at a block.
    struct Operator {
        address operator;
        bytes32 operatorId;
        uint96 stake;
    }

    /// @notice An operator of a quorum at a block, with its BLS keys.
    struct OperatorWithPubkeys {
        address operator;
        bytes32 operatorId;
        BN254.G1Point pubkeyG1;
        BN254.G2Point pubkeyG2;
        uint96 stake;
    }

    /// @notice The history indices checkSignatures needs for a given (sorted) non-signer list.
    struct CheckSignaturesIndices {
        uint32[] nonSignerQuorumBitmapIndices;
        uint32[] quorumApkIndices;
        uint32[] totalStakeIndices;
        uint32[][] nonSignerStakeIndices;
    }

    /// @dev The task's operators at the block: ids ascending, with multiplicity (number of the
    ///      task's quorums each is in).
    struct Roster {
        bytes32[] ids;
        uint256[] multiplicity;
    }

    /// @notice A signer was in none of the quorums at the block.
    error SignerNotInQuorums(bytes32 operatorId);
    /// @notice A signer is listed twice.
    error DuplicateSigner(bytes32 operatorId);

    /// @notice For each quorum, its operators with their stakes at `blockNumber`, in list order.
    function getOperatorState(IRegistryCoordinator registryCoordinator, bytes calldata quorumNumbers, uint32 blockNumber)
        public
        view
        returns (Operator[][] memory operators)
    {
        IIndexRegistry indexRegistry = registryCoordinator.indexRegistry();
        IStakeRegistry stakeRegistry = registryCoordinator.stakeRegistry();
        IBLSApkRegistry apkRegistry = registryCoordinator.blsApkRegistry();
        operators = new Operator[][](quorumNumbers.length);
        for (uint256 q = 0; q < quorumNumbers.length; ++q) {
            uint8 quorumNumber = uint8(quorumNumbers[q]);
            bytes32[] memory ids = indexRegistry.getOperatorListAtBlockNumber(quorumNumber, blockNumber);
            operators[q] = new Operator[](ids.length);
            for (uint256 i = 0; i < ids.length; ++i) {
                operators[q][i] = Operator({
                    operator: apkRegistry.getOperatorFromPubkeyHash(ids[i]),
                    operatorId: ids[i],
                    stake: stakeRegistry.getStakeAtBlockNumber(ids[i], quorumNumber, blockNumber)
                });
            }
        }
    }

    /// @notice `operatorId`'s quorum bitmap at `blockNumber`, and the state of those quorums then.
    function getOperatorState(IRegistryCoordinator registryCoordinator, bytes32 operatorId, uint32 blockNumber)
        external
        view
        returns (uint256 quorumBitmap, Operator[][] memory operators)
    {
        quorumBitmap = registryCoordinator.getQuorumBitmapAtBlockNumber(operatorId, blockNumber);
        operators = this.getOperatorState(registryCoordinator, QuorumBitmap.toNumbers(quorumBitmap), blockNumber);
    }

    /// @notice For each quorum, its operators at `blockNumber` with address, id, both BLS keys
    ///         and stake: everything an aggregator needs to check individual signatures.
    function getOperatorsWithPubkeys(
        IRegistryCoordinator registryCoordinator,
        bytes calldata quorumNumbers,
        uint32 blockNumber
    ) external view returns (OperatorWithPubkeys[][] memory operators) {
        Operator[][] memory state = getOperatorState(registryCoordinator, quorumNumbers, blockNumber);
        IBLSApkRegistry apkRegistry = registryCoordinator.blsApkRegistry();
        operators = new OperatorWithPubkeys[][](state.length);
        for (uint256 q = 0; q < state.length; ++q) {
            operators[q] = new OperatorWithPubkeys[](state[q].length);
            for (uint256 i = 0; i < state[q].length; ++i) {
                Operator memory op = state[q][i];
                (BN254.G1Point memory pubkeyG1,) = apkRegistry.getRegisteredPubkey(op.operator);
                operators[q][i] = OperatorWithPubkeys({
                    operator: op.operator,
                    operatorId: op.operatorId,
                    pubkeyG1: pubkeyG1,
                    pubkeyG2: apkRegistry.getOperatorPubkeyG2(op.operator),
                    stake: op.stake
                });
            }
        }
    }

    /// @notice `operatorIds`' quorum bitmaps at `blockNumber` (0 for an operator with no history then).
    function getQuorumBitmapsAtBlockNumber(
        IRegistryCoordinator registryCoordinator,
        bytes32[] calldata operatorIds,
        uint32 blockNumber
    ) external view returns (uint256[] memory bitmaps) {
        bitmaps = new uint256[](operatorIds.length);
        for (uint256 i = 0; i < operatorIds.length; ++i) {
            bitmaps[i] = registryCoordinator.getQuorumBitmapAtBlockNumber(operatorIds[i], blockNumber);
        }
    }

    /// @notice The history indices checkSignatures needs, for non-signers `nonSignerOperatorIds`
    ///         (give them in the order they will be passed: strictly ascending).
    function getCheckSignaturesIndices(
        IRegistryCoordinator registryCoordinator,
        uint32 referenceBlockNumber,
        bytes calldata quorumNumbers,
        bytes32[] calldata nonSignerOperatorIds
    ) public view returns (CheckSignaturesIndices memory indices) {
        IStakeRegistry stakeRegistry = registryCoordinator.stakeRegistry();
        indices.nonSignerQuorumBitmapIndices =
            registryCoordinator.getQuorumBitmapIndicesAtBlockNumber(referenceBlockNumber, nonSignerOperatorIds);
        indices.quorumApkIndices =
            registryCoordinator.blsApkRegistry().getApkIndicesAtBlockNumber(quorumNumbers, referenceBlockNumber);
        indices.totalStakeIndices = stakeRegistry.getTotalStakeIndicesAtBlockNumber(referenceBlockNumber, quorumNumbers);

        uint256[] memory bitmaps = new uint256[](nonSignerOperatorIds.length);
        for (uint256 i = 0; i < nonSignerOperatorIds.length; ++i) {
            bitmaps[i] = registryCoordinator.getQuorumBitmapAtBlockNumberByIndex(
                nonSignerOperatorIds[i], referenceBlockNumber, indices.nonSignerQuorumBitmapIndices[i]
            );
        }
        indices.nonSignerStakeIndices = new uint32[][](quorumNumbers.length);
        for (uint256 q = 0; q < quorumNumbers.length; ++q) {
            indices.nonSignerStakeIndices[q] = _nonSignerStakeIndices(
                stakeRegistry, uint8(quorumNumbers[q]), referenceBlockNumber, nonSignerOperatorIds, bitmaps
            );
        }
    }

    /// @notice The complete checkSignatures input, built on-chain: the non-signers (every operator
    ///         of the quorums at `blockNumber` not in `signerOperatorIds`), sorted, with their keys;
    ///         each quorum's APK at that block; apkG2 = Σ k·pkG2 over the signers (k = the
    ///         task's quorums the signer is in); all history indices; `sigma` as given; and the
    ///         hashToG1 witness for `msgHash`.
    /// @param sigma The aggregate signature (must already include the multiplicities k).
    /// @param signerOperatorIds Operators whose signatures are in sigma (any order, no repeats).
    function getNonSignerStakesAndSignature(
        IRegistryCoordinator registryCoordinator,
        bytes calldata quorumNumbers,
        BN254.G1Point calldata sigma,
        bytes32[] calldata signerOperatorIds,
        uint32 blockNumber,
        bytes32 msgHash
    ) external view returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory params) {
        bytes32[] memory nonSignerIds;
        (params, nonSignerIds) = _keysAndApks(registryCoordinator, quorumNumbers, signerOperatorIds, blockNumber);
        params.sigma = sigma;
        CheckSignaturesIndices memory indices =
            this.getCheckSignaturesIndices(registryCoordinator, blockNumber, quorumNumbers, nonSignerIds);
        params.nonSignerQuorumBitmapIndices = indices.nonSignerQuorumBitmapIndices;
        params.quorumApkIndices = indices.quorumApkIndices;
        params.totalStakeIndices = indices.totalStakeIndices;
        params.nonSignerStakeIndices = indices.nonSignerStakeIndices;
        (params.hashHint.nonResidueRoots, params.hashHint.y, params.hashHint.yRoot) = BN254Ext.hashToG1Hint(msgHash);
    }

    /// @notice The hashToG1 witness checkSignatures accepts for `msgHash` (see IBLSSignatureChecker.HashToG1Hint).
    function getHashToG1Hint(bytes32 msgHash) external view returns (IBLSSignatureChecker.HashToG1Hint memory hint) {
        (hint.nonResidueRoots, hint.y, hint.yRoot) = BN254Ext.hashToG1Hint(msgHash);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Stake history indices at the block of the non-signers in the quorum, in non-signer order.
    function _nonSignerStakeIndices(
        IStakeRegistry stakeRegistry,
        uint8 quorumNumber,
        uint32 blockNumber,
        bytes32[] calldata nonSignerOperatorIds,
        uint256[] memory bitmaps
    ) internal view returns (uint32[] memory stakeIndices) {
        uint256 count = 0;
        for (uint256 i = 0; i < bitmaps.length; ++i) {
            if (QuorumBitmap.isSet(bitmaps[i], quorumNumber)) ++count;
        }
        stakeIndices = new uint32[](count);
        count = 0;
        for (uint256 i = 0; i < bitmaps.length; ++i) {
            if (QuorumBitmap.isSet(bitmaps[i], quorumNumber)) {
                stakeIndices[count++] =
                    stakeRegistry.getStakeUpdateIndexAtBlockNumber(nonSignerOperatorIds[i], quorumNumber, blockNumber);
            }
        }
    }

    /// @dev Non-signer ids and keys, apkG2 of the signers and the quorum APKs.
    function _keysAndApks(
        IRegistryCoordinator registryCoordinator,
        bytes calldata quorumNumbers,
        bytes32[] calldata signerOperatorIds,
        uint32 blockNumber
    ) internal view returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory params, bytes32[] memory nonSignerIds) {
        Roster memory roster = _roster(registryCoordinator, quorumNumbers, blockNumber);
        bool[] memory signed = _markSigners(roster, signerOperatorIds);
        IBLSApkRegistry apkRegistry = registryCoordinator.blsApkRegistry();
        (nonSignerIds, params.nonSignerPubkeys) = _nonSigners(apkRegistry, roster, signed);
        params.apkG2 = _signersApkG2(apkRegistry, roster, signed);
        params.quorumApks = _quorumApks(registryCoordinator, quorumNumbers, blockNumber);
    }

    /// @dev Every operator of the quorums at the block, ascending by id, with multiplicity.
    function _roster(IRegistryCoordinator registryCoordinator, bytes calldata quorumNumbers, uint32 blockNumber)
        internal
        view
        returns (Roster memory roster)
    {
        IIndexRegistry indexRegistry = registryCoordinator.indexRegistry();
        bytes32[][] memory lists = new bytes32[][](quorumNumbers.length);
        uint256 total = 0;
        for (uint256 q = 0; q < quorumNumbers.length; ++q) {
            lists[q] = indexRegistry.getOperatorListAtBlockNumber(uint8(quorumNumbers[q]), blockNumber);
            total += lists[q].length;
        }
        bytes32[] memory all = new bytes32[](total);
        uint256 next = 0;
        for (uint256 q = 0; q < lists.length; ++q) {
            for (uint256 i = 0; i < lists[q].length; ++i) {
                all[next++] = lists[q][i];
            }
        }
        all = _sort(all);
        // Runs of equal ids: one entry per operator, run length = multiplicity.
        roster.ids = new bytes32[](total);
        roster.multiplicity = new uint256[](total);
        uint256 unique = 0;
        for (uint256 i = 0; i < total; ++i) {
            if (unique != 0 && roster.ids[unique - 1] == all[i]) {
                ++roster.multiplicity[unique - 1];
            } else {
                roster.ids[unique] = all[i];
                roster.multiplicity[unique] = 1;
                ++unique;
            }
        }
        bytes32[] memory ids = roster.ids;
        uint256[] memory multiplicity = roster.multiplicity;
        assembly ("memory-safe") {
            mstore(ids, unique)
            mstore(multiplicity, unique)
        }
    }

    /// @dev signed[i] = roster.ids[i] is in signerOperatorIds. Reverts on unknown or repeated signers.
    function _markSigners(Roster memory roster, bytes32[] calldata signerOperatorIds)
        internal
        pure
        returns (bool[] memory signed)
    {
        signed = new bool[](roster.ids.length);
        for (uint256 s = 0; s < signerOperatorIds.length; ++s) {
            bytes32 id = signerOperatorIds[s];
            (bool found, uint256 position) = _find(roster.ids, id);
            if (!found) revert SignerNotInQuorums(id);
            if (signed[position]) revert DuplicateSigner(id);
            signed[position] = true;
        }
    }

    /// @dev The roster minus the signers (still ascending), with G1 keys.
    function _nonSigners(IBLSApkRegistry apkRegistry, Roster memory roster, bool[] memory signed)
        internal
        view
        returns (bytes32[] memory ids, BN254.G1Point[] memory pubkeys)
    {
        uint256 count = 0;
        for (uint256 i = 0; i < signed.length; ++i) {
            if (!signed[i]) ++count;
        }
        ids = new bytes32[](count);
        pubkeys = new BN254.G1Point[](count);
        count = 0;
        for (uint256 i = 0; i < signed.length; ++i) {
            if (signed[i]) continue;
            ids[count] = roster.ids[i];
            (pubkeys[count],) = apkRegistry.getRegisteredPubkey(apkRegistry.getOperatorFromPubkeyHash(roster.ids[i]));
            ++count;
        }
    }

    /// @dev Σ k·pkG2 over the signers, in G2 (Solidity arithmetic).
    function _signersApkG2(IBLSApkRegistry apkRegistry, Roster memory roster, bool[] memory signed)
        internal
        view
        returns (BN254.G2Point memory)
    {
        BN254G2.Jacobian memory sum;
        for (uint256 i = 0; i < signed.length; ++i) {
            if (!signed[i]) continue;
            BN254G2.Jacobian memory pk = BN254G2.fromAffine(
                apkRegistry.getOperatorPubkeyG2(apkRegistry.getOperatorFromPubkeyHash(roster.ids[i]))
            );
            for (uint256 k = 0; k < roster.multiplicity[i]; ++k) {
                sum = BN254G2.add(sum, pk);
            }
        }
        return BN254G2.toAffine(sum);
    }

    /// @dev Each quorum's APK at the block, as the sum of its operators' keys then.
    function _quorumApks(IRegistryCoordinator registryCoordinator, bytes calldata quorumNumbers, uint32 blockNumber)
        internal
        view
        returns (BN254.G1Point[] memory apks)
    {
        IIndexRegistry indexRegistry = registryCoordinator.indexRegistry();
        IBLSApkRegistry apkRegistry = registryCoordinator.blsApkRegistry();
        apks = new BN254.G1Point[](quorumNumbers.length);
        for (uint256 q = 0; q < quorumNumbers.length; ++q) {
            bytes32[] memory ids = indexRegistry.getOperatorListAtBlockNumber(uint8(quorumNumbers[q]), blockNumber);
            BN254.G1Point memory apk;
            for (uint256 i = 0; i < ids.length; ++i) {
                (BN254.G1Point memory pk,) = apkRegistry.getRegisteredPubkey(apkRegistry.getOperatorFromPubkeyHash(ids[i]));
                apk = BN254.plus(apk, pk);
            }
            apks[q] = apk;
        }
    }

    /// @dev Binary search in an ascending array.
    function _find(bytes32[] memory sorted, bytes32 value) internal pure returns (bool, uint256) {
        uint256 low = 0;
        uint256 high = sorted.length;
        while (low < high) {
            uint256 mid = (low + high) / 2;
            if (sorted[mid] < value) low = mid + 1;
            else high = mid;
        }
        return (low < sorted.length && sorted[low] == value, low);
    }

    /// @dev Ascending bottom-up merge sort (returns a sorted copy).
    function _sort(bytes32[] memory values) internal pure returns (bytes32[] memory) {
        uint256 n = values.length;
        bytes32[] memory buffer = new bytes32[](n);
        for (uint256 width = 1; width < n; width *= 2) {
            for (uint256 left = 0; left < n; left += 2 * width) {
                uint256 mid = left + width < n ? left + width : n;
                uint256 right = left + 2 * width < n ? left + 2 * width : n;
                uint256 i = left;
                uint256 j = mid;
                for (uint256 k = left; k < right; ++k) {
                    if (i < mid && (j >= right || values[i] <= values[j])) buffer[k] = values[i++];
                    else buffer[k] = values[j++];
                }
            }
            (values, buffer) = (buffer, values);
        }
        return values;
    }
}
