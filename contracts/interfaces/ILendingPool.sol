// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILendingPool
/// @notice Lenders' cash accounts and auto-invest. A lender deposits idle cash, sets criteria once, and anyone (the
/// keeper) may call `autoInvest(loan, lenders)`: the contract re-checks each lender's criteria, balance and caps on
/// chain and invests at most once per lender per loan. The keeper chooses the order; the contract guarantees the
/// rules. Notes bought through the pool belong to the lender; `claimReturns` brings their payouts back into the
/// account, where auto-invest can use them again.
interface ILendingPool {
    /// @notice A lender's standing instructions. Grades run 1 (A1, best) … 25 (E5); `purposes` is a bit set over the
    /// factory's purpose codes (bit i allows purpose i).
    struct Criteria {
        bool enabled;
        uint8 minGrade;
        uint8 maxGrade;
        uint16 minRateBps;
        uint16 maxRateBps;
        uint16 maxTermMonths;
        uint32 purposes;
        uint128 amountPerLoan;
        uint128 maxPerBorrower;
        uint128 cashToKeep;
    }

    /// @notice Why auto-invest passed over a lender (reported in `AutoInvestSkipped`, never a revert).
    enum SkipReason {
        Disabled,
        AlreadyInvested,
        Grade,
        Rate,
        Term,
        Purpose,
        NotVerifiedLender,
        IsBorrower,
        BorrowerCap,
        InsufficientCash,
        LoanFull,
        AmountBelowNote
    }

    error PoolZeroAddress();
    error PoolZeroAmount();
    error PoolInsufficientBalance(address lender, uint256 available, uint256 requested);
    error PoolNotLoan(address loan);
    error PoolLoanNotOpen(address loan);
    error PoolInvalidCriteria();
    error PoolTransferAmountMismatch(uint256 expected, uint256 received);

    event Deposited(address indexed lender, uint256 amount);
    event Withdrawn(address indexed lender, uint256 amount);
    event CriteriaSet(address indexed lender, Criteria criteria);
    event Invested(address indexed lender, address indexed loan, uint256 amount, bool automatic);
    event AutoInvestSkipped(address indexed lender, address indexed loan, SkipReason reason);
    event ReturnsClaimed(address indexed lender, address indexed loan, uint256 amount);

    /// @notice Adds `amount` from the caller to their account.
    /// @param amount Token units pulled from the caller (exactly: fee-on-transfer tokens are refused).
    function deposit(uint256 amount) external;

    /// @notice `deposit` with an EIP-2612 permit signed by the caller (a permit already used is tolerated when the
    /// allowance is there, so a front-run permit cannot block the deposit).
    /// @param amount Token units to deposit.
    /// @param deadline The permit's deadline.
    /// @param v The permit signature's recovery id.
    /// @param r The permit signature's r.
    /// @param s The permit signature's s.
    function depositWithPermit(uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Sends `amount` of the caller's idle cash back to them. Never paused.
    /// @param amount At most the caller's balance in the pool.
    function withdraw(uint256 amount) external;

    /// @notice Invests `amount` of the caller's cash in `loan`; the notes go to the caller.
    /// @param loan A loan of this market's factory, open for funding.
    /// @param amount A multiple of the loan's minimum note, at most the caller's pool balance.
    function invest(address loan, uint256 amount) external;

    /// @notice Sets the caller's auto-invest criteria.
    /// @param criteria The standing instructions (`enabled = false` stops auto-invest).
    function setCriteria(Criteria calldata criteria) external;

    /// @notice Invests in `loan` for each of `lenders` whose criteria, balance and caps allow it; others are
    /// skipped with a reason. Anyone may call; the batch is caller-sized.
    /// @param loan A loan of this market's factory, open for funding.
    /// @param lenders The lenders to try, in the caller's order (each invests at most once per loan).
    /// @return total Amount invested by the batch.
    function autoInvest(address loan, address[] calldata lenders) external returns (uint256 total);

    /// @notice Claims the caller's payout from `loan` into their account. Never paused.
    /// @param loan A loan of this market's factory in which the caller holds notes.
    /// @return amount What was credited to the caller's account.
    function claimReturns(address loan) external returns (uint256 amount);

    function pause() external;
    function unpause() external;

    /// @notice The lender's idle cash in the pool.
    /// @param lender The account holder.
    function lenderBalances(address lender) external view returns (uint256);
    /// @notice The lender's auto-invest criteria.
    /// @param lender The account holder.
    function criteriaOf(address lender) external view returns (Criteria memory);
    /// @notice Principal the lender invested in `loan` through the pool.
    /// @param lender The account holder.
    /// @param loan The loan.
    function invested(address lender, address loan) external view returns (uint256);
    /// @notice Principal the lender invested through the pool in loans of `borrower`.
    /// @param lender The account holder.
    /// @param borrower The borrower.
    function borrowerExposure(address lender, address borrower) external view returns (uint256);
    /// @notice Every lender's idle cash together (the pool's token balance covers it).
    function totalBalances() external view returns (uint256);
    function asset() external view returns (address);
    function factory() external view returns (address);
}
