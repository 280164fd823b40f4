// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Loan} from "../../../contracts/Loan.sol";
import {ILoan} from "../../../contracts/interfaces/ILoan.sol";
import {ILoanFactory} from "../../../contracts/interfaces/ILoanFactory.sol";
import {ITreasury} from "../../../contracts/interfaces/ITreasury.sol";
import {Env} from "../../utils/DisfrutaFixture.sol";
import {Ghost} from "../Ghost.sol";
import {HandlerBase} from "./HandlerBase.sol";

/// @notice Invariant 7's adversary: every privileged entry point of every contract, called by an account without the
/// role it needs (users, the keeper, fresh addresses, and holders of *other* roles). Each call must revert with the
/// access error of that entry point; a success, or a revert for any other reason (a check that ran before the
/// access check), is recorded as a breach.
contract AttackerHandler is HandlerBase {
    uint256 internal constant CALLS = 34;

    address[] internal candidates;

    constructor(
        Env memory env_,
        Ghost ghost_,
        address[] memory borrowers_,
        address[] memory lenders_,
        address[] memory candidates_
    ) HandlerBase(env_, ghost_, borrowers_, lenders_) {
        candidates = candidates_;
    }

    struct Attempt {
        address target;
        bytes data;
        bytes4 expected;
        address[3] allowed;
    }

    function tryPrivileged(uint256 which, uint256 callerSeed, uint256 loanSeed) external {
        (Loan loan, bool haveLoan) = _loan(loanSeed);
        if (!haveLoan) loan = env.loanImpl;
        // Every fourth attempt aims at the Loan implementation itself rather than a clone.
        if (loanSeed % 4 == 0) loan = env.loanImpl;
        Attempt memory a;
        uint256 i = which % CALLS;
        (a.target, a.data, a.expected, a.allowed) = _call(i, loan, callerSeed);
        address caller = _pickCaller(callerSeed, a.allowed);
        if (caller == address(0)) return;
        vm.prank(caller);
        (bool success, bytes memory ret) = a.target.call(a.data);
        bool accessError = !success && ret.length >= 4 && bytes4(ret) == a.expected;
        ghost.privilegedTried(!accessError, string.concat("privileged call #", string(_digits(i))));
        _count("attacker.tryPrivileged");
    }

    function _pickCaller(uint256 seed, address[3] memory allowed) private view returns (address) {
        for (uint256 k; k < candidates.length; ++k) {
            address c = candidates[(seed % candidates.length + k) % candidates.length];
            if (c != allowed[0] && c != allowed[1] && c != allowed[2]) return c;
        }
        return address(0);
    }

    /// @dev The catalogue: target, calldata, the access error expected, and who may legitimately call it.
    function _call(uint256 i, Loan loan, uint256 seed)
        private
        view
        returns (address, bytes memory, bytes4, address[3] memory)
    {
        Attempt memory a;
        if (i <= 10) a = _registryCall(i, seed);
        else if (i <= 22) a = _factoryCall(i);
        else if (i <= 29) a = _poolTreasuryCall(i, seed);
        else a = _loanCall(i, loan, seed);
        return (a.target, a.data, a.expected, a.allowed);
    }

    function _ac() private pure returns (bytes4) {
        return IAccessControl.AccessControlUnauthorizedAccount.selector;
    }

    function _registryCall(uint256 i, uint256 seed) private view returns (Attempt memory a) {
        address gov = env.gov;
        address someone = _lender(seed);
        a.target = address(env.registry);
        a.expected = _ac();
        a.allowed = [gov, gov, gov];
        if (i == 0) (a.data, a.allowed[0]) = (abi.encodeWithSignature("verifyUser(address)", someone), env.kycAdmin);
        else if (i == 1) (a.data, a.allowed[0]) = (abi.encodeWithSignature("revokeUser(address,bytes32)", someone, bytes32("x")), env.revoker);
        else if (i == 2) (a.data, a.allowed[0]) = (abi.encodeWithSignature("revokeCredit(address,bytes32)", _borrower(seed), bytes32("x")), env.revoker);
        else if (i == 3) a.data = abi.encodeWithSignature("addSigner(address)", someone);
        else if (i == 4) (a.data, a.allowed[0]) = (abi.encodeWithSignature("removeSigner(address)", env.oracle), env.guardian);
        else if (i == 5) a.data = abi.encodeWithSignature("setKycValidity(uint256)", 30 days);
        else if (i == 6) (a.data, a.allowed[0]) = (abi.encodeWithSignature("pause()"), env.guardian);
        else if (i == 7) a.data = abi.encodeWithSignature("unpause()");
        else if (i == 8) a.data = abi.encodeWithSignature("grantRole(bytes32,address)", bytes32(0), someone);
        else if (i == 9) a.data = abi.encodeWithSignature("revokeRole(bytes32,address)", env.registry.KYC_ADMIN_ROLE(), env.kycAdmin);
        else a.data = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(env.loanImpl), "");
    }

    function _factoryCall(uint256 i) private view returns (Attempt memory a) {
        address gov = env.gov;
        a.target = address(env.factory);
        a.expected = _ac();
        a.allowed = [gov, gov, gov];
        if (i == 11) (a.data, a.allowed[0]) = (abi.encodeWithSignature("approveLoan(uint256)", 1), env.underwriter);
        else if (i == 12) (a.data, a.allowed[0]) = (abi.encodeWithSignature("rejectLoan(uint256,bytes32)", 1, bytes32("x")), env.underwriter);
        else if (i == 13) (a.data, a.allowed[0]) = (abi.encodeWithSignature("pauseLoan(uint256)", 1), env.underwriter);
        else if (i == 14) (a.data, a.allowed[0]) = (abi.encodeWithSignature("unpauseLoan(uint256)", 1), env.underwriter);
        else if (i == 15) a.data = abi.encodeWithSignature("setRate(uint8,uint16,uint16)", 1, 100, 0);
        else if (i == 16) a.data = abi.encodeCall(ILoanFactory.setLimits, (ILoanFactory.Limits(1, 2, 1, 2, 1, 2)));
        else if (i == 17) a.data = abi.encodeWithSignature("setLoanImplementation(address)", address(env.loanImpl));
        else if (i == 18) (a.data, a.allowed[0]) = (abi.encodeWithSignature("pause()"), env.guardian);
        else if (i == 19) a.data = abi.encodeWithSignature("unpause()");
        else if (i == 20) a.data = abi.encodeWithSignature("grantRole(bytes32,address)", env.factory.UNDERWRITER_ROLE(), address(0xBAD1));
        else if (i == 21) a.data = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(env.loanImpl), "");
        else (a.data, a.expected) = (abi.encodeWithSignature("loanClosed()"), ILoanFactory.LoanFactoryNotLoan.selector);
    }

    function _poolTreasuryCall(uint256 i, uint256 seed) private view returns (Attempt memory a) {
        address gov = env.gov;
        a.target = i <= 25 ? address(env.pool) : address(env.treasury);
        a.expected = _ac();
        a.allowed = [gov, gov, gov];
        if (i == 23) (a.data, a.allowed[0]) = (abi.encodeWithSignature("pause()"), env.guardian);
        else if (i == 24) a.data = abi.encodeWithSignature("unpause()");
        else if (i == 25) a.data = abi.encodeWithSignature("upgradeToAndCall(address,bytes)", address(env.loanImpl), "");
        else if (i == 26) a.data = abi.encodeWithSignature("distributeFees(address,uint256)", _lender(seed), 1);
        else if (i == 27) a.data = abi.encodeWithSignature("setPolicy(uint16,uint16)", 0, 10_000);
        else if (i == 28) (a.data, a.expected) = (abi.encodeWithSignature("collectFee(uint256,uint8)", 1, 0), ITreasury.TreasuryNotLoan.selector);
        else (a.data, a.expected) = (abi.encodeWithSignature("useReserveForDefault(uint256)", 1e12), ITreasury.TreasuryNotLoan.selector);
    }

    function _loanCall(uint256 i, Loan loan, uint256 seed) private view returns (Attempt memory a) {
        address gov = env.gov;
        a.target = address(loan);
        a.expected = ILoan.LoanOnlyFactory.selector;
        a.allowed = [gov, gov, gov];
        if (i == 30) {
            ILoan.InitParams memory p = ILoan.InitParams(9, _lender(seed), uint128(1_000 * UNIT), 600, 12, 1, 0, 100, 1 days);
            a.data = abi.encodeCall(ILoan.initialize, (p));
        } else if (i == 31) {
            a.data = abi.encodeWithSignature("open()");
        } else if (i == 32) {
            a.data = seed % 2 == 0 ? abi.encodeWithSignature("reject()") : abi.encodeWithSignature("setPaused(bool)", true);
        } else {
            // Borrower-only: anyone but this loan's borrower.
            a.data = seed % 2 == 0 ? abi.encodeWithSignature("withdrawFunds()") : abi.encodeWithSignature("acceptPartialFunding()");
            a.expected = ILoan.LoanOnlyBorrower.selector;
            a.allowed[0] = loan.borrower();
        }
    }

    function _digits(uint256 v) private pure returns (bytes memory out) {
        out = new bytes(2);
        out[0] = bytes1(uint8(48 + v / 10));
        out[1] = bytes1(uint8(48 + v % 10));
    }
}
