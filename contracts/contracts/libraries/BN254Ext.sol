// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {BN254} from "./BN254.sol";

/// @title BN254Ext
/// @notice Witness-checked hashToG1: verifies that a point is EigenLayer's try-and-increment
///         hashToG1(digest) with a few mulmods, instead of one modexp (4,016 gas since EIP-7883)
///         per attempt. Also computes the witness, for views that build a signature-check input.
/// @dev Why the witness is sound (p ≡ 3 mod 4, so -1 is not a square mod p):
///      - x_i was skipped by hashToG1 iff beta_i = x_i^3 + 3 is not a square. beta_i is never 0
///        (G1 has odd prime order, so no point has y = 0). If -beta_i = w^2 then beta_i is not a
///        square, since -1 is not one. So a root w of -beta_i proves x_i is skipped.
///      - For the x that works, hashToG1 returns y = beta^((p+1)/4). Of the two roots ±y of beta,
///        that one is the square (y^((p-1)/2) = beta^((p^2-1)/8) = 1), and exactly one of ±y is a
///        square. So y^2 = beta plus a root t of y proves y is hashToG1's choice.
library BN254Ext {
    /// @dev (p + 1) / 4.
    uint256 private constant SQRT_EXPONENT = 0xc19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52;

    /// @notice Whether (x, y) with x = digest mod p + nonResidueRoots.length is hashToG1(digest),
    ///         given the witnesses. Returns the point when it is.
    function hashToG1WithHint(bytes32 digest, uint256[] calldata nonResidueRoots, uint256 y, uint256 yRoot)
        internal
        pure
        returns (bool valid, BN254.G1Point memory point)
    {
        uint256 p = BN254.FP_MODULUS;
        uint256 x = uint256(digest) % p;
        uint256 skipped = nonResidueRoots.length;
        for (uint256 i = 0; i < skipped; ++i) {
            uint256 beta = addmod(mulmod(mulmod(x, x, p), x, p), 3, p);
            uint256 w = nonResidueRoots[i];
            if (beta == 0 || mulmod(w, w, p) != p - beta) return (false, point);
            x = addmod(x, 1, p);
        }
        uint256 betaFinal = addmod(mulmod(mulmod(x, x, p), x, p), 3, p);
        if (y >= p || mulmod(y, y, p) != betaFinal || mulmod(yRoot, yRoot, p) != y) return (false, point);
        return (true, BN254.G1Point(x, y));
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
            uint256 beta = addmod(mulmod(mulmod(x, x, p), x, p), 3, p);
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
    function _sqrtCandidate(uint256 a) private view returns (uint256 result) {
        bool ok;
        assembly ("memory-safe") {
            let input := mload(0x40)
            mstore(input, 0x20)
            mstore(add(input, 0x20), 0x20)
            mstore(add(input, 0x40), 0x20)
            mstore(add(input, 0x60), a)
            mstore(add(input, 0x80), SQRT_EXPONENT)
            mstore(add(input, 0xa0), 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47)
            ok := staticcall(gas(), 0x05, input, 0xc0, 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) revert BN254.ModExpFailed();
    }
}
