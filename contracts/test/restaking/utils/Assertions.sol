// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Assertions
/// @notice Minimal equality checks that revert with a named error carrying both values, so a
///         failing Solidity test says what differed (forge-std's asserts are not available).
abstract contract Assertions {
    error AssertionFailedUint(string what, uint256 actual, uint256 expected);
    error AssertionFailedAddress(string what, address actual, address expected);
    error AssertionFailedBytes32(string what, bytes32 actual, bytes32 expected);
    error AssertionFailedBool(string what, bool actual, bool expected);

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedUint(what, actual, expected);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedAddress(what, actual, expected);
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory what) internal pure {
        if (actual != expected) revert AssertionFailedBytes32(what, actual, expected);
    }

    function assertTrue(bool actual, string memory what) internal pure {
        if (!actual) revert AssertionFailedBool(what, actual, true);
    }

    function assertFalse(bool actual, string memory what) internal pure {
        if (actual) revert AssertionFailedBool(what, actual, false);
    }

    /// @dev Maps `x` into [min, max] without discarding fuzz runs.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        return min + (x % (max - min + 1));
    }
}
