// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TestBase} from "../../utils/TestBase.sol";
import {Ghost} from "../Ghost.sol";

/// @notice Time: short steps (hours to days: deadlines, grace periods) and long ones (months: late fees, defaults).
contract TimeHandler is TestBase {
    Ghost internal immutable ghost;

    constructor(Ghost ghost_) {
        ghost = ghost_;
    }

    function warp(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 1 hours, 10 days));
        ghost.count("time.warp");
    }

    function warpLong(uint256 secondsSeed) external {
        vm.warp(block.timestamp + bound(secondsSeed, 25 days, 60 days));
        ghost.count("time.warpLong");
    }
}
