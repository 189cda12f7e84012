// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {StrategyManager} from "../../contracts/restaking/StrategyManager.sol";
import {StrategyVault} from "../../contracts/restaking/StrategyVault.sol";
import {TestToken} from "../../contracts/restaking/TestToken.sol";
import {FeeOnTransferToken} from "./utils/FeeOnTransferToken.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";
import {VM} from "./utils/Vm.sol";

contract StrategyManagerTest is RestakingFixture {
    event Deposit(address staker, address token, IStrategy strategy, uint256 shares);

    function test_depositCreditsSharesOneToOne() public {
        uint256 shares = _deposit(STAKER, 1_000 ether);

        assertEq(shares, 1_000 ether, "returned shares");
        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 1_000 ether, "stakerDepositShares");
        assertEq(strategyManager.stakerStrategyShares(STAKER, vault), 1_000 ether, "stakerStrategyShares");
        assertEq(vault.shares(STAKER), 1_000 ether, "vault.shares");
        assertEq(vault.totalShares(), 1_000 ether, "totalShares");
        assertEq(token.balanceOf(address(vault)), 1_000 ether, "vault balance");
        assertEq(token.balanceOf(STAKER), 0, "staker balance");
        assertEq(vault.sharesToUnderlyingView(7), 7, "1:1 rate");

        (IStrategy[] memory strategies, uint256[] memory amounts) = strategyManager.getDeposits(STAKER);
        assertEq(strategies.length, 1, "deposit list length");
        assertEq(address(strategies[0]), address(vault), "deposit list strategy");
        assertEq(amounts[0], 1_000 ether, "deposit list shares");
    }

    function test_depositEmitsDeposit() public {
        token.mint(STAKER, 5);
        VM.startPrank(STAKER);
        token.approve(address(strategyManager), 5);
        VM.expectEmit(false, false, false, true);
        emit Deposit(STAKER, address(token), vault, 5);
        strategyManager.depositIntoStrategy(vault, token, 5);
        VM.stopPrank();
    }

    function test_secondDepositAddsUp() public {
        _deposit(STAKER, 3);
        _deposit(STAKER, 4);
        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 7, "shares");
        assertEq(strategyManager.stakerStrategyListLength(STAKER), 1, "listed once");
    }

    function test_depositRevertsForStrategyNotWhitelisted() public {
        StrategyVault other = new StrategyVault(strategyManager, token);
        token.mint(STAKER, 1);
        VM.startPrank(STAKER);
        token.approve(address(strategyManager), 1);
        VM.expectRevert(abi.encodeWithSelector(StrategyManager.StrategyNotWhitelisted.selector, other));
        strategyManager.depositIntoStrategy(other, token, 1);
        VM.stopPrank();
    }

    function test_depositRevertsAfterRemovalFromWhitelist() public {
        strategyManager.removeStrategiesFromDepositWhitelist(_one(IStrategy(vault)));
        assertFalse(strategyManager.strategyIsWhitelistedForDeposit(vault), "whitelisted");
        token.mint(STAKER, 1);
        VM.startPrank(STAKER);
        token.approve(address(strategyManager), 1);
        VM.expectRevert(abi.encodeWithSelector(StrategyManager.StrategyNotWhitelisted.selector, vault));
        strategyManager.depositIntoStrategy(vault, token, 1);
        VM.stopPrank();
    }

    function test_depositRevertsForZeroAmount() public {
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(StrategyVault.ZeroAmount.selector));
        strategyManager.depositIntoStrategy(vault, token, 0);
    }

    function test_depositRevertsForWrongToken() public {
        TestToken other = new TestToken("Other", "OTH");
        other.mint(STAKER, 10);
        VM.startPrank(STAKER);
        other.approve(address(strategyManager), 10);
        VM.expectRevert(abi.encodeWithSelector(StrategyVault.TokenMismatch.selector, token, other));
        strategyManager.depositIntoStrategy(vault, other, 10);
        VM.stopPrank();
    }

    function test_whitelistIsOwnerOnly() public {
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STAKER));
        strategyManager.addStrategiesToDepositWhitelist(_one(IStrategy(vault)));
    }

    function test_whitelistRefusesVaultOfAnotherManager() public {
        StrategyVault foreign = new StrategyVault(StrategyManager(address(0xdead)), token);
        VM.expectRevert(
            abi.encodeWithSelector(StrategyManager.StrategyNotManagedHere.selector, foreign, address(0xdead))
        );
        strategyManager.addStrategiesToDepositWhitelist(_one(IStrategy(foreign)));
    }

    function test_shareMovesAreDelegationOnly() public {
        _deposit(STAKER, 10);
        bytes memory onlyDelegation =
            abi.encodeWithSelector(StrategyManager.OnlyDelegationManager.selector, address(this));
        VM.expectRevert(onlyDelegation);
        strategyManager.removeShares(STAKER, vault, 10);
        VM.expectRevert(onlyDelegation);
        strategyManager.addShares(STAKER, vault, 10);
        VM.expectRevert(onlyDelegation);
        strategyManager.withdrawSharesAsTokens(address(this), vault, 10, token);
        assertEq(strategyManager.stakerDepositShares(STAKER, vault), 10, "shares unchanged");
    }

    function test_vaultIsStrategyManagerOnly() public {
        _deposit(STAKER, 10);
        bytes memory onlyManager = abi.encodeWithSelector(StrategyVault.OnlyStrategyManager.selector, address(this));
        VM.expectRevert(onlyManager);
        vault.withdraw(address(this), token, 10);
        VM.expectRevert(onlyManager);
        vault.deposit(token, 10);
        assertEq(token.balanceOf(address(vault)), 10, "vault balance unchanged");
    }

    function test_delegationHookIsStrategyManagerOnly() public {
        _registerOperator(OPERATOR);
        VM.expectRevert(abi.encodeWithSignature("OnlyStrategyManager(address)", address(this)));
        delegation.increaseDelegatedShares(OPERATOR, vault, 1);
        assertEq(_operatorShares(OPERATOR), 0, "operator shares unchanged");
    }

    function test_depositRevertsWhenTokensDoNotArrive() public {
        FeeOnTransferToken feeToken = new FeeOnTransferToken();
        StrategyVault feeVault = new StrategyVault(strategyManager, feeToken);
        strategyManager.addStrategiesToDepositWhitelist(_one(IStrategy(feeVault)));
        feeToken.mint(STAKER, 100);
        VM.startPrank(STAKER);
        feeToken.approve(address(strategyManager), 100);
        VM.expectRevert(abi.encodeWithSelector(StrategyVault.DepositNotReceived.selector, 99, 100));
        strategyManager.depositIntoStrategy(feeVault, feeToken, 100);
        VM.stopPrank();
        assertEq(feeToken.balanceOf(STAKER), 100, "nothing moved");
    }

    function test_testTokenMintIsOwnerOnly() public {
        VM.prank(STAKER);
        VM.expectRevert(abi.encodeWithSelector(Ownable.OwnableUnauthorizedAccount.selector, STAKER));
        token.mint(STAKER, 1);
    }
}
