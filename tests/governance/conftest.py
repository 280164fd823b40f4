"""Governance fixtures: one governed deployment per test session (Safe with three owners, threshold 2; 48-hour
timelock; an operator underwriter), owner keys that sign Safe transactions, and the propose → sign → execute flows.

Owners are plain keys (``eth_account``), never funded: they only sign; any funded account sends the transactions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from disfruta.deployment import Deployment
from disfruta.governance.deployment import GovernanceConfig, GovernedDeployment, deploy_governed_market
from disfruta.governance.proposals import Proposal, execute_proposal, propose_guardian, propose_timelock, sign_proposal
from disfruta.governance.timelock import MIN_DELAY, Call, OperationState, operation_status
from eth_account import Account
from eth_account.signers.local import LocalAccount

THRESHOLD = 2


@pytest.fixture(scope="session")
def owners() -> list[LocalAccount]:
    return [Account.from_key("0x" + f"{i:02x}" * 32) for i in (0x51, 0x52, 0x53)]


@pytest.fixture(scope="session")
def gov(project, admin, owners, underwriter, oracle) -> GovernedDeployment:
    """A market deployed by ``admin`` exactly as ``scripts/deploy.py`` deploys it on a local chain."""
    config = GovernanceConfig(safe_owners=tuple(o.address for o in owners), safe_threshold=THRESHOLD,
                              underwriter=underwriter.address, oracle_signers=(oracle.address,))
    return deploy_governed_market(project, admin, config, local=True)


@pytest.fixture
def record(gov) -> Deployment:
    """The deployment record, a fresh copy per test (upgrades rewrite it)."""
    return copy.deepcopy(gov.record)


@pytest.fixture
def impersonate(accounts, chain) -> Callable[[Any], Any]:
    """A funded sender at any address (anvil): the Safe itself, an owner, the timelock."""

    def make(who: Any) -> Any:
        address = getattr(who, "address", who)
        chain.set_balance(address, 10**20)
        return accounts.impersonate_account(address)

    return make


@pytest.fixture
def sign(owners) -> Callable[..., Proposal]:
    """Signs ``proposal`` with the first ``n`` owners (default: the threshold)."""

    def make(proposal: Proposal, n: int = THRESHOLD) -> Proposal:
        for owner in owners[:n]:
            sign_proposal(proposal, owner.key)
        return proposal

    return make


@pytest.fixture
def guardian_act(gov, sign, stranger) -> Callable[[Sequence[Call], str], Proposal]:
    """The Safe acting at once: propose, two owners sign, a stranger sends."""

    def make(calls: Sequence[Call], title: str = "guardian action") -> Proposal:
        proposal = sign(propose_guardian(gov.safe, gov.timelock, calls, title))
        execute_proposal(proposal, gov.safe, gov.timelock, stranger)
        return proposal

    return make


@pytest.fixture
def schedule(gov, sign, stranger) -> Callable[..., Proposal]:
    """Proposes ``calls`` on the timelock and has the Safe schedule them (two owners sign)."""

    def make(calls: Sequence[Call], title: str = "timelock action", **kwargs: Any) -> Proposal:
        proposal = sign(propose_timelock(gov.safe, gov.timelock, calls, title, **kwargs))
        execute_proposal(proposal, gov.safe, gov.timelock, stranger)
        assert operation_status(gov.timelock, proposal.operation.id).state is OperationState.WAITING
        return proposal

    return make


@pytest.fixture
def enact(gov, schedule, chain, stranger) -> Callable[..., Proposal]:
    """The whole timelock path: schedule, wait 48 hours, execute."""

    def make(calls: Sequence[Call], title: str = "timelock action", **kwargs: Any) -> Proposal:
        proposal = schedule(calls, title, **kwargs)
        chain.pending_timestamp += MIN_DELAY
        progress = execute_proposal(proposal, gov.safe, gov.timelock, stranger)
        assert progress.done and progress.message == "executed", progress.message
        return proposal

    return make
