// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {Initializable} from "@openzeppelin/contracts-upgradeable/proxy/utils/Initializable.sol";
import {OwnableUpgradeable} from "@openzeppelin/contracts-upgradeable/access/OwnableUpgradeable.sol";
import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {IBLSApkRegistry} from "../../contracts/interfaces/IBLSApkRegistry.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {BlockHistory} from "../../contracts/libraries/BlockHistory.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {QuorumBitmap} from "../../contracts/libraries/QuorumBitmap.sol";
import {RegistryCoordinator} from "../../contracts/registries/RegistryCoordinator.sol";
import {AvsTestBase} from "./AvsTestBase.sol";
import {BlsFixtures} from "./utils/BlsFixtures.sol";

contract RegistryCoordinatorTest is AvsTestBase {
    event OperatorRegistered(address indexed operator, bytes32 indexed operatorId);
    event OperatorDeregistered(address indexed operator, bytes32 indexed operatorId);
    event OperatorSocketUpdate(bytes32 indexed operatorId, string socket);
    event QuorumBlockNumberUpdated(uint8 indexed quorumNumber, uint256 blocknumber);
    event NewPubkeyRegistration(address indexed operator, BN254.G1Point pubkeyG1, BN254.G2Point pubkeyG2);

    // ------------------------------------------------------------------ deployment

    function test_initialState() public view {
        assertEq(coordinator.quorumCount(), 2, "two quorums");
        assertEq(coordinator.owner(), owner, "owner");
        assertEq(coordinator.ejector(), ejector, "ejector");
        assertEq(coordinator.churnApprover(), churnApprover, "churn approver");
        assertEq(address(coordinator.stakeRegistry()), address(stakeRegistry), "stake registry");
        assertEq(stakeRegistry.minimumStakeForQuorum(0), QUORUM0_MIN_STAKE, "min stake");
        assertEq(stakeRegistry.strategyParamsLength(1), 2, "quorum 1 strategies");
        assertEq(indexRegistry.totalOperatorsForQuorum(1), 0, "empty quorum");
        assertEq(serviceManager.avsMetadataURI(), "https://avskit.test/metadata.json", "metadata");
    }

    function test_initializersLocked() public {
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        coordinator.initialize(
            owner,
            churnApprover,
            ejector,
            0,
            new IRegistryCoordinator.OperatorSetParam[](0),
            new uint96[](0),
            new IStakeRegistry.StrategyParams[][](0)
        );
        RegistryCoordinator implementation = new RegistryCoordinator(
            coordinator.serviceManager(), stakeRegistry, apkRegistry, indexRegistry
        );
        vm.expectRevert(Initializable.InvalidInitialization.selector);
        implementation.initialize(
            owner,
            churnApprover,
            ejector,
            0,
            new IRegistryCoordinator.OperatorSetParam[](0),
            new uint96[](0),
            new IStakeRegistry.StrategyParams[][](0)
        );
    }

    // ------------------------------------------------------------------ registration

    function test_register_firstTime() public {
        bytes32 id = _operatorId(1);
        _deposit(1, strategy, 5 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(1);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(1);
        vm.expectEmit();
        emit NewPubkeyRegistration(_operator(1), params.pubkeyG1, params.pubkeyG2);
        vm.expectEmit();
        emit OperatorRegistered(_operator(1), id);
        vm.prank(_operator(1));
        coordinator.registerOperator(_q(0, 1), "host:1", params, sig);

        assertEq(coordinator.getOperatorId(_operator(1)), id, "operatorId");
        assertEq(coordinator.getOperatorFromId(id), _operator(1), "operator from id");
        assertEq(uint256(coordinator.getOperatorStatus(_operator(1))), 1, "registered");
        assertEq(coordinator.getCurrentQuorumBitmap(id), 3, "bitmap");
        assertEq(coordinator.getOperatorSocket(id), "host:1", "socket");
        assertEq(uint256(avsDirectory.avsOperatorStatus(address(serviceManager), _operator(1))), 1, "AVSDirectory");
        assertEq(stakeRegistry.getCurrentStake(id, 0), 5 ether, "stake q0");
        assertEq(stakeRegistry.getCurrentTotalStake(1), 5 ether, "total q1");
        assertEq(indexRegistry.totalOperatorsForQuorum(0), 1, "count q0");
        (BN254.G1Point memory pk,) = apkRegistry.getRegisteredPubkey(_operator(1));
        BN254.G1Point memory apk = apkRegistry.getApk(1);
        assertEq(apk.X, pk.X, "apk = pk");
    }

    function test_register_moreQuorumsLaterKeepsKey() public {
        _register(1, _q(0), 5 ether);
        vm.roll(block.number + 1);
        // Second registration: params are ignored (key already registered); no new AVS registration.
        IBLSApkRegistry.PubkeyRegistrationParams memory junk;
        IAVSDirectory.SignatureWithSaltAndExpiry memory noSig;
        vm.prank(_operator(1));
        coordinator.registerOperator(_q(1), "host:2", junk, noSig);
        assertEq(coordinator.getCurrentQuorumBitmap(_operatorId(1)), 3, "bitmap");
        assertEq(coordinator.getQuorumBitmapHistoryLength(_operatorId(1)), 2, "two entries");
    }

    function test_register_refusals() public {
        _register(1, _q(0), 5 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory junk;
        IAVSDirectory.SignatureWithSaltAndExpiry memory noSig;
        vm.startPrank(_operator(1));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.AlreadyRegisteredForQuorums.selector, 1));
        coordinator.registerOperator(_q(0, 1), "", junk, noSig);
        vm.expectRevert(IRegistryCoordinator.QuorumDoesNotExist.selector);
        coordinator.registerOperator(_q(2), "", junk, noSig);
        vm.expectRevert(IRegistryCoordinator.EmptyQuorumNumbers.selector);
        coordinator.registerOperator("", "", junk, noSig);
        vm.expectRevert(QuorumBitmap.QuorumNumbersNotStrictlyAscending.selector);
        coordinator.registerOperator(hex"0100", "", junk, noSig);
        vm.stopPrank();
    }

    function test_register_belowMinimumStake() public {
        _deposit(2, strategy, 0.5 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(2);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(2);
        vm.prank(_operator(2));
        vm.expectRevert(
            abi.encodeWithSelector(
                IStakeRegistry.BelowMinimumStakeRequirement.selector, uint8(0), uint96(0.5 ether), QUORUM0_MIN_STAKE
            )
        );
        coordinator.registerOperator(_q(0), "", params, sig);
    }

    function test_register_zeroPubkey() public {
        _deposit(2, strategy, 2 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params;
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(2);
        vm.prank(_operator(2));
        vm.expectRevert(IBLSApkRegistry.ZeroPubkey.selector);
        coordinator.registerOperator(_q(0), "", params, sig);
    }

    function test_register_badProofOfPossession() public {
        _deposit(2, strategy, 2 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(2);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(2);
        // Signature over another operator's message (replay of someone else's proof).
        params.pubkeyRegistrationSignature =
            BN254.scalarMul(coordinator.pubkeyRegistrationMessageHash(_operator(3)), 12345);
        vm.prank(_operator(2));
        vm.expectRevert(IBLSApkRegistry.InvalidPubkeyRegistrationSignature.selector);
        coordinator.registerOperator(_q(0), "", params, sig);

        // G1 and G2 keys of different secrets (rogue-key shape).
        params = _pubkeyParams(2);
        params.pubkeyG2 = _pubkeyG2(3);
        vm.prank(_operator(2));
        vm.expectRevert(IBLSApkRegistry.InvalidPubkeyRegistrationSignature.selector);
        coordinator.registerOperator(_q(0), "", params, sig);
    }

    function test_register_keyOwnedByAnotherOperator() public {
        _register(1, _q(0), 5 ether);
        // Operator 2 submits key 1 with a valid proof of possession over its own message.
        _deposit(2, strategy, 2 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(1);
        params.pubkeyRegistrationSignature =
            BN254.scalarMul(coordinator.pubkeyRegistrationMessageHash(_operator(2)), BlsFixtures.secretKey(1));
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(2);
        vm.prank(_operator(2));
        vm.expectRevert(abi.encodeWithSelector(IBLSApkRegistry.PubkeyAlreadyRegistered.selector, _operatorId(1)));
        coordinator.registerOperator(_q(0), "", params, sig);
    }

    function test_apkRegistry_secondKeyForOperator() public {
        _register(1, _q(0), 5 ether);
        // Only reachable by the coordinator itself: it never asks twice, but the registry refuses.
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(2);
        params.pubkeyRegistrationSignature =
            BN254.scalarMul(coordinator.pubkeyRegistrationMessageHash(_operator(1)), BlsFixtures.secretKey(2));
        BN254.G1Point memory message = coordinator.pubkeyRegistrationMessageHash(_operator(1));
        vm.prank(address(coordinator));
        vm.expectRevert(abi.encodeWithSelector(IBLSApkRegistry.OperatorAlreadyHasPubkey.selector, _operator(1)));
        apkRegistry.registerBLSPublicKey(_operator(1), params, message);
    }

    function test_registries_onlyCoordinator() public {
        vm.expectRevert(IBLSApkRegistry.OnlyRegistryCoordinator.selector);
        apkRegistry.registerOperator(_operator(1), _q(0));
        vm.expectRevert(IStakeRegistry.OnlyRegistryCoordinator.selector);
        stakeRegistry.deregisterOperator(bytes32(uint256(1)), _q(0));
        vm.expectRevert(bytes4(keccak256("OnlyRegistryCoordinator()")));
        indexRegistry.initializeQuorum(5);
        vm.expectRevert(bytes4(keccak256("OnlyRegistryCoordinator()")));
        serviceManager.deregisterOperatorFromAVS(_operator(1));
    }

    function test_register_maxOperatorCount() public {
        vm.prank(owner);
        coordinator.createQuorum(_setParams(2), 0, _strategy1());
        _register(1, _q(2), 1 ether);
        _register(2, _q(2), 1 ether);
        _deposit(3, strategy, 1 ether);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(3);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(3);
        vm.prank(_operator(3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.MaxOperatorCountReached.selector, uint8(2)));
        coordinator.registerOperator(_q(2), "", params, sig);
    }

    // ------------------------------------------------------------------ deregistration

    function test_deregister_partialThenFull() public {
        _register(1, _q(0, 1), 5 ether);
        bytes32 id = _operatorId(1);
        vm.roll(block.number + 1);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(1));
        assertEq(coordinator.getCurrentQuorumBitmap(id), 1, "left quorum 1");
        assertEq(uint256(coordinator.getOperatorStatus(_operator(1))), 1, "still registered");
        assertEq(stakeRegistry.getCurrentStake(id, 1), 0, "stake 0 in quorum 1");
        assertEq(stakeRegistry.getCurrentTotalStake(1), 0, "total 0");
        BN254.G1Point memory apk = apkRegistry.getApk(1);
        assertEq(apk.X | apk.Y, 0, "apk back to zero");

        vm.roll(block.number + 1);
        vm.expectEmit();
        emit OperatorDeregistered(_operator(1), id);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));
        assertEq(uint256(coordinator.getOperatorStatus(_operator(1))), 2, "deregistered");
        assertEq(uint256(avsDirectory.avsOperatorStatus(address(serviceManager), _operator(1))), 0, "AVSDirectory");
        assertEq(indexRegistry.totalOperatorsForQuorum(0), 0, "count");
    }

    function test_deregister_refusals() public {
        vm.prank(_operator(1));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorNotRegistered.selector, _operator(1)));
        coordinator.deregisterOperator(_q(0));
        _register(1, _q(0), 5 ether);
        vm.prank(_operator(1));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.NotRegisteredForQuorums.selector, 2));
        coordinator.deregisterOperator(_q(0, 1));
    }

    function test_reregisterAfterFullDeregistration() public {
        _register(1, _q(0), 5 ether);
        vm.roll(block.number + 1);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));
        vm.roll(block.number + 1);
        IBLSApkRegistry.PubkeyRegistrationParams memory junk;
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(1);
        vm.prank(_operator(1));
        coordinator.registerOperator(_q(1), "again", junk, sig);
        assertEq(uint256(coordinator.getOperatorStatus(_operator(1))), 1, "registered again");
        assertEq(coordinator.getOperatorId(_operator(1)), _operatorId(1), "same id");
    }

    // ------------------------------------------------------------------ bitmap history

    function test_bitmapHistory_atBlocks() public {
        uint32 b0 = uint32(block.number);
        _register(1, _q(0), 5 ether);
        vm.roll(b0 + 5);
        IBLSApkRegistry.PubkeyRegistrationParams memory junk;
        IAVSDirectory.SignatureWithSaltAndExpiry memory noSig;
        vm.prank(_operator(1));
        coordinator.registerOperator(_q(1), "", junk, noSig);
        // Same block: overwrite, no new entry.
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(0));
        vm.roll(b0 + 9);
        vm.prank(_operator(1));
        coordinator.deregisterOperator(_q(1));

        bytes32 id = _operatorId(1);
        assertEq(coordinator.getQuorumBitmapHistoryLength(id), 3, "entries");
        assertEq(coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 4, 0), 1, "b0+4");
        assertEq(coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 5, 1), 2, "b0+5 end of block");
        assertEq(coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 9, 2), 0, "b0+9");
        assertEq(coordinator.getQuorumBitmapAtBlockNumber(id, b0 - 1), 0, "before");
        assertEq(coordinator.getQuorumBitmapAtBlockNumber(id, b0 + 7), 2, "search");

        bytes32[] memory ids = new bytes32[](1);
        ids[0] = id;
        assertEq(coordinator.getQuorumBitmapIndicesAtBlockNumber(b0 + 8, ids)[0], 1, "index search");
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.NoHistoryAtBlock.selector, b0 - 1));
        coordinator.getQuorumBitmapIndicesAtBlockNumber(b0 - 1, ids);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntrySuperseded.selector, b0 + 5, b0 + 5));
        coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 5, 0);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryAfterBlock.selector, b0 + 4, b0 + 5));
        coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 4, 1);
        vm.expectRevert(abi.encodeWithSelector(BlockHistory.HistoryEntryMissing.selector, 3));
        coordinator.getQuorumBitmapAtBlockNumberByIndex(id, b0 + 9, 3);
    }

    // ------------------------------------------------------------------ socket, pausing, roles

    function test_updateSocket() public {
        _register(1, _q(0), 5 ether);
        vm.expectEmit();
        emit OperatorSocketUpdate(_operatorId(1), "new:9000");
        vm.prank(_operator(1));
        coordinator.updateSocket("new:9000");
        assertEq(coordinator.getOperatorSocket(_operatorId(1)), "new:9000", "socket");
        vm.prank(_operator(2));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorNotRegistered.selector, _operator(2)));
        coordinator.updateSocket("x");
    }

    function test_pause() public {
        vm.prank(_operator(1));
        vm.expectRevert(abi.encodeWithSelector(OwnableUpgradeable.OwnableUnauthorizedAccount.selector, _operator(1)));
        coordinator.pause(1);
        vm.prank(owner);
        coordinator.pause(7);
        assertTrue(coordinator.paused(0) && coordinator.paused(2), "paused");
        IBLSApkRegistry.PubkeyRegistrationParams memory junk;
        IAVSDirectory.SignatureWithSaltAndExpiry memory noSig;
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.FunctionPaused.selector, uint8(0)));
        coordinator.registerOperator(_q(0), "", junk, noSig);
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.FunctionPaused.selector, uint8(1)));
        coordinator.deregisterOperator(_q(0));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.FunctionPaused.selector, uint8(2)));
        coordinator.updateOperators(new address[](0));
        vm.prank(owner);
        coordinator.unpause(1);
        assertFalse(coordinator.paused(0), "registration unpaused");
        assertEq(coordinator.paused(), 6, "bitmap");
        _register(1, _q(0), 5 ether);
    }

    function test_eject() public {
        _register(1, _q(0, 1), 5 ether);
        vm.expectRevert(IRegistryCoordinator.OnlyEjector.selector);
        coordinator.ejectOperator(_operator(1), _q(0));
        vm.prank(ejector);
        coordinator.ejectOperator(_operator(1), _q(1)); // quorum 1 only
        assertEq(coordinator.getCurrentQuorumBitmap(_operatorId(1)), 1, "ejected from quorum 1");
        vm.prank(ejector);
        coordinator.ejectOperator(_operator(1), _q(0, 1)); // 1 already gone: ignored
        assertEq(uint256(coordinator.getOperatorStatus(_operator(1))), 2, "gone");
    }

    function test_createQuorum_ownerOnly() public {
        vm.expectRevert(abi.encodeWithSelector(OwnableUpgradeable.OwnableUnauthorizedAccount.selector, address(this)));
        coordinator.createQuorum(_setParams(5), 0, _strategy1());
        vm.prank(owner);
        coordinator.createQuorum(_setParams(5), 7, _strategy1());
        assertEq(coordinator.quorumCount(), 3, "count");
        assertEq(stakeRegistry.minimumStakeForQuorum(2), 7, "min");
        assertEq(coordinator.getOperatorSetParams(2).maxOperatorCount, 5, "max");
        assertEq(apkRegistry.getApkHistoryLength(2), 1, "apk history started");
    }

    // ------------------------------------------------------------------ stake updates

    function test_updateOperators_ejectsBelowMinimum() public {
        _register(1, _q(0, 1), 2 ether);
        vm.roll(block.number + 1);
        _withdraw(1, strategy, 1.5 ether); // 0.5 ether left: below quorum 0's minimum, fine for 1
        address[] memory ops = new address[](2);
        ops[0] = _operator(1);
        ops[1] = _operator(9); // never registered: skipped
        coordinator.updateOperators(ops);
        bytes32 id = _operatorId(1);
        assertEq(coordinator.getCurrentQuorumBitmap(id), 2, "out of quorum 0");
        assertEq(stakeRegistry.getCurrentStake(id, 0), 0, "stake 0 in quorum 0");
        assertEq(stakeRegistry.getCurrentStake(id, 1), 0.5 ether, "stake updated in quorum 1");
        assertEq(stakeRegistry.getCurrentTotalStake(0), 0, "total q0");
    }

    function test_updateOperatorsForQuorum_wholeQuorum() public {
        for (uint256 i = 1; i <= 4; ++i) {
            _register(i, _q(0), (i + 1) * 1 ether);
        }
        vm.roll(block.number + 1);
        _deposit(2, strategy, 1 ether); // 3 -> 4
        _withdraw(3, strategy, 3.5 ether); // 4 -> 0.5: below minimum
        address[][] memory lists = new address[][](1);
        lists[0] = _sortedOperators(_range(1, 4));
        vm.expectEmit();
        emit QuorumBlockNumberUpdated(0, block.number);
        coordinator.updateOperatorsForQuorum(lists, _q(0));
        assertEq(coordinator.quorumUpdateBlockNumber(0), block.number, "stamped");
        assertEq(stakeRegistry.getCurrentStake(_operatorId(2), 0), 4 ether, "op 2 up");
        assertEq(uint256(coordinator.getOperatorStatus(_operator(3))), 2, "op 3 ejected");
        assertEq(indexRegistry.totalOperatorsForQuorum(0), 3, "3 left");
        assertEq(stakeRegistry.getCurrentTotalStake(0), (2 + 4 + 5) * 1 ether, "total");
    }

    function test_updateOperatorsForQuorum_refusals() public {
        for (uint256 i = 1; i <= 3; ++i) {
            _register(i, _q(0), 2 ether);
        }
        _register(4, _q(1), 2 ether);
        address[][] memory lists = new address[][](1);

        lists[0] = _sortedOperators(_range(1, 2)); // incomplete
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.QuorumOperatorCountMismatch.selector, 0, 2, 3));
        coordinator.updateOperatorsForQuorum(lists, _q(0));

        lists[0] = _sortedOperators(_range(1, 3));
        (lists[0][0], lists[0][1]) = (lists[0][1], lists[0][0]); // unsorted
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorsNotSorted.selector, 0));
        coordinator.updateOperatorsForQuorum(lists, _q(0));

        lists[0] = _sortedOperators(_range(1, 3));
        lists[0][1] = lists[0][0]; // duplicate = not strictly ascending
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorsNotSorted.selector, 0));
        coordinator.updateOperatorsForQuorum(lists, _q(0));

        uint256[] memory withOutsider = _list(1, 2, 4); // operator 4 is in quorum 1 only
        lists[0] = _sortedOperators(withOutsider);
        address outsider = _operator(4);
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorNotInQuorum.selector, 0, outsider));
        coordinator.updateOperatorsForQuorum(lists, _q(0));

        // Operator 3 leaves quorum 0 but keeps its id (it stays in quorum 1): still refused.
        _register(3, _q(1), 0);
        vm.prank(_operator(3));
        coordinator.deregisterOperator(_q(0));
        lists[0] = _sortedOperators(_list(1, 3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.OperatorNotInQuorum.selector, 0, _operator(3)));
        coordinator.updateOperatorsForQuorum(lists, _q(0));
        lists[0] = _sortedOperators(withOutsider);

        vm.expectRevert(IRegistryCoordinator.InputLengthMismatch.selector);
        coordinator.updateOperatorsForQuorum(lists, _q(0, 1));
        vm.expectRevert(IRegistryCoordinator.QuorumDoesNotExist.selector);
        coordinator.updateOperatorsForQuorum(lists, _q(5));
    }

    // ------------------------------------------------------------------ churn

    function test_churn_replacesSmallOperator() public {
        vm.prank(owner);
        coordinator.createQuorum(_setParams(2), 0, _strategy1());
        _register(1, _q(2), 10 ether);
        _register(2, _q(2), 2 ether);
        // Newcomer 3 with 5 ether > 1.1 x 2 ether; operator 2 holds 2/12 < 50% of the total.
        _deposit(3, strategy, 5 ether);
        IRegistryCoordinator.OperatorKickParam[] memory kicks = new IRegistryCoordinator.OperatorKickParam[](1);
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(2));
        IAVSDirectory.SignatureWithSaltAndExpiry memory approval = _churnApproval(3, kicks, bytes32("s1"));
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(3);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(3);
        vm.prank(_operator(3));
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);
        assertEq(indexRegistry.totalOperatorsForQuorum(2), 2, "still 2");
        assertEq(uint256(coordinator.getOperatorStatus(_operator(2))), 2, "kicked");
        assertTrue(coordinator.isChurnApproverSaltUsed(bytes32("s1")), "salt spent");
    }

    function test_churn_refusals() public {
        vm.prank(owner);
        // A kicked operator must hold < 20% of the quorum's stake.
        coordinator.createQuorum(IRegistryCoordinator.OperatorSetParam(2, 11000, 2000), 0, _strategy1());
        _register(1, _q(2), 10 ether);
        _register(2, _q(2), 2 ether);
        _deposit(3, strategy, 2 ether); // not enough to kick operator 2 (needs > 2.2)
        IRegistryCoordinator.OperatorKickParam[] memory kicks = new IRegistryCoordinator.OperatorKickParam[](1);
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(2));
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(3);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(3);

        IAVSDirectory.SignatureWithSaltAndExpiry memory approval = _churnApproval(3, kicks, bytes32("a"));
        vm.prank(_operator(3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.InsufficientStakeForChurn.selector, 2));
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);

        // Kicking the big operator: 10 of 34 is above the 20% limit.
        _deposit(3, strategy, 20 ether);
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(1));
        approval = _churnApproval(3, kicks, bytes32("b"));
        vm.prank(_operator(3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.CannotKickOperatorAboveThreshold.selector, 2));
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);

        // Approval signed for other kick parameters.
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(2));
        IRegistryCoordinator.OperatorKickParam[] memory otherKicks = new IRegistryCoordinator.OperatorKickParam[](1);
        otherKicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(1));
        approval = _churnApproval(3, otherKicks, bytes32("c"));
        vm.prank(_operator(3));
        vm.expectRevert(IRegistryCoordinator.InvalidChurnApproverSignature.selector);
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);

        // Expired approval.
        approval = _churnApproval(3, kicks, bytes32("d"));
        approval.expiry = block.timestamp - 1;
        vm.prank(_operator(3));
        vm.expectRevert(IRegistryCoordinator.SignatureExpired.selector);
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);

        // Quorum not full: a kick parameter for quorum 0 is refused.
        kicks[0] = IRegistryCoordinator.OperatorKickParam(0, _operator(2));
        approval = _churnApproval(3, kicks, bytes32("e"));
        vm.prank(_operator(3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.QuorumNotFull.selector, 0));
        coordinator.registerOperatorWithChurn(_q(0), "", params, kicks, approval, sig);

        // Full quorum without a kick parameter.
        IRegistryCoordinator.OperatorKickParam[] memory none = new IRegistryCoordinator.OperatorKickParam[](0);
        approval = _churnApproval(3, none, bytes32("f"));
        vm.prank(_operator(3));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.MissingKickParam.selector, 2));
        coordinator.registerOperatorWithChurn(_q(2), "", params, none, approval, sig);

        // Success, then the salt cannot be reused.
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(2));
        approval = _churnApproval(3, kicks, bytes32("g"));
        vm.prank(_operator(3));
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);
        _deposit(4, strategy, 30 ether);
        kicks[0] = IRegistryCoordinator.OperatorKickParam(2, _operator(3));
        approval = _churnApproval(4, kicks, bytes32("g"));
        params = _pubkeyParams(4);
        sig = _avsSignature(4);
        vm.prank(_operator(4));
        vm.expectRevert(abi.encodeWithSelector(IRegistryCoordinator.ChurnApproverSaltUsed.selector, bytes32("g")));
        coordinator.registerOperatorWithChurn(_q(2), "", params, kicks, approval, sig);
    }

    // ------------------------------------------------------------------ helpers

    function _setParams(uint32 max) internal pure returns (IRegistryCoordinator.OperatorSetParam memory) {
        return IRegistryCoordinator.OperatorSetParam(max, 11000, 5000);
    }

    function _strategy1() internal view returns (IStakeRegistry.StrategyParams[] memory params) {
        params = new IStakeRegistry.StrategyParams[](1);
        params[0] = IStakeRegistry.StrategyParams(IStrategy(address(strategy)), 1e18);
    }

    function _sortedOperators(uint256[] memory which) internal pure returns (address[] memory ops) {
        ops = new address[](which.length);
        for (uint256 j = 0; j < which.length; ++j) {
            ops[j] = _operator(which[j]);
        }
        for (uint256 a = 1; a < ops.length; ++a) {
            for (uint256 b = a; b > 0 && ops[b - 1] > ops[b]; --b) {
                (ops[b - 1], ops[b]) = (ops[b], ops[b - 1]);
            }
        }
    }

    function _churnApproval(uint256 i, IRegistryCoordinator.OperatorKickParam[] memory kicks, bytes32 salt)
        internal
        view
        returns (IAVSDirectory.SignatureWithSaltAndExpiry memory approval)
    {
        approval.salt = salt;
        approval.expiry = block.timestamp + 1 hours;
        bytes32 digest = coordinator.calculateOperatorChurnApprovalDigestHash(
            _operator(i), _operatorId(i), kicks, salt, approval.expiry
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(CHURN_APPROVER_KEY, digest);
        approval.signature = abi.encodePacked(r, s, v);
    }
}
