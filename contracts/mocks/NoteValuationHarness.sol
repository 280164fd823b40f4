// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NoteValuation} from "../libraries/NoteValuation.sol";

/// @title NoteValuationHarness
/// @notice Test-only: each `NoteValuation` function as an external pure function, so the tests compare the
/// Solidity library itself with the SDK's `disfruta.valuation`. Never deploy it.
contract NoteValuationHarness {
    /// @notice `NoteValuation.flows`.
    function flows(NoteValuation.LoanState memory s, uint256 nowTs)
        external
        pure
        returns (uint256[] memory dates, uint256[] memory amounts)
    {
        return NoteValuation.flows(s, nowTs);
    }

    /// @notice `NoteValuation.scale`.
    function scale(uint256[] memory amounts, uint256 notes, uint256 supply) external pure returns (uint256[] memory) {
        return NoteValuation.scale(amounts, notes, supply);
    }

    /// @notice `NoteValuation.presentValue`.
    function presentValue(uint256[] memory dates, uint256[] memory amounts, uint256 nowTs, int256 annualRateWad)
        external
        pure
        returns (uint256)
    {
        return NoteValuation.presentValue(dates, amounts, nowTs, annualRateWad);
    }

    /// @notice `NoteValuation.yieldToMaturity`.
    function yieldToMaturity(uint256[] memory dates, uint256[] memory amounts, uint256 nowTs, uint256 cost)
        external
        pure
        returns (int256 annualRateWad)
    {
        return NoteValuation.yieldToMaturity(dates, amounts, nowTs, cost);
    }

    /// @notice `NoteValuation.accrued`.
    function accrued(uint256 notes, uint256 unpaid, uint256 supply, uint256 servicingFeeBps)
        external
        pure
        returns (uint256)
    {
        return NoteValuation.accrued(notes, unpaid, supply, servicingFeeBps);
    }

    /// @notice `NoteValuation.price`.
    function price(uint256 notes, uint256 outstanding, uint256 supply, int256 premiumBps)
        external
        pure
        returns (uint256)
    {
        return NoteValuation.price(notes, outstanding, supply, premiumBps);
    }
}
