// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/// @title IStrategy
/// @notice The subset of EigenLayer's IStrategy that avskit uses: a vault that turns deposits of
///         one token into shares. Same selectors as EigenLayer, so a fork deployment can point at
///         real strategies.
interface IStrategy {
    /// @notice The token this strategy accepts.
    function underlyingToken() external view returns (IERC20);

    /// @notice Total shares issued by this strategy.
    function totalShares() external view returns (uint256);

    /// @notice Converts a share amount to the underlying token amount at current rates.
    function sharesToUnderlyingView(uint256 amountShares) external view returns (uint256);
}
