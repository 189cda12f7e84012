// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IDelegationManager} from "../../contracts/interfaces/IDelegationManager.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {StakeRegistry} from "../../contracts/registries/StakeRegistry.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @dev A delegation contract whose shares the test sets, and which can answer
///      `getOperatorsShares` with a malformed encoding.
contract ScriptedDelegation {
    mapping(address operator => mapping(IStrategy strategy => uint256)) public operatorShares;
    /// @dev 0: Solidity's encoding; 1: one share too few per operator; 2: operator arrays in
    ///      reverse order (valid ABI, not canonical); 3: revert.
    uint256 public answerMode;

    function setShares(address operator, IStrategy strategy, uint256 shares) external {
        operatorShares[operator][strategy] = shares;
    }

    function setAnswerMode(uint256 mode) external {
        answerMode = mode;
    }

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

    function getOperatorsShares(address[] memory operators, IStrategy[] memory strategies)
        external
        view
        returns (uint256[][] memory shares)
    {
        if (answerMode == 3) revert("scripted failure");
        shares = new uint256[][](operators.length);
        for (uint256 i = 0; i < operators.length; ++i) {
            shares[i] = getOperatorShares(operators[i], strategies);
        }
        if (answerMode == 1) {
            for (uint256 i = 0; i < shares.length; ++i) {
                uint256[] memory one = shares[i];
                assembly ("memory-safe") {
                    mstore(one, sub(mload(one), 1))
                }
            }
        } else if (answerMode == 2) {
            // Same values, but the tails in reverse order: decodable, not what Solidity emits.
            bytes memory encoded = abi.encode(shares);
            uint256 n = operators.length;
            uint256 stride = 0x20 * (strategies.length + 1);
            bytes memory reordered = new bytes(encoded.length);
            assembly ("memory-safe") {
                mcopy(add(reordered, 0x20), add(encoded, 0x20), add(0x40, shl(5, n)))
                let tails := add(add(encoded, 0x60), shl(5, n))
                let outTails := add(add(reordered, 0x60), shl(5, n))
                for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                    let to := mul(sub(sub(n, 1), k), stride)
                    mcopy(add(outTails, to), add(tails, mul(k, stride)), stride)
                    mstore(add(add(reordered, 0x60), shl(5, k)), add(shl(5, n), to))
                }
                return(add(reordered, 0x20), mload(reordered))
            }
        }
    }

    function isOperator(address) external pure returns (bool) {
        return true;
    }

    function minWithdrawalDelayBlocks() external pure returns (uint256) {
        return 0;
    }
}

/// @dev The whole-quorum update reads shares in batches of several operators per call: more
///      operators than one batch holds, with ejections in several batches, weigh exactly as the
///      one-operator path does, and a malformed answer is refused. This contract is the
///      registry's coordinator.
contract StakeBatchesTest is TestBase {
    uint256 internal constant OPERATORS = 75; // three share calls of up to 32
    uint96 internal constant MIN_STAKE = 1 ether;

    ScriptedDelegation internal delegation;
    StakeRegistry internal registry;
    IStrategy internal constant S1 = IStrategy(address(0x5001));
    IStrategy internal constant S2 = IStrategy(address(0x5002));
    IStrategy internal constant S3 = IStrategy(address(0x5003));

    function setUp() public {
        delegation = new ScriptedDelegation();
        registry = new StakeRegistry(address(this), IDelegationManager(address(delegation)));
        IStakeRegistry.StrategyParams[] memory params = new IStakeRegistry.StrategyParams[](3);
        params[0] = IStakeRegistry.StrategyParams(S1, 1e18);
        params[1] = IStakeRegistry.StrategyParams(S2, 2e18);
        params[2] = IStakeRegistry.StrategyParams(S3, 0.5e18);
        registry.initializeQuorum(0, MIN_STAKE, params);
        for (uint256 i = 0; i < OPERATORS; ++i) {
            delegation.setShares(_operator(i), S1, 1 ether + i);
            delegation.setShares(_operator(i), S2, 0.5 ether);
            registry.registerOperator(_operator(i), _id(i), hex"00");
        }
        vm.roll(block.number + 1);
    }

    function test_manyBatches_weighAsOneOperatorDoesAndEjectInEveryBatch() public {
        uint256 expectedTotal = 0;
        for (uint256 i = 0; i < OPERATORS; ++i) {
            bool below = i % 17 == 3; // 3, 20, 37, 54, 71: in every one of the three calls
            delegation.setShares(_operator(i), S1, below ? 0.2 ether : 2 ether + i * 7);
            delegation.setShares(_operator(i), S2, below ? 0.1 ether : 0.25 ether);
            delegation.setShares(_operator(i), S3, below ? 0 : i * 1e15 + 1);
            if (!below) expectedTotal += registry.weightOfOperatorForQuorum(0, _operator(i));
        }
        (address[] memory operators, bytes32[] memory ids) = _all();
        uint256[] memory belowMinimum = registry.updateOperatorsStake(operators, ids, 0);
        assertEq(belowMinimum.length, 5, "five below the minimum");
        for (uint256 j = 0; j < belowMinimum.length; ++j) {
            assertEq(belowMinimum[j], 3 + 17 * j, "ascending indices");
        }
        for (uint256 i = 0; i < OPERATORS; ++i) {
            uint96 weight = registry.weightOfOperatorForQuorum(0, _operator(i));
            uint96 expected = i % 17 == 3 ? 0 : weight;
            assertEq(registry.getCurrentStake(_id(i), 0), expected, "recorded stake");
            if (i % 17 != 3) {
                uint256 formula = (2 ether + i * 7) + 0.25 ether * 2 + (i * 1e15 + 1) / 2;
                assertEq(weight, formula, "shares x multipliers / 1e18");
            }
        }
        assertEq(registry.getCurrentTotalStake(0), expectedTotal, "total");
    }

    function test_weightOverflowInALaterBatchNamesTheOperator() public {
        delegation.setShares(_operator(40), S2, uint256(1) << 170);
        (address[] memory operators, bytes32[] memory ids) = _all();
        vm.expectRevert(abi.encodeWithSelector(StakeRegistry.WeightOverflow.selector, _operator(40)));
        registry.updateOperatorsStake(operators, ids, 0);
    }

    function test_malformedAnswersAreRefused() public {
        (address[] memory operators, bytes32[] memory ids) = _all();
        delegation.setAnswerMode(1);
        vm.expectRevert(StakeRegistry.SharesLengthMismatch.selector);
        registry.updateOperatorsStake(operators, ids, 0);
        vm.expectRevert(StakeRegistry.SharesLengthMismatch.selector);
        registry.weightOfOperatorForQuorum(0, _operator(1));
        // (Reordering needs two operators: the one-operator path has nothing to reorder.)
        delegation.setAnswerMode(2);
        vm.expectRevert(StakeRegistry.SharesLengthMismatch.selector);
        registry.updateOperatorsStake(operators, ids, 0);
        delegation.setAnswerMode(3);
        vm.expectRevert(bytes("scripted failure"));
        registry.updateOperatorsStake(operators, ids, 0);
        delegation.setAnswerMode(0);
        assertEq(registry.getCurrentStake(_id(1), 0), 1 ether + 1 + 1 ether, "nothing changed");
    }

    function _all() internal pure returns (address[] memory operators, bytes32[] memory ids) {
        operators = new address[](OPERATORS);
        ids = new bytes32[](OPERATORS);
        for (uint256 i = 0; i < OPERATORS; ++i) {
            operators[i] = _operator(i);
            ids[i] = _id(i);
        }
    }

    function _operator(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }

    function _id(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode(i));
    }
}
