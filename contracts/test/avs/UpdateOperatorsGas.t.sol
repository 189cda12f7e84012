// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {console} from "hardhat/console.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev Gas of updateOperatorsForQuorum for a whole quorum (20 operators; quorum 1 counts two
///      strategies), cold start, with every stake changed (the expensive case: one history write
///      per operator). Run: npx hardhat test solidity test/avs/UpdateOperatorsGas.t.sol
contract UpdateOperatorsGasTest is AvsTestBase {
    uint256 internal constant OPERATORS = 20;
    address[][] internal lists;

    function setUp() public override {
        super.setUp();
        for (uint256 i = 1; i <= OPERATORS; ++i) {
            _register(i, _q(1), 2 ether);
        }
        vm.roll(block.number + 1);
        for (uint256 i = 1; i <= OPERATORS; ++i) {
            _deposit(i, strategy2, 1 ether);
        }
        address[] memory ops = new address[](OPERATORS);
        for (uint256 i = 0; i < OPERATORS; ++i) {
            ops[i] = _operator(i + 1);
        }
        for (uint256 a = 1; a < ops.length; ++a) {
            for (uint256 b = a; b > 0 && ops[b - 1] > ops[b]; --b) {
                (ops[b - 1], ops[b]) = (ops[b], ops[b - 1]);
            }
        }
        lists.push(ops);
        vm.roll(block.number + 1);
    }

    function test_gas_updateOperatorsForQuorum() public {
        address[][] memory l = lists;
        uint256 before = gasleft();
        coordinator.updateOperatorsForQuorum(l, _q(1));
        uint256 used = before - gasleft();
        console.log("updateOperatorsForQuorum, 20 operators x 2 strategies, all changed:", used);
        console.log("  per operator:", used / OPERATORS);
        assertEq(stakeRegistry.getCurrentTotalStake(1), OPERATORS * 4 ether, "2 + 1*2 each");
        // A 200-operator quorum must fit in one transaction: 16,777,216 gas cap (EIP-7825).
        assertLe(used / OPERATORS * 200, 16_777_216, "200 operators in one transaction");
    }
}
