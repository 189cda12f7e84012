// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

// The curve's constants, declared once for BN254, BN254Ext and BN254G2. They sit at file level
// because inline assembly can name a file-level constant but not a library's (`BN254.X` does not
// resolve in assembly), and BN254Ext's hot path writes some of them from assembly. Solidity code
// reads p and r as BN254.FP_MODULUS and BN254.FR_MODULUS.

/// @dev p, the base field modulus (BN254.FP_MODULUS).
uint256 constant BN254_FP_MODULUS = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
/// @dev r, the order of G1 and G2 (BN254.FR_MODULUS).
uint256 constant BN254_FR_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

/// @dev (p + 1) / 4. Because p ≡ 3 (mod 4), beta^((p+1)/4) is a square root of beta whenever
///      beta is a quadratic residue: (beta^((p+1)/4))^2 = beta^((p+1)/2) = beta · beta^((p-1)/2)
///      and beta^((p-1)/2) = 1 for residues (Euler's criterion). For non-residues the result
///      squares to -beta instead, which is how hashToG1 detects "no point at this x".
uint256 constant BN254_SQRT_EXPONENT = 0xc19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52;

/// @dev Generator of G2 in EIP-197 order (imaginary part first).
uint256 constant BN254_G2_X_IM = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
uint256 constant BN254_G2_X_RE = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
uint256 constant BN254_G2_Y_IM = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
uint256 constant BN254_G2_Y_RE = 8495653923123431417604973247489272438418190587263600148770280649306958101930;
/// @dev -G2 has the same x and y replaced by p - y, coordinate-wise in F_p2.
uint256 constant BN254_NEG_G2_Y_IM = 17805874995975841540914202342111839520379459829704422454583296818431106115052;
uint256 constant BN254_NEG_G2_Y_RE = 13392588948715843804641432497768002650278120570034223513918757245338268106653;

/// @title BN254
/// @notice Arithmetic on the BN254 (alt_bn128) curve through the EVM precompiles, plus the two
///         EigenLayer conventions that interop depends on: the try-and-increment `hashToG1` and the
///         proof-of-possession check done at public-key registration.
/// @dev    Precompiles used: 0x05 modexp (square root), 0x06 ecAdd (150 gas), 0x07 ecMul
///         (6,000 gas) and 0x08 ecPairing (45,000 + 34,000 per pair), all per EIP-196/197/1108.
///         G1 has cofactor 1, so any point the precompiles accept is in the prime-order group; the
///         pairing precompile itself rejects G2 points outside the order-r subgroup.
library BN254 {
    /// @notice p, the base field modulus: coordinates of points live in F_p.
    uint256 internal constant FP_MODULUS = BN254_FP_MODULUS;

    /// @notice r, the order of G1 and G2: scalars (secret keys, challenges) live in F_r.
    uint256 internal constant FR_MODULUS = BN254_FR_MODULUS;

    // With the optimizer on, solc stores a repeated 32-byte constant once in the code and loads it
    // with CODECOPY (~30 gas a use instead of 3), so hot functions copy FP_MODULUS into a local.

    /// @dev The curve is y^2 = x^3 + 3 over F_p.
    uint256 internal constant CURVE_B = 3;

    /// @notice A point of G1 in affine coordinates; (0, 0) encodes the point at infinity.
    struct G1Point {
        uint256 X;
        uint256 Y;
    }

    /// @notice A point of G2 in affine coordinates over F_p2.
    /// @dev Imaginary part first (EIP-197): X = [x.c1, x.c0], Y = [y.c1, y.c0].
    ///      All-zero encodes the point at infinity.
    struct G2Point {
        uint256[2] X;
        uint256[2] Y;
    }

    /// @notice ecAdd (0x06) rejected its input: a point is not on the curve or a coordinate >= p.
    error ECAddFailed();
    /// @notice ecMul (0x07) rejected its input: the point is not on the curve or a coordinate >= p.
    error ECMulFailed();
    /// @notice ecPairing (0x08) rejected its input: a point is not on its curve, a G2 point is not in
    ///         the order-r subgroup (for example G2 coordinates given as [c0, c1]), or a coordinate >= p.
    error PairingPrecompileFailed();
    /// @notice The modexp precompile (0x05) call failed (only possible when out of gas).
    error ModExpFailed();

    /// @notice The generator (1, 2) of G1.
    function generatorG1() internal pure returns (G1Point memory) {
        return G1Point(1, 2);
    }

    /// @notice The standard generator of G2 (EIP-197 order).
    function generatorG2() internal pure returns (G2Point memory) {
        return G2Point([BN254_G2_X_IM, BN254_G2_X_RE], [BN254_G2_Y_IM, BN254_G2_Y_RE]);
    }

    /// @notice The negated generator -G2, used to move a pairing to the other side of an equation.
    function negGeneratorG2() internal pure returns (G2Point memory) {
        return G2Point([BN254_G2_X_IM, BN254_G2_X_RE], [BN254_NEG_G2_Y_IM, BN254_NEG_G2_Y_RE]);
    }

    /// @notice -p. The point at infinity (0, 0) maps to itself.
    /// @dev Does not validate p: negating an off-curve point yields an off-curve point, which the
    ///      precompiles reject later.
    function negate(G1Point memory p) internal pure returns (G1Point memory) {
        if (p.X == 0 && p.Y == 0) return G1Point(0, 0);
        uint256 q = FP_MODULUS;
        return G1Point(p.X, q - (p.Y % q));
    }

    /// @notice a + b through the ecAdd precompile (0x06).
    /// @dev Reverts ECAddFailed if either point is not on the curve or has a coordinate >= p.
    function plus(G1Point memory a, G1Point memory b) internal view returns (G1Point memory r) {
        r = G1Point(0, 0);
        bool ok;
        assembly ("memory-safe") {
            // Input is built just past the free memory pointer (scratch, not allocated).
            let input := mload(0x40)
            mstore(input, mload(a))
            mstore(add(input, 0x20), mload(add(a, 0x20)))
            mstore(add(input, 0x40), mload(b))
            mstore(add(input, 0x60), mload(add(b, 0x20)))
            ok := staticcall(gas(), 0x06, input, 0x80, r, 0x40)
        }
        if (!ok) revert ECAddFailed();
    }

    /// @notice s·p through the ecMul precompile (0x07). Any uint256 scalar is accepted (it is
    ///         effectively reduced mod r).
    /// @dev Reverts ECMulFailed if p is not on the curve or has a coordinate >= p.
    function scalarMul(G1Point memory p, uint256 s) internal view returns (G1Point memory r) {
        r = G1Point(0, 0);
        bool ok;
        assembly ("memory-safe") {
            let input := mload(0x40)
            mstore(input, mload(p))
            mstore(add(input, 0x20), mload(add(p, 0x20)))
            mstore(add(input, 0x40), s)
            ok := staticcall(gas(), 0x07, input, 0x60, r, 0x40)
        }
        if (!ok) revert ECMulFailed();
    }

    /// @notice s·p for a small scalar by double-and-add over ecAdd (150 gas a call) instead of one
    ///         ecMul (6,000): about 860 gas for s = 1 plus up to ~700 per further bit (measured for
    ///         s <= 31 in the gas test), so cheaper below s ≈ 2^7; meant for multiplicities such as
    ///         "in how many of the task's quorums is this operator".
    /// @dev Reverts ECAddFailed if p is not a valid G1 encoding (checked up front, so s = 1 and
    ///      powers of two, which need fewer precompile calls, are validated too). Gas grows with
    ///      log2(s) and popcount(s); callers should bound s.
    function scalarMulTiny(G1Point memory p, uint256 s) internal view returns (G1Point memory r) {
        if (!isOnCurveG1(p)) revert ECAddFailed();
        r = G1Point(0, 0);
        if (s == 0) return r;
        bool ok = true;
        assembly ("memory-safe") {
            // Scratch past the free memory pointer: [rX, rY, aX, aY, aX, aY]. ecAdd reads r ‖ a
            // (r += a, written back over r) or a ‖ a (a = 2a, written back over a), so no point
            // is ever copied into a fresh allocation.
            let buf := mload(0x40)
            let acc := add(buf, 0x40)
            let accCopy := add(buf, 0x80)
            mstore(acc, mload(p))
            mstore(add(acc, 0x20), mload(add(p, 0x20)))
            let started := 0
            for {} 1 {} {
                if and(s, 1) {
                    switch started
                    case 0 {
                        // First set bit: r = a, no addition needed.
                        mstore(buf, mload(acc))
                        mstore(add(buf, 0x20), mload(add(acc, 0x20)))
                        started := 1
                    }
                    default { ok := and(ok, staticcall(gas(), 0x06, buf, 0x80, buf, 0x40)) }
                }
                s := shr(1, s)
                if iszero(s) { break }
                mstore(accCopy, mload(acc))
                mstore(add(accCopy, 0x20), mload(add(acc, 0x20)))
                ok := and(ok, staticcall(gas(), 0x06, acc, 0x80, acc, 0x40))
            }
            mstore(r, mload(buf))
            mstore(add(r, 0x20), mload(add(buf, 0x20)))
        }
        if (!ok) revert ECAddFailed();
    }

    /// @notice Whether p is the point at infinity (0, 0) or an affine point on y^2 = x^3 + 3 with
    ///         both coordinates < p. Pure check, no precompile.
    function isOnCurveG1(G1Point memory p) internal pure returns (bool) {
        uint256 q = FP_MODULUS;
        uint256 x = p.X;
        uint256 y = p.Y;
        if (x >= q || y >= q) return false;
        if (x == 0 && y == 0) return true;
        return mulmod(y, y, q) == addmod(mulmod(mulmod(x, x, q), x, q), CURVE_B, q);
    }

    /// @notice true iff e(a1, a2) · e(b1, b2) == 1 in GT.
    /// @dev Reverts PairingPrecompileFailed if the precompile rejects the input (a point off its
    ///      curve, a G2 point outside the subgroup, a coordinate >= p) — a malformed input is an
    ///      error, not a "false". Use safePairing to get a non-reverting result.
    function pairing(G1Point memory a1, G2Point memory a2, G1Point memory b1, G2Point memory b2)
        internal
        view
        returns (bool)
    {
        (bool ok, bool result) = _pairing(a1, a2, b1, b2, gasleft());
        if (!ok) revert PairingPrecompileFailed();
        return result;
    }

    /// @notice Like pairing, but never reverts.
    /// @param gasLimit Gas forwarded to the precompile (a 2-pair call costs 113,000 since EIP-1108).
    /// @return success false if the precompile call failed (invalid input or out of gasLimit).
    /// @return result  true iff e(a1, a2) · e(b1, b2) == 1; meaningful only when success is true.
    function safePairing(
        G1Point memory a1,
        G2Point memory a2,
        G1Point memory b1,
        G2Point memory b2,
        uint256 gasLimit
    ) internal view returns (bool success, bool result) {
        return _pairing(a1, a2, b1, b2, gasLimit);
    }

    /// @dev Lays out the 12-word precompile input past the free memory pointer, reading the G2
    ///      coordinates through the struct's array pointers (a memory G2Point holds two pointers).
    function _pairing(G1Point memory a1, G2Point memory a2, G1Point memory b1, G2Point memory b2, uint256 gasLimit)
        private
        view
        returns (bool success, bool result)
    {
        assembly ("memory-safe") {
            let input := mload(0x40)
            mstore(input, mload(a1))
            mstore(add(input, 0x20), mload(add(a1, 0x20)))
            let x := mload(a2)
            let y := mload(add(a2, 0x20))
            mstore(add(input, 0x40), mload(x))
            mstore(add(input, 0x60), mload(add(x, 0x20)))
            mstore(add(input, 0x80), mload(y))
            mstore(add(input, 0xa0), mload(add(y, 0x20)))
            mstore(add(input, 0xc0), mload(b1))
            mstore(add(input, 0xe0), mload(add(b1, 0x20)))
            x := mload(b2)
            y := mload(add(b2, 0x20))
            mstore(add(input, 0x100), mload(x))
            mstore(add(input, 0x120), mload(add(x, 0x20)))
            mstore(add(input, 0x140), mload(y))
            mstore(add(input, 0x160), mload(add(y, 0x20)))
            // Output to scratch space; cleared first so a failed call cannot leave a stale 1.
            mstore(0x00, 0)
            success := staticcall(gasLimit, 0x08, input, 0x180, 0x00, 0x20)
            result := and(success, eq(mload(0x00), 1))
        }
    }

    /// @notice Maps a 32-byte digest to G1 exactly as EigenLayer's middleware does (try-and-increment),
    ///         so that signatures interoperate with EigenLayer tooling bit for bit.
    /// @dev x = digest mod p; while x^3 + 3 is not a square, x = x + 1 mod p; y = (x^3 + 3)^((p+1)/4),
    ///      taken as is (no sign normalisation). Not constant time; only ever fed public digests.
    ///      About half of all x are valid, so the expected number of modexp calls is 2.
    function hashToG1(bytes32 digest) internal view returns (G1Point memory) {
        uint256 p = FP_MODULUS;
        uint256 x = uint256(digest) % p;
        uint256 y;
        bool ok;
        assembly ("memory-safe") {
            // modexp input: len(base), len(exp), len(mod), base, exp, mod; built past the free
            // memory pointer once, only `base` changes per attempt. Result goes to scratch 0x00.
            let input := mload(0x40)
            mstore(input, 0x20)
            mstore(add(input, 0x20), 0x20)
            mstore(add(input, 0x40), 0x20)
            mstore(add(input, 0x80), BN254_SQRT_EXPONENT)
            mstore(add(input, 0xa0), p)
            let base := add(input, 0x60)
            for {} 1 { x := addmod(x, 1, p) } {
                let beta := addmod(mulmod(mulmod(x, x, p), x, p), CURVE_B, p)
                mstore(base, beta)
                ok := staticcall(gas(), 0x05, input, 0xc0, 0x00, 0x20)
                y := mload(0x00)
                if or(iszero(ok), eq(mulmod(y, y, p), beta)) { break }
            }
        }
        if (!ok) revert ModExpFailed();
        return G1Point(x, y);
    }

    /// @notice base^exponent mod p through the modexp precompile (0x05), for one-off powers such
    ///         as an inversion (exponent p - 2) or a square-root candidate (BN254_SQRT_EXPONENT).
    /// @dev Reverts ModExpFailed if the call fails (only possible when out of gas). hashToG1 does
    ///      not use it: it keeps one precompile input for all its attempts.
    function expModP(uint256 base, uint256 exponent) internal view returns (uint256 result) {
        bool ok;
        assembly ("memory-safe") {
            // len(base), len(exp), len(mod), base, exp, mod past the free memory pointer (scratch).
            let input := mload(0x40)
            mstore(input, 0x20)
            mstore(add(input, 0x20), 0x20)
            mstore(add(input, 0x40), 0x20)
            mstore(add(input, 0x60), base)
            mstore(add(input, 0x80), exponent)
            mstore(add(input, 0xa0), BN254_FP_MODULUS)
            ok := staticcall(gas(), 0x05, input, 0xc0, 0x00, 0x20)
            result := mload(0x00)
        }
        if (!ok) revert ModExpFailed();
    }

    /// @notice keccak256(abi.encodePacked(p.X, p.Y)): the operatorId of a G1 public key.
    function hashG1Point(G1Point memory p) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            // A memory G1Point is exactly its two words, back to back.
            h := keccak256(p, 0x40)
        }
    }

    /// @notice Proof-of-possession check done when an operator registers its BLS keys: proves in
    ///         one 2-pair pairing that `sigma = sk·messagePoint` AND that `pkG1 = sk·G1`,
    ///         `pkG2 = sk·G2` share the same sk (which stops rogue-key attacks on aggregates).
    /// @dev gamma = registrationChallenge(...), then
    ///      e(sigma + gamma·pkG1, -G2) · e(messagePoint + gamma·G1, pkG2) == 1.
    ///      The random-looking gamma makes the two equations e(sigma,-G2)e(H,pkG2) = 1 and
    ///      e(pkG1,-G2)e(G1,pkG2) = 1 collapse into one check that a forger cannot balance, since
    ///      gamma depends on every input including sigma.
    ///      Returns false for the zero G1 key: with pkG1 = pkG2 = 0 and sigma = 0 the equation holds
    ///      trivially, so a caller that forgot to reject it would register an identity key.
    ///      Reverts ECMulFailed / ECAddFailed / PairingPrecompileFailed on malformed points.
    function verifyPubkeyRegistration(
        G1Point memory sigma,
        G1Point memory pkG1,
        G2Point memory pkG2,
        G1Point memory messagePoint
    ) internal view returns (bool) {
        if (pkG1.X == 0 && pkG1.Y == 0) return false;
        uint256 gamma = registrationChallenge(sigma, pkG1, pkG2, messagePoint);
        (bool success, bool result) = _gammaPairing(sigma, pkG1, pkG2, messagePoint, gamma, gasleft());
        if (!success) revert PairingPrecompileFailed();
        return result;
    }

    /// @notice The registration challenge, bit-exact with EigenLayer's BLSApkRegistry:
    ///         keccak256(sigma.X, sigma.Y, pkG1.X, pkG1.Y, pkG2.X[0], pkG2.X[1], pkG2.Y[0],
    ///         pkG2.Y[1], H.X, H.Y) mod r (ten packed 32-byte words, G2 imaginary part first).
    function registrationChallenge(
        G1Point memory sigma,
        G1Point memory pkG1,
        G2Point memory pkG2,
        G1Point memory messagePoint
    ) internal pure returns (uint256 gamma) {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, mload(sigma))
            mstore(add(buf, 0x20), mload(add(sigma, 0x20)))
            mstore(add(buf, 0x40), mload(pkG1))
            mstore(add(buf, 0x60), mload(add(pkG1, 0x20)))
            let x := mload(pkG2)
            let y := mload(add(pkG2, 0x20))
            mstore(add(buf, 0x80), mload(x))
            mstore(add(buf, 0xa0), mload(add(x, 0x20)))
            mstore(add(buf, 0xc0), mload(y))
            mstore(add(buf, 0xe0), mload(add(y, 0x20)))
            mstore(add(buf, 0x100), mload(messagePoint))
            mstore(add(buf, 0x120), mload(add(messagePoint, 0x20)))
            gamma := mod(keccak256(buf, 0x140), FR_MODULUS)
        }
    }

    /// @notice The aggregate-signature check of EigenLayer's BLSSignatureChecker, on its own:
    ///         with gamma = apkChallenge(msgHash, apk, apkG2, sigma), checks
    ///         e(sigma + gamma·apk, -G2) · e(hashToG1(msgHash) + gamma·G1, apkG2) == 1, which proves
    ///         that sigma is a signature over msgHash by the key whose G1 and G2 forms are apk, apkG2.
    /// @param pairingGas Gas forwarded to the pairing precompile (113,000 is exactly enough).
    /// @return pairingSuccessful false if the pairing precompile failed (malformed apkG2, e.g.
    ///         [c0, c1] order, or out of pairingGas); then signatureIsValid is false too.
    /// @return signatureIsValid  true iff the pairing product is 1.
    /// @dev Reverts ECMulFailed / ECAddFailed if apk or sigma is not a valid G1 encoding. Builds the
    ///      precompile inputs in place past the free memory pointer, with no intermediate points.
    function verifyApkSignature(
        bytes32 msgHash,
        G1Point memory apk,
        G2Point memory apkG2,
        G1Point memory sigma,
        uint256 pairingGas
    ) internal view returns (bool pairingSuccessful, bool signatureIsValid) {
        uint256 gamma = apkChallenge(msgHash, apk, apkG2, sigma);
        return _gammaPairing(sigma, apk, apkG2, hashToG1(msgHash), gamma, pairingGas);
    }

    /// @notice The aggregate-signature challenge, bit-exact with EigenLayer's BLSSignatureChecker:
    ///         keccak256(msgHash, apk.X, apk.Y, apkG2.X[0], apkG2.X[1], apkG2.Y[0], apkG2.Y[1],
    ///         sigma.X, sigma.Y) mod r (nine packed 32-byte words).
    function apkChallenge(bytes32 msgHash, G1Point memory apk, G2Point memory apkG2, G1Point memory sigma)
        internal
        pure
        returns (uint256 gamma)
    {
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, msgHash)
            mstore(add(buf, 0x20), mload(apk))
            mstore(add(buf, 0x40), mload(add(apk, 0x20)))
            let x := mload(apkG2)
            let y := mload(add(apkG2, 0x20))
            mstore(add(buf, 0x60), mload(x))
            mstore(add(buf, 0x80), mload(add(x, 0x20)))
            mstore(add(buf, 0xa0), mload(y))
            mstore(add(buf, 0xc0), mload(add(y, 0x20)))
            mstore(add(buf, 0xe0), mload(sigma))
            mstore(add(buf, 0x100), mload(add(sigma, 0x20)))
            gamma := mod(keccak256(buf, 0x120), FR_MODULUS)
        }
    }

    /// @dev e(sigma + gamma·pkG1, -G2) · e(message + gamma·G1, pkG2) == 1 with the four ecMul/ecAdd
    ///      results written straight into the 12-word pairing input (past the free memory
    ///      pointer, never allocated). Reverts ECMulFailed / ECAddFailed for invalid G1 inputs;
    ///      a pairing failure is returned as success = false.
    function _gammaPairing(
        G1Point memory sigma,
        G1Point memory pkG1,
        G2Point memory pkG2,
        G1Point memory message,
        uint256 gamma,
        uint256 gasLimit
    ) private view returns (bool success, bool result) {
        bool mulOk;
        bool addOk;
        assembly ("memory-safe") {
            // input: 12 words for the pairing; s: 5 scratch words after it, laid out as
            // [A.X, A.Y, B.X, B.Y, gamma] so ecMul reads B ‖ gamma into B and ecAdd reads A ‖ B.
            let input := mload(0x40)
            let s := add(input, 0x180)
            let b := add(s, 0x40)
            mstore(add(s, 0x80), gamma)

            // input[0..1] = sigma + gamma·pkG1
            mstore(s, mload(sigma))
            mstore(add(s, 0x20), mload(add(sigma, 0x20)))
            mstore(b, mload(pkG1))
            mstore(add(b, 0x20), mload(add(pkG1, 0x20)))
            mulOk := staticcall(gas(), 0x07, b, 0x60, b, 0x40)
            addOk := staticcall(gas(), 0x06, s, 0x80, input, 0x40)

            // input[2..5] = -G2
            mstore(add(input, 0x40), BN254_G2_X_IM)
            mstore(add(input, 0x60), BN254_G2_X_RE)
            mstore(add(input, 0x80), BN254_NEG_G2_Y_IM)
            mstore(add(input, 0xa0), BN254_NEG_G2_Y_RE)

            // input[6..7] = message + gamma·G1
            mstore(s, mload(message))
            mstore(add(s, 0x20), mload(add(message, 0x20)))
            mstore(b, 1)
            mstore(add(b, 0x20), 2)
            mulOk := and(mulOk, staticcall(gas(), 0x07, b, 0x60, b, 0x40))
            addOk := and(addOk, staticcall(gas(), 0x06, s, 0x80, add(input, 0xc0), 0x40))

            // input[8..11] = pkG2
            let x := mload(pkG2)
            let y := mload(add(pkG2, 0x20))
            mstore(add(input, 0x100), mload(x))
            mstore(add(input, 0x120), mload(add(x, 0x20)))
            mstore(add(input, 0x140), mload(y))
            mstore(add(input, 0x160), mload(add(y, 0x20)))

            if and(mulOk, addOk) {
                mstore(0x00, 0)
                success := staticcall(gasLimit, 0x08, input, 0x180, 0x00, 0x20)
                result := and(success, eq(mload(0x00), 1))
            }
        }
        if (!mulOk) revert ECMulFailed();
        if (!addOk) revert ECAddFailed();
    }
}
