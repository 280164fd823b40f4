// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "./Vm.sol";

/// @notice Minimal stand-in for forge-std's `Test` + `StdInvariant`: the cheatcode handle and the target lists forge
/// reads before an invariant campaign (`targetContracts()`, `targetSelectors()`, `excludeSenders()`).
abstract contract TestBase {
    /// @dev address(uint160(uint256(keccak256("hevm cheat code"))))
    Vm internal constant vm = Vm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    struct FuzzSelector {
        address addr;
        bytes4[] selectors;
    }

    bool public IS_TEST = true;

    address[] private _targetContracts;
    FuzzSelector[] private _targetSelectors;
    address[] private _excludedSenders;

    function targetContract(address target) internal {
        _targetContracts.push(target);
    }

    function targetSelector(FuzzSelector memory selector) internal {
        _targetSelectors.push(selector);
    }

    function excludeSender(address sender) internal {
        _excludedSenders.push(sender);
    }

    function targetContracts() public view returns (address[] memory) {
        return _targetContracts;
    }

    function targetSelectors() public view returns (FuzzSelector[] memory) {
        return _targetSelectors;
    }

    function excludeSenders() public view returns (address[] memory) {
        return _excludedSenders;
    }

    /// @dev `x` mapped into [lo, hi] (both inclusive), uniformly enough for fuzzing.
    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + x % (hi - lo + 1);
    }
}
