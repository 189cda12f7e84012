// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title QuorumBitmap
/// @notice Conversions between the `bytes quorumNumbers` form (one quorum number per byte,
///         strictly ascending) and the bitmap form (bit q set = quorum q) used by the registries.
/// @dev Quorum numbers are 0..191, so a bitmap always fits in a uint192.
library QuorumBitmap {
    /// @notice Highest number of quorums an AVS can have.
    uint256 internal constant MAX_QUORUM_COUNT = 192;

    /// @notice A quorum number is not strictly greater than the one before it.
    error QuorumNumbersNotStrictlyAscending();
    /// @notice A quorum number is 192 or more.
    error QuorumNumberTooLarge(uint8 quorumNumber);

    /// @notice The bitmap of `quorumNumbers`. Reverts unless they are strictly ascending and < 192.
    function fromNumbers(bytes memory quorumNumbers) internal pure returns (uint256 bitmap) {
        uint256 length = quorumNumbers.length;
        for (uint256 i = 0; i < length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            if (quorumNumber >= MAX_QUORUM_COUNT) revert QuorumNumberTooLarge(quorumNumber);
            uint256 bit = uint256(1) << quorumNumber;
            // Any bit at or above `quorumNumber` already set means the input is not ascending.
            if (bitmap >= bit) revert QuorumNumbersNotStrictlyAscending();
            bitmap |= bit;
        }
    }

    /// @notice Same as `fromNumbers` for calldata input (no copy to memory).
    function fromNumbersCalldata(bytes calldata quorumNumbers) internal pure returns (uint256 bitmap) {
        uint256 length = quorumNumbers.length;
        for (uint256 i = 0; i < length; ++i) {
            uint8 quorumNumber = uint8(quorumNumbers[i]);
            if (quorumNumber >= MAX_QUORUM_COUNT) revert QuorumNumberTooLarge(quorumNumber);
            uint256 bit = uint256(1) << quorumNumber;
            if (bitmap >= bit) revert QuorumNumbersNotStrictlyAscending();
            bitmap |= bit;
        }
    }

    /// @notice The quorum numbers whose bits are set in `bitmap`, ascending.
    function toNumbers(uint256 bitmap) internal pure returns (bytes memory quorumNumbers) {
        quorumNumbers = new bytes(count(bitmap));
        uint256 next = 0;
        for (uint256 q = 0; bitmap != 0; ++q) {
            if (bitmap & 1 == 1) {
                quorumNumbers[next] = bytes1(uint8(q));
                ++next;
            }
            bitmap >>= 1;
        }
    }

    /// @notice Number of bits set in `bitmap`.
    function count(uint256 bitmap) internal pure returns (uint256 n) {
        while (bitmap != 0) {
            bitmap &= bitmap - 1;
            ++n;
        }
    }

    /// @notice Whether quorum `quorumNumber` is set in `bitmap`.
    function isSet(uint256 bitmap, uint8 quorumNumber) internal pure returns (bool) {
        return (bitmap >> quorumNumber) & 1 == 1;
    }
}
