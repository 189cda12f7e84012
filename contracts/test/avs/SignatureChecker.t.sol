// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {BlockHistory} from "../../contracts/libraries/BlockHistory.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {QuorumBitmap} from "../../contracts/libraries/QuorumBitmap.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev checkSignatures (through the TaskManager proxy, which inherits the checker). Operators:
///      1: quorums 0,1 (10)   2: quorum 0 (20)   3: quorum 1 (30)   4: quorums 0,1 (40).
///      Quorum 0 total 70, quorum 1 total 80.
contract SignatureCheckerTest is AvsTestBase {
    bytes32 internal constant MSG = keccak256("sum=42");
    uint32 internal ref;

    function setUp() public override {
        super.setUp();
        _register(1, _q(0, 1), 10 ether);
        _register(2, _q(0), 20 ether);
        _register(3, _q(1), 30 ether);
        _register(4, _q(0, 1), 40 ether);
        ref = uint32(block.number);
        vm.roll(block.number + 1);
    }

    function _check(bytes memory quorums, IBLSSignatureChecker.NonSignerStakesAndSignature memory p)
        internal
        view
        returns (IBLSSignatureChecker.QuorumStakeTotals memory totals, bytes32 recordHash)
    {
        return taskManager.checkSignatures(MSG, quorums, ref, p);
    }

    /// @dev Multiplicities of operators 1..4 in quorums {0,1}.
    function _k(uint256 i) internal pure returns (uint256) {
        return (i == 1 || i == 4) ? 2 : 1;
    }

    function _ks(uint256[] memory signers) internal pure returns (uint256[] memory ks) {
        ks = new uint256[](signers.length);
        for (uint256 j = 0; j < signers.length; ++j) {
            ks[j] = _k(signers[j]);
        }
    }

    function _input(uint256[] memory signers) internal view returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory) {
        return _checkInput(MSG, _q(0, 1), ref, signers, _ks(signers));
    }

    // ------------------------------------------------------------------ accepted

    function test_allSign_twoQuorums() public view {
        uint256[] memory signers = _range(1, 4);
        (IBLSSignatureChecker.QuorumStakeTotals memory t, bytes32 h) = _check(_q(0, 1), _input(signers));
        assertEq(t.signedStakeForQuorum[0], 70 ether, "q0 signed");
        assertEq(t.totalStakeForQuorum[0], 70 ether, "q0 total");
        assertEq(t.signedStakeForQuorum[1], 80 ether, "q1 signed");
        assertEq(t.totalStakeForQuorum[1], 80 ether, "q1 total");
        assertEq(h, keccak256(abi.encodePacked(ref, new bytes32[](0))), "record hash, no non-signers");
    }

    function test_nonSignerInTwoQuorumsSubtractedTwice() public view {
        // Non-signers 2 (quorum 0) and 4 (both quorums): 4's key leaves both quorum APKs.
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        assertEq(p.nonSignerPubkeys.length, 2, "two non-signers");
        (IBLSSignatureChecker.QuorumStakeTotals memory t, bytes32 h) = _check(_q(0, 1), p);
        assertEq(t.signedStakeForQuorum[0], 10 ether, "q0: only 1 signed");
        assertEq(t.signedStakeForQuorum[1], 40 ether, "q1: 1 and 3 signed");
        assertEq(t.totalStakeForQuorum[1], 80 ether, "q1 total");
        bytes32[] memory ids = new bytes32[](2);
        (ids[0], ids[1]) = _sorted(_operatorId(2), _operatorId(4));
        assertEq(h, keccak256(abi.encodePacked(ref, ids)), "record hash");
    }

    function test_singleQuorumTask() public view {
        // In a quorum-1-only task, operator 1 counts once.
        uint256[] memory signers = _list(1, 3);
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p =
            _checkInput(MSG, _q(1), ref, signers, _ones(2));
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(1), p);
        assertEq(t.signedStakeForQuorum[0], 40 ether, "signed");
        assertEq(t.totalStakeForQuorum[0], 80 ether, "total");
    }

    function test_withoutHashWitness() public view {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 2));
        delete p.hashHint;
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(0, 1), p);
        assertEq(t.signedStakeForQuorum[0], 30 ether, "computed H on-chain");
    }

    function test_usesStakesOfTheReferenceBlock() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 2, 3));
        // After the reference block: operator 2 leaves, operator 3 stakes more.
        vm.prank(_operator(2));
        coordinator.deregisterOperator(_q(0));
        _deposit(3, strategy, 100 ether);
        address[] memory ops = new address[](1);
        ops[0] = _operator(3);
        coordinator.updateOperators(ops);
        vm.roll(block.number + 1);
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(0, 1), p);
        assertEq(t.signedStakeForQuorum[0], 30 ether, "q0 as of ref");
        assertEq(t.totalStakeForQuorum[1], 80 ether, "q1 total as of ref");
    }

    // ------------------------------------------------------------------ refused

    function test_refuses_badSignature() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        p.sigma = BN254.plus(p.sigma, BN254.generatorG1());
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        _check(_q(0, 1), p);
    }

    function test_refuses_signatureOverAnotherMessage() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p =
            _checkInput(keccak256("sum=41"), _q(0, 1), ref, _range(1, 4), _ks(_range(1, 4)));
        delete p.hashHint; // the witness is for the other message; let the checker hash MSG itself
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        _check(_q(0, 1), p);
    }

    function test_refuses_wrongMultiplicity() public {
        // eigensdk-go's old bug: a signer in two of the task's quorums counted once.
        uint256[] memory signers = _range(1, 4);
        (BN254.G1Point memory sigma,) = _aggregate(MSG, signers, _ones(4));
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(signers);
        p.sigma = sigma;
        vm.expectRevert(IBLSSignatureChecker.InvalidSignature.selector);
        _check(_q(0, 1), p);
    }

    function test_refuses_referenceBlockNotInPast() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        vm.expectRevert(
            abi.encodeWithSelector(
                IBLSSignatureChecker.ReferenceBlockNotInPast.selector, uint32(block.number), block.number
            )
        );
        taskManager.checkSignatures(MSG, _q(0, 1), uint32(block.number), p);
    }

    function test_refuses_unsortedNonSigners() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        (p.nonSignerPubkeys[0], p.nonSignerPubkeys[1]) = (p.nonSignerPubkeys[1], p.nonSignerPubkeys[0]);
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.NonSignersNotSorted.selector, 1));
        _check(_q(0, 1), p);
        // A repeated non-signer is not strictly ascending either.
        p = _input(_list(1, 3));
        p.nonSignerPubkeys[1] = p.nonSignerPubkeys[0];
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.NonSignersNotSorted.selector, 1));
        _check(_q(0, 1), p);
    }

    function test_refuses_nonSignerOutsideTheTaskQuorums() public {
        // Quorum-1 task; operator 2 (quorum 0 only) slipped in as a "non-signer".
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _checkInput(MSG, _q(1), ref, _list(1, 3, 4), _ones(3));
        bytes32 id2 = _operatorId(2);
        p.nonSignerPubkeys = new BN254.G1Point[](1);
        p.nonSignerPubkeys[0] = _pubkeyG1(2);
        p.nonSignerQuorumBitmapIndices = new uint32[](1);
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.NonSignerNotInQuorums.selector, id2));
        _check(_q(1), p);
    }

    /// @dev The checker reads the registries' answers straight from the return data: anything but
    ///      their exact ABI encoding with clean words is refused, not half-read.
    function test_refuses_malformedRegistryAnswers() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        bytes4 aggregates = IStakeRegistry.getQuorumAggregatesAtBlockNumber.selector;
        bytes24[] memory hashes = new bytes24[](2);
        uint96[] memory stakes = new uint96[](2);
        bytes[] memory answers = new bytes[](4);
        answers[0] = abi.encode(new bytes24[](1), new uint96[](1), new uint96[](1)); // one quorum short
        answers[1] = bytes.concat(abi.encode(hashes, stakes, stakes), bytes32(0)); // a trailing word
        bytes memory dirty = abi.encode(hashes, stakes, stakes);
        assembly ("memory-safe") {
            // offsets (3 words), the hashes (length + 2), the totals' length: the first total.
            mstore(add(dirty, add(0x20, 0xe0)), shl(100, 1)) // above uint96
        }
        answers[2] = dirty;
        bytes memory reordered = abi.encode(hashes, stakes, stakes);
        assembly ("memory-safe") {
            mstore(add(reordered, 0x20), 0x40) // the first offset moved
        }
        answers[3] = reordered;
        for (uint256 i = 0; i < answers.length; ++i) {
            vm.mockCall(address(stakeRegistry), abi.encodePacked(aggregates), answers[i]);
            vm.expectRevert(IBLSSignatureChecker.UnexpectedRegistryAnswer.selector);
            _check(_q(0, 1), p);
        }
        vm.clearMockedCalls();
        vm.mockCall(
            address(coordinator),
            abi.encodePacked(IRegistryCoordinator.getQuorumBitmapsAtBlockNumber.selector),
            abi.encode(new uint256[](1)) // two non-signers asked
        );
        vm.expectRevert(IBLSSignatureChecker.UnexpectedRegistryAnswer.selector);
        _check(_q(0, 1), p);
        vm.clearMockedCalls();
        _check(_q(0, 1), p); // the real answers pass again
    }

    function test_refuses_wrongQuorumApk() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        p.quorumApks[1] = BN254.plus(p.quorumApks[1], BN254.generatorG1());
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.InvalidQuorumApk.selector, uint8(1)));
        _check(_q(0, 1), p);
    }

    function test_refuses_wrongHistoryIndices() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        p.quorumApkIndices[0] += 1;
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, p.quorumApkIndices[0]));
        _check(_q(0, 1), p);

        p = _input(_list(1, 3));
        p.totalStakeIndices[1] = 0; // the entry from quorum creation, superseded at registration
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntrySuperseded.selector, ref, ref));
        _check(_q(0, 1), p);

        p = _input(_list(1, 3));
        p.nonSignerStakeIndices[0][0] = 5;
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 5));
        _check(_q(0, 1), p);

        p = _input(_list(1, 3));
        p.nonSignerQuorumBitmapIndices[0] = 3;
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 3));
        _check(_q(0, 1), p);
    }

    function test_refuses_lengthMismatches() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_list(1, 3));
        p.totalStakeIndices = new uint32[](1);
        vm.expectRevert(IBLSSignatureChecker.InputArrayLengthMismatch.selector);
        _check(_q(0, 1), p);

        p = _input(_list(1, 3));
        p.nonSignerQuorumBitmapIndices = new uint32[](1);
        vm.expectRevert(IBLSSignatureChecker.InputArrayLengthMismatch.selector);
        _check(_q(0, 1), p);

        // One stake index too few for quorum 0's non-signers (2 and 4).
        p = _input(_list(1, 3));
        p.nonSignerStakeIndices[0] = new uint32[](1);
        vm.expectRevert(bytes4(keccak256("InputLengthMismatch()")));
        _check(_q(0, 1), p);
    }

    function test_refuses_badQuorumNumbers() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        vm.expectRevert(QuorumBitmap.QuorumNumbersNotStrictlyAscending.selector);
        taskManager.checkSignatures(MSG, hex"0100", ref, p);
        vm.expectRevert(IBLSSignatureChecker.EmptyQuorumNumbers.selector);
        taskManager.checkSignatures(MSG, "", ref, p);
        // A quorum that does not exist has no APK history.
        p = _checkInput(MSG, _q(0), ref, _range(1, 2), _ones(2));
        uint32 apkIndex = p.quorumApkIndices[0];
        p.quorumApks = new BN254.G1Point[](2);
        p.quorumApkIndices = new uint32[](2);
        p.quorumApkIndices[0] = apkIndex;
        p.totalStakeIndices = new uint32[](2);
        p.nonSignerStakeIndices = new uint32[][](2);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 0));
        taskManager.checkSignatures(MSG, _q(0, 5), ref, p);
    }

    function test_refuses_badHashWitness() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        p.hashHint.y = BN254.FP_MODULUS - p.hashHint.y;
        vm.expectRevert(IBLSSignatureChecker.InvalidHashHint.selector);
        _check(_q(0, 1), p);
    }

    function test_refuses_malformedApkG2() public {
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        // [c0, c1] instead of [c1, c0]: not a G2 point, the pairing precompile fails.
        (p.apkG2.X[0], p.apkG2.X[1]) = (p.apkG2.X[1], p.apkG2.X[0]);
        (p.apkG2.Y[0], p.apkG2.Y[1]) = (p.apkG2.Y[1], p.apkG2.Y[0]);
        vm.expectRevert(IBLSSignatureChecker.PairingPrecompileFailed.selector);
        _check(_q(0, 1), p);
    }

    function test_refuses_emptyQuorumWithoutSigners() public {
        // Nobody signs: apk = 0, sigma = 0, apkG2 = 0 passes the pairing trivially. The checker
        // reports 0 signed; the TaskManager's threshold then refuses it (see TaskManager tests).
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(new uint256[](0));
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(0, 1), p);
        assertEq(t.signedStakeForQuorum[0] + t.signedStakeForQuorum[1], 0, "nothing signed");
    }

    // ------------------------------------------------------------------ stale-stake guard

    function test_staleStakeGuard() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), bytes32(0)
            )
        );
        taskManager.setStaleStakesForbidden(true);
        vm.prank(owner);
        taskManager.setStaleStakesForbidden(true);
        assertTrue(taskManager.staleStakesForbidden(), "on");

        // Withdrawal delay 50 blocks; no full update yet (block 0), reference block >= 50: stale.
        vm.roll(200);
        ref = 199;
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _input(_range(1, 4));
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.StaleStakes.selector, uint8(0), 0));
        _check(_q(0, 1), p);

        // A full update of both quorums at block 200 makes references up to block 249 acceptable.
        address[][] memory lists = new address[][](2);
        lists[0] = _sortedAddresses(_list(1, 2, 4));
        lists[1] = _sortedAddresses(_list(1, 3, 4));
        coordinator.updateOperatorsForQuorum(lists, _q(0, 1));
        vm.roll(260);
        ref = 249;
        p = _input(_range(1, 4));
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(0, 1), p);
        assertEq(t.signedStakeForQuorum[1], 80 ether, "fresh");
        ref = 250;
        p = _input(_range(1, 4));
        vm.expectRevert(abi.encodeWithSelector(IBLSSignatureChecker.StaleStakes.selector, uint8(0), 200));
        _check(_q(0, 1), p);
    }

    // ------------------------------------------------------------------ fuzz

    /// @dev Any subset of signers over both quorums: accepted, with signed stake = Σ of the signers'
    ///      stakes in each quorum.
    function testFuzz_anySignerSubset(uint8 mask) public view {
        uint256 count = 0;
        for (uint256 i = 1; i <= 4; ++i) {
            if ((mask >> i) & 1 == 1) ++count;
        }
        uint256[] memory signers = new uint256[](count);
        uint256 n = 0;
        uint256 expected0 = 0;
        uint256 expected1 = 0;
        uint96[5] memory stake = [uint96(0), 10 ether, 20 ether, 30 ether, 40 ether];
        for (uint256 i = 1; i <= 4; ++i) {
            if ((mask >> i) & 1 == 0) continue;
            signers[n++] = i;
            if (i != 3) expected0 += stake[i];
            if (i != 2) expected1 += stake[i];
        }
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = _check(_q(0, 1), _input(signers));
        assertEq(t.signedStakeForQuorum[0], expected0, "q0");
        assertEq(t.signedStakeForQuorum[1], expected1, "q1");
    }

    // ------------------------------------------------------------------ helpers

    function _sorted(bytes32 a, bytes32 b) internal pure returns (bytes32, bytes32) {
        return a < b ? (a, b) : (b, a);
    }

    function _sortedAddresses(uint256[] memory which) internal pure returns (address[] memory ops) {
        ops = new address[](which.length);
        for (uint256 j = 0; j < which.length; ++j) {
            ops[j] = _operator(which[j]);
        }
        for (uint256 a = 1; a < ops.length; ++a) {
            for (uint256 b = a; b > 0 && ops[b - 1] > ops[b]; --b) {
                (ops[b - 1], ops[b]) = (ops[b], ops[b - 1]);
            }
        }
    }
}
