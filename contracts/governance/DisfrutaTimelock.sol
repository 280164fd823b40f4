// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title DisfrutaTimelock
/// @notice OpenZeppelin's `TimelockController`, unchanged: it holds every admin role and the upgrade right of the
/// protocol's contracts, and runs a change only after the minimum delay (48 hours in production) has passed.
/// The governance Safe proposes and cancels; executors are the Safe or anyone (`address(0)`), per deployment.
/// Deployed with `admin = address(0)`, so the timelock administers its own roles: adding a proposer or shortening
/// the delay is itself a timelocked operation. Declared here so the deploy scripts compile it from this project.
contract DisfrutaTimelock is TimelockController {
    constructor(uint256 minDelay, address[] memory proposers, address[] memory executors, address admin)
        TimelockController(minDelay, proposers, executors, admin)
    {}
}
