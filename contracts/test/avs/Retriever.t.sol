// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {OperatorStateRetriever} from "../../contracts/registries/OperatorStateRetriever.sol";
import {AvsTestBase} from "./AvsTestBase.sol";

/// @dev OperatorStateRetriever views and the ServiceManager.
contract RetrieverTest is AvsTestBase {
    uint32 internal b1;
    uint32 internal b2;

    function setUp() public override {
        super.setUp();
        _register(1, _q(0, 1), 10 ether);
        _register(2, _q(0), 20 ether);
        b1 = uint32(block.number);
        vm.roll(block.number + 3);
        _register(3, _q(1), 30 ether);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));
        b2 = uint32(block.number);
        vm.roll(block.number + 1);
    }

    function _rc() internal view returns (IRegistryCoordinator) {
        return IRegistryCoordinator(address(coordinator));
    }

    function test_operatorStateAtPastBlocks() public view {
        OperatorStateRetriever.Operator[][] memory atB1 = retriever.getOperatorState(_rc(), _q(0, 1), b1);
        assertEq(atB1[0].length, 2, "q0 at b1");
        assertEq(atB1[0][0].operator, _operator(1), "op 1");
        assertEq(atB1[0][0].stake, 10 ether, "stake");
        assertEq(atB1[0][1].operatorId, _operatorId(2), "op 2 id");
        assertEq(atB1[1].length, 1, "q1 at b1");

        OperatorStateRetriever.Operator[][] memory atB2 = retriever.getOperatorState(_rc(), _q(0, 1), b2);
        assertEq(atB2[0].length, 1, "q0 at b2: op 1 left");
        assertEq(atB2[0][0].operator, _operator(2), "op 2 remains");
        assertEq(atB2[1].length, 2, "q1 at b2");
        assertEq(atB2[1][1].stake, 30 ether, "op 3 stake");

        (uint256 bitmap, OperatorStateRetriever.Operator[][] memory ops) =
            retriever.getOperatorState(_rc(), _operatorId(1), b2);
        assertEq(bitmap, 2, "op 1 in quorum 1 at b2");
        assertEq(ops.length, 1, "one quorum");
    }

    function test_operatorsWithPubkeys() public view {
        OperatorStateRetriever.OperatorWithPubkeys[][] memory ops = retriever.getOperatorsWithPubkeys(_rc(), _q(1), b2);
        assertEq(ops[0].length, 2, "two");
        BN254.G1Point memory pk = _pubkeyG1(3);
        assertEq(ops[0][1].pubkeyG1.X, pk.X, "G1 key");
        assertEq(ops[0][1].pubkeyG2.Y[1], _pubkeyG2(3).Y[1], "G2 key");
        assertEq(ops[0][1].stake, 30 ether, "stake");
        assertEq(ops[0][1].operator, _operator(3), "address");
    }

    function test_checkSignaturesIndices() public view {
        bytes32[] memory nonSigners = new bytes32[](1);
        nonSigners[0] = _operatorId(1);
        OperatorStateRetriever.CheckSignaturesIndices memory idx =
            retriever.getCheckSignaturesIndices(_rc(), b1, _q(0, 1), nonSigners);
        assertEq(idx.nonSignerQuorumBitmapIndices[0], 0, "bitmap index");
        assertEq(idx.quorumApkIndices.length, 2, "apk indices");
        assertEq(idx.nonSignerStakeIndices[0].length, 1, "in quorum 0");
        assertEq(idx.nonSignerStakeIndices[1].length, 1, "in quorum 1");
    }

    function test_nonSignerStakesAndSignature_refusals() public {
        BN254.G1Point memory sigma;
        bytes32[] memory signers = new bytes32[](1);
        signers[0] = _operatorId(3); // joined after b1
        vm.expectRevert(abi.encodeWithSelector(OperatorStateRetriever.SignerNotInQuorums.selector, signers[0]));
        retriever.getNonSignerStakesAndSignature(_rc(), _q(0, 1), sigma, signers, b1, bytes32(0));
        signers = new bytes32[](2);
        signers[0] = _operatorId(1);
        signers[1] = signers[0];
        vm.expectRevert(abi.encodeWithSelector(OperatorStateRetriever.DuplicateSigner.selector, signers[0]));
        retriever.getNonSignerStakesAndSignature(_rc(), _q(0, 1), sigma, signers, b1, bytes32(0));
    }

    function test_nonSignerStakesAndSignature_multiplicityInApkG2() public view {
        // At b1 operator 1 is in both quorums: apkG2 must hold its G2 key twice.
        bytes32 m = keccak256("x");
        IBLSSignatureChecker.NonSignerStakesAndSignature memory p = _checkInput(m, _q(0, 1), b1, _list(1), _list(2));
        (, BN254.G2Point memory expected) = _aggregate(m, _list(1), _list(2));
        assertEq(p.apkG2.X[0], expected.X[0], "apkG2 = 2 pk1");
        assertEq(p.nonSignerPubkeys.length, 1, "op 2 did not sign");
        (IBLSSignatureChecker.QuorumStakeTotals memory t,) = taskManager.checkSignatures(m, _q(0, 1), b1, p);
        assertEq(t.signedStakeForQuorum[0], 10 ether, "q0");
        assertEq(t.signedStakeForQuorum[1], 10 ether, "q1");
    }

    function test_hashHintView() public view {
        IBLSSignatureChecker.HashToG1Hint memory hint = retriever.getHashToG1Hint(keccak256("y"));
        BN254.G1Point memory h = BN254.hashToG1(keccak256("y"));
        assertEq(hint.y, h.Y, "y");
    }

    // ------------------------------------------------------------------ service manager

    function test_serviceManager() public {
        assertEq(serviceManager.taskManager(), address(taskManager), "task manager");
        assertEq(serviceManager.avsDirectory(), address(avsDirectory), "directory");
        IStrategy[] memory strategies = serviceManager.getRestakeableStrategies();
        assertEq(strategies.length, 2, "deduplicated");
        vm.expectRevert(bytes4(keccak256("OnlyRegistryCoordinator()")));
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig;
        serviceManager.registerOperatorToAVS(_operator(1), sig);
        vm.expectRevert(abi.encodeWithSelector(bytes4(keccak256("OwnableUnauthorizedAccount(address)")), address(this)));
        serviceManager.updateAVSMetadataURI("x");
        vm.prank(owner);
        serviceManager.updateAVSMetadataURI("ipfs://new");
        assertEq(serviceManager.avsMetadataURI(), "ipfs://new", "uri");
    }
}
