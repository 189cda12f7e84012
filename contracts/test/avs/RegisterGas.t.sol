// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {console} from "hardhat/console.sol";
import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {IBLSApkRegistry} from "../../contracts/interfaces/IBLSApkRegistry.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev Gas of registerOperator (key already registered by an earlier operator's quorum, not
///      this one's: the first registration includes the proof of possession) and of
///      deregisterOperator, in a later block than the quorum's last APK change, measured around
///      the call. Run: npx hardhat test solidity test/avs/RegisterGas.t.sol
contract RegisterGasTest is AvsTestBase {
    function setUp() public override {
        super.setUp();
        _register(1, _q(0, 1), 2 ether);
        _deposit(2, strategy, 2 ether);
        vm.roll(block.number + 1);
    }

    function test_gas_registerAndDeregister() public {
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(2);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(2);
        vm.prank(_operator(2));
        uint256 before = gasleft();
        coordinator.registerOperator(_q(0, 1), "socket", params, sig);
        console.log("registerOperator, 2 quorums, new key:", before - gasleft());
        vm.roll(block.number + 1);
        vm.prank(_operator(2));
        before = gasleft();
        coordinator.deregisterOperator(_q(0, 1));
        console.log("deregisterOperator, 2 quorums:", before - gasleft());
    }
}
