#!/usr/bin/env python3
"""Mutation check of the security tests (issue #9: every adversarial case fails if its protection is removed).

For each protection in ``MUTATIONS`` below, on a throwaway copy of the project: apply one small source patch to
``contracts/`` that removes the protection, recompile, run the tests that are supposed to catch it, and report whether
they failed (the mutant is *killed*: good) or all passed (it *survived*: the protection is untested).

How it runs:
1. Copies the project (the working tree's tracked and untracked-but-not-ignored files, or the committed HEAD with
   ``--head``) to a temporary directory, links ``node_modules`` and the solc adapter in ``.solcx``, compiles it.
2. Checks every patch against the copy first: each search text must occur exactly as often as the mutation says
   (once, unless stated), so a patch can never silently stop applying when the code changes.
3. Baseline: runs every selected mutation's tests once on the unmutated copy; they must all pass (a mutation is
   only meaningful if its tests pass without it).
4. Per mutation: copies the compiled tree, patches it, ``ape compile --force``, checks that the patched file's
   contracts really compiled to other code (creation and runtime bytecode, metadata hash left out), runs the
   mutation's tests.

Exit status: 0 when every mutant met its expectation; 1 when a mutant expected to be killed survived, or a mutant
could not be built or tested; 2 when the check itself could not run (stale patch, failing baseline, setup).

    python tools/mutation_check.py                  # all mutations (make mutation)
    python tools/mutation_check.py --only pool-nonreentrant --keep
    python tools/mutation_check.py --list
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# ============================================================================================================ data


@dataclass(frozen=True)
class Edit:
    """Replace ``find`` (plain text, or a regular expression if ``regex``) by ``replace``; ``find`` must occur
    exactly ``count`` times in the file."""

    find: str
    replace: str
    count: int = 1
    regex: bool = False


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str  # relative to the project root
    removes: str  # the protection, in a few words
    edits: tuple[Edit, ...]
    tests: tuple[str, ...]  # pytest node ids (a parametrised test without [...] selects all its cases)
    expect_killed: bool = True
    why_it_survives: str = ""  # required when expect_killed is False


def delete(text: str) -> Edit:
    return Edit(text, "")


# A function's `nonReentrant` modifier: followed by the body or by `returns` (the word in comments is not).
NON_REENTRANT = r"\s+nonReentrant\b(?=\s*(?:\{|returns\b))"

ADV = "tests/security/test_adversarial.py::"
REENTRY = ADV + "test_reentrant_token__reenters_mid_transfer__guard_reverts_whole_call[{}]"
LOAN_REVERTS = "tests/test_loan_reverts.py::"
POOL = "tests/test_lending_pool.py::"
REGISTRY = "tests/test_user_registry.py::"
CREDIT = "tests/security/test_credit_rules.py::"
CONSERVATION = ("tests/security/test_conservation.py::"
                "test_conservation__random_life_with_transfers_claims_default__paid_in_equals_paid_out_plus_dust")

MARKET = "tests/test_note_market.py::"
AUTOPAY = "tests/test_autopay.py::"

MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        name="loan-self-funding",
        file="contracts/Loan.sol",
        removes="the borrower cannot fund their own loan",
        edits=(Edit("        if (lender == borrower_ || msg.sender == borrower_) revert LoanBorrowerCannotFund(borrower_);\n",
                    "        if (msg.sender == borrower_) revert LoanBorrowerCannotFund(borrower_);\n"),),
        tests=(
            ADV + "test_pool_invest__borrower_into_own_loan__reverts_in_loan",
            LOAN_REVERTS + "test_fund__by_borrower_even_if_verified_lender__reverts",
            LOAN_REVERTS + "test_fund_loan_for__borrower_as_lender__reverts",
        ),
    ),
    Mutation(
        name="loan-balance-delta",
        file="contracts/Loan.sol",
        removes="Loan._pullExact refuses fee-on-transfer (checks the balance delta)",
        edits=(Edit(
            "        uint256 received = _ASSET.balanceOf(address(this)) - before;\n"
            "        if (received != amount) revert LoanTransferAmountMismatch(amount, received);\n",
            "        uint256 received = amount; // MUTANT: trusts the requested amount\n"
            "        if (received != amount) revert LoanTransferAmountMismatch(amount, received);\n",
        ),),
        tests=(
            LOAN_REVERTS + "test_fund__fee_on_transfer_token__reverts",
            ADV + "test_fee_on_transfer_token__every_money_in_path__refused_nothing_recorded",
        ),
    ),
    Mutation(
        name="pool-balance-delta",
        file="contracts/LendingPool.sol",
        removes="LendingPool deposit refuses fee-on-transfer (checks the balance delta)",
        edits=(Edit(
            "        uint256 received = asset_.balanceOf(address(this)) - before;\n"
            "        if (received != amount) revert PoolTransferAmountMismatch(amount, received);\n",
            "        uint256 received = amount; // MUTANT: trusts the requested amount\n"
            "        if (received != amount) revert PoolTransferAmountMismatch(amount, received);\n",
        ),),
        tests=(
            POOL + "test_deposit__fee_on_transfer_token__reverts",
            ADV + "test_fee_on_transfer_token__every_money_in_path__refused_nothing_recorded",
        ),
    ),
    Mutation(
        name="pool-nonreentrant",
        file="contracts/LendingPool.sol",
        removes="nonReentrant on every LendingPool function",
        edits=(Edit(NON_REENTRANT, "", count=6, regex=True),),
        tests=tuple(REENTRY.format(case) for case in ("deposit→withdraw", "withdraw→withdraw",
                                                      "claimReturns→withdraw")),
    ),
    # Loan writes all effects before it transfers (checks-effects-interactions), so here the guard is defence in
    # depth: without it the token's re-entry fails later for another reason (LoanNotVerifiedLender,
    # ERC20InsufficientAllowance, LoanNothingToClaim: the token holds no notes, allowance or KYC) or, for
    # claim->sweepFees, goes through harmlessly. The tests still kill it: they require the guard's own error.
    Mutation(
        name="loan-nonreentrant",
        file="contracts/Loan.sol",
        removes="nonReentrant on every Loan function",
        edits=(Edit(NON_REENTRANT, "", count=9, regex=True),),
        # (claim→claim: both claims are LoanNotes', see notes-nonreentrant)
        tests=tuple(REENTRY.format(case) for case in ("fundLoan→fundLoan", "makeRepayment→makeRepayment",
                                                      "makeRepayment→claim", "claim→sweepFees")),
    ),
    Mutation(
        name="notes-nonreentrant",
        file="contracts/LoanNotes.sol",
        removes="nonReentrant on the claims (LoanNotes.claim, claimFor)",
        edits=(Edit(NON_REENTRANT, "", count=2, regex=True),),
        tests=tuple(REENTRY.format(case) for case in ("claim→claim", "claim→sweepFees")),
    ),
    Mutation(
        name="loan-funding-deadline",
        file="contracts/Loan.sol",
        removes="no funding after the deadline",
        edits=(delete("        if (block.timestamp > f.fundingDeadline) revert LoanFundingClosed(f.fundingDeadline, "
                      "block.timestamp);\n"),),
        tests=(
            ADV + "test_fund__front_run_pushes_it_one_second_past_deadline__reverts",
            LOAN_REVERTS + "test_fund__after_deadline__reverts",
        ),
    ),
    Mutation(
        name="loan-implementation-locked",
        file="contracts/Loan.sol",
        removes="the Loan implementation can never be initialised (constructor sets a non-zero borrower)",
        edits=(delete("        _terms.borrower = address(0xdead);\n"),),
        tests=(LOAN_REVERTS + "test_initialize__implementation_even_from_factory__reverts_already_initialized",),
    ),
    Mutation(
        name="loan-initialize-once",
        file="contracts/Loan.sol",
        removes="Loan.initialize runs once (only fresh clones have a zero borrower)",
        edits=(delete("        if (_terms.borrower != address(0)) revert LoanAlreadyInitialized();\n"),),
        tests=(
            LOAN_REVERTS + "test_initialize__live_clone_even_from_factory__reverts_already_initialized",
            LOAN_REVERTS + "test_initialize__implementation_even_from_factory__reverts_already_initialized",
        ),
    ),
    Mutation(
        name="registry-nonce",
        file="contracts/UserRegistry.sol",
        removes="attestation nonce check (replay, revocation voids signed attestations)",
        edits=(delete("        if (nonce != expectedNonce) revert UserRegistryInvalidNonce(user, expectedNonce, nonce);\n"),),
        tests=(
            REGISTRY + "test_kyc_attestation__replayed__reverts",
            REGISTRY + "test_credit_attestation__replayed__reverts",
            REGISTRY + "test_revoke_user__voids_attestation_signed_before",
        ),
    ),
    Mutation(
        name="registry-signature",
        file="contracts/UserRegistry.sol",
        removes="EIP-712 signature check (binds an attestation to this chain, this registry and its fields)",
        edits=(delete(
            "        if (!SignatureChecker.isValidSignatureNow(signer, digest, signature)) {\n"
            "            revert UserRegistryInvalidSignature(signer);\n"
            "        }\n"
        ),),
        tests=(
            REGISTRY + "test_kyc_attestation__signed_for_another_chain__reverts",
            REGISTRY + "test_kyc_attestation__signed_for_another_registry__reverts",
            REGISTRY + "test_kyc_attestation__wrong_signer_key__reverts",
            REGISTRY + "test_kyc_attestation__tampered_field__reverts",
            REGISTRY + "test_kyc_attestation__malleable_high_s_signature__reverts",
            ADV + "test_kyc_attestation__signed_for_registry_a__replayed_on_registry_b__reverts",
            ADV + "test_credit_attestation__signed_for_registry_a__replayed_on_registry_b__reverts",
        ),
    ),
    Mutation(
        name="registry-signer-allowlist",
        file="contracts/UserRegistry.sol",
        removes="only registered oracle signers are trusted",
        edits=(delete("        if (!_s().signers.contains(signer)) revert UserRegistryUnknownSigner(signer);\n"),),
        tests=(
            REGISTRY + "test_kyc_attestation__signer_not_authorised__reverts",
            REGISTRY + "test_kyc_attestation__removed_signer__reverts",
        ),
    ),
    Mutation(
        name="auto-invest-skips",
        file="contracts/LendingPool.sol",
        removes="auto-invest skips a lender who doesn't qualify instead of failing the batch",
        edits=(Edit(
            "                emit AutoInvestSkipped(lender, loan, reason);\n"
            "                continue;\n",
            "                revert PoolLoanNotOpen(loan); // MUTANT: one unqualified lender fails everyone's batch\n",
        ),),
        tests=(
            ADV + "test_auto_invest__contract_and_unqualified_lenders_in_batch__skipped_batch_succeeds",
            POOL + "test_auto_invest__mixed_batch__qualifying_invest_others_skipped",
        ),
    ),
    Mutation(
        name="auto-invest-verified-lender",
        file="contracts/LendingPool.sol",
        removes="auto-invest skips unverified/revoked lenders (else the loan refuses them and the batch reverts)",
        edits=(delete("        if (!$.registry.isVerifiedLender(lender)) return (0, false, "
                      "SkipReason.NotVerifiedLender);\n"),),
        tests=(POOL + "test_auto_invest__mixed_batch__qualifying_invest_others_skipped",),
    ),
    Mutation(
        name="pool-upgrade-auth",
        file="contracts/LendingPool.sol",
        removes="only the admin (timelock) can upgrade the pool",
        edits=(Edit(
            "    function _authorizeUpgrade(address) internal override onlyRole(DEFAULT_ADMIN_ROLE) {}\n",
            "    function _authorizeUpgrade(address) internal override {}\n",
        ),),
        tests=(
            POOL + "test_upgrade__not_admin__reverts",
            "tests/security/test_access_matrix.py::"
            "test_privileged_function__caller_without_role__reverts_with_access_error[6dec-LendingPool.upgradeToAndCall]",
        ),
    ),
    # ---------------------------------------------------------------- issue #15: credit rules (test_credit_rules.py)
    Mutation(
        name="factory-open-defaults",
        file="contracts/LoanFactory.sol",
        removes="a borrower with a loan in default can't open a new loan",
        edits=(delete("        if (defaulted != 0) revert LoanFactoryBorrowerInDefault(borrower, defaulted);\n"),),
        tests=(CREDIT + "test_hole1_default__borrower_opens_new_loan__refused",),
    ),
    Mutation(
        name="loan-default-keeps-exposure",
        file="contracts/Loan.sol",
        removes="a default keeps the principal in the borrower's exposure and is recorded (loanDefaulted, not "
                "loanClosed)",
        edits=(Edit("        ILoanFactory(_FACTORY).loanDefaulted(outstanding);\n",
                    "        ILoanFactory(_FACTORY).loanClosed(); // MUTANT: a default frees the limit\n"),),
        tests=(CREDIT + "test_hole1_default__borrower_opens_new_loan__refused",
               CREDIT + "test_hole1_default__recovered_in_full__releases_exposure"),
    ),
    Mutation(
        name="loan-cover-keeps-debt",
        file="contracts/Loan.sol",
        removes="subrogation: the reserve's cover doesn't reduce the borrower's principal",
        edits=(Edit("        _default = DefaultSlot({",
                    "        _balance.principalOutstanding -= uint128(cover); // MUTANT: the cover forgives debt\n"
                    "        _default = DefaultSlot({"),),
        tests=(CREDIT + "test_hole2_default_cover__borrower_still_owes_all_principal_and_interest",),
    ),
    Mutation(
        name="loan-recovery-split",
        file="contracts/Loan.sol",
        removes="recoveries after a default are shared with the reserve (cover / principal at default)",
        edits=(delete("        if (defaulted) net -= _accrueRecovery(net);\n"),),
        tests=(CREDIT + "test_hole2_default_cover__borrower_still_owes_all_principal_and_interest",),
    ),
    Mutation(
        name="loan-payer-not-borrower",
        file="contracts/Loan.sol",
        removes="whoever pays for notes can't be the borrower",
        edits=(Edit("        if (lender == borrower_ || msg.sender == borrower_) revert LoanBorrowerCannotFund(borrower_);\n",
                    "        if (lender == borrower_) revert LoanBorrowerCannotFund(borrower_);\n"),),
        tests=(CREDIT + "test_hole3_borrower_pays_for_friends_notes__refused",),
    ),
    Mutation(
        name="loan-fund-for-operator",
        file="contracts/Loan.sol",
        removes="fundLoanFor only from the pool or a funder the lender approved",
        edits=(delete("        if (!_mayActFor(lender, _FUND)) revert LoanNotFunder(msg.sender, lender);\n"),),
        tests=(CREDIT + "test_hole3_borrower_pays_for_friends_notes__refused",
               CREDIT + "test_fund_loan_for__approved_funder__mints_to_lender"),
    ),
    Mutation(
        name="loan-partial-accept-paused",
        file="contracts/Loan.sol",
        removes="acceptPartialFunding refuses while the loan or the factory is paused",
        edits=(Edit("        _requireNotPaused();\n        _requireBorrowerEligible();\n",
                    "        _requireBorrowerEligible();\n"),),
        tests=(CREDIT + "test_hole3_accept_partial_funding__revoked_or_paused__refused",),
    ),
    Mutation(
        name="loan-partial-accept-verified",
        file="contracts/Loan.sol",
        removes="acceptPartialFunding re-checks that the borrower is still verified",
        edits=(Edit("        _requireNotPaused();\n        _requireBorrowerEligible();\n",
                    "        _requireNotPaused();\n"),),
        tests=(CREDIT + "test_hole3_accept_partial_funding__revoked_or_paused__refused",),
    ),
    Mutation(
        name="loan-draw-open-default",
        file="contracts/Loan.sol",
        removes="drawdown (and partial acceptance) refused while the borrower has a loan in open default",
        edits=(delete("        if (ILoanFactory(_FACTORY).openDefaults(borrower_) != 0) revert LoanBorrowerInDefault(borrower_);\n"),),
        tests=(CREDIT + "test_hole1_default__then_draws_a_loan_funded_just_before__refused",),
    ),
    Mutation(
        name="registry-update-kyc-revoked",
        file="contracts/UserRegistry.sol",
        removes="a revoked user can't re-submit KYC (updateKYC) to get back to Pending",
        edits=(delete("        if (u.status == Status.Revoked) revert UserRegistryRevoked(msg.sender);\n"),),
        tests=(CREDIT + "test_hole4_revoked_user__update_kyc_then_admin_verify__stays_revoked",),
    ),
    Mutation(
        name="registry-attestation-revoked",
        file="contracts/UserRegistry.sol",
        removes="an oracle KYC attestation doesn't lift a revocation",
        edits=(delete("        if (u.status == Status.Revoked) revert UserRegistryRevoked(a.user);\n"),),
        tests=(CREDIT + "test_hole4_revoked_user__update_kyc_then_admin_verify__stays_revoked",),
    ),
    Mutation(
        name="loan-transfer-from-verified",
        file="contracts/Loan.sol",
        removes="notes move out of a verified lender's account only",
        edits=(delete("        if (!_REGISTRY.isVerifiedLender(from)) revert LoanTransferFromUnverified(from);\n"),),
        tests=(CREDIT + "test_hole5_revoked_lender__moves_notes_out__refused",),
    ),
    Mutation(
        name="registry-kyc-validity-cap",
        file="contracts/UserRegistry.sol",
        removes="a KYC attestation's validUntil is at most now + the registry's KYC validity",
        edits=(Edit("a.validUntil, a.deadline, _s().kycValidity);",
                    "a.validUntil, a.deadline, 100 * 365 days); // MUTANT: no cap"),),
        tests=(CREDIT + "test_hole6_kyc_attestation__valid_for_decades__refused",),
    ),
    Mutation(
        name="registry-credit-validity-cap",
        file="contracts/UserRegistry.sol",
        removes="a credit attestation's validUntil is at most now + the governed credit validity",
        edits=(Edit("a.validUntil, a.deadline, creditValidity());",
                    "a.validUntil, a.deadline, 100 * 365 days); // MUTANT: no cap"),),
        tests=(CREDIT + "test_hole6_credit_attestation__valid_for_decades__refused",
               CREDIT + "test_set_credit_validity__bounds_and_role"),
    ),
    Mutation(
        name="registry-credit-validity-range",
        file="contracts/UserRegistry.sol",
        removes="the credit validity setting stays within 1 to 365 days",
        edits=(Edit("        if (validity < _MIN_CREDIT_VALIDITY || validity > _MAX_CREDIT_VALIDITY) {\n",
                    "        if (false) { // MUTANT: any credit validity\n"),),
        tests=(CREDIT + "test_set_credit_validity__bounds_and_role",),
    ),
    Mutation(
        name="notes-remainder-carry",
        file="contracts/libraries/NoteMath.sol",
        removes="each holder's sub-unit remainder is carried (dust bounded by the number of holders)",
        edits=(Edit("            : (acc - Math.min(remainder / newBalance, acc)).toUint128();\n",
                    "            : acc.toUint128(); // MUTANT: the remainder is dropped at every checkpoint\n"),),
        tests=(CREDIT + "test_hole7_dust__5_lenders_34_checkpoints__below_number_of_holders",
               CONSERVATION),
    ),
    Mutation(
        name="notes-self-transfer",
        file="contracts/LoanNotes.sol",
        removes="a transfer to oneself doesn't checkpoint the holder (twice)",
        edits=(Edit("        if (acc != 0 && from != to) {\n", "        if (acc != 0) {\n"),),
        tests=(CREDIT + "test_self_transfer__carries_no_remainder_twice__claims_unchanged",),
    ),
    Mutation(
        name="loan-sweep-status",
        file="contracts/Loan.sol",
        removes="the surplus sweep runs only on a Repaid, Rejected or Expired loan",
        edits=(delete("        if (s != Status.Repaid && s != Status.Rejected && s != Status.Expired) "
                      "revert LoanInvalidStatus(s);\n"),),
        tests=(CREDIT + "test_sweep_surplus__loan_not_closed__reverts",),
    ),
    Mutation(
        name="loan-sweep-keeps-claims",
        file="contracts/Loan.sol",
        removes="the surplus sweep keeps what holders can still claim",
        edits=(Edit("        uint256 kept = holders + _book.feesAccrued + _reserveAccrued;\n",
                    "        uint256 kept = _book.feesAccrued + _reserveAccrued + 0 * holders; // MUTANT\n"),),
        tests=(CREDIT + "test_sweep_surplus__donation_to_repaid_loan__swept_and_every_holder_still_claims_all",
               CREDIT + "test_sweep_surplus__rejected_loan__refunds_untouched"),
    ),
    Mutation(
        name="factory-sweep-admin",
        file="contracts/LoanFactory.sol",
        removes="only the admin (timelock) sweeps a loan's surplus",
        edits=(Edit("    function sweepLoanSurplus(uint256 loanId) external onlyRole(DEFAULT_ADMIN_ROLE) returns",
                    "    function sweepLoanSurplus(uint256 loanId) external returns"),),
        tests=(CREDIT + "test_sweep_surplus__not_admin__reverts",),
    ),
    # --- the note market and autopay (issue #16)
    Mutation(
        name="market-listing-version",
        file="contracts/NoteMarket.sol",
        removes="NoteMarket refuses a purchase naming a stale listing version (the seller relisted)",
        edits=(delete('        if (l.version != version) revert MarketListingChanged(version, l.version);\n'),),
        tests=(MARKET + "test_buy__seller_relisted__reverts_listing_changed",),
    ),
    Mutation(
        name="market-max-price",
        file="contracts/NoteMarket.sol",
        removes="NoteMarket refuses a price above the buyer's maximum",
        edits=(delete('        if (price > maxPrice) revert MarketPriceAboveMax(price, maxPrice);\n'),),
        tests=(MARKET + "test_buy__max_price_below_price__reverts",),
    ),
    Mutation(
        name="market-borrower-buys",
        file="contracts/NoteMarket.sol",
        removes="NoteMarket refuses the borrower buying notes of its own loan",
        edits=(delete('        if (msg.sender == st.borrower) revert MarketBorrowerCannotBuy(msg.sender);\n'),),
        tests=(MARKET + "test_buy__borrower__reverts_even_as_verified_lender",),
    ),
    Mutation(
        name="market-late-loan",
        file="contracts/NoteMarket.sol",
        removes="NoteMarket refuses notes of a loan past an installment's grace period",
        edits=(delete('        if (block.timestamp > graceEnd) revert MarketLoanLate(loan, st.nextDueDate, graceEnd);\n'),),
        tests=(MARKET + "test_buy__loan_late_or_closed_after_listing__reverts",),
    ),
    Mutation(
        name="market-fee-to-treasury",
        file="contracts/NoteMarket.sol",
        removes="NoteMarket sends the seller fee to the Treasury",
        edits=(delete('        if (fee != 0) _ASSET.safeTransferFrom(msg.sender, address(_TREASURY), fee);\n'),),
        tests=(MARKET + "test_buy__whole_listing__notes_price_and_fee_move",),
    ),
    Mutation(
        name="autopay-pull-guard",
        file="contracts/Autopay.sol",
        removes="Autopay.pull answers only the loan being collected",
        edits=(delete('        if (msg.sender != _collecting) revert AutopayNotCollecting(msg.sender);\n'),),
        tests=(AUTOPAY + "test_pull__outside_a_collection__reverts",),
    ),
    Mutation(
        name="autopay-cap",
        file="contracts/Autopay.sol",
        removes="Autopay never collects more than the borrower's cap",
        edits=(delete('        if (value > cap) return (false, Refusal.AboveCap, value, dueDate, borrower_);\n'),),
        tests=(AUTOPAY + "test_collect__above_cap__refused_until_cap_raised",),
    ),
    Mutation(
        name="autopay-window-closes",
        file="contracts/Autopay.sol",
        removes="Autopay's window closes at the end of the grace period",
        edits=(delete('        if (block.timestamp > closes) return (false, Refusal.TooLate, closes, dueDate, borrower_);\n'),),
        tests=(AUTOPAY + "test_collect__one_second_after_grace__too_late",),
    ),
    Mutation(
        name="loan-autopay-only",
        file="contracts/Loan.sol",
        removes="Loan.makeRepaymentFor answers only the market's Autopay",
        edits=(delete('        if (msg.sender != address(_AUTOPAY)) revert LoanOnlyAutopay(msg.sender);\n'),),
        tests=(AUTOPAY + "test_make_repayment_for__not_autopay__reverts",),
    ),
    Mutation(
        name="bootstrap-deployer-only",
        file="contracts/governance/ProxyBootstrap.sol",
        removes="a proxy still on the CREATE2 bootstrap moves only for the deployer",
        edits=(delete('        if (msg.sender != deployer) revert NotDeployer(msg.sender);\n'),),
        tests=(("tests/governance/test_multichain.py::"
                "test_proxy_created_early_by_someone_else__still_only_the_deployer_moves_it"),),
    ),
)


# ============================================================================================================ runner


class Outcome(Enum):
    KILLED = "killed"
    SURVIVED = "survived"
    ERROR = "ERROR"


@dataclass
class Result:
    mutation: Mutation
    outcome: Outcome
    failed: int = 0
    total: int = 0
    seconds: float = 0.0
    detail: str = ""
    still_passing: list[str] = field(default_factory=list)

    @property
    def as_expected(self) -> bool:
        if self.outcome is Outcome.ERROR:
            return False
        return self.outcome is Outcome.KILLED or not self.mutation.expect_killed

    @property
    def verdict(self) -> str:
        if self.outcome is Outcome.ERROR:
            return "FAIL (error)"
        if self.mutation.expect_killed:
            return "ok" if self.outcome is Outcome.KILLED else "FAIL (survived)"
        return "ok (expected to survive)" if self.outcome is Outcome.SURVIVED else "note: killed, expected to survive"


class CheckError(Exception):
    """The check itself cannot run (exit status 2)."""


@dataclass(frozen=True)
class Case:
    node_id: str  # as pytest reports it (non-ASCII parametrisation ids escaped)
    passed: bool


def pytest_escaped(node_id: str) -> str:
    """Node ids the way pytest prints them: non-ASCII characters of parametrisation ids as \\uXXXX escapes."""
    return node_id.encode("unicode_escape").decode("ascii")


def selects(node_id: str, case: Case) -> bool:
    wanted = pytest_escaped(node_id)
    return case.node_id == wanted or ("[" not in wanted and case.node_id.startswith(wanted + "["))


def log(message: str) -> None:
    print(message, flush=True)


# ------------------------------------------------------------------------------------------------ the copy


def export_tree(dest: Path, from_head: bool) -> None:
    """The project's own files into ``dest``: HEAD (git archive) or the working tree (files git does not ignore)."""
    dest.mkdir(parents=True)
    if from_head:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD"],
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            raise CheckError(f"git archive HEAD failed: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)
        return
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             capture_output=True, check=False)
    if listing.returncode != 0:
        raise CheckError(f"git ls-files failed: {listing.stderr.decode().strip()}")
    for rel in sorted(set(filter(None, listing.stdout.decode().split("\0")))):
        src = ROOT / rel
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def link_toolchain(tree: Path) -> None:
    """The copy shares the original's node_modules (solc-js, anvil, OpenZeppelin) and solc adapter links."""
    node_modules, solcx = ROOT / "node_modules", ROOT / ".solcx"
    if not node_modules.is_dir() or not solcx.is_dir():
        raise CheckError("node_modules or .solcx missing: run `make setup` first")
    (tree / "node_modules").symlink_to(node_modules)
    (tree / ".solcx").mkdir()
    for entry in solcx.iterdir():
        link = tree / ".solcx" / entry.name
        if entry.is_symlink() and not os.path.isabs(os.readlink(entry)):
            link.symlink_to(os.readlink(entry))  # ../tools/solc-adapter.js: the copy's own adapter
        else:
            link.symlink_to(entry.resolve())
        if not link.exists():
            raise CheckError(f"{link} does not resolve")


def tool_env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    venv_bin = ROOT / ".venv" / "bin"
    env["PATH"] = os.pathsep.join([str(tree / "node_modules" / ".bin"), str(venv_bin), env.get("PATH", "")])
    env["SOLCX_BINARY_PATH"] = str(tree / ".solcx")
    env.setdefault("HYPOTHESIS_PROFILE", "dev")
    env.pop("PYTEST_ADDOPTS", None)
    return env


def venv_tool(name: str) -> str:
    candidate = ROOT / ".venv" / "bin" / name
    if candidate.exists():
        return str(candidate)
    found = sys.executable if name == "python" else shutil.which(name)
    if not found:
        raise CheckError(f"`{name}` not found: run `make setup` first")
    return found


def run(cmd: Sequence[str], tree: Path, logfile: Path, timeout: float) -> int | None:
    """Runs ``cmd`` in ``tree`` with its output in ``logfile``; the exit status, or None on timeout (the whole
    process group, anvil included, is then stopped)."""
    with logfile.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=tree, env=tool_env(tree), stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            return None
        except BaseException:  # Ctrl-C: the child runs in its own session, so stop it here
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            raise


def tail(logfile: Path, lines: int = 15) -> str:
    text = logfile.read_text(errors="replace").splitlines() if logfile.exists() else []
    return "\n".join("    " + line for line in text[-lines:])


def compile_tree(tree: Path) -> str | None:
    """``ape compile --force``; None when it worked, else the end of its output."""
    logfile = tree / "compile.log"
    status = run([venv_tool("ape"), "compile", "--force"], tree, logfile, timeout=900)
    if status == 0 and (tree / ".build" / "__local__.json").exists():
        return None
    return "ape compile timed out" if status is None else f"ape compile failed:\n{tail(logfile)}"


def strip_metadata(hexcode: str) -> bytes:
    """Bytecode without the trailing CBOR metadata (its source hash changes with any edit, comments included)."""
    hexcode = hexcode.removeprefix("0x")
    raw = bytes.fromhex(hexcode) if hexcode and "_" not in hexcode else b""
    if len(raw) >= 2:
        meta = int.from_bytes(raw[-2:], "big") + 2
        raw = raw[:-meta] if meta <= len(raw) else raw
    return raw


def compiled_code(tree: Path, source_file: str | None = None) -> dict[str, tuple[bytes, bytes]]:
    """The creation and runtime code of each contract defined in ``source_file`` (or in the whole project), without
    metadata."""
    manifest = json.loads((tree / ".build" / "__local__.json").read_text())
    return {
        name: (strip_metadata((contract.get("deploymentBytecode") or {}).get("bytecode") or ""),
               strip_metadata((contract.get("runtimeBytecode") or {}).get("bytecode") or ""))
        for name, contract in manifest.get("contractTypes", {}).items()
        if source_file is None or contract.get("sourceId") == source_file
    }


def code_changed(tree: Path, base: Path, source_file: str) -> bool:
    """The patch compiled to other code: the patched file's own contracts, or, when it has no code of its own (an
    abstract contract such as LoanNotes, a library of internal functions such as NoteMath), the contracts built on
    it."""
    own = compiled_code(base, source_file)
    if any(creation or runtime for creation, runtime in own.values()) and own != compiled_code(tree, source_file):
        return True
    return compiled_code(tree) != compiled_code(base)


def run_tests(tree: Path, node_ids: Iterable[str], label: str) -> tuple[int | None, list[Case], Path]:
    junit, logfile = tree / f"junit-{label}.xml", tree / f"pytest-{label}.log"
    cmd = [venv_tool("python"), "-m", "pytest", "-q", "-o", "junit_family=xunit1", f"--junitxml={junit}",
           *(pytest_escaped(n) for n in node_ids)]
    status = run(cmd, tree, logfile, timeout=1_800)
    return status, read_junit(junit), logfile


def read_junit(path: Path) -> list[Case]:
    if not path.exists():
        return []
    cases = []
    for case in ET.parse(path).getroot().iter("testcase"):
        file, name, classname = case.get("file", ""), case.get("name", ""), case.get("classname", "")
        owner = classname.rsplit(".", 1)[-1]
        node_id = f"{file}::{name}" if owner == Path(file).stem else f"{file}::{owner}::{name}"
        failed = any(child.tag in ("failure", "error") for child in case)
        if any(child.tag == "skipped" for child in case):
            continue
        cases.append(Case(node_id, passed=not failed))
    return cases


# ------------------------------------------------------------------------------------------------ patching


def patched(source: str, mutation: Mutation) -> tuple[str, list[str]]:
    """The mutated source, and what is wrong with the patch (empty when every search text matched as expected)."""
    problems = []
    for i, edit in enumerate(mutation.edits, 1):
        found = len(re.findall(edit.find, source)) if edit.regex else source.count(edit.find)
        if found != edit.count:
            shown = edit.find if len(edit.find) <= 100 else edit.find[:97] + "..."
            problems.append(f"{mutation.name}: edit {i} in {mutation.file}: expected {edit.count} match(es) of "
                            f"{shown!r}, found {found}")
            continue
        source = re.sub(edit.find, edit.replace, source) if edit.regex else source.replace(edit.find, edit.replace)
    return source, problems


def preflight(tree: Path, mutations: Sequence[Mutation]) -> None:
    problems = []
    for m in mutations:
        path = tree / m.file
        if not path.exists():
            problems.append(f"{m.name}: {m.file} does not exist")
            continue
        problems += patched(path.read_text(), m)[1]
        if not m.expect_killed and not m.why_it_survives:
            problems.append(f"{m.name}: expected to survive but no reason given")
    if problems:
        raise CheckError("stale mutations (update MUTATIONS in tools/mutation_check.py):\n  " + "\n  ".join(problems))


# ------------------------------------------------------------------------------------------------ the check


def check_mutation(m: Mutation, base: Path, work: Path, keep: bool) -> Result:
    started = time.monotonic()
    tree = work / m.name
    shutil.copytree(base, tree, symlinks=True, ignore=shutil.ignore_patterns("*.log", "junit-*.xml"))
    try:
        source, problems = patched((tree / m.file).read_text(), m)
        assert not problems, problems  # checked in preflight
        (tree / m.file).write_text(source)
        failure = compile_tree(tree)
        if failure:
            return Result(m, Outcome.ERROR, seconds=time.monotonic() - started, detail=failure)
        if not code_changed(tree, base, m.file):
            return Result(m, Outcome.ERROR, seconds=time.monotonic() - started,
                          detail="the patch compiled to the same code as the original (nothing was removed)")
        status, cases, logfile = run_tests(tree, m.tests, "mutant")
        seconds = time.monotonic() - started
        failed = [c for c in cases if not c.passed]
        if status == 0 and cases and not failed:
            return Result(m, Outcome.SURVIVED, 0, len(cases), seconds)
        if status == 1 and failed:
            return Result(m, Outcome.KILLED, len(failed), len(cases), seconds,
                          still_passing=[c.node_id for c in cases if c.passed])
        why = "pytest timed out" if status is None else f"pytest exited with status {status}"
        return Result(m, Outcome.ERROR, len(failed), len(cases), seconds, detail=f"{why}:\n{tail(logfile)}")
    finally:
        if not keep:
            shutil.rmtree(tree, ignore_errors=True)


def baseline(base: Path, mutations: Sequence[Mutation]) -> None:
    """Every mutation's tests pass on the unmutated copy."""
    wanted = list(dict.fromkeys(n for m in mutations for n in m.tests))
    log(f"baseline: {len(wanted)} test ids on the unmutated copy ...")
    started = time.monotonic()
    status, cases, logfile = run_tests(base, wanted, "baseline")
    problems = []
    for m in mutations:
        for node_id in m.tests:
            matched = [c for c in cases if selects(node_id, c)]
            if not matched:
                problems.append(f"{m.name}: no test ran for {node_id}")
            problems += [f"{m.name}: fails without the mutation: {c.node_id}" for c in matched if not c.passed]
    if status != 0 or problems:
        detail = "\n  ".join(problems) if problems else f"pytest exited with status {status}"
        raise CheckError(f"baseline failed:\n  {detail}\n{tail(logfile)}")
    log(f"baseline: {len(cases)} tests pass ({time.monotonic() - started:.0f} s)")


def print_table(results: Sequence[Result]) -> None:
    headers = ("mutation", "file", "tests", "result", "failing", "seconds", "verdict")
    rows = [(r.mutation.name, r.mutation.file.removeprefix("contracts/"), str(r.total or len(r.mutation.tests)),
             r.outcome.value, f"{r.failed}/{r.total}", f"{r.seconds:.0f}", r.verdict) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    line = "  ".join("{:<%d}" % w for w in widths)
    log("")
    log(line.format(*headers))
    log(line.format(*("-" * w for w in widths)))
    for row in rows:
        log(line.format(*row))


def print_details(results: Sequence[Result]) -> None:
    for r in results:
        if r.detail:
            log(f"\n{r.mutation.name}: {r.detail}")
        if r.still_passing:
            log(f"\n{r.mutation.name}: killed, but these of its tests still pass:")
            for node_id in r.still_passing:
                log(f"    {node_id}")
        if r.outcome is Outcome.SURVIVED and r.mutation.expect_killed:
            log(f"\n{r.mutation.name}: SURVIVED - no test fails when this is removed: {r.mutation.removes}")
        elif r.outcome is Outcome.SURVIVED:
            log(f"\n{r.mutation.name}: survives as expected - {r.mutation.why_it_survives}")
        elif r.outcome is Outcome.KILLED and not r.mutation.expect_killed:
            log(f"\n{r.mutation.name}: killed although expected to survive; set expect_killed=True for it")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [m.name for m in MUTATIONS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", metavar="NAME", choices=names,
                        help="run only this mutation (repeatable): " + ", ".join(names))
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies (their path is printed)")
    parser.add_argument("--head", action="store_true",
                        help="check the committed HEAD instead of the working tree")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for m in MUTATIONS:
            expectation = "killed" if m.expect_killed else "survives"
            log(f"{m.name} ({m.file}, expected {expectation}): {m.removes}")
            for node_id in m.tests:
                log(f"    {node_id}")
        return 0
    mutations = [m for m in MUTATIONS if not args.only or m.name in args.only]
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="disfruta-mutation-"))
    base = work / "base"
    results: list[Result] = []
    try:
        log(f"copy of the {'committed HEAD' if args.head else 'working tree'} in {work}")
        export_tree(base, from_head=args.head)
        link_toolchain(base)
        preflight(base, mutations)
        log("compiling the unmutated copy ...")
        failure = compile_tree(base)
        if failure:
            raise CheckError(f"the unmutated copy does not compile: {failure}")
        baseline(base, mutations)
        for i, m in enumerate(mutations, 1):
            log(f"[{i}/{len(mutations)}] {m.name}: {m.removes} ...")
            result = check_mutation(m, base, work, args.keep)
            results.append(result)
            log(f"[{i}/{len(mutations)}] {m.name}: {result.outcome.value} ({result.failed}/{result.total} failing, "
                f"{result.seconds:.0f} s) - {result.verdict}")
    except CheckError as exc:
        log(f"\nmutation check could not run: {exc}")
        return 2
    except KeyboardInterrupt:
        log("\ninterrupted")
        return 130
    finally:
        if args.keep:
            log(f"\nkept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print_table(results)
    print_details(results)
    bad = [r.mutation.name for r in results if not r.as_expected]
    log(f"\n{len(results)} mutations, {sum(r.outcome is Outcome.KILLED for r in results)} killed, "
        f"{sum(r.outcome is Outcome.SURVIVED for r in results)} survived, {len(bad)} not as expected; "
        f"total {time.monotonic() - started:.0f} s")
    if bad:
        log("FAILED: " + ", ".join(bad))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
