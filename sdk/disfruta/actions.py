"""Every user action of the protocol as a typed method (mixed into `Disfruta`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import to_checksum_address

from disfruta.attestations import CreditAttestation, KycAttestation
from disfruta.errors import ConfigurationError
from disfruta.models import AutoInvestCriteria, Receipt

if TYPE_CHECKING:
    from disfruta.client import Disfruta

MAX_UINT = 2**256 - 1


class ActionsMixin:
    """Writes. Each returns a `Receipt` with decoded events (and `return_value` where the contract returns one)."""

    # ------------------------------------------------------------------------------------------- registry

    def register_with_attestations(self: Disfruta, kyc: KycAttestation, kyc_signature: bytes, signer: str,
                                   credit: CreditAttestation | None = None,
                                   credit_signature: bytes | None = None) -> Receipt:
        """Submits oracle-signed KYC (and credit) attestations in one transaction; anyone may send them."""
        calls = [self.registry.encode_abi("submitKycAttestation", args=[kyc.as_tuple(), signer, kyc_signature])]
        if credit is not None:
            if credit_signature is None:
                raise ValueError("a credit attestation needs its signature")
            calls.append(self.registry.encode_abi("submitCreditAttestation",
                                                  args=[credit.as_tuple(), signer, credit_signature]))
        return self.send(self.registry.functions.multicall(calls))

    def submit_credit_attestation(self: Disfruta, credit: CreditAttestation, signature: bytes,
                                  signer: str) -> Receipt:
        return self.send(self.registry.functions.submitCreditAttestation(credit.as_tuple(), signer, signature))

    def register_user(self: Disfruta, kyc_hash: bytes, roles: int) -> Receipt:
        """The admin path, step 1: register as pending with a salted KYC commitment."""
        return self.send(self.registry.functions.registerUser(kyc_hash, int(roles)))

    def verify_user(self: Disfruta, user: str) -> Receipt:
        """The admin path, step 2 (KYC admin role)."""
        return self.send(self.registry.functions.verifyUser(to_checksum_address(user)))

    def update_kyc(self: Disfruta, new_kyc_hash: bytes) -> Receipt:
        return self.send(self.registry.functions.updateKYC(new_kyc_hash))

    def revoke_user(self: Disfruta, user: str, reason: bytes = b"") -> Receipt:
        return self.send(self.registry.functions.revokeUser(to_checksum_address(user), reason.ljust(32, b"\0")))

    # ------------------------------------------------------------------------------------------- borrower

    def apply(self: Disfruta, amount: int, term_months: int, purpose: int = 0,
              funding_period: int = 14 * 86_400) -> Receipt:
        """Applies for a loan; ``receipt.return_value`` is ``(loan_id, loan_address)``."""
        receipt = self.send(self.factory.functions.createLoan(amount, term_months, purpose, funding_period))
        created = receipt.find("LoanCreated")[0]
        return Receipt(receipt.tx_hash, receipt.block, receipt.gas_used, receipt.events,
                       (created.args["loanId"], created.args["loan"]))

    def accept_partial_funding(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.loan_contract(loan).functions.acceptPartialFunding())

    def withdraw_funds(self: Disfruta, loan: int | str) -> Receipt:
        """Draws the principal (less the origination fee); the first installment falls due 30 days later."""
        return self.send(self.loan_contract(loan).functions.withdrawFunds())

    def repay(self: Disfruta, loan: int | str, amount: int) -> Receipt:
        """Pays ``amount`` (late fees → interest → principal); approves the loan for it first if needed."""
        contract = self.loan_contract(loan)
        self._ensure_allowance(contract.address, amount)
        return self.send(contract.functions.makeRepayment(amount))

    def repay_installment(self: Disfruta, loan: int | str) -> Receipt:
        """Pays what is due now, or the next installment early when nothing is due yet."""
        contract = self.loan_contract(loan)
        due = contract.functions.amountDue().call()
        payoff = contract.functions.payoffAmount().call()
        if due == 0:
            due = min(contract.functions.terms().call()[9], payoff)
        if due >= payoff:
            # The last installment is the whole balance; interest accrues until the block lands, so pay it off
            # rather than a figure read a block early (which would leave a few units owed).
            return self.pay_off(contract.address)
        return self.repay(contract.address, due)

    def pay_off(self: Disfruta, loan: int | str) -> Receipt:
        """Repays the loan in full (no prepayment penalty)."""
        contract = self.loan_contract(loan)
        # A second's more interest may accrue before the transaction lands: allow a margin, pay only what is owed.
        payoff = contract.functions.payoffAmount().call()
        self._ensure_allowance(contract.address, payoff + payoff // 10_000 + 1)
        return self.send(contract.functions.makeRepayment(MAX_UINT))

    # ------------------------------------------------------------------------------------------- lender

    def fund(self: Disfruta, loan: int | str, amount: int) -> Receipt:
        """Funds ``amount`` (a multiple of the minimum note) from the wallet; the notes come to this account."""
        contract = self.loan_contract(loan)
        self._ensure_allowance(contract.address, amount)
        return self.send(contract.functions.fundLoan(amount))

    def claim(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.loan_contract(loan).functions.claim())

    def refund(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.loan_contract(loan).functions.refund())

    def transfer_notes(self: Disfruta, loan: int | str, to: str, amount: int) -> Receipt:
        return self.send(self.loan_contract(loan).functions.transfer(to_checksum_address(to), amount))

    def deposit(self: Disfruta, amount: int) -> Receipt:
        """Moves ``amount`` from the wallet into the lending-pool account."""
        self._ensure_allowance(self.pool.address, amount)
        return self.send(self.pool.functions.deposit(amount))

    def withdraw_cash(self: Disfruta, amount: int) -> Receipt:
        """Moves idle cash from the lending-pool account back to the wallet (never paused)."""
        return self.send(self.pool.functions.withdraw(amount))

    def invest(self: Disfruta, loan: int | str, amount: int) -> Receipt:
        return self.send(self.pool.functions.invest(self.loan_contract(loan).address, amount))

    def set_auto_invest(self: Disfruta, criteria: AutoInvestCriteria) -> Receipt:
        return self.send(self.pool.functions.setCriteria(criteria.as_tuple()))

    def auto_invest(self: Disfruta, loan: int | str, lenders: list[str]) -> Receipt:
        """Runs auto-invest for ``lenders`` (anyone may; each is re-checked on chain and skipped if not eligible)."""
        return self.send(self.pool.functions.autoInvest(self.loan_contract(loan).address,
                                                        [to_checksum_address(x) for x in lenders]))

    def claim_returns(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.pool.functions.claimReturns(self.loan_contract(loan).address))

    # ------------------------------------------------------------------------------------------- operations

    def approve_loan(self: Disfruta, loan_id: int) -> Receipt:
        return self.send(self.factory.functions.approveLoan(loan_id))

    def reject_loan(self: Disfruta, loan_id: int, reason: bytes = b"") -> Receipt:
        return self.send(self.factory.functions.rejectLoan(loan_id, reason.ljust(32, b"\0")))

    def pause_loan(self: Disfruta, loan_id: int) -> Receipt:
        return self.send(self.factory.functions.pauseLoan(loan_id))

    def unpause_loan(self: Disfruta, loan_id: int) -> Receipt:
        return self.send(self.factory.functions.unpauseLoan(loan_id))

    def expire(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.loan_contract(loan).functions.expire())

    def handle_default(self: Disfruta, loan: int | str) -> Receipt:
        """Declares a loan 120+ days past due in default; the Treasury's cover goes to its lenders."""
        return self.send(self.loan_contract(loan).functions.handleDefault())

    def sweep_fees(self: Disfruta, loan: int | str) -> Receipt:
        return self.send(self.loan_contract(loan).functions.sweepFees())

    def fund_reserve(self: Disfruta, amount: int) -> Receipt:
        self._ensure_allowance(self.treasury.address, amount)
        return self.send(self.treasury.functions.fundReserve(amount))

    # ------------------------------------------------------------------------------------------- helpers

    def _ensure_allowance(self: Disfruta, spender: str, amount: int) -> None:
        owner = self.address
        if self.token.functions.allowance(owner, spender).call() >= amount:
            return
        balance = self.token.functions.balanceOf(owner).call()
        if balance < amount:
            raise ConfigurationError(
                f"{owner} holds {self.from_units(balance)} tokens, needs {self.from_units(amount)}")
        self.send(self.token.functions.approve(spender, amount))
