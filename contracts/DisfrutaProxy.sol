// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC1967Proxy} from "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol";

/// @title DisfrutaProxy
/// @notice The ERC-1967 proxy every upgradeable Disfruta contract sits behind (UUPS: the upgrade logic and its
/// access check live in the implementation). Declared here so deploy scripts and tests compile it from this project.
contract DisfrutaProxy is ERC1967Proxy {
    constructor(address implementation, bytes memory data) payable ERC1967Proxy(implementation, data) {}
}
