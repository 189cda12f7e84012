// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title ReturnData
/// @notice The last external call's return data, for the calls the registries and the checker
///         encode by hand (a low-level call leaves it in place until the next call).
library ReturnData {
    /// @dev Its size in bytes.
    function size() internal pure returns (uint256 length) {
        assembly ("memory-safe") {
            length := returndatasize()
        }
    }

    /// @dev Reverts with it as it came: the callee's own error reaches the caller unchanged.
    function bubble() internal pure {
        assembly ("memory-safe") {
            let length := returndatasize()
            returndatacopy(0, 0, length)
            revert(0, length)
        }
    }
}
