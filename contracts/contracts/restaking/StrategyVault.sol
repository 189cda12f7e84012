// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IStrategy} from "../interfaces/IStrategy.sol";
import {IStrategyManager} from "../interfaces/IStrategyManager.sol";

/// @title StrategyVault
/// @notice Holds one ERC20 on behalf of the strategy manager and issues shares for it.
/// @dev One share is always exactly one unit of the underlying token: nothing here earns yield
///      or gets slashed, so an exchange rate would only add rounding. Tokens sent to the vault
///      directly (not through the manager) issue no shares and stay in the vault. Tokens that
///      deliver less than the amount transferred (fee-on-transfer) are refused, because the
///      vault checks after every deposit that it holds at least one token per share.
contract StrategyVault is IStrategy {
    using SafeERC20 for IERC20;

    /// @notice The only account that may deposit and withdraw.
    IStrategyManager public immutable strategyManager;

    IERC20 private immutable _underlyingToken;

    /// @notice Total shares issued, equal to the tokens deposited through the manager and not
    ///         yet withdrawn.
    uint256 public totalShares;

    /// @notice Emitted once, at deployment (EigenLayer's StrategyBase event).
    event StrategyTokenSet(IERC20 token, uint8 decimals);

    error ZeroAddress();
    error ZeroAmount();
    error OnlyStrategyManager(address caller);
    error TokenMismatch(IERC20 expected, IERC20 given);
    /// @dev The tokens of a deposit did not arrive: the vault holds fewer tokens than shares.
    error DepositNotReceived(uint256 balance, uint256 totalShares);
    error InsufficientTotalShares(uint256 requested, uint256 available);

    modifier onlyStrategyManager() {
        if (msg.sender != address(strategyManager)) revert OnlyStrategyManager(msg.sender);
        _;
    }

    /// @param strategyManager_ The strategy manager that will route deposits and withdrawals.
    /// @param token The underlying token (must implement `decimals()`).
    constructor(IStrategyManager strategyManager_, IERC20 token) {
        if (address(strategyManager_) == address(0) || address(token) == address(0)) revert ZeroAddress();
        strategyManager = strategyManager_;
        _underlyingToken = token;
        emit StrategyTokenSet(token, IERC20Metadata(address(token)).decimals());
    }

    /// @notice Issues shares for `amount` tokens that the strategy manager has already
    ///         transferred to this vault. Strategy manager only.
    /// @param token Must be the underlying token.
    /// @param amount Tokens received; must be non-zero.
    /// @return newShares Shares issued, equal to `amount`.
    function deposit(IERC20 token, uint256 amount) external onlyStrategyManager returns (uint256 newShares) {
        if (token != _underlyingToken) revert TokenMismatch(_underlyingToken, token);
        if (amount == 0) revert ZeroAmount();
        newShares = amount;
        uint256 newTotal = totalShares + newShares;
        totalShares = newTotal;
        uint256 balance = token.balanceOf(address(this));
        if (balance < newTotal) revert DepositNotReceived(balance, newTotal);
    }

    /// @notice Burns `amountShares` and sends the same amount of tokens to `recipient`.
    ///         Strategy manager only (it has already debited the staker).
    /// @param recipient Receiver of the tokens.
    /// @param token Must be the underlying token.
    /// @param amountShares Shares to redeem.
    function withdraw(address recipient, IERC20 token, uint256 amountShares) external onlyStrategyManager {
        if (token != _underlyingToken) revert TokenMismatch(_underlyingToken, token);
        if (amountShares == 0) revert ZeroAmount();
        uint256 total = totalShares;
        if (amountShares > total) revert InsufficientTotalShares(amountShares, total);
        totalShares = total - amountShares;
        token.safeTransfer(recipient, amountShares);
    }

    /// @inheritdoc IStrategy
    function underlyingToken() external view returns (IERC20) {
        return _underlyingToken;
    }

    /// @inheritdoc IStrategy
    /// @dev Identity: shares are 1:1 with the underlying token.
    function sharesToUnderlyingView(uint256 amountShares) external pure returns (uint256) {
        return amountShares;
    }

    /// @notice Converts an underlying token amount to shares. Identity (1:1).
    function underlyingToSharesView(uint256 amountUnderlying) external pure returns (uint256) {
        return amountUnderlying;
    }

    /// @notice Shares `user` holds in this strategy, as recorded by the strategy manager.
    function shares(address user) public view returns (uint256) {
        return strategyManager.stakerDepositShares(user, this);
    }

    /// @notice Underlying tokens `user`'s shares are worth (equal to `shares(user)`).
    function userUnderlyingView(address user) external view returns (uint256) {
        return shares(user);
    }
}
