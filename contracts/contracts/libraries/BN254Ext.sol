// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {
    BN254,
    BN254_FR_MODULUS,
    BN254_G2_X_IM,
    BN254_G2_X_RE,
    BN254_NEG_G2_Y_IM,
    BN254_NEG_G2_Y_RE,
    BN254_SQRT_EXPONENT
} from "./BN254.sol";

/// @title BN254Ext
/// @notice Gas-lean BN254 helpers for the signature checker's hot path, on stack values and
///         calldata instead of memory structs: point addition, small multiples, the aggregate
///         signature check, and a witness-checked hashToG1 that verifies a point is EigenLayer's
///         try-and-increment hashToG1(digest) with a few mulmods instead of one modexp (4,016 gas
///         since EIP-7883) per attempt. Also computes that witness, for views.
/// @dev Why the witness is sound (p ≡ 3 mod 4, so -1 is not a square mod p):
///      - x_i was skipped by hashToG1 iff beta_i = x_i^3 + 3 is not a square. beta_i is never 0
///        (G1 has odd prime order, so no point has y = 0). If -beta_i = w^2 then beta_i is not a
///        square, since -1 is not one. So a root w of -beta_i proves x_i is skipped.
///      - For the x that works, hashToG1 returns y = beta^((p+1)/4). Of the two roots ±y of beta,
///        that one is the square (y^((p-1)/2) = beta^((p^2-1)/8) = 1), and exactly one of ±y is a
///        square. So y^2 = beta plus a root t of y proves y is hashToG1's choice.
library BN254Ext {
    /// @dev p, short for the field arithmetic below.
    uint256 private constant P = BN254.FP_MODULUS;

    /// @notice (x1, y1) + (x2, y2) through ecAdd. Reverts BN254.ECAddFailed for invalid points.
    function add(uint256 x1, uint256 y1, uint256 x2, uint256 y2) internal view returns (uint256 x, uint256 y) {
        bool ok;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, x1)
            mstore(add(m, 0x20), y1)
            mstore(add(m, 0x40), x2)
            mstore(add(m, 0x60), y2)
            ok := staticcall(gas(), 0x06, m, 0x80, m, 0x40)
            x := mload(m)
            y := mload(add(m, 0x20))
        }
        if (!ok) revert BN254.ECAddFailed();
    }

    /// @notice k·(x, y) for a small k >= 1 by double-and-add over ecAdd (cheaper than ecMul's
    ///         6,000 gas while k < 2^5 or so). Reverts BN254.ECAddFailed for an invalid point.
    function mulSmall(uint256 x, uint256 y, uint256 k) internal view returns (uint256 rx, uint256 ry) {
        bool started = false;
        while (true) {
            if (k & 1 == 1) {
                if (started) (rx, ry) = add(rx, ry, x, y);
                else (rx, ry, started) = (x, y, true);
            }
            k >>= 1;
            if (k == 0) break;
            (x, y) = add(x, y, x, y);
        }
    }

    /// @notice -(x, y); the point at infinity (0, 0) stays itself.
    function negate(uint256 x, uint256 y) internal pure returns (uint256, uint256) {
        if (x == 0 && y == 0) return (0, 0);
        return (x, (P - (y % P)) % P);
    }

    /// @notice EigenLayer's aggregate check e(sigma + γ·apk, -G2) · e(H + γ·G1, apkG2) == 1 with
    ///         γ = keccak256(msgHash, apk, apkG2, sigma) mod r, where H = (hX, hY) = hashToG1(msgHash).
    /// @return success false if the pairing precompile failed (malformed apkG2 or out of pairingGas).
    /// @return valid true iff the product is 1.
    /// @dev Reverts BN254.ECMulFailed / BN254.ECAddFailed if sigma (or apk) is not a valid G1 point.
    function checkAggregate(
        bytes32 msgHash,
        uint256 apkX,
        uint256 apkY,
        BN254.G2Point calldata apkG2,
        BN254.G1Point calldata sigma,
        uint256 hX,
        uint256 hY,
        uint256 pairingGas
    ) internal view returns (bool success, bool valid) {
        bool mulOk;
        bool addOk;
        assembly ("memory-safe") {
            // m: 12-word pairing input; s: 4 scratch words after it. Nothing is allocated.
            let m := mload(0x40)
            let s := add(m, 0x180)
            mstore(m, msgHash)
            mstore(add(m, 0x20), apkX)
            mstore(add(m, 0x40), apkY)
            calldatacopy(add(m, 0x60), apkG2, 0x80)
            calldatacopy(add(m, 0xe0), sigma, 0x40)
            let gamma := mod(keccak256(m, 0x120), BN254_FR_MODULUS)

            // m[0..1] = sigma + γ·apk
            mstore(s, apkX)
            mstore(add(s, 0x20), apkY)
            mstore(add(s, 0x40), gamma)
            mulOk := staticcall(gas(), 0x07, s, 0x60, s, 0x40)
            calldatacopy(add(s, 0x40), sigma, 0x40)
            addOk := staticcall(gas(), 0x06, s, 0x80, m, 0x40)
            // m[2..5] = -G2
            mstore(add(m, 0x40), BN254_G2_X_IM)
            mstore(add(m, 0x60), BN254_G2_X_RE)
            mstore(add(m, 0x80), BN254_NEG_G2_Y_IM)
            mstore(add(m, 0xa0), BN254_NEG_G2_Y_RE)
            // m[6..7] = H + γ·G1
            mstore(s, 1)
            mstore(add(s, 0x20), 2)
            mstore(add(s, 0x40), gamma)
            mulOk := and(mulOk, staticcall(gas(), 0x07, s, 0x60, s, 0x40))
            mstore(add(s, 0x40), hX)
            mstore(add(s, 0x60), hY)
            addOk := and(addOk, staticcall(gas(), 0x06, s, 0x80, add(m, 0xc0), 0x40))
            // m[8..11] = apkG2
            calldatacopy(add(m, 0x100), apkG2, 0x80)

            if and(mulOk, addOk) {
                mstore(0x00, 0)
                success := staticcall(pairingGas, 0x08, m, 0x180, 0x00, 0x20)
                valid := and(success, eq(mload(0x00), 1))
            }
        }
        if (!mulOk) revert BN254.ECMulFailed();
        if (!addOk) revert BN254.ECAddFailed();
    }

    /// @notice Whether (x, y) with x = digest mod p + nonResidueRoots.length is hashToG1(digest),
    ///         given the witnesses. Returns x (meaningful only when valid).
    function hashToG1WithHint(bytes32 digest, uint256[] calldata nonResidueRoots, uint256 y, uint256 yRoot)
        internal
        pure
        returns (bool valid, uint256 x)
    {
        x = uint256(digest) % P;
        uint256 skipped = nonResidueRoots.length;
        for (uint256 i = 0; i < skipped; ++i) {
            uint256 beta = addmod(mulmod(mulmod(x, x, P), x, P), BN254.CURVE_B, P);
            uint256 w = nonResidueRoots[i];
            if (beta == 0 || mulmod(w, w, P) != P - beta) return (false, x);
            x = addmod(x, 1, P);
        }
        uint256 betaFinal = addmod(mulmod(mulmod(x, x, P), x, P), BN254.CURVE_B, P);
        valid = y < P && mulmod(y, y, P) == betaFinal && mulmod(yRoot, yRoot, P) == y;
    }

    /// @notice The witness hashToG1WithHint accepts for `digest` (uses modexp; for views).
    function hashToG1Hint(bytes32 digest)
        internal
        view
        returns (uint256[] memory nonResidueRoots, uint256 y, uint256 yRoot)
    {
        uint256 p = BN254.FP_MODULUS;
        uint256 x = uint256(digest) % p;
        // Each x works with probability ~1/2; 64 misses in a row does not happen for a hash.
        nonResidueRoots = new uint256[](64);
        uint256 skipped = 0;
        while (true) {
            uint256 beta = addmod(mulmod(mulmod(x, x, p), x, p), BN254.CURVE_B, p);
            y = _sqrtCandidate(beta);
            if (mulmod(y, y, p) == beta) break;
            nonResidueRoots[skipped++] = _sqrtCandidate(p - beta);
            x = addmod(x, 1, p);
        }
        yRoot = _sqrtCandidate(y);
        assembly ("memory-safe") {
            mstore(nonResidueRoots, skipped)
        }
    }

    /// @dev a^((p+1)/4) mod p: a square root of a when a is a square.
    function _sqrtCandidate(uint256 a) private view returns (uint256) {
        return BN254.expModP(a, BN254_SQRT_EXPONENT);
    }
}
