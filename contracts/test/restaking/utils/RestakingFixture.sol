// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStrategy} from "../../../contracts/interfaces/IStrategy.sol";
import {AVSDirectory} from "../../../contracts/restaking/AVSDirectory.sol";
import {DelegationManager} from "../../../contracts/restaking/DelegationManager.sol";
import {StrategyManager} from "../../../contracts/restaking/StrategyManager.sol";
import {StrategyVault} from "../../../contracts/restaking/StrategyVault.sol";
import {TestToken} from "../../../contracts/restaking/TestToken.sol";
import {Assertions} from "./Assertions.sol";
import {VM} from "./Vm.sol";

/// @notice Deploys the restaking stand-in the way a devnet would (this test contract is the
///         owner of everything) and offers the common steps as helpers.
abstract contract RestakingFixture is Assertions {
    uint256 internal constant DELAY_BLOCKS = 10;

    TestToken internal token;
    DelegationManager internal delegation;
    StrategyManager internal strategyManager;
    StrategyVault internal vault;
    AVSDirectory internal avsDirectory;

    address internal constant STAKER = address(0x5747e2);
    address internal constant STAKER_2 = address(0x5747e3);
    address internal constant OPERATOR = address(0x0be7a7);

    function setUp() public virtual {
        token = new TestToken("Test Token", "TST");
        delegation = new DelegationManager(address(this), DELAY_BLOCKS);
        strategyManager = StrategyManager(address(delegation.strategyManager()));
        vault = new StrategyVault(strategyManager, token);
        IStrategy[] memory list = new IStrategy[](1);
        list[0] = vault;
        strategyManager.addStrategiesToDepositWhitelist(list);
        avsDirectory = new AVSDirectory(delegation);
    }

    function _deposit(address staker, uint256 amount) internal returns (uint256 shares) {
        token.mint(staker, amount);
        VM.startPrank(staker);
        token.approve(address(strategyManager), amount);
        shares = strategyManager.depositIntoStrategy(vault, token, amount);
        VM.stopPrank();
    }

    function _registerOperator(address operator) internal {
        VM.prank(operator);
        delegation.registerAsOperator(
            DelegationManager.OperatorDetails({
                __deprecated_earningsReceiver: operator, delegationApprover: address(0), stakerOptOutWindowBlocks: 0
            }),
            "https://example.invalid/operator.json"
        );
    }

    function _delegate(address staker, address operator) internal {
        VM.prank(staker);
        delegation.delegateTo(operator, DelegationManager.SignatureWithExpiry({signature: "", expiry: 0}), bytes32(0));
    }

    function _operatorShares(address operator) internal view returns (uint256) {
        IStrategy[] memory list = new IStrategy[](1);
        list[0] = vault;
        return delegation.getOperatorShares(operator, list)[0];
    }

    function _one(IStrategy strategy) internal pure returns (IStrategy[] memory list) {
        list = new IStrategy[](1);
        list[0] = strategy;
    }

    function _one(uint256 value) internal pure returns (uint256[] memory list) {
        list = new uint256[](1);
        list[0] = value;
    }

    function _oneToken(IERC20 t) internal pure returns (IERC20[] memory list) {
        list = new IERC20[](1);
        list[0] = t;
    }
}
