// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITreasury
/// @notice Protocol fees by type, the reserve fund that covers lenders on defaults, and fee distribution by
/// governance. Accounting is explicit: the token balance always covers `reserve() + availableFees()`.
/// @dev The reserve's cover is subrogation: at a default it pays the noteholders a share of the outstanding
/// principal and takes over that share of the claim; the loan sends the reserve its share of every later recovery.
interface ITreasury {
    enum FeeType {
        Origination,
        Servicing,
        // A closed loan's unaccounted surplus (rounding dust, tokens sent to it by mistake), swept by governance.
        Surplus,
        // The note market's seller fee on a secondary-market sale.
        Trading
    }

    error TreasuryZeroAddress();
    error TreasuryZeroAmount();
    error TreasuryNotLoan(address caller);
    error TreasuryUnfundedFee(uint256 amount, uint256 unaccounted);
    error TreasuryInsufficientFees(uint256 amount, uint256 available);
    error TreasuryInvalidBps(uint256 bps);
    error TreasuryTransferAmountMismatch(uint256 expected, uint256 received);

    event FeeCollected(address indexed loan, FeeType indexed feeType, uint256 amount, uint256 toReserve);
    event FeesDistributed(address indexed to, uint256 amount);
    event ReserveFunded(address indexed from, uint256 amount);
    event ReserveUsed(address indexed loan, uint256 principalOutstanding, uint256 amount);
    event ReserveRecovered(address indexed loan, uint256 amount);
    event PolicySet(uint16 reserveShareBps, uint16 defaultCoverBps);

    /// @notice Records a fee the caller has just transferred in: a loan the factory made (origination, servicing,
    /// surplus) or a holder of `FEE_COLLECTOR_ROLE`, the note market (trading fees, and only those).
    /// @param amount The fee, already in the Treasury's balance beyond what it accounts for.
    /// @param feeType What the fee is for; `reserveShareBps` of it goes to the reserve.
    function collectFee(uint256 amount, FeeType feeType) external;

    /// @notice Records the reserve's share of a defaulted loan's recoveries, which the calling loan has just
    /// transferred in: all of it goes back to the reserve. Only loans the factory made.
    /// @param amount The recovery, already in the Treasury's balance beyond what it accounts for.
    function collectRecovery(uint256 amount) external;

    /// @notice Sends `amount` of the non-reserve fees to `to`. Admin role (the timelock).
    /// @param to The recipient.
    /// @param amount At most `availableFees()`.
    function distributeFees(address to, uint256 amount) external;

    /// @notice Adds `amount` from the caller to the reserve.
    /// @param amount Token units pulled from the caller (exactly: fee-on-transfer tokens are refused).
    function fundReserve(uint256 amount) external;

    /// @notice Pays the calling defaulted loan its cover: `defaultCoverBps` of `principalOutstanding`, capped by
    /// the reserve. Only loans the factory made, once per loan.
    /// @param principalOutstanding The loan's principal outstanding at default.
    /// @return cover The amount sent.
    function useReserveForDefault(uint256 principalOutstanding) external returns (uint256 cover);

    /// @notice Sets the reserve share of every fee and the default cover share. Admin role.
    /// @param reserveShareBps Share of each fee that goes to the reserve (≤ 10,000).
    /// @param defaultCoverBps Share of a defaulted loan's principal the reserve covers (≤ 10,000).
    function setPolicy(uint16 reserveShareBps, uint16 defaultCoverBps) external;

    /// @notice The reserve fund's balance.
    function reserve() external view returns (uint256);
    /// @notice Fees that governance may distribute (`distributeFees`).
    function availableFees() external view returns (uint256);
    /// @notice Fees collected of one type since deployment.
    /// @param feeType The fee type.
    function feesCollected(FeeType feeType) external view returns (uint256);
    /// @notice Fees of every type collected since deployment.
    function totalFees() external view returns (uint256);
    /// @notice Cover paid to defaulted loans' noteholders since deployment.
    function reserveUsed() external view returns (uint256);
    /// @notice Recoveries paid back to the reserve since deployment.
    function reserveRecovered() external view returns (uint256);
    /// @notice The reserve and cover shares.
    /// @return reserveShareBps Share of each fee that goes to the reserve.
    /// @return defaultCoverBps Share of a defaulted loan's principal the reserve covers.
    function policy() external view returns (uint16 reserveShareBps, uint16 defaultCoverBps);
    /// @notice The cover a default with `principalOutstanding` would receive now.
    /// @param principalOutstanding The defaulting loan's outstanding principal.
    function coverFor(uint256 principalOutstanding) external view returns (uint256);
    function asset() external view returns (address);
    function factory() external view returns (address);
}
