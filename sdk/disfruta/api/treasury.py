"""``client.treasury``: fees by type, the reserve, default cover."""

from __future__ import annotations

from typing import Generic

from disfruta.api.loans import _positive
from disfruta.api.session import BaseSession, R
from disfruta.api.token import TokenAPI
from disfruta.codec import codec_for
from disfruta.models import TreasuryInfo
from disfruta.multicall import BlockId, Call
from disfruta.tx import TxCall

TREASURY = codec_for("Treasury")
ORIGINATION, SERVICING, SURPLUS = 0, 1, 2  # ITreasury.FeeType


class TreasuryAPI(Generic[R]):
    """The treasury (``client.treasury``): fees by type, the reserve and its default cover."""
    def __init__(self, session: BaseSession[R], token: TokenAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._token: TokenAPI[R] = token
        self.address = session.core.address("Treasury")

    def info(self, block: BlockId = "latest") -> TreasuryInfo:
        """Reserve, fees and policy: one round trip."""
        fn = TREASURY.function
        reserve, available, origination, servicing, surplus, used, recovered, policy = self._s.core.read([
            Call(self.address, fn("reserve")), Call(self.address, fn("availableFees")),
            Call(self.address, fn("feesCollected"), (ORIGINATION,)),
            Call(self.address, fn("feesCollected"), (SERVICING,)),
            Call(self.address, fn("feesCollected"), (SURPLUS,)),
            Call(self.address, fn("reserveUsed")), Call(self.address, fn("reserveRecovered")),
            Call(self.address, fn("policy"))], block)
        return TreasuryInfo(reserve=reserve, available_fees=available, origination_fees=origination,
                            servicing_fees=servicing, reserve_used=used,
                            reserve_share_bps=policy["reserveShareBps"], default_cover_bps=policy["defaultCoverBps"],
                            surplus_swept=surplus, reserve_recovered=recovered)

    def cover_for(self, principal_outstanding: int, block: BlockId = "latest") -> int:
        """What the reserve would pay on a default with this much principal outstanding."""
        return int(self._s.core.call(self.address, "Treasury", "coverFor", principal_outstanding, block=block))

    def fund_reserve(self, amount: int) -> R:
        """Adds ``amount`` from the wallet to the reserve (anyone may)."""
        _positive("amount", amount)
        self._token.ensure_allowance(self.address, amount)
        return self._s.send(TxCall(self.address, TREASURY.function("fundReserve"), (amount,)))
