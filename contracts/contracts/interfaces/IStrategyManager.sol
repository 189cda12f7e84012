// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStrategy} from "./IStrategy.sol";

/// @title IStrategyManager
/// @notice Deposits of tokens into strategies and the per-staker share ledger. The deposit entry
///         point and the share views keep EigenLayer's selectors; the three share-moving
///         functions are this project's own and only the delegation contract may call them.
interface IStrategyManager {
    /// @notice Pulls `amount` of `token` from the caller into `strategy` and credits the caller
    ///         with the shares the strategy issues.
    function depositIntoStrategy(IStrategy strategy, IERC20 token, uint256 amount) external returns (uint256 shares);

    /// @notice Shares `staker` holds in `strategy` (EigenLayer's name since the slashing release).
    function stakerDepositShares(address staker, IStrategy strategy) external view returns (uint256);

    /// @notice Same value as `stakerDepositShares` (EigenLayer's name before the slashing release).
    function stakerStrategyShares(address staker, IStrategy strategy) external view returns (uint256);

    /// @notice Every strategy in which `staker` holds shares, with those shares, in the same order.
    function getDeposits(address staker) external view returns (IStrategy[] memory, uint256[] memory);

    /// @notice Whether deposits into `strategy` are accepted.
    function strategyIsWhitelistedForDeposit(IStrategy strategy) external view returns (bool);

    /// @notice Credits `shares` back to `staker` (a withdrawal completed as shares). Delegation only.
    function addShares(address staker, IStrategy strategy, uint256 shares) external;

    /// @notice Debits `shares` from `staker` (a withdrawal being queued). Delegation only.
    function removeShares(address staker, IStrategy strategy, uint256 shares) external;

    /// @notice Redeems `shares` of `strategy` for `token`, paid to `recipient`. Delegation only.
    function withdrawSharesAsTokens(address recipient, IStrategy strategy, uint256 shares, IERC20 token) external;
}
