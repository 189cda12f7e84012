// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @title Vm
/// @notice The few cheatcodes these tests use, as served by Hardhat 3's Solidity test runner
///         (EDR) at the conventional cheatcode address. forge-std is not installed in this
///         repository, so the interface is declared here.
interface Vm {
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function prank(address sender) external;
    function startPrank(address sender) external;
    function stopPrank() external;
    function roll(uint256 blockNumber) external;
    function warp(uint256 timestamp) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    function assume(bool condition) external pure;
}

// Cheatcode address: address(uint160(uint256(keccak256("hevm cheat code")))).
Vm constant VM = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);
