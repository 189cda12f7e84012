// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {console} from "hardhat/console.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev Gas of checkSignatures on the full deployment (every AVS contract behind a
///      TransparentUpgradeableProxy, restaking stand-in), 1 quorum of 11 operators, 0..10
///      non-signers, Osaka gas schedule (Hardhat's default hardfork).
///      setUp builds all inputs (in its own transaction), so each test starts with every account
///      and storage slot cold, as a real transaction does. The input is ABI-encoded before the
///      measurement, so figures are execution gas only (no calldata or 21,000 intrinsic gas).
///      Run: npx hardhat test solidity test/avs/CheckSignaturesGas.t.sol
contract CheckSignaturesGasTest is AvsTestBase {
    uint256 internal constant OPERATORS = 11;
    bytes32 internal constant MSG = keccak256("avskit gas benchmark");
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @dev Regression bounds: what this code measured when written, plus a little slack.
    uint256 internal constant MAX_GAS_NO_NON_SIGNERS = 172_000;
    uint256 internal constant MAX_GAS_FIRST_NON_SIGNER = 26_000;
    uint256 internal constant MAX_GAS_PER_EXTRA_NON_SIGNER = 10_000;

    uint32 internal referenceBlock;
    mapping(uint256 nonSigners => bytes) internal callData;
    bytes internal callDataNoHint;

    function setUp() public override {
        super.setUp();
        for (uint256 i = 1; i <= OPERATORS; ++i) {
            _register(i, _q(0), 10 ether);
        }
        vm.roll(block.number + 1);
        referenceBlock = uint32(block.number - 1);
        uint256[5] memory scenarios = [uint256(0), 1, 2, 5, 10];
        for (uint256 s = 0; s < scenarios.length; ++s) {
            uint256 n = scenarios[s];
            IBLSSignatureChecker.NonSignerStakesAndSignature memory p =
                _checkInput(MSG, _q(0), referenceBlock, _range(n + 1, OPERATORS), _ones(OPERATORS - n));
            callData[n] = abi.encodeCall(IBLSSignatureChecker.checkSignatures, (MSG, _q(0), referenceBlock, p));
            if (n == 0) {
                delete p.hashHint;
                callDataNoHint = abi.encodeCall(IBLSSignatureChecker.checkSignatures, (MSG, _q(0), referenceBlock, p));
            }
        }
        vm.roll(block.number + 1);
    }

    /// @dev Gas of one call to `target`. The target address is touched first, outside the
    ///      measurement: a transaction's `to` is warm from the start (EIP-2929).
    function _measure(address target, bytes memory data) internal view returns (uint256 used) {
        assertTrue(target.code.length > 0, "target has code");
        uint256 before = gasleft();
        (bool ok,) = target.staticcall(data);
        used = before - gasleft();
        assertTrue(ok, "checkSignatures reverted");
    }

    function _viaProxy(uint256 nonSigners) internal view returns (uint256 used) {
        used = _measure(address(taskManager), callData[nonSigners]);
        console.log("checkSignatures via the TaskManager proxy; non-signers, gas:", nonSigners, used);
    }

    function test_gas_0_nonSigners() public view {
        assertLe(_viaProxy(0), MAX_GAS_NO_NON_SIGNERS, "0 non-signers");
    }

    function test_gas_0_nonSigners_implementationDirect() public view {
        // The checker without its own proxy (as in respondToTask, where it runs inside the task
        // manager's call, or as the middleware measured its checker). Registries still proxied.
        address implementation = address(uint160(uint256(vm.load(address(taskManager), IMPLEMENTATION_SLOT))));
        uint256 used = _measure(implementation, callData[0]);
        console.log("checkSignatures on the implementation (no checker proxy), 0 non-signers:", used);
    }

    function test_gas_0_nonSigners_withoutHashWitness() public view {
        uint256 used = _measure(address(taskManager), callDataNoHint);
        console.log("checkSignatures via proxy, 0 non-signers, H computed on-chain (modexp):", used);
    }

    function test_gas_1_nonSigner() public view {
        assertLe(_viaProxy(1), MAX_GAS_NO_NON_SIGNERS + MAX_GAS_FIRST_NON_SIGNER, "1 non-signer");
    }

    function test_gas_2_nonSigners() public view {
        assertLe(
            _viaProxy(2), MAX_GAS_NO_NON_SIGNERS + MAX_GAS_FIRST_NON_SIGNER + MAX_GAS_PER_EXTRA_NON_SIGNER, "2"
        );
    }

    function test_gas_5_nonSigners() public view {
        assertLe(
            _viaProxy(5), MAX_GAS_NO_NON_SIGNERS + MAX_GAS_FIRST_NON_SIGNER + 4 * MAX_GAS_PER_EXTRA_NON_SIGNER, "5"
        );
    }

    function test_gas_10_nonSigners() public view {
        assertLe(
            _viaProxy(10), MAX_GAS_NO_NON_SIGNERS + MAX_GAS_FIRST_NON_SIGNER + 9 * MAX_GAS_PER_EXTRA_NON_SIGNER, "10"
        );
    }

    /// @dev Sanity check of the method: the same call again in the same transaction (all warm)
    ///      is much cheaper, so the first measurement did start cold.
    function test_gas_measurementStartsCold() public view {
        uint256 cold = _measure(address(taskManager), callData[0]);
        uint256 warm = _measure(address(taskManager), callData[0]);
        console.log("same call cold / warm:", cold, warm);
        assertTrue(cold > warm + 15_000, "first call paid the cold accesses");
    }
}
