// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @notice Test-only hostile stablecoin: once armed, every `transfer`/`transferFrom` between two accounts first calls
/// `target` with `payload` (a re-entry into the loan or the pool that is moving the tokens) and bubbles up that call's
/// revert. Against a guarded entry point the whole transaction therefore reverts with `ReentrancyGuardReentrantCall`.
contract MockReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public armed;
    uint256 public reentries;

    constructor() ERC20("Reentrant USD", "RUSD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms the hook: the next transfers call `target_` with `payload_` before moving tokens.
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        armed = true;
    }

    function disarm() external {
        armed = false;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (armed && from != address(0) && to != address(0)) {
            armed = false; // one re-entry per arming, so the hook can't recurse forever
            reentries += 1;
            (bool ok, bytes memory ret) = target.call(payload);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        super._update(from, to, value);
    }
}
