// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;
// TEMPORARY local placeholder (never committed): replaced by the valuation branch.
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
library NoteValuation {
    struct LoanState { uint256 outstanding; uint256 interestOwed; uint256 lateFeesOwed; uint256 payment; uint256 paid;
        uint256 annualRateBps; uint256 termMonths; uint256 startTime; uint256 servicingFeeBps; }
    function flows(LoanState memory, uint256) internal pure returns (uint256[] memory dates, uint256[] memory amounts) {}
    function scale(uint256[] memory amounts, uint256, uint256) internal pure returns (uint256[] memory) { return amounts; }
    function presentValue(uint256[] memory, uint256[] memory, uint256, int256) internal pure returns (uint256) {}
    function yieldToMaturity(uint256[] memory, uint256[] memory, uint256, uint256) internal pure returns (int256) {}
    function price(uint256 notes, uint256 outstanding, uint256 supply, int256 premiumBps) internal pure returns (uint256) {
        return Math.mulDiv(notes * outstanding, uint256(10_000 + premiumBps), supply * 10_000, Math.Rounding.Ceil);
    }
}
