// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BlockHistory} from "../../contracts/libraries/BlockHistory.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {BN254Ext} from "../../contracts/libraries/BN254Ext.sol";
import {BN254G2} from "../../contracts/libraries/BN254G2.sol";
import {QuorumBitmap} from "../../contracts/libraries/QuorumBitmap.sol";
import {BlsFixtures} from "./utils/BlsFixtures.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @dev External wrappers so that expectRevert sees library reverts and calldata arguments exist.
contract LibraryHarness {
    function fromNumbers(bytes calldata quorumNumbers) external pure returns (uint256 a, uint256 b) {
        a = QuorumBitmap.fromNumbers(quorumNumbers);
        b = QuorumBitmap.fromNumbersCalldata(quorumNumbers);
    }

    function checkEntryAt(uint32 update, uint32 next, uint32 blockNumber) external pure {
        BlockHistory.checkEntryAt(update, next, blockNumber, 7);
    }

    function hashToG1WithHint(bytes32 digest, uint256[] calldata roots, uint256 y, uint256 yRoot)
        external
        pure
        returns (bool, uint256)
    {
        return BN254Ext.hashToG1WithHint(digest, roots, y, yRoot);
    }

    function checkAggregate(
        bytes32 msgHash,
        BN254.G1Point calldata apk,
        BN254.G2Point calldata apkG2,
        BN254.G1Point calldata sigma,
        BN254.G1Point calldata h
    ) external view returns (bool, bool) {
        return BN254Ext.checkAggregate(msgHash, apk.X, apk.Y, apkG2, sigma, h.X, h.Y, 120_000);
    }
}

contract LibrariesTest is TestBase {
    LibraryHarness internal harness;

    function setUp() public {
        harness = new LibraryHarness();
    }

    // ------------------------------------------------------------------ QuorumBitmap

    function test_bitmap_roundTrip() public view {
        (uint256 a, uint256 b) = harness.fromNumbers(hex"000305bf");
        uint256 expected = (1 << 0) | (1 << 3) | (1 << 5) | (1 << 191);
        assertEq(a, expected, "memory form");
        assertEq(b, expected, "calldata form");
        assertEq(keccak256(QuorumBitmap.toNumbers(expected)), keccak256(hex"000305bf"), "back to numbers");
        assertEq(QuorumBitmap.count(expected), 4, "count");
        assertTrue(QuorumBitmap.isSet(expected, 191), "bit 191");
        assertFalse(QuorumBitmap.isSet(expected, 1), "bit 1");
    }

    function test_bitmap_rejectsUnsortedAndRepeated() public {
        vm.expectRevert(QuorumBitmap.QuorumNumbersNotStrictlyAscending.selector);
        harness.fromNumbers(hex"0100");
        vm.expectRevert(QuorumBitmap.QuorumNumbersNotStrictlyAscending.selector);
        harness.fromNumbers(hex"0202");
    }

    function test_bitmap_rejectsTooLarge() public {
        vm.expectRevert(abi.encodeWithSelector(QuorumBitmap.QuorumNumberTooLarge.selector, uint8(192)));
        harness.fromNumbers(hex"01c0");
    }

    function testFuzz_bitmap_roundTrip(uint192 bitmap) public view {
        bytes memory numbers = QuorumBitmap.toNumbers(bitmap);
        (uint256 a,) = harness.fromNumbers(numbers);
        assertEq(a, bitmap, "round trip");
        assertEq(numbers.length, QuorumBitmap.count(bitmap), "length = popcount");
    }

    // ------------------------------------------------------------------ BlockHistory

    function test_history_entryValidity() public {
        harness.checkEntryAt(5, 0, 5); // current entry, from its own block
        harness.checkEntryAt(5, 9, 8); // closed entry, before the next update
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 7));
        harness.checkEntryAt(0, 0, 8);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryAfterBlock.selector, 4, 5));
        harness.checkEntryAt(5, 0, 4);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntrySuperseded.selector, 9, 9));
        harness.checkEntryAt(5, 9, 9);
    }

    // ------------------------------------------------------------------ hashToG1 witness

    /// @dev Fixture from @avskit/bls (scripts/gen-bls-fixtures.mjs): a digest whose hashToG1 skips >= 3 x values.
    function test_hint_fixtureMatchesOffChainAndOnChain() public view {
        uint256[] memory roots = BlsFixtures.hintNonResidueRoots();
        assertTrue(roots.length >= 3, "fixture skips several x");
        (bool valid, uint256 x) =
            harness.hashToG1WithHint(BlsFixtures.HINT_DIGEST, roots, BlsFixtures.HINT_Y, BlsFixtures.HINT_Y_ROOT);
        assertTrue(valid, "witness accepted");
        assertEq(x, BlsFixtures.HINT_X, "x");
        BN254.G1Point memory h = BN254.hashToG1(BlsFixtures.HINT_DIGEST);
        assertEq(h.X, BlsFixtures.HINT_X, "on-chain hashToG1 x");
        assertEq(h.Y, BlsFixtures.HINT_Y, "on-chain hashToG1 y");
        // The witness the contracts compute equals a valid one (roots may differ in sign).
        (uint256[] memory computed, uint256 y,) = BN254Ext.hashToG1Hint(BlsFixtures.HINT_DIGEST);
        assertEq(computed.length, roots.length, "skip count");
        assertEq(y, BlsFixtures.HINT_Y, "computed y");
    }

    function testFuzz_hint_computedWitnessVerifies(bytes32 digest) public view {
        (uint256[] memory roots, uint256 y, uint256 yRoot) = BN254Ext.hashToG1Hint(digest);
        (bool valid, uint256 x) = harness.hashToG1WithHint(digest, roots, y, yRoot);
        assertTrue(valid, "valid");
        BN254.G1Point memory h = BN254.hashToG1(digest);
        assertEq(x, h.X, "x");
        assertEq(y, h.Y, "y");
    }

    function testFuzz_hint_rejectsTheOtherRoot(bytes32 digest) public view {
        (uint256[] memory roots, uint256 y, uint256 yRoot) = BN254Ext.hashToG1Hint(digest);
        // p - y also squares to beta but is not the root hashToG1 picks: no root of it exists,
        // so whatever witness is given, it must fail.
        (bool valid,) = harness.hashToG1WithHint(digest, roots, BN254.FP_MODULUS - y, yRoot);
        assertFalse(valid, "negated y");
    }

    function test_hint_rejectsSkippingAValidX() public view {
        // Find a digest whose first x works, then claim it was skipped with any "root".
        bytes32 digest;
        uint256[] memory roots;
        for (uint256 n = 0;; ++n) {
            digest = keccak256(abi.encode(n));
            (roots,,) = BN254Ext.hashToG1Hint(digest);
            if (roots.length == 0) break;
        }
        (uint256[] memory unused, uint256 y, uint256 yRoot) = BN254Ext.hashToG1Hint(digest);
        unused = new uint256[](1);
        for (uint256 w = 0; w < 5; ++w) {
            unused[0] = w;
            (bool valid,) = harness.hashToG1WithHint(digest, unused, y, yRoot);
            assertFalse(valid, "a residue cannot be skipped");
        }
    }

    function test_hint_rejectsWrongYRoot() public view {
        (uint256[] memory roots, uint256 y, uint256 yRoot) = BN254Ext.hashToG1Hint(keccak256("m"));
        (bool valid,) = harness.hashToG1WithHint(keccak256("m"), roots, y, yRoot + 1);
        assertFalse(valid, "bad root of y");
        (valid,) = harness.hashToG1WithHint(keccak256("m"), roots, y + BN254.FP_MODULUS, yRoot);
        assertFalse(valid, "y not reduced");
    }

    // ------------------------------------------------------------------ point helpers

    function testFuzz_mulSmall_matchesEcMul(uint8 k, uint256 s) public view {
        vm.assume(k != 0);
        s = s % BN254.FR_MODULUS;
        vm.assume(s != 0);
        BN254.G1Point memory p = BN254.scalarMul(BN254.generatorG1(), s);
        (uint256 x, uint256 y) = BN254Ext.mulSmall(p.X, p.Y, k);
        BN254.G1Point memory expected = BN254.scalarMul(p, k);
        assertEq(x, expected.X, "x");
        assertEq(y, expected.Y, "y");
    }

    function test_negate() public view {
        BN254.G1Point memory p = BN254.scalarMul(BN254.generatorG1(), 5);
        (uint256 nx, uint256 ny) = BN254Ext.negate(p.X, p.Y);
        (uint256 x, uint256 y) = BN254Ext.add(p.X, p.Y, nx, ny);
        assertEq(x, 0, "p + (-p) = 0 (x)");
        assertEq(y, 0, "p + (-p) = 0 (y)");
        (x, y) = BN254Ext.negate(0, 0);
        assertEq(x + y, 0, "-0 = 0");
    }

    function test_add_rejectsOffCurvePoint() public {
        vm.expectRevert(BN254.ECAddFailed.selector);
        this.addExternal(1, 3, 1, 2);
    }

    function addExternal(uint256 a, uint256 b, uint256 c, uint256 d) external view returns (uint256, uint256) {
        return BN254Ext.add(a, b, c, d);
    }

    function test_checkAggregate_singleSigner() public view {
        bytes32 m = keccak256("message");
        BN254.G1Point memory h = BN254.hashToG1(m);
        uint256 sk = BlsFixtures.secretKey(1);
        BN254.G1Point memory pk = BN254.scalarMul(BN254.generatorG1(), sk);
        BN254.G2Point memory pkG2;
        (pkG2.X, pkG2.Y) = BlsFixtures.publicKeyG2(1);
        BN254.G1Point memory sigma = BN254.scalarMul(h, sk);
        (bool ok, bool valid) = harness.checkAggregate(m, pk, pkG2, sigma, h);
        assertTrue(ok && valid, "valid signature");
        // Same check, bit-exact gamma: the BN254 library's own version agrees.
        (ok, valid) = BN254.verifyApkSignature(m, pk, pkG2, sigma, 120_000);
        assertTrue(ok && valid, "BN254.verifyApkSignature agrees");
        (ok, valid) = harness.checkAggregate(keccak256("other"), pk, pkG2, sigma, BN254.hashToG1(keccak256("other")));
        assertTrue(ok && !valid, "other message");
        // G1 and G2 keys of different secrets: rejected thanks to gamma.
        BN254.G1Point memory pk2 = BN254.scalarMul(BN254.generatorG1(), BlsFixtures.secretKey(2));
        (ok, valid) = harness.checkAggregate(m, pk2, pkG2, sigma, h);
        assertTrue(ok && !valid, "mismatched G1 key");
    }

    function test_checkAggregate_offChainSignatureFixture() public view {
        // sigma computed by @avskit/bls signDigest for key 1 over HINT_DIGEST.
        BN254.G1Point memory sigma = BN254.G1Point(BlsFixtures.SIGMA1_X, BlsFixtures.SIGMA1_Y);
        BN254.G1Point memory h = BN254.hashToG1(BlsFixtures.HINT_DIGEST);
        BN254.G1Point memory onChain = BN254.scalarMul(h, BlsFixtures.secretKey(1));
        assertEq(onChain.X, sigma.X, "same signature on and off chain");
        BN254.G1Point memory pk = BN254.G1Point(BlsFixtures.KEY1_G1_X, BlsFixtures.KEY1_G1_Y);
        BN254.G2Point memory pkG2;
        (pkG2.X, pkG2.Y) = BlsFixtures.publicKeyG2(1);
        (bool ok, bool valid) = harness.checkAggregate(BlsFixtures.HINT_DIGEST, pk, pkG2, sigma, h);
        assertTrue(ok && valid, "off-chain signature verifies on-chain");
    }

    // ------------------------------------------------------------------ BN254G2

    /// @dev The Solidity G2 arithmetic reproduces the off-chain G2 keys (sk·G2) of the fixtures.
    function test_g2_scalarMulMatchesFixtures() public view {
        for (uint256 i = 1; i <= 3; ++i) {
            BN254.G2Point memory expected;
            (expected.X, expected.Y) = BlsFixtures.publicKeyG2(i);
            BN254.G2Point memory computed = BN254G2.scalarMul(BN254.generatorG2(), BlsFixtures.secretKey(i));
            _assertG2(computed, expected, "sk*G2");
        }
    }

    function test_g2_additionIsConsistentWithPairing() public view {
        // (pk1 + pk2 + pk2) in G2 pairs like (sk1 + 2 sk2)·G1 in G1.
        BN254.G2Point memory a;
        BN254.G2Point memory b;
        (a.X, a.Y) = BlsFixtures.publicKeyG2(1);
        (b.X, b.Y) = BlsFixtures.publicKeyG2(2);
        BN254.G2Point memory sum = BN254G2.plus(BN254G2.plus(a, b), b);
        uint256 sk = addmod(BlsFixtures.secretKey(1), mulmod(2, BlsFixtures.secretKey(2), BN254.FR_MODULUS), BN254.FR_MODULUS);
        BN254.G1Point memory pk = BN254.scalarMul(BN254.generatorG1(), sk);
        // e(pk, -G2) · e(G1, sum) == 1
        assertTrue(BN254.pairing(pk, BN254.negGeneratorG2(), BN254.generatorG1(), sum), "pairing");
        // Doubling path and inverse path.
        _assertG2(BN254G2.plus(a, a), BN254G2.scalarMul(a, 2), "a + a = 2a");
        BN254.G2Point memory negA = BN254.G2Point(a.X, [BN254.FP_MODULUS - a.Y[0], BN254.FP_MODULUS - a.Y[1]]);
        BN254.G2Point memory zero = BN254G2.plus(a, negA);
        assertEq(zero.X[0] | zero.X[1] | zero.Y[0] | zero.Y[1], 0, "a - a = 0");
        _assertG2(BN254G2.plus(zero, b), b, "0 + b = b");
    }

    function _assertG2(BN254.G2Point memory a, BN254.G2Point memory b, string memory what) internal pure {
        assertEq(a.X[0], b.X[0], what);
        assertEq(a.X[1], b.X[1], what);
        assertEq(a.Y[0], b.Y[0], what);
        assertEq(a.Y[1], b.Y[1], what);
    }
}
