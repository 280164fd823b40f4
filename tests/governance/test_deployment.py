"""The governed deployment (what `ape run deploy` does on a local chain): who holds which role, what the deployment
record says, what the Safe can do at once, and what nobody can do without the timelock.

Invariant 7 (DESIGN.md): nothing privileged happens without the role; nothing governed happens in less than the
timelock delay. Here: the only admin of every contract is the timelock, and the deployer holds no role at all.
"""

from __future__ import annotations

import ape
import pytest
from ape_ethereum.multicall.constants import MULTICALL3_CODE
from conftest import YEAR, reverts
from disfruta.deployment import PROXIES, Deployment
from disfruta.governance import ProposalError
from disfruta.governance.actions import pause, remove_signer
from disfruta.governance.deployment import candidates
from disfruta.governance.market import MULTICALL3_ADDRESS, ensure_multicall3
from disfruta.governance.proposals import execute_proposal, propose_guardian
from disfruta.governance.records import implementation_address, storage_layout
from disfruta.governance.roles import ROLES, Assignment, audit_roles, holders_from_events, role_id
from disfruta.governance.safe import safe_state
from disfruta.governance.timelock import MIN_DELAY, OPEN_ROLE
from hexbytes import HexBytes

pytestmark = pytest.mark.usefixtures("fast_reverts")
ADMIN = HexBytes(b"\x00" * 32)


def expected(gov, underwriter) -> Assignment:
    safe = gov.safe.address
    return Assignment.governed(timelock=gov.timelock.address, safe=safe, kyc_admin=safe, revoker=safe,
                               underwriter=underwriter.address, executor=OPEN_ROLE,
                               factory=gov.market.factory.address, note_market=gov.market.note_market.address)


# ------------------------------------------------------------------------------------------------ roles


def test_roles__after_deploy__exactly_as_governance_requires(gov, underwriter, record, owners, admin):
    """Both audits: the RoleGranted/RoleRevoked history since the deployment block, and hasRole of every candidate."""
    people = candidates(record, [o.address for o in owners])
    assert audit_roles(gov.governed(), expected(gov, underwriter), people, record.block) == []


def test_admin_role__only_the_timelock__in_event_history_and_by_hasRole(gov, admin, owners, underwriter, record):
    timelock = gov.timelock.address
    for name, contract in gov.governed().items():
        assert holders_from_events(contract, record.block)[ADMIN] == {timelock}, name
        for who in (admin.address, gov.safe.address, underwriter.address, *(o.address for o in owners)):
            assert not contract.hasRole(ADMIN, who), (name, who)
        assert contract.hasRole(ADMIN, timelock), name


def test_deployer__after_deploy__holds_no_role_anywhere(gov, admin, record):
    for name, contract in gov.governed().items():
        for role in ROLES[name]:
            assert not contract.hasRole(role_id(contract, role), admin), f"{name}.{role}"
        granted = [log for log in contract.RoleGranted.range(record.block, ape.chain.blocks.height + 1)
                   if log.account == admin.address]
        revoked = [log for log in contract.RoleRevoked.range(record.block, ape.chain.blocks.height + 1)
                   if log.account == admin.address]
        assert len(granted) == len(revoked), f"{name}: every role granted to the deployer was renounced"


def test_timelock__constructor__48h_self_administered_safe_proposes_anyone_executes(gov):
    tl, safe = gov.timelock, gov.safe.address
    assert tl.getMinDelay() == MIN_DELAY == 48 * 3600
    assert tl.hasRole(tl.PROPOSER_ROLE(), safe) and tl.hasRole(tl.CANCELLER_ROLE(), safe)
    assert tl.hasRole(tl.EXECUTOR_ROLE(), OPEN_ROLE)
    assert tl.hasRole(ADMIN, tl.address)


def test_safe__local__real_v141_with_owners_and_threshold(gov, owners):
    state = safe_state(gov.safe)
    assert state.version == "1.4.1"
    assert state.owners == [o.address for o in owners]
    assert state.threshold == 2 and state.nonce == 0


def test_operators__configurable__underwriter_given_others_default_to_safe(gov, underwriter):
    registry, factory = gov.market.registry, gov.market.factory
    assert factory.hasRole(factory.UNDERWRITER_ROLE(), underwriter)
    assert registry.hasRole(registry.KYC_ADMIN_ROLE(), gov.safe) and registry.hasRole(registry.REVOKER_ROLE(), gov.safe)


# ------------------------------------------------------------------------------------------------ record


def test_record__addresses_versions_block_and_commit(gov, record, chain, project):
    assert record.chain_id == chain.chain_id and record.network == "local"
    assert record.git_commit and len(record.git_commit) == 40
    assert 0 < record.block <= chain.blocks.height
    market = gov.market
    proxies = (market.registry, market.factory, market.treasury, market.pool, market.note_market, market.autopay)
    for name, proxy in zip(PROXIES, proxies, strict=True):
        entry = record.contracts[name]
        assert entry.address == proxy.address
        assert entry.implementation == implementation_address(proxy.address) == market.implementations[name].address
        assert entry.version.startswith(f"{name}@") and len(entry.version) == len(name) + 13
        assert {ns for ns in storage_layout(record, name).namespaces} >= {f"disfruta.storage.{name}",
                                                                  "openzeppelin.storage.AccessControl"}
    assert record.address("LoanImplementation") == market.factory.loanImplementation()
    assert record.address("Timelock") == gov.timelock.address
    assert record.address("Safe") == gov.safe.address
    assert {k: v for k, v in record.contracts["asset"].extra.items() if k != "create2"} == {"symbol": "dUSD",
                                                                                             "decimals": 6}
    assert project.MockERC20.at(record.address("asset")).name() == "Demo USD"
    assert Deployment.from_dict(record.to_json()).to_json() == record.to_json()
    assert Deployment.from_dict(record.to_json()) == record  # the one model: the SDK reads what governance wrote


# ------------------------------------------------------------------------------------------------ guardian


def test_safe__threshold_signatures__pauses_registry_factory_pool_at_once(gov, guardian_act):
    market = gov.market
    contracts = {"UserRegistry": market.registry, "LoanFactory": market.factory, "LendingPool": market.pool}
    proposal = guardian_act(pause(contracts), "pause everything")
    assert [tx.nonce for tx in proposal.safe_txs] == [0, 1, 2]
    assert all(c.paused() for c in contracts.values())


def test_safe__one_signature_of_two__refused_before_sending(gov, sign, stranger, chain):
    proposal = sign(propose_guardian(gov.safe, gov.timelock, pause({"LoanFactory": gov.market.factory}), "p"), n=1)
    height = chain.blocks.height
    with pytest.raises(ProposalError, match="1 of 2 required owner signatures"):
        execute_proposal(proposal, gov.safe, gov.timelock, stranger)
    assert chain.blocks.height == height and not gov.market.factory.paused()


def test_safe__as_guardian__removes_oracle_signer_at_once(gov, guardian_act, oracle):
    registry = gov.market.registry
    assert registry.isSigner(oracle.address)
    guardian_act([remove_signer(registry, oracle.address)], "remove leaked oracle key")
    assert not registry.isSigner(oracle.address)


# ------------------------------------------------------------------------------------------------ no shortcut


@pytest.mark.parametrize("who", ["safe", "owner", "deployer"])
def test_unpause_and_upgrade__without_timelock__reverts_unauthorized(gov, guardian_act, impersonate, owners, admin,
                                                                     who, project):
    market = gov.market
    guardian_act(pause({"LoanFactory": market.factory, "LendingPool": market.pool, "UserRegistry": market.registry}))
    sender = {"safe": lambda: impersonate(gov.safe), "owner": lambda: impersonate(owners[0].address),
              "deployer": lambda: admin}[who]()
    new_impl = market.implementations["LoanFactory"]
    for contract in (market.factory, market.pool, market.registry):
        with reverts(contract.AccessControlUnauthorizedAccount, account=sender.address, neededRole=ADMIN):
            contract.unpause(sender=sender)
    for contract in (market.registry, market.factory, market.treasury, market.pool):
        with reverts(contract.AccessControlUnauthorizedAccount, account=sender.address, neededRole=ADMIN):
            contract.upgradeToAndCall(new_impl, b"", sender=sender)
    with reverts(market.factory.AccessControlUnauthorizedAccount, account=sender.address, neededRole=ADMIN):
        market.factory.setRate(8, 1_000, 100, sender=sender)
    role = gov.timelock.PROPOSER_ROLE()
    with reverts(gov.timelock.AccessControlUnauthorizedAccount, account=sender.address, neededRole=ADMIN):
        gov.timelock.grantRole(role, sender, sender=sender)


def test_timelock__schedule_by_anyone_but_safe__reverts(gov, admin, impersonate, owners):
    tl = gov.timelock
    data = gov.market.factory.unpause.encode_input()
    for sender in (admin, impersonate(owners[1].address)):
        with reverts(tl.AccessControlUnauthorizedAccount, account=sender.address, neededRole=tl.PROPOSER_ROLE()):
            tl.schedule(gov.market.factory, 0, data, ADMIN, ADMIN, MIN_DELAY, sender=sender)


# ------------------------------------------------------------------------------------------------ initializers


def test_initialize__twice_or_on_implementation__reverts_for_all_four(gov, admin, stranger):
    market = gov.market
    asset, unit = market.asset, 10 ** market.asset.decimals()
    limits = (1_000 * unit, 40_000 * unit, 6, 60, 86_400, 30 * 86_400)
    args = {
        "UserRegistry": (stranger, YEAR),
        "LoanFactory": (stranger, market.registry, asset, limits),
        "Treasury": (stranger, asset, market.factory, 5_000, 3_000),
        "LendingPool": (stranger, asset, market.factory),
    }
    for name, proxy in (("UserRegistry", market.registry), ("LoanFactory", market.factory),
                        ("Treasury", market.treasury), ("LendingPool", market.pool)):
        for target in (proxy, market.implementations[name]):
            with reverts(target.InvalidInitialization):
                target.initialize(*args[name], sender=stranger)


# ------------------------------------------------------------------------------------------------ Multicall3


def test_local_deploy__multicall3_at_its_canonical_address(gov, chain):
    code = bytes(HexBytes(MULTICALL3_CODE))
    assert bytes(chain.provider.web3.eth.get_code(MULTICALL3_ADDRESS)) == code
    assert ensure_multicall3(chain.provider) is False  # already there: left alone
    chain.provider.make_request("anvil_setCode", [MULTICALL3_ADDRESS, "0x"])
    assert ensure_multicall3(chain.provider.web3) is True  # a Web3 works too
    assert bytes(chain.provider.web3.eth.get_code(MULTICALL3_ADDRESS)) == code


def test_git_revision__records_and_exports_do_not_make_the_code_dirty(tmp_path):
    """Writing one dry run's record must not mark the next one's code as dirty; a changed contract must."""
    import subprocess

    from disfruta.governance.records import git_revision

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "t")
    for name in ("deployments/base-mainnet.json", "sdk/disfruta/data/addressbook.json", "contracts/A.sol"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("1")
    git("add", "-A")
    git("commit", "-qm", "x")
    commit, dirty = git_revision(tmp_path)
    assert len(commit or "") == 40 and not dirty
    (tmp_path / "deployments/base-mainnet.json").write_text("2")
    (tmp_path / "sdk/disfruta/data/addressbook.json").write_text("2")
    assert git_revision(tmp_path) == (commit, False)
    (tmp_path / "contracts/A.sol").write_text("2")
    assert git_revision(tmp_path) == (commit, True)
