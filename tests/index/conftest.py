"""Fixtures of the index tests: an index database per test, an indexer on the test chain, and a lifecycle that puts
every kind of event on chain (several loans and lenders, fundings direct and through the pool, repayments, late
fees, claims, note transfers, a default covered by the reserve and a recovery, an expiry with refunds, a rejection,
fee sweeps, a credit revocation)."""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from typing import Any

import pytest
from conftest import DAY, MAX_UINT, PERIOD
from disfruta.attestations import Role
from disfruta.index.db import make_engine, upgrade
from disfruta.index.sync import Indexer
from disfruta.rpc import Rpc

ALL_PURPOSES = (1 << 8) - 1


@pytest.fixture
def index_url(tmp_path) -> str:
    """A fresh index database: SQLite in the test's folder, or PostgreSQL when DISFRUTA_TEST_PG_URL is set and the
    test asks for it (``pg_index_url``)."""
    return str(tmp_path / "index.db")


@pytest.fixture
def pg_index_url() -> Any:
    """An empty PostgreSQL database of its own (``<DISFRUTA_TEST_PG_URL's database>_index``, created once; one per
    pytest-xdist worker, ``…_index_gw0`` …, so two workers never empty each other's), so the oracle's tests on the
    same server are never touched; skipped unless DISFRUTA_TEST_PG_URL is set (CI sets it)."""
    url = os.environ.get("DISFRUTA_TEST_PG_URL")
    if not url:
        pytest.skip("DISFRUTA_TEST_PG_URL is not set")
    from sqlalchemy import create_engine, make_url, text

    base = make_url(url)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    name = f"{base.database}_index" + (f"_{worker}" if worker.isalnum() else "")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first() is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    target = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(target)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return target


@pytest.fixture
def make_indexer(chain, deployment):
    """``make_indexer(url, **options)``: an indexer of the test market on the test chain (schema migrated)."""

    def make(url: str, rpc: Rpc | None = None, **kwargs: Any) -> Indexer:
        engine = make_engine(url)
        upgrade(engine)
        return Indexer(engine, rpc or Rpc(chain.provider.web3), deployment, **kwargs)

    return make


@pytest.fixture
def indexer(make_indexer, index_url) -> Indexer:
    return make_indexer(index_url)


@dataclass
class Lifecycle:
    loans: dict[str, Any]
    lenders: list[Any]
    pool_lender: Any


@pytest.fixture
def lifecycle(market, chain, borrower, underwriter, stranger, revoker, lenders, lender, onboard, create_loan, unit):
    """Runs a random lifecycle (seeded) over five loans; returns the loans by role."""

    def run(seed: int = 1) -> Lifecycle:
        rnd = random.Random(seed)
        asset, pool, treasury = market.asset, market.pool, market.treasury
        for who in [*lenders, lender]:
            onboard(who, Role.LENDER)

        def fund(loan: Any, who: Any, tokens: int) -> None:
            asset.mint(who, tokens * unit, sender=who)
            asset.approve(loan, tokens * unit, sender=who)
            loan.fundLoan(tokens * unit, sender=who)

        def pay(loan: Any, amount: int, payer: Any = borrower) -> None:
            mint = amount if amount != MAX_UINT else 10**9 * unit
            asset.mint(payer, mint, sender=payer)
            asset.approve(loan, mint, sender=payer)
            loan.makeRepayment(amount, sender=payer)

        def split(total_tokens: int, parts: int) -> list[int]:
            notes = total_tokens // 25
            cuts = sorted(rnd.sample(range(1, notes), parts - 1))
            return [25 * (b - a) for a, b in zip([0, *cuts], [*cuts, notes], strict=True)]

        # The pool: a deposit, criteria, a direct invest (in loan "active" below), a withdrawal.
        asset.mint(lender, 3_000 * unit, sender=lender)
        asset.approve(pool, 3_000 * unit, sender=lender)
        pool.deposit(3_000 * unit, sender=lender)
        pool.setCriteria((True, 1, 25, 0, 10_000, 60, ALL_PURPOSES, 100 * unit, 1_000 * unit, 0), sender=lender)
        pool.withdraw(rnd.randrange(1, 10) * 25 * unit, sender=lender)

        active = create_loan(amount_tokens=10_000, term=12, grade=8, purpose=rnd.randrange(8))
        doomed = create_loan(amount_tokens=5_000, term=6, purpose=rnd.randrange(8))
        expiring = create_loan(amount_tokens=4_000, term=24, grade=5, funding_period=7 * DAY)
        rejected = create_loan(amount_tokens=2_000, term=12, approve=False)
        pending = create_loan(amount_tokens=1_000, term=36, approve=False)
        market.factory.rejectLoan(rejected.loanId(), b"\x01" * 32, sender=underwriter)

        pool.invest(active, 1_000 * unit, sender=lender)
        for who, tokens in zip(lenders[:3], split(9_000, 3), strict=True):
            fund(active, who, tokens)
        for who, tokens in zip(lenders[1:], split(5_000, 3), strict=True):
            fund(doomed, who, tokens)
        fund(expiring, lenders[0], 1_000)
        fund(expiring, lenders[3], 500)
        active.withdrawFunds(sender=borrower)
        doomed.withdrawFunds(sender=borrower)
        pool.setCriteria((False, 1, 25, 0, 10_000, 60, ALL_PURPOSES, 0, 0, 0), sender=lender)

        # The expiry: past the deadline below 70 % funded; each lender takes a refund.
        chain.pending_timestamp = expiring.position().fundingDeadline + 1
        expiring.expire(sender=stranger)
        expiring.refund(sender=lenders[0])
        expiring.refund(sender=lenders[3])

        # Three monthly installments on "active", with claims and a note transfer in between.
        start, payment = active.position().startTime, active.terms().monthlyPayment
        for k in range(1, 4):
            chain.pending_timestamp = start + k * PERIOD + rnd.randrange(0, 3) * DAY
            pay(active, payment)
            who = lenders[rnd.randrange(3)]
            if active.claimable(who):
                active.claim(sender=who)
        holder = max(lenders[:3], key=lambda w: active.balanceOf(w))
        active.transfer(lenders[3], 25 * rnd.randrange(1, 4) * unit, sender=holder)
        pool.claimReturns(active, sender=lender)
        active.sweepFees(sender=stranger)

        # The default: 120 days past due, the reserve covers part; a recovery follows; a late installment on "active".
        asset.mint(stranger, 2_000 * unit, sender=stranger)
        asset.approve(treasury, 2_000 * unit, sender=stranger)
        treasury.fundReserve(2_000 * unit, sender=stranger)
        chain.pending_timestamp = doomed.position().startTime + PERIOD + 121 * DAY
        doomed.handleDefault(sender=stranger)
        pay(doomed, 300 * unit, payer=stranger)
        doomed.claim(sender=lenders[2])
        pay(active, payment + 100 * unit)  # late: the fees go first
        active.transfer(lenders[0], active.balanceOf(lenders[3]), sender=lenders[3])
        doomed.sweepFees(sender=stranger)
        onboard(stranger, Role.BORROWER, 10)
        market.registry.revokeCredit(stranger, b"\x02" * 32, sender=revoker)
        return Lifecycle(loans={"active": active, "doomed": doomed, "expiring": expiring, "rejected": rejected,
                                "pending": pending}, lenders=[*lenders, lender], pool_lender=lender)

    return run


@pytest.fixture
def client_core(chain, deployment):
    """The SDK's core on the test chain (Multicall3 reads for `verify`)."""
    from disfruta.core import Core

    return Core(Rpc(chain.provider.web3), deployment)
