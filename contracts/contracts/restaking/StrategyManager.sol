// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDelegationShareHook} from "../interfaces/IDelegationShareHook.sol";
import {IStrategy} from "../interfaces/IStrategy.sol";
import {IStrategyManager} from "../interfaces/IStrategyManager.sol";
import {StrategyVault} from "./StrategyVault.sol";

/// @title StrategyManager
/// @notice Local stand-in for EigenLayer's StrategyManager: stakers deposit tokens into
///         whitelisted `StrategyVault`s and this contract keeps their shares. Every deposit is
///         reported to the delegation contract in the same transaction, so a delegated
///         operator's shares grow immediately. Shares leave only through the delegation
///         contract's withdrawal queue.
/// @dev Created by `DelegationManager`'s constructor, which passes itself as `delegation`.
contract StrategyManager is IStrategyManager, Ownable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Most strategies one staker may hold shares in (bounds the loops in delegation).
    uint256 public constant MAX_STAKER_STRATEGY_LIST_LENGTH = 32;

    /// @notice The delegation contract: told about deposits, and the only caller of the
    ///         share-moving functions.
    IDelegationShareHook public immutable delegation;

    /// @inheritdoc IStrategyManager
    mapping(IStrategy strategy => bool) public strategyIsWhitelistedForDeposit;

    /// @inheritdoc IStrategyManager
    mapping(address staker => mapping(IStrategy strategy => uint256)) public stakerDepositShares;

    mapping(address staker => IStrategy[]) private _stakerStrategyList;

    /// @notice A staker deposited (EigenLayer's event).
    event Deposit(address staker, IERC20 token, IStrategy strategy, uint256 shares);
    event StrategyAddedToDepositWhitelist(IStrategy strategy);
    event StrategyRemovedFromDepositWhitelist(IStrategy strategy);

    error ZeroAddress();
    error OnlyDelegationManager(address caller);
    error StrategyNotWhitelisted(IStrategy strategy);
    /// @dev The strategy's `strategyManager()` is another contract, so deposits would fail.
    error StrategyNotManagedHere(IStrategy strategy, address itsManager);
    error ZeroShares();
    error InsufficientShares(address staker, IStrategy strategy, uint256 requested, uint256 available);
    error MaxStrategiesExceeded(address staker, uint256 max);

    modifier onlyDelegationManager() {
        if (msg.sender != address(delegation)) revert OnlyDelegationManager(msg.sender);
        _;
    }

    /// @param initialOwner Manages the deposit whitelist.
    /// @param delegation_ The delegation contract (the deployer, in practice).
    constructor(address initialOwner, IDelegationShareHook delegation_) Ownable(initialOwner) {
        if (address(delegation_) == address(0)) revert ZeroAddress();
        delegation = delegation_;
    }

    /// @inheritdoc IStrategyManager
    /// @dev The caller must have approved this contract for `amount` of `token`. Reverts
    ///      `StrategyNotWhitelisted`, or the vault's `TokenMismatch` / `ZeroAmount`.
    function depositIntoStrategy(IStrategy strategy, IERC20 token, uint256 amount)
        external
        nonReentrant
        returns (uint256 shares)
    {
        if (!strategyIsWhitelistedForDeposit[strategy]) revert StrategyNotWhitelisted(strategy);
        token.safeTransferFrom(msg.sender, address(strategy), amount);
        shares = StrategyVault(address(strategy)).deposit(token, amount);
        _addShares(msg.sender, strategy, shares);
        emit Deposit(msg.sender, token, strategy, shares);
        delegation.increaseDelegatedShares(msg.sender, strategy, shares);
    }

    /// @notice Allows deposits into each of `strategies` (already allowed ones are skipped).
    ///         Owner only. Each must be a `StrategyVault` bound to this manager.
    function addStrategiesToDepositWhitelist(IStrategy[] calldata strategies) external onlyOwner {
        for (uint256 i = 0; i < strategies.length; ++i) {
            IStrategy strategy = strategies[i];
            if (address(strategy) == address(0)) revert ZeroAddress();
            address itsManager = address(StrategyVault(address(strategy)).strategyManager());
            if (itsManager != address(this)) revert StrategyNotManagedHere(strategy, itsManager);
            if (!strategyIsWhitelistedForDeposit[strategy]) {
                strategyIsWhitelistedForDeposit[strategy] = true;
                emit StrategyAddedToDepositWhitelist(strategy);
            }
        }
    }

    /// @notice Stops deposits into each of `strategies`; existing shares can still be withdrawn.
    ///         Owner only. Strategies not on the list are skipped.
    function removeStrategiesFromDepositWhitelist(IStrategy[] calldata strategies) external onlyOwner {
        for (uint256 i = 0; i < strategies.length; ++i) {
            IStrategy strategy = strategies[i];
            if (strategyIsWhitelistedForDeposit[strategy]) {
                strategyIsWhitelistedForDeposit[strategy] = false;
                emit StrategyRemovedFromDepositWhitelist(strategy);
            }
        }
    }

    /// @inheritdoc IStrategyManager
    function addShares(address staker, IStrategy strategy, uint256 shares) external onlyDelegationManager {
        _addShares(staker, strategy, shares);
    }

    /// @inheritdoc IStrategyManager
    function removeShares(address staker, IStrategy strategy, uint256 shares) external onlyDelegationManager {
        if (shares == 0) revert ZeroShares();
        uint256 available = stakerDepositShares[staker][strategy];
        if (shares > available) revert InsufficientShares(staker, strategy, shares, available);
        uint256 remaining = available - shares;
        stakerDepositShares[staker][strategy] = remaining;
        if (remaining == 0) _removeFromStrategyList(staker, strategy);
    }

    /// @inheritdoc IStrategyManager
    function withdrawSharesAsTokens(address recipient, IStrategy strategy, uint256 shares, IERC20 token)
        external
        onlyDelegationManager
        nonReentrant
    {
        StrategyVault(address(strategy)).withdraw(recipient, token, shares);
    }

    /// @inheritdoc IStrategyManager
    function stakerStrategyShares(address staker, IStrategy strategy) external view returns (uint256) {
        return stakerDepositShares[staker][strategy];
    }

    /// @inheritdoc IStrategyManager
    function getDeposits(address staker) external view returns (IStrategy[] memory strategies, uint256[] memory shares) {
        strategies = _stakerStrategyList[staker];
        shares = new uint256[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            shares[i] = stakerDepositShares[staker][strategies[i]];
        }
    }

    /// @notice Number of strategies in which `staker` holds shares.
    function stakerStrategyListLength(address staker) external view returns (uint256) {
        return _stakerStrategyList[staker].length;
    }

    function _addShares(address staker, IStrategy strategy, uint256 shares) private {
        if (shares == 0) revert ZeroShares();
        uint256 before = stakerDepositShares[staker][strategy];
        if (before == 0) {
            IStrategy[] storage list = _stakerStrategyList[staker];
            if (list.length >= MAX_STAKER_STRATEGY_LIST_LENGTH) {
                revert MaxStrategiesExceeded(staker, MAX_STAKER_STRATEGY_LIST_LENGTH);
            }
            list.push(strategy);
        }
        stakerDepositShares[staker][strategy] = before + shares;
    }

    /// @dev Swap-and-pop; the list is short (at most MAX_STAKER_STRATEGY_LIST_LENGTH).
    function _removeFromStrategyList(address staker, IStrategy strategy) private {
        IStrategy[] storage list = _stakerStrategyList[staker];
        uint256 last = list.length - 1;
        for (uint256 i = 0; i <= last; ++i) {
            if (list[i] == strategy) {
                list[i] = list[last];
                list.pop();
                return;
            }
        }
    }
}
