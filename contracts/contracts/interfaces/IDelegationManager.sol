// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IStrategy} from "./IStrategy.sol";

/// @title IDelegationManager
/// @notice The views the AVS registries need from a restaking delegation contract. Selectors
///         match EigenLayer's DelegationManager, so the registries work against the local
///         stand-in (`restaking/DelegationManager.sol`) and against the real contract on a fork.
interface IDelegationManager {
    /// @notice Whether `operator` has registered as an operator in the delegation contract.
    function isOperator(address operator) external view returns (bool);

    /// @notice Shares delegated to `operator` in each of `strategies`, in the same order.
    function getOperatorShares(address operator, IStrategy[] memory strategies)
        external
        view
        returns (uint256[] memory);

    /// @notice Shares delegated to each of `operators` in each of `strategies`: one array per
    ///         operator, in the order given, each in the order of `strategies`.
    function getOperatorsShares(address[] memory operators, IStrategy[] memory strategies)
        external
        view
        returns (uint256[][] memory);

    /// @notice Minimum number of blocks a queued withdrawal waits before it can complete.
    function minWithdrawalDelayBlocks() external view returns (uint256);
}
