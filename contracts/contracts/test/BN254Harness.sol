// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "../libraries/BN254.sol";

/// @title BN254Harness
/// @notice Test-only contract: exposes the BN254 library's internal functions as external ones so
///         that Solidity tests can catch their reverts and TypeScript tests can call them over RPC.
///         Not deployed outside tests.
contract BN254Harness {
    /// @notice BN254.generatorG1().
    function generatorG1() external pure returns (BN254.G1Point memory) {
        return BN254.generatorG1();
    }

    /// @notice BN254.generatorG2().
    function generatorG2() external pure returns (BN254.G2Point memory) {
        return BN254.generatorG2();
    }

    /// @notice BN254.negGeneratorG2().
    function negGeneratorG2() external pure returns (BN254.G2Point memory) {
        return BN254.negGeneratorG2();
    }

    /// @notice BN254.negate(p).
    function negate(BN254.G1Point memory p) external pure returns (BN254.G1Point memory) {
        return BN254.negate(p);
    }

    /// @notice BN254.plus(a, b).
    function plus(BN254.G1Point memory a, BN254.G1Point memory b) external view returns (BN254.G1Point memory) {
        return BN254.plus(a, b);
    }

    /// @notice BN254.scalarMul(p, s).
    function scalarMul(BN254.G1Point memory p, uint256 s) external view returns (BN254.G1Point memory) {
        return BN254.scalarMul(p, s);
    }

    /// @notice BN254.scalarMulTiny(p, s).
    function scalarMulTiny(BN254.G1Point memory p, uint256 s) external view returns (BN254.G1Point memory) {
        return BN254.scalarMulTiny(p, s);
    }

    /// @notice BN254.isOnCurveG1(p).
    function isOnCurveG1(BN254.G1Point memory p) external pure returns (bool) {
        return BN254.isOnCurveG1(p);
    }

    /// @notice BN254.pairing(a1, a2, b1, b2).
    function pairing(BN254.G1Point memory a1, BN254.G2Point memory a2, BN254.G1Point memory b1, BN254.G2Point memory b2)
        external
        view
        returns (bool)
    {
        return BN254.pairing(a1, a2, b1, b2);
    }

    /// @notice BN254.safePairing(a1, a2, b1, b2, gasLimit).
    function safePairing(
        BN254.G1Point memory a1,
        BN254.G2Point memory a2,
        BN254.G1Point memory b1,
        BN254.G2Point memory b2,
        uint256 gasLimit
    ) external view returns (bool success, bool result) {
        return BN254.safePairing(a1, a2, b1, b2, gasLimit);
    }

    /// @notice BN254.hashToG1(digest).
    function hashToG1(bytes32 digest) external view returns (BN254.G1Point memory) {
        return BN254.hashToG1(digest);
    }

    /// @notice BN254.hashToG1 over many digests in one call, so interop tests need few round trips.
    function hashToG1Batch(bytes32[] calldata digests) external view returns (BN254.G1Point[] memory points) {
        points = new BN254.G1Point[](digests.length);
        for (uint256 i = 0; i < digests.length; ++i) {
            points[i] = BN254.hashToG1(digests[i]);
        }
    }

    /// @notice BN254.hashG1Point(p).
    function hashG1Point(BN254.G1Point memory p) external pure returns (bytes32) {
        return BN254.hashG1Point(p);
    }

    /// @notice Plain BLS check of a (possibly aggregate) signature over a digest:
    ///         e(sigma, -G2) · e(hashToG1(digest), pkG2) == 1, i.e. e(H(m), pk) == e(sigma, G2).
    /// @dev Reverts BN254.PairingPrecompileFailed on malformed points (e.g. G2 given as [c0, c1]).
    function verifySignature(bytes32 digest, BN254.G1Point memory sigma, BN254.G2Point memory pkG2)
        external
        view
        returns (bool)
    {
        return BN254.pairing(sigma, BN254.negGeneratorG2(), BN254.hashToG1(digest), pkG2);
    }

    /// @notice BN254.verifyPubkeyRegistration(sigma, pkG1, pkG2, messagePoint).
    function verifyPubkeyRegistration(
        BN254.G1Point memory sigma,
        BN254.G1Point memory pkG1,
        BN254.G2Point memory pkG2,
        BN254.G1Point memory messagePoint
    ) external view returns (bool) {
        return BN254.verifyPubkeyRegistration(sigma, pkG1, pkG2, messagePoint);
    }

    /// @notice BN254.registrationChallenge(sigma, pkG1, pkG2, messagePoint).
    function registrationChallenge(
        BN254.G1Point memory sigma,
        BN254.G1Point memory pkG1,
        BN254.G2Point memory pkG2,
        BN254.G1Point memory messagePoint
    ) external pure returns (uint256) {
        return BN254.registrationChallenge(sigma, pkG1, pkG2, messagePoint);
    }

    /// @notice BN254.apkChallenge(msgHash, apk, apkG2, sigma).
    function apkChallenge(
        bytes32 msgHash,
        BN254.G1Point memory apk,
        BN254.G2Point memory apkG2,
        BN254.G1Point memory sigma
    ) external pure returns (uint256) {
        return BN254.apkChallenge(msgHash, apk, apkG2, sigma);
    }

    /// @notice BN254.verifyApkSignature(msgHash, apk, apkG2, sigma, pairingGas).
    function verifyApkSignature(
        bytes32 msgHash,
        BN254.G1Point memory apk,
        BN254.G2Point memory apkG2,
        BN254.G1Point memory sigma,
        uint256 pairingGas
    ) external view returns (bool pairingSuccessful, bool signatureIsValid) {
        return BN254.verifyApkSignature(msgHash, apk, apkG2, sigma, pairingGas);
    }
}
