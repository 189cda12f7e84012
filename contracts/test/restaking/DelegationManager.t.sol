// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {DelegationManager} from "../../contracts/restaking/DelegationManager.sol";
import {StrategyManager} from "../../contracts/restaking/StrategyManager.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";
import {VM} from "./utils/Vm.sol";

contract DelegationManagerTest is RestakingFixture {
    event OperatorSharesIncreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event OperatorSharesDecreased(address indexed operator, address staker, IStrategy strategy, uint256 shares);
    event StakerDelegated(address indexed staker, address indexed operator);
    event StakerUndelegated(address indexed staker, address indexed operator);
    event WithdrawalQueued(bytes32 withdrawalRoot, DelegationManager.Withdrawal withdrawal);
    event WithdrawalCompleted(bytes32 withdrawalRoot);

    // ------------------------------------------------------------ registration

    function test_registerAsOperatorSelfDelegatesWithOwnDeposits() public {
        _deposit(OPERATOR, 50);
        assertFalse(delegation.isOperator(OPERATOR), "operator before registering");

        _registerOperator(OPERATOR);

        assertTrue(delegation.isOperator(OPERATOR), "isOperator");
        assertTrue(delegation.isDelegated(OPERATOR), "isDelegated");
        assertEq(delegation.delegatedTo(OPERATOR), OPERATOR, "self-delegated");
        assertEq(_operatorShares(OPERATOR), 50, "own deposit counts");
        assertEq(delegation.operatorDetails(OPERATOR).__deprecated_earningsReceiver, OPERATOR, "details stored");
    }

    function test_registerTwiceReverts() public {
        _registerOperator(OPERATOR);
        VM.prank(OPERATOR);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.AlreadyOperator.selector, OPERATOR));
        delegation.registerAsOperator(_details(address(0)), "");
    }

    function test_delegatedStakerCannotRegister() public {
        _registerOperator(OPERATOR);
        _delegate(STAKER, OPERATOR);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.AlreadyDelegated.selector, STAKER, OPERATOR));
        delegation.registerAsOperator(_details(address(0)), "");
    }

    function test_registerRefusesDelegationApprover() public {
        VM.prank(OPERATOR);
        VM.expectRevert(
            abi.encodeWithSelector(DelegationManager.DelegationApproverNotSupported.selector, address(0xa11ce))
        );
        delegation.registerAsOperator(_details(address(0xa11ce)), "");
        assertFalse(delegation.isOperator(OPERATOR), "not registered");
    }

    // -------------------------------------------------------------- delegation

    function test_delegationAddsStakerSharesToOperator() public {
        _registerOperator(OPERATOR);
        _deposit(STAKER, 1_000);
        assertEq(_operatorShares(OPERATOR), 0, "before delegation");

        VM.expectEmit(true, true, false, false);
        emit StakerDelegated(STAKER, OPERATOR);
        VM.expectEmit(true, false, false, true);
        emit OperatorSharesIncreased(OPERATOR, STAKER, vault, 1_000);
        _delegate(STAKER, OPERATOR);

        assertEq(_operatorShares(OPERATOR), 1_000, "after delegation");
        assertEq(delegation.operatorShares(OPERATOR, vault), 1_000, "operatorShares view");
        assertEq(delegation.delegatedTo(STAKER), OPERATOR, "delegatedTo");
        assertTrue(delegation.isDelegated(STAKER), "isDelegated");
        assertFalse(delegation.isOperator(STAKER), "staker is not an operator");
    }

    function test_depositAfterDelegationIncreasesOperatorShares() public {
        _registerOperator(OPERATOR);
        _delegate(STAKER, OPERATOR);
        _deposit(STAKER, 300);
        assertEq(_operatorShares(OPERATOR), 300, "first deposit");
        _deposit(STAKER, 200);
        assertEq(_operatorShares(OPERATOR), 500, "second deposit");
    }

    function test_delegateToUnregisteredOperatorReverts() public {
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.OperatorNotRegistered.selector, OPERATOR));
        delegation.delegateTo(OPERATOR, DelegationManager.SignatureWithExpiry("", 0), bytes32(0));
    }

    function test_delegateTwiceReverts() public {
        _registerOperator(OPERATOR);
        _delegate(STAKER, OPERATOR);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.AlreadyDelegated.selector, STAKER, OPERATOR));
        delegation.delegateTo(OPERATOR, DelegationManager.SignatureWithExpiry("", 0), bytes32(0));
    }

    // ------------------------------------------------------------ undelegation

    function test_undelegateRemovesSharesAndQueuesWithdrawal() public {
        _registerOperator(OPERATOR);
        _deposit(STAKER, 700);
        _delegate(STAKER, OPERATOR);

        DelegationManager.Withdrawal memory expected = _withdrawal(STAKER, OPERATOR, 0, 700);
        VM.expectEmit(true, true, false, false);
        emit StakerUndelegated(STAKER, OPERATOR);
        VM.expectEmit(true, false, false, true);
        emit OperatorSharesDecreased(OPERATOR, STAKER, vault, 700);
        VM.expectEmit(false, false, false, true);
        emit WithdrawalQueued(delegation.calculateWithdrawalRoot(expected), expected);
        VM.prank(STAKER);
        bytes32[] memory roots = delegation.undelegate(STAKER);

        assertEq(roots.length, 1, "one withdrawal per strategy");
        assertEq(roots[0], delegation.calculateWithdrawalRoot(expected), "root");
        assertTrue(delegation.pendingWithdrawals(roots[0]), "pending");
        assertEq(_operatorShares(OPERATOR), 0, "operator shares");
        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 0, "staker shares");
        assertEq(delegation.delegatedTo(STAKER), address(0), "delegatedTo");
        assertFalse(delegation.isDelegated(STAKER), "isDelegated");
    }

    function test_operatorCanForceUndelegate() public {
        _registerOperator(OPERATOR);
        _deposit(STAKER, 5);
        _delegate(STAKER, OPERATOR);
        VM.prank(OPERATOR);
        delegation.undelegate(STAKER);
        assertEq(_operatorShares(OPERATOR), 0, "operator shares");
    }

    function test_undelegateRefusals() public {
        _registerOperator(OPERATOR);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.NotDelegated.selector, STAKER));
        delegation.undelegate(STAKER);

        VM.prank(OPERATOR);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.OperatorsCannotUndelegate.selector, OPERATOR));
        delegation.undelegate(OPERATOR);

        _deposit(STAKER, 5);
        _delegate(STAKER, OPERATOR);
        VM.prank(STAKER_2);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.CallerCannotUndelegate.selector, STAKER_2, STAKER));
        delegation.undelegate(STAKER);
        assertEq(_operatorShares(OPERATOR), 5, "unchanged");
    }

    // ------------------------------------------------------------- withdrawals

    function test_queuedWithdrawalCompletesOnlyAfterDelay() public {
        _registerOperator(OPERATOR);
        _deposit(STAKER, 1_000);
        _delegate(STAKER, OPERATOR);

        VM.roll(100);
        bytes32 root = _queue(STAKER, 400);
        assertEq(_operatorShares(OPERATOR), 600, "operator shares drop at once");
        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 600, "staker shares drop at once");
        DelegationManager.Withdrawal memory w = _withdrawal(STAKER, OPERATOR, 0, 400);
        w.startBlock = 100;
        assertEq(delegation.calculateWithdrawalRoot(w), root, "root matches");

        VM.roll(100 + DELAY_BLOCKS - 1);
        VM.prank(STAKER);
        VM.expectRevert(
            abi.encodeWithSelector(
                DelegationManager.WithdrawalDelayNotPassed.selector, 100 + DELAY_BLOCKS - 1, 100 + DELAY_BLOCKS
            )
        );
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);

        VM.roll(100 + DELAY_BLOCKS);
        VM.expectEmit(false, false, false, true);
        emit WithdrawalCompleted(root);
        VM.prank(STAKER);
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);

        assertEq(token.balanceOf(STAKER), 400, "tokens returned");
        assertEq(vault.totalShares(), 600, "vault shares burnt");
        assertEq(token.balanceOf(address(vault)), 600, "vault balance");
        assertFalse(delegation.pendingWithdrawals(root), "no longer pending");

        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.WithdrawalNotQueued.selector, root));
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);
    }

    function test_completeAsSharesRedelegatesToCurrentOperator() public {
        _registerOperator(OPERATOR);
        address operator2 = address(0x0be7a8);
        _registerOperator(operator2);
        _deposit(STAKER, 90);
        _delegate(STAKER, OPERATOR);
        VM.roll(10);
        VM.prank(STAKER);
        delegation.undelegate(STAKER);
        _delegate(STAKER, operator2);

        DelegationManager.Withdrawal memory w = _withdrawal(STAKER, OPERATOR, 0, 90);
        w.startBlock = 10;
        VM.roll(10 + DELAY_BLOCKS);
        VM.prank(STAKER);
        delegation.completeQueuedWithdrawal(w, new IERC20[](0), 0, false);

        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 90, "shares back");
        assertEq(_operatorShares(operator2), 90, "new operator has them");
        assertEq(_operatorShares(OPERATOR), 0, "old operator does not");
        assertEq(token.balanceOf(STAKER), 0, "no tokens paid");
    }

    function test_undelegatedStakerCanWithdraw() public {
        _deposit(STAKER, 8);
        bytes32 root = _queue(STAKER, 8);
        DelegationManager.Withdrawal memory w = _withdrawal(STAKER, address(0), 0, 8);
        assertEq(delegation.calculateWithdrawalRoot(w), root, "root");
        VM.roll(block.number + DELAY_BLOCKS);
        VM.prank(STAKER);
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);
        assertEq(token.balanceOf(STAKER), 8, "tokens returned");
    }

    function test_completeRefusals() public {
        _deposit(STAKER, 8);
        _queue(STAKER, 8);
        DelegationManager.Withdrawal memory w = _withdrawal(STAKER, address(0), 0, 8);
        VM.roll(block.number + DELAY_BLOCKS);

        VM.prank(STAKER_2);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.CallerNotWithdrawer.selector, STAKER_2, STAKER));
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);

        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.InputLengthMismatch.selector, 1, 0));
        delegation.completeQueuedWithdrawal(w, new IERC20[](0), 0, true);

        w.shares[0] = 9; // a withdrawal that was never queued
        VM.prank(STAKER);
        VM.expectRevert(
            abi.encodeWithSelector(
                DelegationManager.WithdrawalNotQueued.selector, delegation.calculateWithdrawalRoot(w)
            )
        );
        delegation.completeQueuedWithdrawal(w, _oneToken(token), 0, true);
        assertEq(token.balanceOf(STAKER), 0, "nothing paid");
    }

    function test_queueRefusals() public {
        _deposit(STAKER, 8);
        DelegationManager.QueuedWithdrawalParams[] memory params = new DelegationManager.QueuedWithdrawalParams[](1);

        params[0] = DelegationManager.QueuedWithdrawalParams(_one(IStrategy(vault)), _one(9), STAKER);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(StrategyManager.InsufficientShares.selector, STAKER, vault, 9, 8));
        delegation.queueWithdrawals(params);

        params[0] = DelegationManager.QueuedWithdrawalParams(_one(IStrategy(vault)), _one(0), STAKER);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(StrategyManager.ZeroShares.selector));
        delegation.queueWithdrawals(params);

        params[0] = DelegationManager.QueuedWithdrawalParams(_one(IStrategy(vault)), new uint256[](0), STAKER);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.InputLengthMismatch.selector, 1, 0));
        delegation.queueWithdrawals(params);

        params[0] = DelegationManager.QueuedWithdrawalParams(new IStrategy[](0), new uint256[](0), STAKER);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.InputArrayLengthZero.selector));
        delegation.queueWithdrawals(params);

        params[0] = DelegationManager.QueuedWithdrawalParams(_one(IStrategy(vault)), _one(1), STAKER_2);
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.WithdrawerNotStaker.selector, STAKER_2, STAKER));
        delegation.queueWithdrawals(params);

        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.InputArrayLengthZero.selector));
        delegation.queueWithdrawals(new DelegationManager.QueuedWithdrawalParams[](0));

        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 8, "shares unchanged");
        assertEq(delegation.cumulativeWithdrawalsQueued(STAKER), 0, "nothing queued");
    }

    function test_withdrawalDelayIsOwnerManagedAndCapped() public {
        assertEq(delegation.minWithdrawalDelayBlocks(), DELAY_BLOCKS, "constructor value");
        delegation.setMinWithdrawalDelayBlocks(3);
        assertEq(delegation.minWithdrawalDelayBlocks(), 3, "updated");

        uint256 max = delegation.MAX_WITHDRAWAL_DELAY_BLOCKS();
        VM.expectRevert(abi.encodeWithSelector(DelegationManager.WithdrawalDelayTooLarge.selector, max + 1, max));
        delegation.setMinWithdrawalDelayBlocks(max + 1);

        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STAKER));
        delegation.setMinWithdrawalDelayBlocks(0);
        assertEq(delegation.minWithdrawalDelayBlocks(), 3, "unchanged");
    }

    // ------------------------------------------------------------------ fuzz

    /// Shares are conserved through deposits before and after delegation and a partial
    /// withdrawal: operator total == sum of its stakers' shares == vault shares == vault balance.
    function testFuzz_sharesConserve(uint96 before1, uint96 after1, uint96 amount2, uint256 withdrawSeed) public {
        VM.assume(before1 > 0 && after1 > 0 && amount2 > 0);
        _registerOperator(OPERATOR);
        _deposit(STAKER, before1);
        _delegate(STAKER, OPERATOR);
        _deposit(STAKER, after1);
        _delegate(STAKER_2, OPERATOR);
        _deposit(STAKER_2, amount2);

        uint256 staker1Total = uint256(before1) + after1;
        uint256 withdrawn = bound(withdrawSeed, 1, staker1Total);
        _queue(STAKER, withdrawn);

        uint256 s1 = strategyManager.stakerDepositShares(STAKER, vault);
        uint256 s2 = strategyManager.stakerDepositShares(STAKER_2, vault);
        assertEq(s1, staker1Total - withdrawn, "staker 1 shares");
        assertEq(s2, amount2, "staker 2 shares");
        assertEq(_operatorShares(OPERATOR), s1 + s2, "operator == sum of stakers");
        assertEq(vault.totalShares(), s1 + s2 + withdrawn, "vault shares include queued");
        assertEq(token.balanceOf(address(vault)), vault.totalShares(), "one token per share");
    }

    // --------------------------------------------------------------- helpers

    function _details(address approver) private pure returns (DelegationManager.OperatorDetails memory) {
        return DelegationManager.OperatorDetails(address(0), approver, 0);
    }

    function _queue(address staker, uint256 shares) private returns (bytes32) {
        DelegationManager.QueuedWithdrawalParams[] memory params = new DelegationManager.QueuedWithdrawalParams[](1);
        params[0] = DelegationManager.QueuedWithdrawalParams(_one(IStrategy(vault)), _one(shares), staker);
        VM.prank(staker);
        return delegation.queueWithdrawals(params)[0];
    }

    function _withdrawal(address staker, address operator, uint256 nonce, uint256 shares)
        private
        view
        returns (DelegationManager.Withdrawal memory)
    {
        return DelegationManager.Withdrawal({
            staker: staker,
            delegatedTo: operator,
            withdrawer: staker,
            nonce: nonce,
            startBlock: uint32(block.number),
            strategies: _one(IStrategy(vault)),
            shares: _one(shares)
        });
    }
}
