// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ACC_PRECISION} from "./Constants.sol";
import {Holder} from "./LoanSlots.sol";

/// @title NoteMath
/// @notice A noteholder's share of a loan's per-note accumulator: reward-debt bookkeeping that credits whole token
/// units and carries the sub-unit remainder, so a loan's rounding dust stays below one unit per holder however many
/// claims and transfers there are.
/// @dev `Holder.accSnapshot` is the accumulator value up to which the holder's notes are credited, set back by the
/// remainder: after a checkpoint with remainder r (< 1 unit, in ACC_PRECISION) and a new balance b, the snapshot is
/// `acc − floor(r / b)`, which carries at most r (never more, so no holder is credited beyond its exact share) and
/// loses less than b / ACC_PRECISION of a unit. A holder left with no notes keeps r itself in the snapshot field.
library NoteMath {
    using SafeCast for uint256;

    /// @notice What `h` has earned and not yet been credited, in ACC_PRECISION units of the token.
    /// @param balance The holder's notes since the last checkpoint.
    /// @param acc The loan's accumulator now.
    function uncredited(Holder memory h, uint256 balance, uint256 acc) internal pure returns (uint256) {
        return balance == 0 ? h.accSnapshot : balance * (acc - h.accSnapshot);
    }

    /// @notice What the holder can claim now, in whole token units (rounded down).
    function claimable(Holder memory h, uint256 balance, uint256 acc) internal pure returns (uint256) {
        return h.owed + uncredited(h, balance, acc) / ACC_PRECISION;
    }

    /// @notice Credits everything earned up to `acc` and sets the snapshot for the balance the holder has next.
    /// @param balance The holder's notes until now.
    /// @param newBalance The holder's notes from now on (the same for a claim; changed by a transfer).
    function checkpoint(Holder memory h, uint256 balance, uint256 newBalance, uint256 acc)
        internal
        pure
        returns (Holder memory)
    {
        uint256 scaled = uncredited(h, balance, acc);
        uint256 remainder = scaled % ACC_PRECISION; // < ACC_PRECISION < 2^90
        h.owed = (h.owed + scaled / ACC_PRECISION).toUint128();
        // floor(remainder / newBalance) ≤ acc unless the balance shrank below the share the remainder came from;
        // the min then carries less, never more.
        h.accSnapshot = newBalance == 0
            ? uint128(remainder)
            : (acc - Math.min(remainder / newBalance, acc)).toUint128();
        return h;
    }
}
