"""``client.market``: the secondary market for loan notes (`NoteMarket`).

A lender lists notes of a loan at a premium or discount to their outstanding principal *at the moment of purchase*;
nothing is escrowed (the seller approves the market on the loan's notes and keeps claiming until a sale); a buyer
takes all or part of a listing, naming the listing's version so a listing changed meanwhile is not bought blind. The
price, the seller fee within it and the buyer's yield of a listing come from the contract's own views (`quote`);
``cash_flows``, ``fair_value`` and ``yield_at`` compute the same figures here with `disfruta.valuation` (bit for bit
the market's views) from one read of the loan, so a bot can value notes at many rates without a call per rate.

Listings are enumerated from the ``Listed`` events (the loan and the seller are indexed topics: one ``eth_getLogs``),
then their current state is read in one Multicall3 call (one ``listingsOf`` per loan), then the prices of the live
ones in one more.

>>> version = client.market.list(loan_id, notes=500 * 10**6, premium_bps=-300).return_value   # doctest: +SKIP
>>> [x.seller for x in client.market.listings(loan_id=loan_id)]                                 # doctest: +SKIP
>>> buyer.market.buy(loan_id, seller, 200 * 10**6).return_value     # the price paid           # doctest: +SKIP
"""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Generic

from eth_utils import to_canonical_address, to_checksum_address

from disfruta.api.loans import FACTORY, LOAN, Loan, LoansAPI, _positive
from disfruta.api.session import BaseSession, R, with_return_value
from disfruta.api.token import TokenAPI
from disfruta.codec import codec_for, decode_struct
from disfruta import errors
from disfruta.errors import ConfigurationError, DisfrutaError
from disfruta.models import Listing, ListingState, LoanStatus, Quote, Trade
from disfruta.multicall import BlockId, Call, block_param
from disfruta.tx import TxCall
from disfruta.valuation import LoanState, present_value, remaining_flows, scale, yield_to_maturity

MARKET = codec_for("NoteMarket")

# The premium's range on chain (`NoteMarket.MIN_PREMIUM_BPS` / `MAX_PREMIUM_BPS`): a price between 0.01 % and 200 %
# of the notes' outstanding principal.
MIN_PREMIUM_BPS = -9_999
MAX_PREMIUM_BPS = 10_000
# `buy`'s default headroom over the quote: the interest the notes accrue between the quote and the purchase's block.
PRICE_SLACK_BPS = 10


def _topic(address: str) -> str:
    return "0x" + to_canonical_address(address).rjust(32, b"\0").hex()


def contract_address(session: BaseSession[Any], name: str, what: str) -> str:
    """The address of an optional market contract, or a `ConfigurationError` saying the deployment predates it."""
    if name not in session.core.deployment.contracts:
        raise ConfigurationError(f"this deployment has no {name}, so {what} is not available on it (deployed before "
                                 f"the note market and autopay: add {name}'s address to the deployment file)")
    return session.core.address(name)


class MarketAPI(Generic[R]):
    """The note market (``client.market``): list, cancel, buy; listings, quotes and trades.

    Amounts are token units; 1 note = 1 token unit of principal funded. ``premium_bps`` is signed: −500 lists at a
    5 % discount to the notes' outstanding principal, +200 at a 2 % premium."""

    def __init__(self, session: BaseSession[R], token: TokenAPI[R], loans: LoansAPI[R]) -> None:
        self._s: BaseSession[R] = session
        self._token: TokenAPI[R] = token
        self._loans: LoansAPI[R] = loans

    @property
    def available(self) -> bool:
        """Whether this deployment has a note market."""
        return "NoteMarket" in self._s.core.deployment.contracts

    @property
    def address(self) -> str:
        """The NoteMarket's address (`ConfigurationError` on a deployment without one)."""
        return contract_address(self._s, "NoteMarket", "the note market")

    # ------------------------------------------------------------------------------------------- sellers

    def list(self, loan: Loan, notes: int, premium_bps: int, expiry: int | None = None) -> R:
        """Lists ``notes`` of ``loan`` (or replaces this account's listing of it) at ``premium_bps`` to their
        outstanding principal, until ``expiry`` (a unix time; ``None``: no expiry). Approves the market on the loan's
        notes first when its allowance is short of ``notes`` (a second transaction). The receipt's
        ``return_value`` is the listing's new version."""
        _positive("notes", notes)
        _premium(premium_bps)
        if expiry is not None and (isinstance(expiry, bool) or not isinstance(expiry, int) or expiry < 1):
            raise ValueError(f"expiry is a unix time in seconds (or None for none), got {expiry!r}")
        market, address = self.address, self._loans.address(loan)
        # The notes are the loan's own ERC-20: the market moves them at a sale, as the seller's approved spender.
        TokenAPI(self._s, address).ensure_allowance(market, notes)
        return self._s.send(TxCall(market, MARKET.function("list"), (address, notes, premium_bps, expiry or 0)),
                            post=with_return_value(lambda r: int(r.one("Listed").args["version"])))

    def cancel(self, loan: Loan) -> R:
        """Withdraws this account's listing on ``loan`` (always works, paused or not). The market's allowance on the
        loan's notes stays: without a listing it moves nothing."""
        return self._s.send(TxCall(self.address, MARKET.function("cancel"), (self._loans.address(loan),)))

    # ------------------------------------------------------------------------------------------- buyers

    def buy(self, loan: Loan, seller: str, notes: int, max_price: int | None = None) -> R:
        """Buys ``notes`` of ``seller``'s listing on ``loan`` (or what is left of it, if less). Reads the listing's
        version and its quote first (one round trip: a cancelled or sold-out listing raises ``MarketNoListing``
        here), pays at most ``max_price``, approving the market for that much of the token first when the allowance
        is short. The default maximum is the quote plus ``PRICE_SLACK_BPS`` (0.1 %): the price includes the interest
        accrued by the second until the block that buys (at 36 % APR that is 0.1 % of the principal in a day); a
        repayment before the purchase can only lower it. The receipt's ``return_value`` is the price paid."""
        _positive("notes", notes)
        market, address, seller = self.address, self._loans.address(loan), to_checksum_address(seller)
        state, quoted = self._s.core.read([Call(market, MARKET.function("listing"), (address, seller)),
                                           Call(market, MARKET.function("quote"), (address, seller, notes))])
        listing = decode_struct(ListingState, state)
        quote = int(quoted["price"])
        limit = quote + quote * PRICE_SLACK_BPS // 10_000 if max_price is None else max_price
        _positive("max_price", limit)
        self._token.ensure_allowance(market, limit)
        return self._s.send(TxCall(market, MARKET.function("buy"), (address, seller, notes, limit, listing.version)),
                            post=with_return_value(lambda r: int(r.one("NotesSold").args["price"])))

    # ------------------------------------------------------------------------------------------- reads

    def quote(self, loan: Loan, seller: str, notes: int, block: BlockId = "latest") -> Quote:
        """What buying ``notes`` of ``seller``'s listing on ``loan`` costs now: price, seller fee, buyer's yield."""
        _positive("notes", notes)
        q = self._s.core.call(self.address, "NoteMarket", "quote", self._loans.address(loan),
                              to_checksum_address(seller), notes, block=block)
        return _quote(notes, q)

    def cash_flows(self, loan: Loan, notes: int, block: BlockId = "latest") -> builtins.list[tuple[int, int]]:
        """What ``notes`` of ``loan`` will receive, as (date, amount) pairs, if the borrower pays what is due on each
        due date (net of the servicing fee; the market's ``cashFlows`` view), computed here from one read of the
        loan's terms and position at ``block`` and that block's time."""
        _positive("notes", notes)
        address = self._loans.address(loan)
        (terms, position), info = self._s.core.read_at(
            [Call(address, LOAN.function("terms"), ()), Call(address, LOAN.function("position"), ())], block)
        status = int(position["status"])
        if status != int(LoanStatus.ACTIVE):  # what the market's view answers
            raise errors.MarketLoanNotActive({"loan": address, "status": status})
        state = LoanState(
            outstanding=int(position["principalOutstanding"]), interest_owed=int(position["interestOwed"]),
            late_fees_owed=int(position["lateFeesOwed"]), payment=int(terms["monthlyPayment"]),
            paid=int(position["paidTowardSchedule"]), annual_rate_bps=int(terms["annualRateBps"]),
            term_months=int(terms["termMonths"]), start_time=int(position["startTime"]),
            servicing_fee_bps=int(terms["servicingFeeBps"]))
        flows = remaining_flows(state, info.timestamp)
        amounts = scale([amount for _, amount in flows], notes, int(terms["principal"]))
        return [(date, amount) for (date, _), amount in zip(flows, amounts, strict=True)]

    def fair_value(self, loan: Loan, notes: int, annual_rate_wad: int, block: BlockId = "latest") -> int:
        """The present value of ``notes``' remaining cash flows at ``annual_rate_wad`` (1e18 = 100 %): the market's
        ``fairValue`` view, computed here."""
        flows, now = self._flows_at(loan, notes, block)
        return present_value(flows, now, annual_rate_wad)

    def yield_at(self, loan: Loan, notes: int, price: int, block: BlockId = "latest") -> int:
        """The buyer's yield to maturity (annual, 1e18 = 100 %) when paying ``price`` for ``notes`` of ``loan``: the
        market's ``yieldAt`` view, computed here."""
        flows, now = self._flows_at(loan, notes, block)
        return yield_to_maturity(flows, now, price)

    def _flows_at(self, loan: Loan, notes: int, block: BlockId) -> tuple[builtins.list[tuple[int, int]], int]:
        # the flows' own read pins the time: a block number keeps both reads on one block
        number = block if isinstance(block, int) else self._s.core.head().number
        flows = self.cash_flows(loan, notes, number)
        return flows, self._s.core.block_timestamps([number])[number]

    def listing(self, loan: Loan, seller: str, block: BlockId = "latest") -> Listing:
        """``seller``'s listing on ``loan`` as it stands (``notes`` = 0: none, cancelled or sold out; then ``quote``
        is ``None``): two round trips (the listing, then its price and what can be bought)."""
        address, seller = self._loans.address(loan), to_checksum_address(seller)
        state = decode_struct(ListingState, self._s.core.call(self.address, "NoteMarket", "listing", address, seller,
                                                              block=block))
        return self._priced([(address, seller, state)], block)[0]

    def listings(self, loan_id: Loan | None = None, seller: str | None = None,
                 block: BlockId = "latest") -> builtins.list[Listing]:
        """The live listings (not cancelled, sold out or expired), of one loan and/or one seller or all, by loan
        and then cheapest premium first: the ``Listed`` events (one round trip), the listings' current state (one
        ``listingsOf`` per loan, all in one Multicall3 call) and their prices now (one more)."""
        market = self.address
        loan = self._loans.address(loan_id) if loan_id is not None else None
        who = to_checksum_address(seller) if seller is not None else None
        events = self._s.core.get_logs(names=["Listed"], address=market, to_block=block,
                                       topics=[_topic(loan) if loan else None, _topic(who) if who else None])
        sellers: dict[str, list[str]] = defaultdict(builtins.list)
        for e in events:
            if e.args["seller"] not in sellers[e.args["loan"]]:
                sellers[e.args["loan"]].append(e.args["seller"])
        if not sellers:
            return []
        calls = [Call(market, MARKET.function("listingsOf"), (a, s)) for a, s in sellers.items()]
        states, head = self._s.core.read_at(calls, block)
        live = [(a, s, decode_struct(ListingState, raw))
                for (a, ss), rows in zip(sellers.items(), states, strict=True)
                for s, raw in zip(ss, rows, strict=True)]
        live = [(a, s, x) for a, s, x in live if x.notes and not (x.expiry and head.timestamp > x.expiry)]
        rows = self._priced(live, head.number) if live else []
        return sorted(rows, key=lambda x: (x.loan_id, x.premium_bps, x.seller))

    def trades(self, loan_id: Loan | None = None, account: str | None = None,
               block: BlockId = "latest") -> builtins.list[Trade]:
        """Purchases on the market (``NotesSold``), oldest first: of one loan and/or where ``account`` sold or
        bought. Three round trips (the events in one ``eth_getLogs`` batch, their blocks' times, the loans' ids)."""
        core, market = self._s.core, self.address
        loan = _topic(self._loans.address(loan_id)) if loan_id is not None else None
        sold = core.topics_of(["NotesSold"])
        # The account as the seller (topic 2) or as the buyer (topic 3): two filters in one batch.
        shapes = [[sold, loan, _topic(account)], [sold, loan, None, _topic(account)]] if account is not None \
            else [[sold, loan]]
        filters = [{"address": market, "fromBlock": hex(core.deployment.block), "toBlock": block_param(block),
                    "topics": _trimmed(shape)} for shape in shapes]
        seen: set[tuple[str, int]] = set()
        logs = []
        for log in (x for answer in core.fetch_logs(filters) for x in answer):
            key = (str(log["transactionHash"]), int(log["logIndex"], 16))
            if key not in seen:
                seen.add(key)
                logs.append(log)
        logs.sort(key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16)))
        events = core.decode_logs(logs)
        if not events:
            return []
        times = core.block_timestamps([e.block for e in events])
        ids = self._ids(sorted({e.args["loan"] for e in events}), block)
        return [Trade(loan_id=ids[e.args["loan"]], loan=e.args["loan"], seller=e.args["seller"],
                      buyer=e.args["buyer"], notes=int(e.args["notes"]), price=int(e.args["price"]),
                      fee=int(e.args["fee"]), version=int(e.args["version"]), block=e.block, tx_hash=e.tx_hash,
                      timestamp=times[e.block]) for e in events]

    def sweep_fees(self) -> R:
        """Books the seller fees already sent to the Treasury as trading fees (anyone may; the keeper does)."""
        return self._s.send(TxCall(self.address, MARKET.function("sweepFees"), ()))

    def fees_pending(self, block: BlockId = "latest") -> int:
        """Seller fees in the Treasury not yet booked there (``sweep_fees``)."""
        return int(self._s.core.call(self.address, "NoteMarket", "feesPending", block=block))

    def seller_fee_bps(self, block: BlockId = "latest") -> int:
        """The seller fee, in basis points of the price (to the Treasury)."""
        return int(self._s.core.call(self.address, "NoteMarket", "sellerFeeBps", block=block))

    # ------------------------------------------------------------------------------------------- internals

    def _priced(self, rows: Sequence[tuple[str, str, ListingState]], block: BlockId) -> builtins.list[Listing]:
        """Listings with their loan id, what can be bought now (the seller's notes and allowance) and their quote,
        in one round trip; a quote the market refuses (the loan is not active any more …) is ``None``."""
        market = self.address
        calls: builtins.list[Call] = []
        for loan, seller, state in rows:
            calls += [Call(self._loans.factory, FACTORY.function("loanIdOf"), (loan,)),
                      Call(loan, LOAN.function("balanceOf"), (seller,)),
                      Call(loan, LOAN.function("allowance"), (seller, market)),
                      Call(market, MARKET.function("quote"), (loan, seller, max(state.notes, 1)))]
        values = self._s.core.read(calls, block, allow_failure=True)
        out = []
        for n, (loan, seller, state) in enumerate(rows):
            loan_id, held, allowed, quoted = values[4 * n:4 * n + 4]
            for v in (loan_id, held, allowed):
                if isinstance(v, DisfrutaError):
                    raise v
            self._loans.remember(int(loan_id), loan)
            quote = _quote(state.notes, quoted) if state.notes and not isinstance(quoted, DisfrutaError) else None
            out.append(Listing(loan_id=int(loan_id), loan=loan, seller=seller, notes=state.notes,
                               premium_bps=state.premium_bps, expiry=state.expiry, version=state.version,
                               available=min(state.notes, int(held), int(allowed)), quote=quote))
        return out

    def _ids(self, loans: Sequence[str], block: BlockId) -> dict[str, int]:
        ids = self._s.core.read([Call(self._loans.factory, FACTORY.function("loanIdOf"), (a,)) for a in loans], block)
        for address, loan_id in zip(loans, ids, strict=True):
            self._loans.remember(int(loan_id), address)
        return {a: int(i) for a, i in zip(loans, ids, strict=True)}


def _trimmed(topics: builtins.list[Any]) -> builtins.list[Any]:
    """A topic filter without trailing wildcards."""
    out = builtins.list(topics)
    while out and out[-1] is None:
        out.pop()
    return out


def _quote(notes: int, value: dict[str, Any]) -> Quote:
    return Quote(notes=notes, price=int(value["price"]), fee=int(value["fee"]), yield_wad=int(value["yieldWad"]))


def _premium(premium_bps: int) -> None:
    if isinstance(premium_bps, bool) or not isinstance(premium_bps, int) or not (
            MIN_PREMIUM_BPS <= premium_bps <= MAX_PREMIUM_BPS):
        raise ValueError(f"premium_bps is a whole number of basis points from {MIN_PREMIUM_BPS} (a 99.99 % discount) "
                         f"to {MAX_PREMIUM_BPS} (a 100 % premium), got {premium_bps!r}")
