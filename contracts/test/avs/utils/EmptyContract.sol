// SPDX-License-Identifier: MIT
pragma solidity ^0.8.30;

/// @dev Placeholder implementation for "empty proxy first" deployments: proxies are created
///      pointing here, so their addresses exist before the implementations that reference them.
///      OpenZeppelin >= 5.6 refuses to build a proxy with empty init data, so proxies are built
///      with a call to `noop()`, which touches no storage.
contract EmptyContract {
    function noop() external pure {}
}
