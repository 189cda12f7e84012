// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "./BN254.sol";

/// @title BN254G2
/// @notice G2 addition and small-scalar multiplication in plain Solidity (no EVM precompile does
///         G2 arithmetic on BN254). For views and tests only: an addition costs a few thousand gas.
/// @dev Points are accumulated in Jacobian coordinates over F_p2 = F_p[i]/(i^2 + 1) and converted
///      back to affine (one F_p inversion through modexp) at the end. Affine G2Points use the
///      EIP-197 order (imaginary part first); the zero point is the point at infinity. Inputs are
///      not checked to be on the curve: callers pass keys the pairing precompile already accepted.
library BN254G2 {
    uint256 private constant P = BN254.FP_MODULUS;

    /// @notice A coordinate is not below p.
    error G2CoordinateOutOfRange();

    /// @notice A G2 point in Jacobian coordinates; each F_p2 element as (real, imaginary). z = 0 is infinity.
    struct Jacobian {
        uint256[2] x;
        uint256[2] y;
        uint256[2] z;
    }

    /// @notice a + b.
    function plus(BN254.G2Point memory a, BN254.G2Point memory b) internal view returns (BN254.G2Point memory) {
        return toAffine(add(fromAffine(a), fromAffine(b)));
    }

    /// @notice s · p by double-and-add (s is any uint256; cost grows with its bit length).
    function scalarMul(BN254.G2Point memory p, uint256 s) internal view returns (BN254.G2Point memory) {
        return toAffine(mul(fromAffine(p), s));
    }

    /// @notice The affine point as a Jacobian one.
    function fromAffine(BN254.G2Point memory p) internal pure returns (Jacobian memory j) {
        if (p.X[0] >= P || p.X[1] >= P || p.Y[0] >= P || p.Y[1] >= P) revert G2CoordinateOutOfRange();
        if (p.X[0] == 0 && p.X[1] == 0 && p.Y[0] == 0 && p.Y[1] == 0) return j;
        j.x = [p.X[1], p.X[0]];
        j.y = [p.Y[1], p.Y[0]];
        j.z = [uint256(1), uint256(0)];
    }

    /// @notice The Jacobian point as an affine one (EIP-197 order).
    function toAffine(Jacobian memory j) internal view returns (BN254.G2Point memory p) {
        if (isInfinity(j)) return p;
        uint256[2] memory zInv = _inv(j.z);
        uint256[2] memory zInv2 = _mul(zInv, zInv);
        uint256[2] memory x = _mul(j.x, zInv2);
        uint256[2] memory y = _mul(j.y, _mul(zInv2, zInv));
        p.X = [x[1], x[0]];
        p.Y = [y[1], y[0]];
    }

    /// @notice Whether j is the point at infinity.
    function isInfinity(Jacobian memory j) internal pure returns (bool) {
        return j.z[0] == 0 && j.z[1] == 0;
    }

    /// @notice a + b (add-2007-bl, falls back to doubling when a == b).
    function add(Jacobian memory a, Jacobian memory b) internal pure returns (Jacobian memory r) {
        if (isInfinity(a)) return b;
        if (isInfinity(b)) return a;
        uint256[2] memory z1z1 = _mul(a.z, a.z);
        uint256[2] memory z2z2 = _mul(b.z, b.z);
        uint256[2] memory u1 = _mul(a.x, z2z2);
        uint256[2] memory h = _sub(_mul(b.x, z1z1), u1); // u2 - u1
        uint256[2] memory s1 = _mul(_mul(a.y, b.z), z2z2);
        uint256[2] memory sDiff = _sub(_mul(_mul(b.y, a.z), z1z1), s1); // s2 - s1
        if (h[0] == 0 && h[1] == 0) {
            if (sDiff[0] == 0 && sDiff[1] == 0) return double(a);
            return r; // a == -b
        }
        return _addFinish(a.z, b.z, u1, h, s1, _add(sDiff, sDiff));
    }

    function _addFinish(
        uint256[2] memory z1,
        uint256[2] memory z2,
        uint256[2] memory u1,
        uint256[2] memory h,
        uint256[2] memory s1,
        uint256[2] memory rr
    ) private pure returns (Jacobian memory r) {
        uint256[2] memory i = _add(h, h);
        i = _mul(i, i);
        uint256[2] memory j = _mul(h, i);
        uint256[2] memory v = _mul(u1, i);
        r.x = _sub(_sub(_mul(rr, rr), j), _add(v, v));
        uint256[2] memory s1j = _mul(s1, j);
        r.y = _sub(_mul(rr, _sub(v, r.x)), _add(s1j, s1j));
        r.z = _mul(_mul(_add(z1, z1), z2), h);
    }

    /// @notice 2·a (dbl-2009-l, curve coefficient a = 0).
    function double(Jacobian memory a) internal pure returns (Jacobian memory r) {
        if (isInfinity(a) || (a.y[0] == 0 && a.y[1] == 0)) return r;
        uint256[2] memory A = _mul(a.x, a.x);
        uint256[2] memory B = _mul(a.y, a.y);
        uint256[2] memory C = _mul(B, B);
        uint256[2] memory t = _add(a.x, B);
        uint256[2] memory D = _sub(_sub(_mul(t, t), A), C);
        D = _add(D, D);
        uint256[2] memory E = _add(_add(A, A), A);
        uint256[2] memory F = _mul(E, E);
        r.x = _sub(F, _add(D, D));
        uint256[2] memory c8 = _add(C, C);
        c8 = _add(c8, c8);
        c8 = _add(c8, c8);
        r.y = _sub(_mul(E, _sub(D, r.x)), c8);
        uint256[2] memory yz = _mul(a.y, a.z);
        r.z = _add(yz, yz);
    }

    /// @notice s · a by double-and-add, most significant bit first.
    function mul(Jacobian memory a, uint256 s) internal pure returns (Jacobian memory r) {
        for (uint256 bit = 256; bit > 0; --bit) {
            r = double(r);
            if ((s >> (bit - 1)) & 1 == 1) r = add(r, a);
        }
    }

    function _add(uint256[2] memory a, uint256[2] memory b) private pure returns (uint256[2] memory) {
        return [addmod(a[0], b[0], P), addmod(a[1], b[1], P)];
    }

    function _sub(uint256[2] memory a, uint256[2] memory b) private pure returns (uint256[2] memory) {
        return [addmod(a[0], P - b[0], P), addmod(a[1], P - b[1], P)];
    }

    /// @dev (a0 + a1·i)(b0 + b1·i) = (a0b0 - a1b1) + (a0b1 + a1b0)·i.
    function _mul(uint256[2] memory a, uint256[2] memory b) private pure returns (uint256[2] memory) {
        return [
            addmod(mulmod(a[0], b[0], P), P - mulmod(a[1], b[1], P), P),
            addmod(mulmod(a[0], b[1], P), mulmod(a[1], b[0], P), P)
        ];
    }

    /// @dev 1/(a0 + a1·i) = (a0 - a1·i)/(a0^2 + a1^2).
    function _inv(uint256[2] memory a) private view returns (uint256[2] memory) {
        uint256 norm = addmod(mulmod(a[0], a[0], P), mulmod(a[1], a[1], P), P);
        uint256 normInv = BN254.expModP(norm, P - 2);
        return [mulmod(a[0], normInv, P), mulmod(P - a[1], normInv, P)];
    }
}
