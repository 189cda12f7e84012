// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IStrategy} from "./IStrategy.sol";

/// @title IDelegationShareHook
/// @notice What the strategy manager tells the delegation contract after a deposit, so the
///         staker's operator (if any) gains the new shares in the same transaction.
interface IDelegationShareHook {
    /// @notice `staker` gained `shares` in `strategy`; credit them to the staker's operator, if
    ///         the staker is delegated. Callable only by the strategy manager.
    function increaseDelegatedShares(address staker, IStrategy strategy, uint256 shares) external;
}
