"""Fixtures of the security suites (access matrix, adversarial tokens and callers, oracle faults).

The root ``tests/conftest.py`` fixtures (``market``, ``create_loan``, ``fund``, ``onboard``, ...) are available here;
this file adds what only these suites need.
"""

from __future__ import annotations

from typing import Any

import pytest
from disfruta.governance.market import Market, deploy_market

from conftest import onboard_user



def verify(mkt: Market, oracle: Any, chain: Any, submitter: Any, user: Any, roles: int, grade: int | None = None,
           limit_tokens: int = 40_000) -> Any:
    """Verifies ``user`` in ``mkt``'s registry with oracle attestations (usable from fixtures of any scope)."""
    return onboard_user(mkt, oracle, chain, chain.chain_id, submitter, user, roles, grade, limit_tokens)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The access matrix doesn't depend on the token's decimals: run it on the 6-decimal market only (the root
    conftest parametrises every market test over 6 and 18 decimals)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        in_matrix = "security/test_access_matrix.py" in item.nodeid
        (drop if in_matrix and callspec and callspec.params.get("token") == 18 else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def reentrant_market(project, admin, oracle, kyc_admin, revoker, underwriter, guardian) -> Market:
    """A market whose asset re-enters the contract that moves it (``MockReentrantToken``)."""
    token = admin.deploy(project.MockReentrantToken)
    return deploy_market(
        project, admin, token, oracle_signers=(oracle.address,), kyc_admin=kyc_admin, revoker=revoker,
        underwriter=underwriter, guardian=guardian,
    )


@pytest.fixture
def loan_in(project, underwriter, onboard_to, borrower):
    return make_loan_in(project, underwriter, lambda mkt, who: onboard_to(mkt, who, 1, grade=8), borrower)


def make_loan_in(project: Any, underwriter: Any, onboard_borrower: Any, borrower: Any) -> Any:
    """Creates and approves a loan in any market: ``loan_in(market, amount_tokens=1_000)``."""

    def make(mkt: Market, amount_tokens: int = 1_000, term: int = 12, funding_period: int = 14 * 86_400) -> Any:
        unit = 10 ** mkt.asset.decimals()
        if not mkt.registry.isVerifiedBorrower(borrower):
            onboard_borrower(mkt, borrower)
        tx = mkt.factory.createLoan(amount_tokens * unit, term, 0, funding_period, sender=borrower)
        loan = project.Loan.at(tx.events.filter(mkt.factory.LoanCreated)[0].loan)
        mkt.factory.approveLoan(loan.loanId(), sender=underwriter)
        return loan

    return make
