// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ITreasury
/// @notice Protocol fees by type, the reserve fund that covers lenders on defaults, and fee distribution by
/// governance. Accounting is explicit: the token balance always covers `reserve() + availableFees()`.
interface ITreasury {
    enum FeeType {
        Origination,
        Servicing
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
    event PolicySet(uint16 reserveShareBps, uint16 defaultCoverBps);

    /// @notice Records a fee the calling loan has just transferred in. Only loans the factory made.
    function collectFee(uint256 amount, FeeType feeType) external;

    /// @notice Sends `amount` of the non-reserve fees to `to`. Admin role (the timelock).
    function distributeFees(address to, uint256 amount) external;

    /// @notice Adds `amount` from the caller to the reserve.
    function fundReserve(uint256 amount) external;

    /// @notice Pays the calling defaulted loan its cover: `defaultCoverBps` of `principalOutstanding`, capped by
    /// the reserve. Only loans the factory made. Returns the amount sent.
    function useReserveForDefault(uint256 principalOutstanding) external returns (uint256 cover);

    /// @notice Sets the reserve share of every fee and the default cover share. Admin role.
    function setPolicy(uint16 reserveShareBps, uint16 defaultCoverBps) external;

    function reserve() external view returns (uint256);
    function availableFees() external view returns (uint256);
    function feesCollected(FeeType feeType) external view returns (uint256);
    function totalFees() external view returns (uint256);
    function reserveUsed() external view returns (uint256);
    function policy() external view returns (uint16 reserveShareBps, uint16 defaultCoverBps);
    function coverFor(uint256 principalOutstanding) external view returns (uint256);
    function asset() external view returns (address);
    function factory() external view returns (address);
}
