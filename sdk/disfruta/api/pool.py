"""``client.pool``: a lender's cash account, auto-invest criteria, investing from it and claiming back into it."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Generic

from eth_utils import to_checksum_address

from disfruta.api.loans import Loan, LoansAPI, _positive
from disfruta.api.session import BaseSession, R
from disfruta.api.token import TokenAPI
from disfruta.codec import codec_for
from disfruta.models import AutoInvestCriteria
from disfruta.multicall import BlockId, Call
from disfruta.tx import TxCall

POOL = codec_for("LendingPool")


class PoolAPI(Generic[R]):
    """The lending pool (``client.pool``): a lender's idle cash, auto-invest criteria and investing from the account."""
    def __init__(self, session: BaseSession[R], token: TokenAPI[R], loans: LoansAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._token: TokenAPI[R] = token
        self._loans: LoansAPI[R] = loans
        self.address = session.core.address("LendingPool")

    # ------------------------------------------------------------------------------------------- reads

    def balance(self, lender: str, block: BlockId = "latest") -> int:
        """Idle cash in ``lender``'s account (token units)."""
        return int(self._s.core.call(self.address, "LendingPool", "lenderBalances", to_checksum_address(lender),
                                     block=block))

    def criteria(self, lender: str, block: BlockId = "latest") -> AutoInvestCriteria:
        """``lender``'s auto-invest criteria (``enabled=False`` when none are set)."""
        raw = self._s.core.call(self.address, "LendingPool", "criteriaOf", to_checksum_address(lender), block=block)
        return AutoInvestCriteria.from_struct(raw)

    def accounts(self, lenders: Sequence[str], block: BlockId = "latest") -> list[tuple[int, AutoInvestCriteria]]:
        """(cash, criteria) of many lenders in one round trip."""
        addresses = [to_checksum_address(x) for x in lenders]
        calls = [c for a in addresses for c in (Call(self.address, POOL.function("lenderBalances"), (a,)),
                                                 Call(self.address, POOL.function("criteriaOf"), (a,)))]
        values = self._s.core.read(calls, block)
        return [(int(values[2 * i]), AutoInvestCriteria.from_struct(values[2 * i + 1])) for i in range(len(addresses))]

    def invested(self, lender: str, loan: Loan, block: BlockId = "latest") -> int:
        return int(self._s.core.call(self.address, "LendingPool", "invested", to_checksum_address(lender),
                                     self._loans.address(loan), block=block))

    # ------------------------------------------------------------------------------------------- writes

    def deposit(self, amount: int) -> R:
        """Moves ``amount`` from the wallet into this lender's pool account (approving the pool first if needed)."""
        _positive("amount", amount)
        self._token.ensure_allowance(self.address, amount)
        return self._s.send(TxCall(self.address, POOL.function("deposit"), (amount,)))

    def withdraw(self, amount: int) -> R:
        """Moves idle cash back to the wallet (works while paused)."""
        _positive("amount", amount)
        return self._s.send(TxCall(self.address, POOL.function("withdraw"), (amount,)))

    def invest(self, loan: Loan, amount: int) -> R:
        """Buys notes of ``loan`` with the account's cash."""
        _positive("amount", amount)
        return self._s.send(TxCall(self.address, POOL.function("invest"), (self._loans.address(loan), amount)))

    def set_criteria(self, criteria: AutoInvestCriteria) -> R:
        """Replaces this lender's auto-invest criteria (checked on chain at every investment)."""
        return self._s.send(TxCall(self.address, POOL.function("setCriteria"), (criteria.to_struct(),)))

    def disable_auto_invest(self) -> R:
        """Keeps the criteria but stops auto-invest for this lender."""
        return self.set_criteria(dataclasses.replace(self.criteria(self._s.address), enabled=False))

    def auto_invest(self, loan: Loan, lenders: Sequence[str]) -> R:
        """Anyone (the keeper): invests for each of ``lenders`` whose criteria ``loan`` meets (re-checked on chain;
        the others are skipped with a reason event)."""
        return self._s.send(TxCall(self.address, POOL.function("autoInvest"),
                                   (self._loans.address(loan), [to_checksum_address(x) for x in lenders])))

    def claim_returns(self, loan: Loan) -> R:
        """Claims this lender's share of ``loan``'s repayments into the pool account."""
        return self._s.send(TxCall(self.address, POOL.function("claimReturns"), (self._loans.address(loan),)))
