// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {UUPSUpgradeable} from "@openzeppelin/contracts-upgradeable/proxy/utils/UUPSUpgradeable.sol";

/// @title ProxyBootstrap
/// @notice The first implementation of every market proxy deployed through CREATE2, so that a proxy's creation code
/// (and therefore its address) holds nothing chain-specific: `DisfrutaProxy(bootstrap, "")` is the same bytes on every
/// chain. The deployer then moves each proxy to its real implementation and initialises it in one call
/// (`upgradeToAndCall`), with the chain's own inputs (the stablecoin) in the initializer's data.
/// @dev Only `deployer` (an immutable, so it is part of this contract's creation code and of every proxy's address)
/// may upgrade. Anyone may create the same proxy at the same address first (the CREATE2 factory is public); they get
/// a proxy only the deployer can move, so creating it early takes nothing from anyone. The bootstrap itself holds no
/// state and has no other function.
contract ProxyBootstrap is UUPSUpgradeable {
    /// @notice The only account that may move a proxy off this bootstrap.
    address public immutable deployer;

    /// @notice Someone other than the deployer tried to upgrade a proxy still on the bootstrap.
    error NotDeployer(address caller);
    /// @notice A bootstrap without a deployer could never be left.
    error ZeroDeployer();

    constructor(address deployer_) {
        if (deployer_ == address(0)) revert ZeroDeployer();
        deployer = deployer_;
    }

    function _authorizeUpgrade(address) internal view override {
        if (msg.sender != deployer) revert NotDeployer(msg.sender);
    }
}
