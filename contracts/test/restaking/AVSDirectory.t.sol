// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

import {IAVSDirectory} from "../../contracts/interfaces/IAVSDirectory.sol";
import {AVSDirectory} from "../../contracts/restaking/AVSDirectory.sol";
import {ContractOperator} from "./utils/ContractOperator.sol";
import {RestakingFixture} from "./utils/RestakingFixture.sol";
import {VM} from "./utils/Vm.sol";

contract AVSDirectoryTest is RestakingFixture {
    event OperatorAVSRegistrationStatusUpdated(
        address indexed operator, address indexed avs, IAVSDirectory.OperatorAVSRegistrationStatus status
    );

    uint256 private constant OPERATOR_KEY = 0xA11CE;
    uint256 private constant OTHER_KEY = 0xB0B;
    address private constant AVS = address(0xa75);
    bytes32 private constant SALT = keccak256("salt-1");

    address private operator;

    function setUp() public override {
        super.setUp();
        VM.warp(1_000_000);
        operator = VM.addr(OPERATOR_KEY);
        _registerOperator(operator);
    }

    function test_digestIsEip712WithEigenLayerDomain() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("EigenLayer"),
                keccak256("v1"),
                block.chainid,
                address(avsDirectory)
            )
        );
        bytes32 structHash = keccak256(
            abi.encode(
                keccak256("OperatorAVSRegistration(address operator,address avs,bytes32 salt,uint256 expiry)"),
                operator,
                AVS,
                SALT,
                uint256(123)
            )
        );
        assertEq(avsDirectory.domainSeparator(), domain, "domain separator");
        assertEq(
            avsDirectory.calculateOperatorAVSRegistrationDigestHash(operator, AVS, SALT, 123),
            keccak256(abi.encodePacked("\x19\x01", domain, structHash)),
            "digest"
        );
    }

    function test_registerHappyPath() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp);

        VM.expectEmit(true, true, false, true);
        emit OperatorAVSRegistrationStatusUpdated(operator, AVS, IAVSDirectory.OperatorAVSRegistrationStatus.REGISTERED);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(operator, sig);

        assertTrue(_isRegistered(AVS, operator), "registered");
        assertTrue(avsDirectory.operatorSaltIsSpent(operator, SALT), "salt spent");
        assertFalse(_isRegistered(address(0xbeef), operator), "only with the calling AVS");
    }

    function test_registerRevertsWhenExpired() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp - 1);
        VM.prank(AVS);
        VM.expectRevert(
            abi.encodeWithSelector(AVSDirectory.SignatureExpired.selector, block.timestamp - 1, block.timestamp)
        );
        avsDirectory.registerOperatorToAVS(operator, sig);
        assertFalse(avsDirectory.operatorSaltIsSpent(operator, SALT), "salt not spent");
    }

    function test_registerRevertsOnReplayedSalt() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(operator, sig);
        VM.prank(AVS);
        avsDirectory.deregisterOperatorFromAVS(operator);

        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.SaltSpent.selector, operator, SALT));
        avsDirectory.registerOperatorToAVS(operator, sig);
        assertFalse(_isRegistered(AVS, operator), "still deregistered");
    }

    function test_registerRevertsForWrongSigner() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OTHER_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.InvalidSignature.selector));
        avsDirectory.registerOperatorToAVS(operator, sig);
        assertFalse(avsDirectory.operatorSaltIsSpent(operator, SALT), "salt not spent");
    }

    function test_registerRevertsForSignatureMeantForAnotherAvs() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(address(0xbeef));
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.InvalidSignature.selector));
        avsDirectory.registerOperatorToAVS(operator, sig);
    }

    function test_registerRevertsForMalformedSignature() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig =
            IAVSDirectory.SignatureWithSaltAndExpiry({signature: hex"1234", salt: SALT, expiry: block.timestamp});
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.InvalidSignature.selector));
        avsDirectory.registerOperatorToAVS(operator, sig);
    }

    function test_registerRevertsForOperatorNotInDelegation() public {
        address stranger = VM.addr(OTHER_KEY);
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OTHER_KEY, stranger, SALT, block.timestamp + 60);
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.OperatorNotRegisteredInDelegation.selector, stranger));
        avsDirectory.registerOperatorToAVS(stranger, sig);
    }

    function test_registerRevertsWhenAlreadyRegistered() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(operator, sig);
        bytes32 salt2 = keccak256("salt-2");
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig2 = _sign(OPERATOR_KEY, operator, salt2, block.timestamp + 60);
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.AlreadyRegistered.selector, AVS, operator));
        avsDirectory.registerOperatorToAVS(operator, sig2);
        assertFalse(avsDirectory.operatorSaltIsSpent(operator, salt2), "second salt not spent");
    }

    function test_deregister() public {
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.NotRegistered.selector, AVS, operator));
        avsDirectory.deregisterOperatorFromAVS(operator);

        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(operator, sig);
        VM.expectEmit(true, true, false, true);
        emit OperatorAVSRegistrationStatusUpdated(
            operator, AVS, IAVSDirectory.OperatorAVSRegistrationStatus.UNREGISTERED
        );
        VM.prank(AVS);
        avsDirectory.deregisterOperatorFromAVS(operator);
        assertFalse(_isRegistered(AVS, operator), "deregistered");

        // A fresh salt registers again.
        sig = _sign(OPERATOR_KEY, operator, keccak256("salt-2"), block.timestamp + 60);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(operator, sig);
        assertTrue(_isRegistered(AVS, operator), "registered again");
    }

    function test_cancelSaltBlocksItsSignature() public {
        IAVSDirectory.SignatureWithSaltAndExpiry memory sig = _sign(OPERATOR_KEY, operator, SALT, block.timestamp + 60);
        VM.prank(operator);
        avsDirectory.cancelSalt(SALT);

        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.SaltSpent.selector, operator, SALT));
        avsDirectory.registerOperatorToAVS(operator, sig);

        VM.prank(operator);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.SaltSpent.selector, operator, SALT));
        avsDirectory.cancelSalt(SALT);
    }

    function test_contractOperatorRegistersThroughErc1271() public {
        ContractOperator wallet = new ContractOperator(VM.addr(OTHER_KEY));
        _registerOperator(address(wallet));

        IAVSDirectory.SignatureWithSaltAndExpiry memory wrongKey =
            _sign(OPERATOR_KEY, address(wallet), SALT, block.timestamp);
        VM.prank(AVS);
        VM.expectRevert(abi.encodeWithSelector(AVSDirectory.InvalidSignature.selector));
        avsDirectory.registerOperatorToAVS(address(wallet), wrongKey);

        IAVSDirectory.SignatureWithSaltAndExpiry memory walletKey = _sign(OTHER_KEY, address(wallet), SALT, block.timestamp);
        VM.prank(AVS);
        avsDirectory.registerOperatorToAVS(address(wallet), walletKey);
        assertTrue(_isRegistered(AVS, address(wallet)), "contract operator registered");
    }

    function _sign(uint256 key, address op, bytes32 salt, uint256 expiry)
        private
        view
        returns (IAVSDirectory.SignatureWithSaltAndExpiry memory)
    {
        bytes32 digest = avsDirectory.calculateOperatorAVSRegistrationDigestHash(op, AVS, salt, expiry);
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(key, digest);
        return IAVSDirectory.SignatureWithSaltAndExpiry({signature: abi.encodePacked(r, s, v), salt: salt, expiry: expiry});
    }

    function _isRegistered(address avs, address op) private view returns (bool) {
        return avsDirectory.avsOperatorStatus(avs, op) == IAVSDirectory.OperatorAVSRegistrationStatus.REGISTERED;
    }
}
