// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ProxyAdmin} from "@openzeppelin/contracts/proxy/transparent/ProxyAdmin.sol";
import {
    ITransparentUpgradeableProxy,
    TransparentUpgradeableProxy
} from "@openzeppelin/contracts/proxy/transparent/TransparentUpgradeableProxy.sol";
import {BLSSignatureChecker} from "../../contracts/checker/BLSSignatureChecker.sol";
import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {IBLSApkRegistry} from "../../contracts/interfaces/IBLSApkRegistry.sol";
import {IBLSSignatureChecker} from "../../contracts/interfaces/IBLSSignatureChecker.sol";
import {IDelegationManager} from "../../contracts/interfaces/IDelegationManager.sol";
import {IIndexRegistry} from "../../contracts/interfaces/IIndexRegistry.sol";
import {IRegistryCoordinator} from "../../contracts/interfaces/IRegistryCoordinator.sol";
import {IServiceManager} from "../../contracts/interfaces/IServiceManager.sol";
import {IStakeRegistry} from "../../contracts/interfaces/IStakeRegistry.sol";
import {IStrategy} from "../../contracts/interfaces/IStrategy.sol";
import {IStrategyManager} from "../../contracts/interfaces/IStrategyManager.sol";
import {BN254} from "../../contracts/libraries/BN254.sol";
import {BN254G2} from "../../contracts/libraries/BN254G2.sol";
import {BLSApkRegistry} from "../../contracts/registries/BLSApkRegistry.sol";
import {IndexRegistry} from "../../contracts/registries/IndexRegistry.sol";
import {OperatorStateRetriever} from "../../contracts/registries/OperatorStateRetriever.sol";
import {RegistryCoordinator} from "../../contracts/registries/RegistryCoordinator.sol";
import {StakeRegistry} from "../../contracts/registries/StakeRegistry.sol";
import {AVSDirectory} from "../../contracts/restaking/AVSDirectory.sol";
import {DelegationManager} from "../../contracts/restaking/DelegationManager.sol";
import {StrategyVault} from "../../contracts/restaking/StrategyVault.sol";
import {TestToken} from "../../contracts/restaking/TestToken.sol";
import {ServiceManager} from "../../contracts/ServiceManager.sol";
import {TaskManager} from "../../contracts/tasks/TaskManager.sol";
import {BlsFixtures} from "./utils/BlsFixtures.sol";
import {EmptyContract} from "./utils/EmptyContract.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @dev Deploys the whole AVS the way production does: restaking stand-in, then every AVS
///      contract behind a TransparentUpgradeableProxy using "empty proxy first" (proxies pointing
///      at a placeholder, implementations built with the proxies as immutables, then
///      upgradeAndCall to initialize). Also helpers to register operators with BLS test keys
///      (test/avs/utils/BlsFixtures.sol) and to build aggregate signatures.
abstract contract AvsTestBase is TestBase {
    bytes32 internal constant ERC1967_ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    uint32 internal constant RESPONSE_WINDOW = 100;
    uint32 internal constant CHALLENGE_WINDOW = 100;
    uint256 internal constant WITHDRAWAL_DELAY = 50;
    uint96 internal constant QUORUM0_MIN_STAKE = 1 ether;
    uint32 internal constant MAX_OPERATORS = 32;

    address internal owner = address(0x0A11);
    address internal churnApprover;
    uint256 internal constant CHURN_APPROVER_KEY = 0xC4A1;
    address internal ejector = address(0xE1EC);
    address internal aggregator = address(0xA66);
    address internal taskGenerator = address(0x7A5C);

    TestToken internal token;
    TestToken internal token2;
    DelegationManager internal delegation;
    IStrategyManager internal strategyManager;
    StrategyVault internal strategy;
    StrategyVault internal strategy2;
    AVSDirectory internal avsDirectory;

    RegistryCoordinator internal coordinator;
    StakeRegistry internal stakeRegistry;
    BLSApkRegistry internal apkRegistry;
    IndexRegistry internal indexRegistry;
    ServiceManager internal serviceManager;
    TaskManager internal taskManager;
    OperatorStateRetriever internal retriever;

    uint256 private _saltNonce;
    mapping(uint256 => bool) private _isDelegationOperator;

    function setUp() public virtual {
        churnApprover = vm.addr(CHURN_APPROVER_KEY);
        _deployRestaking();
        _deployAvs();
        vm.roll(10);
    }

    // ------------------------------------------------------------------ deployment

    function _deployRestaking() internal {
        token = new TestToken("Test Token", "TST");
        token2 = new TestToken("Test Token 2", "TS2");
        delegation = new DelegationManager(address(this), WITHDRAWAL_DELAY);
        strategyManager = delegation.strategyManager();
        strategy = new StrategyVault(strategyManager, IERC20(address(token)));
        strategy2 = new StrategyVault(strategyManager, IERC20(address(token2)));
        IStrategy[] memory whitelist = new IStrategy[](2);
        whitelist[0] = IStrategy(address(strategy));
        whitelist[1] = IStrategy(address(strategy2));
        // The strategy manager is owned by this contract (DelegationManager's initialOwner).
        (bool ok,) = address(strategyManager).call(
            abi.encodeWithSignature("addStrategiesToDepositWhitelist(address[])", whitelist)
        );
        assertTrue(ok, "whitelist strategies");
        avsDirectory = new AVSDirectory(IDelegationManager(address(delegation)));
    }

    function _deployAvs() internal {
        address placeholder = address(new EmptyContract());
        address coordinatorProxy = _emptyProxy(placeholder);
        address stakeProxy = _emptyProxy(placeholder);
        address apkProxy = _emptyProxy(placeholder);
        address indexProxy = _emptyProxy(placeholder);
        address serviceProxy = _emptyProxy(placeholder);
        address taskProxy = _emptyProxy(placeholder);

        // Registries first: the coordinator's initializer creates quorums in them.
        _upgrade(stakeProxy, address(new StakeRegistry(coordinatorProxy, IDelegationManager(address(delegation)))), "");
        _upgrade(apkProxy, address(new BLSApkRegistry(coordinatorProxy)), "");
        _upgrade(indexProxy, address(new IndexRegistry(coordinatorProxy)), "");
        _upgrade(
            serviceProxy,
            address(
                new ServiceManager(
                    IAVSDirectory(address(avsDirectory)),
                    IRegistryCoordinator(coordinatorProxy),
                    IStakeRegistry(stakeProxy),
                    taskProxy
                )
            ),
            abi.encodeCall(ServiceManager.initialize, (owner, "https://avskit.test/metadata.json"))
        );

        IRegistryCoordinator.OperatorSetParam[] memory setParams = new IRegistryCoordinator.OperatorSetParam[](2);
        setParams[0] = IRegistryCoordinator.OperatorSetParam(MAX_OPERATORS, 11000, 5000);
        setParams[1] = IRegistryCoordinator.OperatorSetParam(MAX_OPERATORS, 11000, 5000);
        uint96[] memory minimumStakes = new uint96[](2);
        minimumStakes[0] = QUORUM0_MIN_STAKE;
        IStakeRegistry.StrategyParams[][] memory strategyParams = new IStakeRegistry.StrategyParams[][](2);
        strategyParams[0] = new IStakeRegistry.StrategyParams[](1);
        strategyParams[0][0] = IStakeRegistry.StrategyParams(IStrategy(address(strategy)), 1e18);
        strategyParams[1] = new IStakeRegistry.StrategyParams[](2);
        strategyParams[1][0] = IStakeRegistry.StrategyParams(IStrategy(address(strategy)), 1e18);
        strategyParams[1][1] = IStakeRegistry.StrategyParams(IStrategy(address(strategy2)), 2e18);
        _upgrade(
            coordinatorProxy,
            address(
                new RegistryCoordinator(
                    IServiceManager(serviceProxy),
                    IStakeRegistry(stakeProxy),
                    IBLSApkRegistry(apkProxy),
                    IIndexRegistry(indexProxy)
                )
            ),
            abi.encodeCall(
                RegistryCoordinator.initialize,
                (owner, churnApprover, ejector, 0, setParams, minimumStakes, strategyParams)
            )
        );
        _upgrade(
            taskProxy,
            address(
                new TaskManager(
                    IRegistryCoordinator(coordinatorProxy),
                    IStakeRegistry(stakeProxy),
                    IBLSApkRegistry(apkProxy),
                    IDelegationManager(address(delegation)),
                    RESPONSE_WINDOW,
                    CHALLENGE_WINDOW
                )
            ),
            abi.encodeCall(TaskManager.initialize, (owner, aggregator, taskGenerator))
        );

        coordinator = RegistryCoordinator(coordinatorProxy);
        stakeRegistry = StakeRegistry(stakeProxy);
        apkRegistry = BLSApkRegistry(apkProxy);
        indexRegistry = IndexRegistry(indexProxy);
        serviceManager = ServiceManager(serviceProxy);
        taskManager = TaskManager(taskProxy);
        retriever = new OperatorStateRetriever();
    }

    function _emptyProxy(address placeholder) internal returns (address) {
        return address(
            new TransparentUpgradeableProxy(placeholder, address(this), abi.encodeCall(EmptyContract.noop, ()))
        );
    }

    function _upgrade(address proxy, address implementation, bytes memory data) internal {
        ProxyAdmin admin = ProxyAdmin(address(uint160(uint256(vm.load(proxy, ERC1967_ADMIN_SLOT)))));
        admin.upgradeAndCall(ITransparentUpgradeableProxy(proxy), implementation, data);
    }

    // ------------------------------------------------------------------ operators

    /// @dev ECDSA identity of test operator i (1-based; BLS key i of the fixtures).
    function _ecdsaKey(uint256 i) internal pure returns (uint256) {
        return 0xA11CE000 + i;
    }

    function _operator(uint256 i) internal pure returns (address) {
        return vm.addr(_ecdsaKey(i));
    }

    function _operatorId(uint256 i) internal view returns (bytes32) {
        return BN254.hashG1Point(_pubkeyG1(i));
    }

    function _pubkeyG1(uint256 i) internal view returns (BN254.G1Point memory) {
        return BN254.scalarMul(BN254.generatorG1(), BlsFixtures.secretKey(i));
    }

    function _pubkeyG2(uint256 i) internal pure returns (BN254.G2Point memory pk) {
        (pk.X, pk.Y) = BlsFixtures.publicKeyG2(i);
    }

    /// @dev Key registration input of operator i: proof of possession over the coordinator's message.
    function _pubkeyParams(uint256 i) internal view returns (IBLSApkRegistry.PubkeyRegistrationParams memory params) {
        BN254.G1Point memory message = coordinator.pubkeyRegistrationMessageHash(_operator(i));
        params.pubkeyRegistrationSignature = BN254.scalarMul(message, BlsFixtures.secretKey(i));
        params.pubkeyG1 = _pubkeyG1(i);
        params.pubkeyG2 = _pubkeyG2(i);
    }

    /// @dev Operator i's AVSDirectory registration signature for the service manager.
    function _avsSignature(uint256 i) internal returns (IAVSDirectory.SignatureWithSaltAndExpiry memory sig) {
        sig.salt = keccak256(abi.encode("salt", i, _saltNonce++));
        sig.expiry = block.timestamp + 1 days;
        bytes32 digest = avsDirectory.calculateOperatorAVSRegistrationDigestHash(
            _operator(i), address(serviceManager), sig.salt, sig.expiry
        );
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(_ecdsaKey(i), digest);
        sig.signature = abi.encodePacked(r, s, v);
    }

    /// @dev Makes operator i an EigenLayer operator (once) and deposits `amount` of the token of `vault`.
    function _deposit(uint256 i, StrategyVault vault, uint256 amount) internal {
        address op = _operator(i);
        if (!_isDelegationOperator[i]) {
            _isDelegationOperator[i] = true;
            vm.prank(op);
            delegation.registerAsOperator(DelegationManager.OperatorDetails(address(0), address(0), 0), "");
        }
        if (amount == 0) return;
        TestToken t = TestToken(address(vault.underlyingToken()));
        t.mint(op, amount);
        vm.startPrank(op);
        t.approve(address(strategyManager), amount);
        strategyManager.depositIntoStrategy(IStrategy(address(vault)), IERC20(address(t)), amount);
        vm.stopPrank();
    }

    /// @dev Operator i withdraws (queues) `amount` shares of `vault`: its weight drops now.
    function _withdraw(uint256 i, StrategyVault vault, uint256 amount) internal {
        DelegationManager.QueuedWithdrawalParams[] memory params = new DelegationManager.QueuedWithdrawalParams[](1);
        params[0].strategies = new IStrategy[](1);
        params[0].strategies[0] = IStrategy(address(vault));
        params[0].shares = new uint256[](1);
        params[0].shares[0] = amount;
        params[0].withdrawer = _operator(i);
        vm.prank(_operator(i));
        delegation.queueWithdrawals(params);
    }

    /// @dev Deposits `stake` in strategy 1 for operator i and registers it for `quorumNumbers`.
    function _register(uint256 i, bytes memory quorumNumbers, uint256 stake) internal {
        _deposit(i, strategy, stake);
        IBLSApkRegistry.PubkeyRegistrationParams memory params = _pubkeyParams(i);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _avsSignature(i);
        vm.prank(_operator(i));
        coordinator.registerOperator(quorumNumbers, "socket", params, sig);
    }

    function _q(uint8 a) internal pure returns (bytes memory) {
        return abi.encodePacked(a);
    }

    function _q(uint8 a, uint8 b) internal pure returns (bytes memory) {
        return abi.encodePacked(a, b);
    }

    // ------------------------------------------------------------------ signing

    /// @dev sigma = Σ k_i · sk_i · H(msgHash) and apkG2 = Σ k_i · pkG2_i over `signers`.
    function _aggregate(bytes32 msgHash, uint256[] memory signers, uint256[] memory multiplicities)
        internal
        view
        returns (BN254.G1Point memory sigma, BN254.G2Point memory apkG2)
    {
        BN254.G1Point memory h = BN254.hashToG1(msgHash);
        BN254G2.Jacobian memory sum;
        uint256 skSum = 0;
        for (uint256 j = 0; j < signers.length; ++j) {
            uint256 k = multiplicities[j];
            skSum = addmod(skSum, mulmod(BlsFixtures.secretKey(signers[j]), k, BN254.FR_MODULUS), BN254.FR_MODULUS);
            BN254G2.Jacobian memory pk = BN254G2.fromAffine(_pubkeyG2(signers[j]));
            for (uint256 m = 0; m < k; ++m) {
                sum = BN254G2.add(sum, pk);
            }
        }
        sigma = BN254.scalarMul(h, skSum);
        apkG2 = BN254G2.toAffine(sum);
    }

    function _ids(uint256[] memory operators) internal view returns (bytes32[] memory ids) {
        ids = new bytes32[](operators.length);
        for (uint256 j = 0; j < operators.length; ++j) {
            ids[j] = _operatorId(operators[j]);
        }
    }

    /// @dev The check input for `signers` (each with multiplicity `multiplicities[j]`), built by
    ///      the retriever at `referenceBlock`.
    function _checkInput(
        bytes32 msgHash,
        bytes memory quorumNumbers,
        uint32 referenceBlock,
        uint256[] memory signers,
        uint256[] memory multiplicities
    ) internal view returns (IBLSSignatureChecker.NonSignerStakesAndSignature memory) {
        (BN254.G1Point memory sigma,) = _aggregate(msgHash, signers, multiplicities);
        return retriever.getNonSignerStakesAndSignature(
            IRegistryCoordinator(address(coordinator)), quorumNumbers, sigma, _ids(signers), referenceBlock, msgHash
        );
    }

    function _list(uint256 a) internal pure returns (uint256[] memory l) {
        l = new uint256[](1);
        l[0] = a;
    }

    function _list(uint256 a, uint256 b) internal pure returns (uint256[] memory l) {
        l = new uint256[](2);
        (l[0], l[1]) = (a, b);
    }

    function _list(uint256 a, uint256 b, uint256 c) internal pure returns (uint256[] memory l) {
        l = new uint256[](3);
        (l[0], l[1], l[2]) = (a, b, c);
    }

    function _ones(uint256 n) internal pure returns (uint256[] memory l) {
        l = new uint256[](n);
        for (uint256 j = 0; j < n; ++j) {
            l[j] = 1;
        }
    }

    function _range(uint256 from, uint256 to) internal pure returns (uint256[] memory l) {
        l = new uint256[](to - from + 1);
        for (uint256 j = 0; j < l.length; ++j) {
            l[j] = from + j;
        }
    }
}
