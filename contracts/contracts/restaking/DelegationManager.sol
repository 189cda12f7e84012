// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IDelegationManager} from "../interfaces/IDelegationManager.sol";
import {IDelegationShareHook} from "../interfaces/IDelegationShareHook.sol";
import {IStrategy} from "../interfaces/IStrategy.sol";
import {IStrategyManager} from "../interfaces/IStrategyManager.sol";
import {StrategyManager} from "./StrategyManager.sol";

/// @title DelegationManager
/// @notice Local stand-in for EigenLayer's DelegationManager as of the M2 mainnet release
///         (v0.4.x, before slashing): same external selectors and events for operator
///         registration, delegation, undelegation and the withdrawal queue. Operators are
///         delegated to themselves. `operatorShares` changes in the same transaction as every
///         deposit, delegation, undelegation and queued withdrawal, so `getOperatorShares` is
///         always current. One later view is added: `getOperatorsShares`, the batched read of
///         EigenLayer's slashing release (v1.0, on mainnet and its testnets since 2025), which the
///         stake registry's whole-quorum update calls, so that a fork reads the same function.
/// @dev Differences from EigenLayer, all on purpose: delegation approvers are refused at
///      registration (so `delegateTo`'s signature arguments are never needed and are ignored),
///      `stakerOptOutWindowBlocks` is stored but unused, there is no slashing, pausing or
///      EigenPod, and withdrawals of a staker always go to that staker. The strategy manager is
///      created by this contract's constructor so that neither contract ever exists unwired.
contract DelegationManager is IDelegationManager, IDelegationShareHook, Ownable, ReentrancyGuard {
    /// @notice Operator settings given at registration (EigenLayer M2 layout).
    struct OperatorDetails {
        /// @dev Unused, kept for ABI compatibility.
        address __deprecated_earningsReceiver;
        /// @dev Must be zero here: approver signatures are not supported.
        address delegationApprover;
        /// @dev Stored, unused.
        uint32 stakerOptOutWindowBlocks;
    }

    /// @notice An approver's signature (EigenLayer's ISignatureUtils.SignatureWithExpiry).
    struct SignatureWithExpiry {
        bytes signature;
        uint256 expiry;
    }

    /// @notice One request to `queueWithdrawals`.
    struct QueuedWithdrawalParams {
        IStrategy[] strategies;
        uint256[] shares;
        /// @dev Must equal the caller.
        address withdrawer;
    }

    /// @notice A queued withdrawal; its hash (`calculateWithdrawalRoot`) identifies it.
    struct Withdrawal {
        address staker;
        /// @dev The operator the shares were taken from (zero if the staker was not delegated).
        address delegatedTo;
        address withdrawer;
        uint256 nonce;
        uint32 startBlock;
        IStrategy[] strategies;
        uint256[] shares;
    }

    /// @notice Upper bound for `minWithdrawalDelayBlocks` (about 30 days of 12 s blocks).
    uint256 public constant MAX_WITHDRAWAL_DELAY_BLOCKS = 216_000;

    /// @notice The strategy manager this contract created and works with.
    IStrategyManager public immutable strategyManager;

    /// @inheritdoc IDelegationManager
    uint256 public minWithdrawalDelayBlocks;

    /// @notice The operator `staker` is delegated to, or zero. Operators map to themselves.
    mapping(address staker => address operator) public delegatedTo;

    /// @notice Shares delegated to `operator` in `strategy`.
    mapping(address operator => mapping(IStrategy strategy => uint256)) public operatorShares;

    /// @notice Withdrawals queued by `staker` so far (the next withdrawal's nonce).
    mapping(address staker => uint256) public cumulativeWithdrawalsQueued;

    /// @notice Whether the withdrawal with this root is queued and not yet completed.
    mapping(bytes32 withdrawalRoot => bool) public pendingWithdrawals;

    mapping(address operator => OperatorDetails) private _operatorDetails;

    event OperatorRegistered(address indexed operator, OperatorDetails operatorDetails);
    event OperatorMetadataURIUpdated(address indexed operator, string metadataURI);
    event StakerDelegated(address indexed staker, address indexed operator);
    event StakerUndelegated(address indexed staker, address indexed operator);
    /// @notice The operator, not the staker, called `undelegate`.
    event StakerForceUndelegated(address indexed staker, address indexed operator);
    event OperatorSharesIncreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event OperatorSharesDecreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event WithdrawalQueued(bytes32 withdrawalRoot, Withdrawal withdrawal);
    event WithdrawalCompleted(bytes32 withdrawalRoot);
    event MinWithdrawalDelayBlocksSet(uint256 previousValue, uint256 newValue);

    error OnlyStrategyManager(address caller);
    error AlreadyOperator(address operator);
    error AlreadyDelegated(address staker, address operator);
    error DelegationApproverNotSupported(address delegationApprover);
    error OperatorNotRegistered(address operator);
    error NotDelegated(address staker);
    error OperatorsCannotUndelegate(address operator);
    error CallerCannotUndelegate(address caller, address staker);
    error InputArrayLengthZero();
    error InputLengthMismatch(uint256 strategies, uint256 amounts);
    error WithdrawerNotStaker(address withdrawer, address staker);
    error WithdrawalNotQueued(bytes32 withdrawalRoot);
    error CallerNotWithdrawer(address caller, address withdrawer);
    error WithdrawalDelayNotPassed(uint256 currentBlock, uint256 completableBlock);
    error WithdrawalDelayTooLarge(uint256 value, uint256 max);

    /// @param initialOwner May change `minWithdrawalDelayBlocks`; also owns the strategy manager.
    /// @param minWithdrawalDelayBlocks_ Blocks a queued withdrawal waits (at most
    ///        MAX_WITHDRAWAL_DELAY_BLOCKS).
    constructor(address initialOwner, uint256 minWithdrawalDelayBlocks_) Ownable(initialOwner) {
        _setMinWithdrawalDelayBlocks(minWithdrawalDelayBlocks_);
        strategyManager = new StrategyManager(initialOwner, this);
    }

    // ----------------------------------------------------------------- operators

    /// @notice Registers the caller as an operator and delegates the caller to itself (its own
    ///         deposits become its operator shares).
    /// @param registeringOperatorDetails `delegationApprover` must be zero.
    /// @param metadataURI Emitted in `OperatorMetadataURIUpdated`, not stored.
    function registerAsOperator(OperatorDetails calldata registeringOperatorDetails, string calldata metadataURI)
        external
    {
        address current = delegatedTo[msg.sender];
        if (current == msg.sender) revert AlreadyOperator(msg.sender);
        if (current != address(0)) revert AlreadyDelegated(msg.sender, current);
        if (registeringOperatorDetails.delegationApprover != address(0)) {
            revert DelegationApproverNotSupported(registeringOperatorDetails.delegationApprover);
        }
        _operatorDetails[msg.sender] = registeringOperatorDetails;
        _delegate(msg.sender, msg.sender);
        emit OperatorRegistered(msg.sender, registeringOperatorDetails);
        emit OperatorMetadataURIUpdated(msg.sender, metadataURI);
    }

    /// @notice Emits a new metadata URI for the calling operator.
    function updateOperatorMetadataURI(string calldata metadataURI) external {
        if (!isOperator(msg.sender)) revert OperatorNotRegistered(msg.sender);
        emit OperatorMetadataURIUpdated(msg.sender, metadataURI);
    }

    // ---------------------------------------------------------------- delegation

    /// @notice Delegates all of the caller's current and future shares to `operator`.
    /// @dev The signature and salt exist for selector compatibility; no operator here has a
    ///      delegation approver, so (as in EigenLayer) they are not checked.
    function delegateTo(address operator, SignatureWithExpiry memory, bytes32) external {
        address current = delegatedTo[msg.sender];
        if (current != address(0)) revert AlreadyDelegated(msg.sender, current);
        if (!isOperator(operator)) revert OperatorNotRegistered(operator);
        _delegate(msg.sender, operator);
    }

    /// @notice Undelegates `staker`: each of its strategies' shares is taken from its operator
    ///         and from the staker and queued as one withdrawal per strategy (withdrawer = staker).
    ///         Callable by the staker or by its operator.
    /// @return withdrawalRoots Roots of the queued withdrawals (empty if the staker had no shares).
    function undelegate(address staker) external returns (bytes32[] memory withdrawalRoots) {
        address operator = delegatedTo[staker];
        if (operator == address(0)) revert NotDelegated(staker);
        if (operator == staker) revert OperatorsCannotUndelegate(staker);
        if (msg.sender != staker && msg.sender != operator) revert CallerCannotUndelegate(msg.sender, staker);

        if (msg.sender != staker) emit StakerForceUndelegated(staker, operator);
        emit StakerUndelegated(staker, operator);
        delegatedTo[staker] = address(0);

        (IStrategy[] memory strategies, uint256[] memory shares) = strategyManager.getDeposits(staker);
        withdrawalRoots = new bytes32[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            IStrategy[] memory oneStrategy = new IStrategy[](1);
            uint256[] memory oneShares = new uint256[](1);
            oneStrategy[0] = strategies[i];
            oneShares[0] = shares[i];
            withdrawalRoots[i] = _removeSharesAndQueueWithdrawal(staker, operator, staker, oneStrategy, oneShares);
        }
    }

    /// @inheritdoc IDelegationShareHook
    function increaseDelegatedShares(address staker, IStrategy strategy, uint256 shares) external {
        if (msg.sender != address(strategyManager)) revert OnlyStrategyManager(msg.sender);
        address operator = delegatedTo[staker];
        if (operator != address(0)) _increaseOperatorShares(operator, staker, strategy, shares);
    }

    // --------------------------------------------------------------- withdrawals

    /// @notice Queues withdrawals of the caller's shares. The shares leave the caller's operator
    ///         (and the caller) now; tokens or shares come back after `minWithdrawalDelayBlocks`
    ///         via `completeQueuedWithdrawal`.
    /// @param params Non-empty; each with matching non-empty arrays and `withdrawer == msg.sender`.
    /// @return withdrawalRoots One root per entry of `params`.
    function queueWithdrawals(QueuedWithdrawalParams[] calldata params)
        external
        returns (bytes32[] memory withdrawalRoots)
    {
        if (params.length == 0) revert InputArrayLengthZero();
        address operator = delegatedTo[msg.sender];
        withdrawalRoots = new bytes32[](params.length);
        for (uint256 i = 0; i < params.length; ++i) {
            QueuedWithdrawalParams calldata p = params[i];
            if (p.strategies.length != p.shares.length) revert InputLengthMismatch(p.strategies.length, p.shares.length);
            if (p.withdrawer != msg.sender) revert WithdrawerNotStaker(p.withdrawer, msg.sender);
            withdrawalRoots[i] = _removeSharesAndQueueWithdrawal(msg.sender, operator, msg.sender, p.strategies, p.shares);
        }
    }

    /// @notice Completes a queued withdrawal once `minWithdrawalDelayBlocks` blocks have passed
    ///         since it was queued (the delay in force now applies). Withdrawer only.
    /// @param withdrawal The withdrawal exactly as emitted in `WithdrawalQueued`.
    /// @param tokens The underlying token of each strategy, in order (only read when
    ///        `receiveAsTokens`).
    /// @param receiveAsTokens True: tokens are paid to the withdrawer. False: the shares are
    ///        credited back and, if the withdrawer is delegated now, added to that operator.
    /// @dev The third argument (EigenLayer's `middlewareTimesIndex`) is ignored.
    function completeQueuedWithdrawal(
        Withdrawal calldata withdrawal,
        IERC20[] calldata tokens,
        uint256,
        bool receiveAsTokens
    ) external nonReentrant {
        bytes32 root = calculateWithdrawalRoot(withdrawal);
        if (!pendingWithdrawals[root]) revert WithdrawalNotQueued(root);
        if (msg.sender != withdrawal.withdrawer) revert CallerNotWithdrawer(msg.sender, withdrawal.withdrawer);
        uint256 completableBlock = uint256(withdrawal.startBlock) + minWithdrawalDelayBlocks;
        if (block.number < completableBlock) revert WithdrawalDelayNotPassed(block.number, completableBlock);
        if (receiveAsTokens && tokens.length != withdrawal.strategies.length) {
            revert InputLengthMismatch(withdrawal.strategies.length, tokens.length);
        }

        delete pendingWithdrawals[root];
        address operator = delegatedTo[msg.sender];
        for (uint256 i = 0; i < withdrawal.strategies.length; ++i) {
            IStrategy strategy = withdrawal.strategies[i];
            uint256 shares = withdrawal.shares[i];
            if (receiveAsTokens) {
                strategyManager.withdrawSharesAsTokens(msg.sender, strategy, shares, tokens[i]);
            } else {
                strategyManager.addShares(msg.sender, strategy, shares);
                if (operator != address(0)) _increaseOperatorShares(operator, msg.sender, strategy, shares);
            }
        }
        emit WithdrawalCompleted(root);
    }

    /// @notice Sets `minWithdrawalDelayBlocks` (applies to withdrawals already queued). Owner only.
    function setMinWithdrawalDelayBlocks(uint256 newMinWithdrawalDelayBlocks) external onlyOwner {
        _setMinWithdrawalDelayBlocks(newMinWithdrawalDelayBlocks);
    }

    // --------------------------------------------------------------------- views

    /// @inheritdoc IDelegationManager
    function isOperator(address operator) public view returns (bool) {
        return operator != address(0) && delegatedTo[operator] == operator;
    }

    /// @notice Whether `staker` is delegated to an operator (operators always are).
    function isDelegated(address staker) external view returns (bool) {
        return delegatedTo[staker] != address(0);
    }

    /// @inheritdoc IDelegationManager
    function getOperatorShares(address operator, IStrategy[] memory strategies)
        public
        view
        returns (uint256[] memory shares)
    {
        shares = new uint256[](strategies.length);
        for (uint256 i = 0; i < strategies.length; ++i) {
            shares[i] = operatorShares[operator][strategies[i]];
        }
    }

    /// @inheritdoc IDelegationManager
    function getOperatorsShares(address[] memory operators, IStrategy[] memory strategies)
        external
        view
        returns (uint256[][] memory shares)
    {
        shares = new uint256[][](operators.length);
        for (uint256 i = 0; i < operators.length; ++i) {
            shares[i] = getOperatorShares(operators[i], strategies);
        }
    }

    /// @notice The details `operator` registered with (all zero if not an operator).
    function operatorDetails(address operator) external view returns (OperatorDetails memory) {
        return _operatorDetails[operator];
    }

    /// @notice The identifier of a withdrawal: keccak256 of its ABI encoding.
    function calculateWithdrawalRoot(Withdrawal memory withdrawal) public pure returns (bytes32) {
        return keccak256(abi.encode(withdrawal));
    }

    // ------------------------------------------------------------------ internals

    function _delegate(address staker, address operator) private {
        delegatedTo[staker] = operator;
        emit StakerDelegated(staker, operator);
        (IStrategy[] memory strategies, uint256[] memory shares) = strategyManager.getDeposits(staker);
        for (uint256 i = 0; i < strategies.length; ++i) {
            _increaseOperatorShares(operator, staker, strategies[i], shares[i]);
        }
    }

    function _removeSharesAndQueueWithdrawal(
        address staker,
        address operator,
        address withdrawer,
        IStrategy[] memory strategies,
        uint256[] memory shares
    ) private returns (bytes32 root) {
        if (strategies.length == 0) revert InputArrayLengthZero();
        for (uint256 i = 0; i < strategies.length; ++i) {
            // The strategy manager refuses zero or more than the staker holds, so the operator
            // (which holds at least the staker's shares) cannot underflow after it.
            strategyManager.removeShares(staker, strategies[i], shares[i]);
            if (operator != address(0)) {
                operatorShares[operator][strategies[i]] -= shares[i];
                emit OperatorSharesDecreased(operator, staker, strategies[i], shares[i]);
            }
        }
        Withdrawal memory withdrawal = Withdrawal({
            staker: staker,
            delegatedTo: operator,
            withdrawer: withdrawer,
            nonce: cumulativeWithdrawalsQueued[staker]++,
            startBlock: SafeCast.toUint32(block.number),
            strategies: strategies,
            shares: shares
        });
        root = calculateWithdrawalRoot(withdrawal);
        pendingWithdrawals[root] = true;
        emit WithdrawalQueued(root, withdrawal);
    }

    function _increaseOperatorShares(address operator, address staker, IStrategy strategy, uint256 shares) private {
        operatorShares[operator][strategy] += shares;
        emit OperatorSharesIncreased(operator, staker, strategy, shares);
    }

    function _setMinWithdrawalDelayBlocks(uint256 value) private {
        if (value > MAX_WITHDRAWAL_DELAY_BLOCKS) revert WithdrawalDelayTooLarge(value, MAX_WITHDRAWAL_DELAY_BLOCKS);
        emit MinWithdrawalDelayBlocksSet(minWithdrawalDelayBlocks, value);
        minWithdrawalDelayBlocks = value;
    }
}
