// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice What the handlers saw happen, kept beside the protocol so the invariants can compare the contracts' own
/// books with an independent tally. Only the handlers write here; forge never targets this contract.
contract Ghost {
    /// @dev Per loan: token flows the handlers observed succeed.
    struct LoanFlows {
        uint256 funded; // principal paid in by funders (notes minted)
        uint256 refunded; // principal returned by refunds (notes burnt)
        uint256 repaid; // total of makeRepayment's `paid`
        uint256 expectedFees; // Σ floor(paid × servicingFeeBps / 10,000), as the design prescribes
        uint256 cover; // reserve cover the Treasury sent in on default
        uint256 claimed; // paid out to noteholders (claim, claimFor, claimReturns)
        uint256 swept; // servicing fees swept to the Treasury
        uint256 recovered; // the reserve's share of recoveries (after a default) swept to the Treasury
        uint256 donated; // tokens sent straight to the loan (not through any function)
        uint256 events; // repayments + cover + claims + note transfers: bounds the rounding dust
    }

    address[] public loans;
    mapping(address loan => LoanFlows) public flows;
    mapping(address lender => uint256) public poolBalance;
    uint256 public poolDonations;
    uint256 public treasuryDonations;
    uint256 public reserveFunded;
    uint256 public reserveRecovered; // the reserve's share of recoveries swept back to the Treasury
    uint256 public feesDistributed;
    uint256 public originationFees;

    /// @dev Invariant 7: privileged calls tried by accounts without the role, and how many went through (must be 0).
    uint256 public privilegedAttempts;
    uint256 public privilegedSuccesses;
    string public privilegedBreach;

    /// @dev Invariant 8: repayments, claims, refunds and withdrawals that had to succeed; how many reverted (must be
    /// 0), and how many of them ran while something was paused (coverage).
    uint256 public mustSucceed;
    uint256 public mustSucceedWhilePaused;
    uint256 public mustSucceedFailures;
    string public mustSucceedBreach;

    /// @dev The note market: every purchase the handlers saw succeed (price paid by the buyer, the seller fee within
    /// it, what reached the seller) and the notes it moved, per loan.
    uint256 public trades;
    uint256 public tradePrices;
    uint256 public tradingFees;
    uint256 public sellerProceeds;
    mapping(address loan => uint256) public notesTraded;
    /// @dev Purchases after which the loan's supply, or the notes seller and buyer held together, had changed (must be 0).
    uint256 public tradesNotConserving;

    /// @dev Autopay: every successful collection, with what was due on its installment and the cap, read just before.
    struct Collection {
        address loan;
        uint256 dueDate;
        uint256 pulled; // what left the borrower's balance
        uint256 due; // amountDueBy(dueDate) just before
        uint256 cap; // capOf(loan) just before
    }

    Collection[] internal collections;
    mapping(address loan => mapping(uint256 dueDate => uint256)) public timesCollected;

    /// @dev Any other rule a handler checks on the spot (auto-invest caps, self-funding, ...); empty when none broke.
    string public ruleBreach;

    mapping(bytes32 name => uint256) public calls;
    bytes32[] public callNames;

    function count(bytes32 name) external {
        if (calls[name] == 0) callNames.push(name);
        calls[name] += 1;
    }

    function callNameCount() external view returns (uint256) {
        return callNames.length;
    }

    function addLoan(address loan) external { loans.push(loan); }

    function flowsOf(address loan) external view returns (LoanFlows memory) {
        return flows[loan];
    }

    function loanCount() external view returns (uint256) {
        return loans.length;
    }

    function addFunded(address loan, uint256 a) external { flows[loan].funded += a; }
    function addRefunded(address loan, uint256 a) external { flows[loan].refunded += a; }
    function addCover(address loan, uint256 a) external { flows[loan].cover += a; flows[loan].events += 1; }
    function addSwept(address loan, uint256 a) external { flows[loan].swept += a; }
    function addRecovered(address loan, uint256 a) external { flows[loan].recovered += a; reserveRecovered += a; }
    function addDonated(address loan, uint256 a) external { flows[loan].donated += a; }
    function addEvent(address loan) external { flows[loan].events += 1; }

    function addRepaid(address loan, uint256 paid, uint256 feeBps) external {
        flows[loan].repaid += paid;
        flows[loan].expectedFees += paid * feeBps / 10_000;
        flows[loan].events += 1;
    }

    function addClaimed(address loan, uint256 a) external {
        flows[loan].claimed += a;
        flows[loan].events += 1;
    }

    function poolCredit(address lender, uint256 a) external { poolBalance[lender] += a; }
    function poolDebit(address lender, uint256 a) external { poolBalance[lender] -= a; }
    function addPoolDonation(uint256 a) external { poolDonations += a; }
    function addTreasuryDonation(uint256 a) external { treasuryDonations += a; }
    function addReserveFunded(uint256 a) external { reserveFunded += a; }
    function addFeesDistributed(uint256 a) external { feesDistributed += a; }
    function addOriginationFee(uint256 a) external { originationFees += a; }

    function privilegedTried(bool succeeded, string calldata what) external {
        privilegedAttempts += 1;
        if (succeeded) {
            privilegedSuccesses += 1;
            privilegedBreach = what;
        }
    }

    function mustHaveSucceeded(bool succeeded, bool paused, string calldata what) external {
        mustSucceed += 1;
        if (paused) mustSucceedWhilePaused += 1;
        if (!succeeded) {
            mustSucceedFailures += 1;
            mustSucceedBreach = what;
        }
    }

    function addTrade(address loan, uint256 notes, uint256 price, uint256 fee, uint256 sellerGot, bool conserved)
        external
    {
        trades += 1;
        if (!conserved) tradesNotConserving += 1;
        tradePrices += price;
        tradingFees += fee;
        sellerProceeds += sellerGot;
        notesTraded[loan] += notes;
        flows[loan].events += 1; // a sale is a note transfer: it checkpoints both holders (invariant 3's dust bound)
    }

    function addCollection(address loan, uint256 dueDate, uint256 pulled, uint256 due, uint256 cap) external {
        collections.push(Collection(loan, dueDate, pulled, due, cap));
        timesCollected[loan][dueDate] += 1;
    }

    function collectionCount() external view returns (uint256) {
        return collections.length;
    }

    function collection(uint256 i) external view returns (Collection memory) {
        return collections[i];
    }

    function breach(string calldata what) external {
        if (bytes(ruleBreach).length == 0) ruleBreach = what;
    }
}
