// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IBLSSignatureChecker} from "../interfaces/IBLSSignatureChecker.sol";
import {IRegistryCoordinator} from "../interfaces/IRegistryCoordinator.sol";

/// @title DowntimeEjector
/// @notice Acts on the downtime log: a report that an operator was down for more than a configured
///         share of an epoch, signed by operators holding at least a stake threshold (checked with
///         the AVS's BLSSignatureChecker at the report's reference block), ejects the operator from
///         the configured quorums through the RegistryCoordinator's ejector role, at most once per
///         operator per epoch. Set this contract as the coordinator's `ejector`.
/// @dev Epochs are wall-clock windows: epoch n is [epochOrigin + n·epochLength, … + epochLength) in
///      seconds, the off-chain log's epochs with --epoch-origin/--epoch-length in whole seconds.
///      The ejection event is what a slasher would consume; slashing is not done here.
contract DowntimeEjector {
    /// @notice What the operators sign: `operator` was down `downtimeMs` in `epoch`, per the
    ///         downtime log as of log index `asOfIndex`, stake counted at `referenceBlock`.
    struct DowntimeReport {
        address operator;
        uint64 epoch;
        uint64 downtimeMs;
        uint64 asOfIndex;
        uint32 referenceBlock;
    }

    /// @notice Domain of report digests: they cannot be confused with task responses or votes.
    bytes32 public constant REPORT_TYPEHASH = keccak256("avskit.downtime.report.v1");

    /// @notice The checker the tasks use (e.g. the TaskManager proxy).
    IBLSSignatureChecker public immutable checker;
    /// @notice The coordinator whose ejector this contract is.
    IRegistryCoordinator public immutable registryCoordinator;
    /// @notice Signed stake needed in every quorum, in percent of the quorum's total.
    uint8 public immutable thresholdPercentage;
    /// @notice A report ejects when downtime exceeds this share of the epoch, in basis points.
    uint16 public immutable maxDowntimeBps;
    /// @notice Start of epoch 0 (unix seconds) and epoch length (seconds).
    uint64 public immutable epochOrigin;
    uint64 public immutable epochLength;
    /// @notice The quorums that sign reports and that an operator is ejected from.
    bytes public quorumNumbers;

    /// @notice Digests of reports already acted on.
    mapping(bytes32 reportHash => bool) public reportUsed;
    /// @notice Whether an operator was ejected for an epoch.
    mapping(address operator => mapping(uint64 epoch => bool)) public ejectedInEpoch;

    /// @notice `operator` was ejected for `downtimeMs` of downtime in `epoch`.
    event OperatorEjectedForDowntime(
        address indexed operator, uint64 indexed epoch, uint64 downtimeMs, uint64 asOfIndex, bytes32 reportHash
    );

    /// @notice A constructor argument is out of range.
    error InvalidConfiguration(string what);
    /// @notice The report is for `reportEpoch`; only the current epoch `currentEpoch` or the one before are acted on.
    error WrongEpoch(uint64 reportEpoch, uint64 currentEpoch);
    /// @notice This very report was acted on before.
    error ReportAlreadyUsed(bytes32 reportHash);
    /// @notice `operator` was already ejected for `epoch`.
    error AlreadyEjectedThisEpoch(address operator, uint64 epoch);
    /// @notice The downtime does not exceed the ejection share: `downtimeMs` ≤ `limitMs`.
    error DowntimeBelowEjectionShare(uint64 downtimeMs, uint64 limitMs);
    /// @notice The downtime is longer than an epoch.
    error DowntimeLongerThanEpoch(uint64 downtimeMs, uint64 epochLengthMs);
    /// @notice The signers hold `signed` of `total` stake in quorum `quorumNumber`, below the threshold.
    error InsufficientSignedStake(uint8 quorumNumber, uint96 signed, uint96 total);
    /// @notice `operator` is not registered with the coordinator.
    error OperatorNotRegistered(address operator);

    /// @param checker_ The BLSSignatureChecker the tasks use; its coordinator must have this contract as ejector.
    /// @param quorumNumbers_ Quorums that sign (each must reach the threshold) and that the operator leaves.
    /// @param thresholdPercentage_ 1..100.
    /// @param maxDowntimeBps_ 1..9999: a report ejects when downtime > this share of the epoch.
    /// @param epochOrigin_ Start of epoch 0 (unix seconds, ≤ now).
    /// @param epochLength_ Epoch length in seconds (> 0).
    constructor(
        IBLSSignatureChecker checker_,
        bytes memory quorumNumbers_,
        uint8 thresholdPercentage_,
        uint16 maxDowntimeBps_,
        uint64 epochOrigin_,
        uint64 epochLength_
    ) {
        if (quorumNumbers_.length == 0) revert InvalidConfiguration("quorumNumbers");
        if (thresholdPercentage_ == 0 || thresholdPercentage_ > 100) revert InvalidConfiguration("thresholdPercentage");
        if (maxDowntimeBps_ == 0 || maxDowntimeBps_ >= 10_000) revert InvalidConfiguration("maxDowntimeBps");
        if (epochLength_ == 0) revert InvalidConfiguration("epochLength");
        if (epochOrigin_ > block.timestamp) revert InvalidConfiguration("epochOrigin");
        checker = checker_;
        registryCoordinator = checker_.registryCoordinator();
        quorumNumbers = quorumNumbers_;
        thresholdPercentage = thresholdPercentage_;
        maxDowntimeBps = maxDowntimeBps_;
        epochOrigin = epochOrigin_;
        epochLength = epochLength_;
    }

    /// @notice The epoch block.timestamp falls in.
    function currentEpoch() public view returns (uint64) {
        return uint64((block.timestamp - epochOrigin) / epochLength);
    }

    /// @notice The digest operators sign for `report` (BN254, the tasks' hash-to-curve), bound to
    ///         this chain and this contract.
    function reportHash(DowntimeReport calldata report) public view returns (bytes32) {
        return keccak256(
            abi.encode(
                REPORT_TYPEHASH,
                block.chainid,
                address(this),
                report.operator,
                report.epoch,
                report.downtimeMs,
                report.asOfIndex,
                report.referenceBlock
            )
        );
    }

    /// @notice Ejects `report.operator` from `quorumNumbers` when the report is signed by the
    ///         threshold of stake at its reference block and its downtime exceeds the share.
    /// @dev Reverts: WrongEpoch, ReportAlreadyUsed, AlreadyEjectedThisEpoch, DowntimeLongerThanEpoch,
    ///      DowntimeBelowEjectionShare, OperatorNotRegistered, the checker's errors (a tampered
    ///      report fails its signature: InvalidSignature), InsufficientSignedStake.
    function ejectForDowntime(
        DowntimeReport calldata report,
        IBLSSignatureChecker.NonSignerStakesAndSignature calldata signature
    ) external {
        uint64 current = currentEpoch();
        if (report.epoch != current && report.epoch + 1 != current) revert WrongEpoch(report.epoch, current);
        bytes32 digest = reportHash(report);
        if (reportUsed[digest]) revert ReportAlreadyUsed(digest);
        if (ejectedInEpoch[report.operator][report.epoch]) {
            revert AlreadyEjectedThisEpoch(report.operator, report.epoch);
        }
        uint64 epochMs = epochLength * 1000;
        if (report.downtimeMs > epochMs) revert DowntimeLongerThanEpoch(report.downtimeMs, epochMs);
        uint64 limitMs = uint64((uint256(epochMs) * maxDowntimeBps) / 10_000);
        if (report.downtimeMs <= limitMs) revert DowntimeBelowEjectionShare(report.downtimeMs, limitMs);
        if (registryCoordinator.getOperatorStatus(report.operator) != IRegistryCoordinator.OperatorStatus.REGISTERED) {
            revert OperatorNotRegistered(report.operator);
        }

        bytes memory quorums = quorumNumbers;
        (IBLSSignatureChecker.QuorumStakeTotals memory totals,) =
            checker.checkSignatures(digest, quorums, report.referenceBlock, signature);
        for (uint256 i = 0; i < quorums.length; ++i) {
            uint96 signed = totals.signedStakeForQuorum[i];
            uint96 total = totals.totalStakeForQuorum[i];
            if (uint256(signed) * 100 < uint256(total) * thresholdPercentage) {
                revert InsufficientSignedStake(uint8(quorums[i]), signed, total);
            }
        }

        reportUsed[digest] = true;
        ejectedInEpoch[report.operator][report.epoch] = true;
        emit OperatorEjectedForDowntime(report.operator, report.epoch, report.downtimeMs, report.asOfIndex, digest);
        registryCoordinator.ejectOperator(report.operator, quorums);
    }
}
