"""The governance path end to end on anvil: Safe owners sign → the Safe schedules on the timelock → execution is refused
for 48 hours → executed after; an upgrade keeps the proxy's state; an incompatible upgrade never leaves Python.

Invariant 7 (DESIGN.md): nothing governed happens in less than the timelock delay — checked here one second before
and exactly at the operation's ready time.
"""

from __future__ import annotations

import pytest
from conftest import reverts
from disfruta.attestations import Role
from disfruta.governance import ProposalError, StorageLayoutError
from disfruta.governance.actions import (
    add_signer,
    pause,
    plan_upgrade,
    remove_signer,
    set_rates,
    timelock_roles,
    unpause,
)
from disfruta.governance.proposals import (
    Proposal,
    execute_proposal,
    proposal_status,
    propose_cancel,
    propose_timelock,
    record_upgrade,
)
from disfruta.governance.records import implementation_address, storage_layout
from disfruta.governance.safe import safe_state
from disfruta.governance.timelock import MIN_DELAY, OPEN_ROLE, OperationState, operation_status
from eth_account import Account
from hexbytes import HexBytes

pytestmark = pytest.mark.usefixtures("fast_reverts")
READY_BIT = HexBytes((1 << OperationState.READY).to_bytes(32, "big"))


def test_upgrade__full_path__refused_before_48h_then_keeps_state(gov, record, project, admin, sign, stranger, chain,
                                                                  onboard_to, borrower, owners, tmp_path):
    factory = gov.market.factory
    onboard_to(gov.market, borrower, Role.BORROWER, grade=8)
    unit = 10 ** gov.market.asset.decimals()
    tx = factory.createLoan(5_000 * unit, 24, 3, 7 * 86_400, sender=borrower)
    loan = tx.events.filter(factory.LoanCreated)[0].loan
    rate_before = factory.rateFor(8)

    plan = plan_upgrade(project, record, "LoanFactory", "LoanFactoryV2", admin, init=("initializeV2", ()))
    proposal = propose_timelock(gov.safe, gov.timelock, [plan.call], "LoanFactory v2", upgrade=plan)
    # The proposal travels as a file between owners: each loads it, signs, saves.
    path = proposal.save(tmp_path)
    for owner in owners[1:]:
        p = Proposal.load(path)
        p.safe_txs[0].sign_with_key(owner.key)
        p.save(tmp_path, path.stem)
    proposal = Proposal.load(path)
    assert len(proposal.safe_txs[0].signatures) == 2

    progress = execute_proposal(proposal, gov.safe, gov.timelock, stranger)  # the Safe schedules
    assert progress.message.startswith("scheduled, executable in 4")  # 47 h 59 min and some seconds
    op = proposal.operation
    status = operation_status(gov.timelock, op.id)
    assert status.state is OperationState.WAITING
    first = op.calls[0]
    assert HexBytes(gov.timelock.hashOperation(first.target, 0, first.data, op.predecessor, op.salt)) == op.id

    # Ten minutes early: anvil moves block times on with the wall clock, so a one-second margin is flaky on a
    # loaded machine.
    chain.pending_timestamp = status.ready_at - 600
    with reverts(gov.timelock.TimelockUnexpectedOperationState, operationId=op.id, expectedStates=READY_BIT):
        op.execute(gov.timelock, stranger)
    chain.pending_timestamp = status.ready_at - 600
    assert execute_proposal(proposal, gov.safe, gov.timelock, stranger).message.startswith("scheduled")
    assert implementation_address(factory.address) == record.contracts["LoanFactory"].implementation

    chain.pending_timestamp = status.ready_at
    assert execute_proposal(proposal, gov.safe, gov.timelock, stranger).message == "executed"
    assert operation_status(gov.timelock, op.id).state is OperationState.DONE

    v2 = project.LoanFactoryV2.at(factory.address)
    assert implementation_address(factory.address) == plan.implementation
    assert v2.version() == "2.0.0"
    assert v2.upgradedAt() == chain.blocks.head.timestamp
    assert v2.loanCounter() == 1 and v2.loans(1) == loan and v2.loanIdOf(loan) == 1
    assert v2.borrowerExposure(borrower) == 5_000 * unit and v2.rateFor(8) == rate_before
    assert v2.hasRole(b"\x00" * 32, gov.timelock) and v2.hasRole(v2.GUARDIAN_ROLE(), gov.safe)
    with reverts(v2.InvalidInitialization):  # the reinitializer ran once, in the upgrade
        v2.initializeV2(sender=stranger)

    assert record_upgrade(proposal, record, project)
    entry = record.contracts["LoanFactory"]
    assert (entry.contract, entry.implementation) == ("LoanFactoryV2", plan.implementation)
    assert entry.version.startswith("LoanFactoryV2@")
    members = storage_layout(record, "LoanFactory").namespaces["disfruta.storage.LoanFactory"].struct.members
    assert [m for m, _ in members][-1] == "upgradedAt"


def test_upgrade__incompatible_layout__refused_before_any_transaction(project, record, admin, chain, gov):
    height, nonce, safe_nonce = chain.blocks.height, admin.nonce, safe_state(gov.safe).nonce
    with pytest.raises(StorageLayoutError) as info:
        plan_upgrade(project, record, "LoanFactory", "LoanFactoryBadLayout", admin)
    err = info.value
    assert err.member == "LoanFactoryStorage.loanCounter"
    assert (err.problems[0].old, err.problems[0].new) == ("uint64", "uint256")
    assert {p.member for p in err.problems} == {"LoanFactoryStorage.loanCounter", "LoanFactoryStorage.loans",
                                                "LoanFactoryStorage.loanIds"}
    assert "LoanFactoryStorage.loanCounter" in str(err) and "type changed" in str(err)
    assert (chain.blocks.height, admin.nonce, safe_state(gov.safe).nonce) == (height, nonce, safe_nonce)


def test_upgrade__to_another_contracts_layout__refused(project, record, admin):
    with pytest.raises(StorageLayoutError, match="namespace removed or renamed"):
        plan_upgrade(project, record, "LoanFactory", "LendingPool", admin)


def test_set_rates__batch__applied_only_after_delay(gov, schedule, chain, stranger):
    factory = gov.market.factory
    proposal = schedule(set_rates(factory, {1: (650, 150), 25: (2_900, 550)}), "reprice A1 and E5")
    assert proposal.operation.is_batch
    assert factory.rateFor(1) == (600, 100)
    chain.pending_timestamp += MIN_DELAY
    execute_proposal(proposal, gov.safe, gov.timelock, stranger)
    assert factory.rateFor(1) == (650, 150) and factory.rateFor(25) == (2_900, 550)


def test_pause_then_unpause__guardian_at_once_timelock_after_48h(gov, guardian_act, enact):
    market = gov.market
    contracts = {"LoanFactory": market.factory, "LendingPool": market.pool, "UserRegistry": market.registry}
    guardian_act(pause(contracts), "incident: pause")
    assert all(c.paused() for c in contracts.values())
    enact(unpause(contracts), "incident over: unpause")
    assert not any(c.paused() for c in contracts.values())


def test_propose__call_that_would_revert__refused(gov):
    with pytest.raises(ProposalError, match="ExpectedPause"):  # unpausing what isn't paused
        propose_timelock(gov.safe, gov.timelock, unpause({"LoanFactory": gov.market.factory}), "unpause")


def test_propose__delay_below_minimum__refused(gov):
    calls = set_rates(gov.market.factory, {3: (800, 150)})
    with pytest.raises(ProposalError, match="below the timelock's minimum"):
        propose_timelock(gov.safe, gov.timelock, calls, "fast", delay=MIN_DELAY - 1)


def test_cancel__by_safe_during_delay__operation_can_never_run(gov, schedule, sign, stranger, chain):
    proposal = schedule(set_rates(gov.market.factory, {2: (725, 130)}), "to cancel")
    cancel = sign(propose_cancel(gov.safe, gov.timelock, proposal))
    execute_proposal(cancel, gov.safe, gov.timelock, stranger)
    assert operation_status(gov.timelock, proposal.operation.id).state is OperationState.UNSET
    chain.pending_timestamp += MIN_DELAY
    with pytest.raises(ProposalError, match="cancelled"):
        execute_proposal(proposal, gov.safe, gov.timelock, stranger)
    assert gov.market.factory.rateFor(2) == (700, 120)  # the default, untouched


def test_oracle_key_rotation__add_through_timelock_remove_at_once(gov, enact, guardian_act, oracle):
    registry, new_key = gov.market.registry, Account.from_key("0x" + "77" * 32)
    enact([add_signer(registry, new_key.address)], "rotate oracle key: add")
    assert registry.isSigner(new_key.address) and registry.isSigner(oracle.address)
    guardian_act([remove_signer(registry, oracle.address)], "rotate oracle key: remove old")
    assert registry.isSigner(new_key.address) and not registry.isSigner(oracle.address)


def test_executor__switched_to_safe_by_the_timelock__execution_needs_owner_signatures(gov, enact, schedule, sign,
                                                                                       guardian_act, stranger, chain):
    tl = gov.timelock
    enact(timelock_roles(tl, [("grant", "EXECUTOR_ROLE", gov.safe.address), ("revoke", "EXECUTOR_ROLE", OPEN_ROLE)]),
          "executor: the Safe only")
    assert tl.hasRole(tl.EXECUTOR_ROLE(), gov.safe) and not tl.hasRole(tl.EXECUTOR_ROLE(), OPEN_ROLE)

    guardian_act(pause({"LendingPool": gov.market.pool}))
    proposal = schedule(unpause({"LendingPool": gov.market.pool}), "unpause pool")
    chain.pending_timestamp += MIN_DELAY
    op = proposal.operation
    with reverts(tl.AccessControlUnauthorizedAccount, account=stranger.address, neededRole=tl.EXECUTOR_ROLE()):
        op.execute(tl, stranger)
    progress = execute_proposal(proposal, gov.safe, tl, stranger)
    assert "owners sign" in progress.message and len(proposal.safe_txs) == 2
    with pytest.raises(ProposalError, match="0 of 2 required owner signatures"):
        execute_proposal(proposal, gov.safe, tl, stranger)
    sign(proposal)
    assert execute_proposal(proposal, gov.safe, tl, stranger).message == "executed"
    assert not gov.market.pool.paused()
    assert proposal.executed_in == proposal.safe_txs[1].executed_in


def test_status__lines_show_signatures_and_timelock_state(gov, sign, stranger, chain):
    proposal = propose_timelock(gov.safe, gov.timelock, set_rates(gov.market.factory, {4: (900, 200)}), "rate B4")
    lines = proposal_status(proposal, gov.safe, gov.timelock).lines(chain.pending_timestamp)
    assert "0/2 signatures" in "\n".join(lines) and "not scheduled" in lines[-1]
    sign(proposal)
    execute_proposal(proposal, gov.safe, gov.timelock, stranger)
    lines = proposal_status(proposal, gov.safe, gov.timelock).lines(chain.pending_timestamp)
    assert "executed in" in lines[-2] and "executable in 4" in lines[-1]
