"""Shared fixtures: role accounts, deployed contracts behind proxies, and an oracle signer.

ape's pytest plugin starts anvil (ape-foundry) for the session and snapshots/reverts the chain around every test,
so session-scoped deployments are shared while each test starts from the same state.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, settings

from disfruta.attestations import CreditAttestation, KycAttestation, Role, sign_attestation
from disfruta.governance.market import MULTICALL3_ADDRESS, Market, deploy_market, deploy_proxy, ensure_multicall3

settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.register_profile(
    "dev", max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def _dependency_cache_written_only_when_changed() -> None:
    """ape's package cache rewrites a dependency's API file (unlink, then write) every time a process resolves the
    dependency, and lists every such file while resolving one: with two xdist workers (or a worker and an `ape`
    subprocess) one process can read the other's file empty, mid-write (`JSONDecodeError`, seen once in a CI run on
    `openzeppelin@5.1.0`). Every process writes the same text, so it is written only when it differs, and then
    through a temporary file renamed over it (a reader sees the old or the new file, never half of one)."""
    import tempfile

    from ape.managers.project import PackagesCache

    def cache_api(self: PackagesCache, api: Any) -> Any:
        path = self.get_api_path(api.package_id, api.version_id)
        text = api.model_dump_json(by_alias=True, mode="json", exclude_none=True, exclude_unset=True,
                                   exclude_defaults=True)
        if path.is_file() and path.read_text(encoding="utf8") == text:
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        # (outside the API folder, which ape lists, and on the same file system, so the rename is atomic)
        fd, tmp = tempfile.mkstemp(dir=self.api_folder.parent, prefix=".api-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf8") as out:
            out.write(text)
        os.replace(tmp, path)
        return path

    PackagesCache.cache_api = cache_api  # type: ignore[method-assign]


_dependency_cache_written_only_when_changed()


def _anvil_keeps_no_history_on_disk() -> None:
    """anvil keeps the state of its last blocks in memory and writes every older block's whole state to disk, in
    ``~/.foundry/anvil/tmp/<start time>/``, up to 3,600 of them, and ape-foundry stops it without letting it remove
    the folder. The session's chain mines a block per transaction: `pytest -n 2 tests/index` alone left 2.3 GB
    there, and a whole `make test` filled a CI machine's disk (pytest could not create its tmp_path folders). No test is
    known to read a state that old, so the chain ape starts persists none (``--max-persisted-states 0``; the recent blocks'
    states stay in memory, as before). ape-foundry has no setting for extra anvil arguments."""
    from ape_foundry.provider import FoundryProvider

    build_command = FoundryProvider.build_command
    if getattr(build_command, "_disfruta_no_disk_history", False):
        return

    def command(self: FoundryProvider) -> list[str]:
        return [*build_command(self), "--max-persisted-states", "0"]

    command._disfruta_no_disk_history = True  # type: ignore[attr-defined]
    FoundryProvider.build_command = command  # type: ignore[method-assign]


_anvil_keeps_no_history_on_disk()


def fixture_scope_conflicts(arg2fixturedefs: Any) -> dict[str, list[str]]:
    """The fixture names defined at more than one scope, with their scopes (``{"market": ["module", "session"]}``).

    ape's chain isolation files every fixture by name under the scopes of all of that name's definitions pytest
    collected, not under the one definition a test resolves. A module-scoped ``market`` in ``tests/app`` over the
    session-scoped one here had ape file the session market under both scopes for every test: after the first test
    of ``tests/index/test_api.py`` it rebased (``InvalidIsolationWarning``), and the next test's index saw an empty
    market (``assert [] == ['active']``, in CI's whole runs; each file alone passed)."""
    return {name: sorted({d.scope for d in defs}) for name, defs in arg2fixturedefs.items()
            if len({d.scope for d in defs}) > 1}


def pytest_collection_finish(session: pytest.Session) -> None:
    """Refuses a run whose fixtures give one name two scopes (see `fixture_scope_conflicts`)."""
    if conflicts := fixture_scope_conflicts(session._fixturemanager._arg2fixturedefs):
        named = "; ".join(f"{name} ({', '.join(scopes)})" for name, scopes in sorted(conflicts.items()))
        raise pytest.UsageError(f"fixtures defined at more than one scope, which ape's chain isolation cannot tell "
                                f"apart: {named}; give the narrower one a name of its own")


DAY = 86_400
YEAR = 365 * DAY


@pytest.fixture(scope="session", autouse=True)
def multicall3(chain) -> str:
    """Multicall3 at its canonical address, as on public chains (the SDK batches its reads through it)."""
    ensure_multicall3(chain.provider)
    return MULTICALL3_ADDRESS


@pytest.fixture(scope="session")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def kyc_admin(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def revoker(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def guardian(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def borrower(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def lender(accounts):
    return accounts[5]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[6]


@pytest.fixture(scope="session")
def underwriter(accounts):
    return accounts[7]


@pytest.fixture(scope="session")
def lenders(accounts):
    """Four more lenders (accounts 8-11)."""
    return [accounts[i] for i in range(8, 12)]


@pytest.fixture(scope="session")
def oracle() -> LocalAccount:
    """The KYC/credit oracle's signing key (a fixed test key, never funded)."""
    return Account.from_key("0x" + "a1" * 32)


@pytest.fixture(scope="session")
def calculator(project, admin):
    return admin.deploy(project.InterestCalculator)


@pytest.fixture(scope="session")
def registry_with_impl(project, admin, kyc_admin, revoker, guardian, oracle):
    registry, impl = deploy_proxy(project, admin, project.UserRegistry, admin, YEAR)
    registry.grantRole(registry.KYC_ADMIN_ROLE(), kyc_admin, sender=admin)
    registry.grantRole(registry.REVOKER_ROLE(), revoker, sender=admin)
    registry.grantRole(registry.GUARDIAN_ROLE(), guardian, sender=admin)
    registry.addSigner(oracle.address, sender=admin)
    return registry, impl


@pytest.fixture(scope="session")
def registry(registry_with_impl):
    return registry_with_impl[0]


@pytest.fixture(scope="session")
def chain_id(chain) -> int:
    return chain.chain_id


@pytest.fixture
def warp(chain) -> Callable[[int], None]:
    """Mines a block at ``timestamp`` so views see that time (the next transaction lands a second or so later)."""

    def go(timestamp: int) -> None:
        chain.mine(timestamp=timestamp)

    return go


@pytest.fixture
def kyc_attestation(registry, oracle, chain, chain_id) -> Callable[..., tuple[KycAttestation, bytes]]:
    """Builds and signs a KYC attestation; any field can be overridden, and so can the key, chain and registry."""

    def make(user, *, roles=Role.BORROWER | Role.LENDER, key=None, sign_chain_id=None, sign_registry=None,
             **overrides: Any) -> tuple[KycAttestation, bytes]:
        fields = dict(
            user=str(user),
            roles=int(roles),
            kyc_commitment=b"\x42" * 32,
            valid_until=chain.pending_timestamp + YEAR - DAY,  # within the registry's cap, a day to spare
            nonce=registry.nonces(user)[0],
            deadline=chain.pending_timestamp + DAY,
        )
        fields.update(overrides)
        att = KycAttestation(**fields)
        sig = sign_attestation(att, key or oracle.key, sign_chain_id or chain_id, sign_registry or registry.address)
        return att, sig

    return make


@pytest.fixture
def credit_attestation(registry, oracle, chain, chain_id) -> Callable[..., tuple[CreditAttestation, bytes]]:
    def make(user, *, grade=8, key=None, sign_chain_id=None, sign_registry=None,
             **overrides: Any) -> tuple[CreditAttestation, bytes]:
        fields = dict(
            user=str(user),
            grade=grade,
            borrow_limit=50_000 * 10**6,
            valid_until=chain.pending_timestamp + 90 * DAY,
            nonce=registry.nonces(user)[1],
            deadline=chain.pending_timestamp + DAY,
        )
        fields.update(overrides)
        att = CreditAttestation(**fields)
        sig = sign_attestation(att, key or oracle.key, sign_chain_id or chain_id, sign_registry or registry.address)
        return att, sig

    return make


@pytest.fixture
def verified_borrower(registry, borrower, oracle, kyc_attestation, credit_attestation, stranger):
    """``borrower`` with current KYC and a B3 grade, onboarded through oracle attestations."""
    att, sig = kyc_attestation(borrower, roles=Role.BORROWER)
    registry.submitKycAttestation(att.as_tuple(), oracle.address, sig, sender=stranger)
    catt, csig = credit_attestation(borrower)
    registry.submitCreditAttestation(catt.as_tuple(), oracle.address, csig, sender=stranger)
    return borrower


# ------------------------------------------------------------------------------------------------ markets


@pytest.fixture(scope="session", params=[6, 18], ids=["6dec", "18dec"])
def token(request, project, admin):
    """The market's stablecoin; every market test runs with a 6- and an 18-decimal token."""
    return admin.deploy(project.MockERC20, "Test USD", "TUSD", request.param)


@pytest.fixture(scope="session")
def unit(token) -> int:
    return 10 ** token.decimals()


@pytest.fixture(scope="session")
def market(project, admin, token, oracle, kyc_admin, revoker, underwriter, guardian) -> Market:
    return deploy_market(
        project, admin, token, oracle_signers=(oracle.address,), kyc_admin=kyc_admin, revoker=revoker,
        underwriter=underwriter, guardian=guardian,
    )


@pytest.fixture(scope="session")
def factory(market):
    return market.factory


@pytest.fixture(scope="session")
def treasury(market):
    return market.treasury


def market_deployment(market: Market, chain: Any) -> dict[str, Any]:
    """The test market as a deployment file holds it (what the SDK, the CLI and the README example read)."""
    return {"chain_id": chain.chain_id, "block": 0, "network": "local",
            "contracts": {"UserRegistry": market.registry.address, "LoanFactory": market.factory.address,
                          "Treasury": market.treasury.address, "LendingPool": market.pool.address,
                          "NoteMarket": market.note_market.address, "Autopay": market.autopay.address,
                          "asset": market.asset.address}}


@pytest.fixture(scope="session")
def deployment(market, chain):
    """The test market as a `disfruta.Deployment`."""
    from disfruta.deployment import Deployment

    return Deployment.from_dict(market_deployment(market, chain))


@pytest.fixture
def deployment_file(tmp_path, market, chain):
    """The test market written as a deployment file."""
    import json

    path = tmp_path / "local.json"
    path.write_text(json.dumps(market_deployment(market, chain)))
    return path


@pytest.fixture
def rpc(chain) -> str:
    """The test node's RPC URL."""
    return chain.provider.uri


@pytest.fixture
def onboard(market, oracle, chain, chain_id, stranger):
    """Verifies ``user`` through oracle attestations: ``onboard(user, Role.LENDER)``, or a borrower with a grade."""

    def make(user, roles=Role.LENDER, grade=None, limit_tokens=40_000):
        return onboard_user(market, oracle, chain, chain_id, stranger, user, roles, grade, limit_tokens)

    return make


@pytest.fixture
def create_loan(project, market, borrower, underwriter, onboard, unit):
    """Creates (and by default approves) a loan: ``create_loan(amount_tokens=10_000, term=36, grade=8)``."""

    def make(amount_tokens=10_000, term=36, grade=8, purpose=0, funding_period=14 * DAY, approve=True, who=None):
        who = who or borrower
        if not market.registry.isVerifiedBorrower(who):
            onboard(who, Role.BORROWER, grade)
        tx = market.factory.createLoan(amount_tokens * unit, term, purpose, funding_period, sender=who)
        loan = project.Loan.at(tx.events.filter(market.factory.LoanCreated)[0].loan)
        if approve:
            market.factory.approveLoan(tx.return_value[0] if tx.return_value else loan.loanId(), sender=underwriter)
        return loan

    return make


@pytest.fixture
def fund(market, onboard):
    """Mints, approves and funds: ``fund(loan, lender, amount_units)``; verifies the lender first if needed."""

    def make(loan, lender, amount):
        if not market.registry.isVerifiedLender(lender):
            onboard(lender, Role.LENDER)
        market.asset.mint(lender, amount, sender=lender)
        market.asset.approve(loan, amount, sender=lender)
        return loan.fundLoan(amount, sender=lender)

    return make


@pytest.fixture
def pay(market):
    """Mints to ``payer`` and pays ``amount`` into the loan (type(uint256).max pays off)."""

    def make(loan, payer, amount):
        # Paying off: the payoff grows by the interest of the seconds until the transaction lands; mint a margin.
        mint = loan.payoffAmount() * 101 // 100 + 1 if amount >= 2**255 else amount
        market.asset.mint(payer, mint, sender=payer)
        market.asset.approve(loan, mint, sender=payer)
        return loan.makeRepayment(amount, sender=payer)

    return make


# ------------------------------------------------------------------------------------------------ loan suites
# Helpers shared by test_loan_*.py and test_treasury.py (added after the fixtures above; those are unchanged).

import contextlib  # noqa: E402
from enum import IntEnum  # noqa: E402

import ape  # noqa: E402

MAX_UINT = 2**256 - 1
PERIOD = 30 * DAY


class Status(IntEnum):
    """`ILoan.Status`."""

    PENDING = 0
    FUNDING = 1
    FUNDED = 2
    ACTIVE = 3
    REPAID = 4
    DEFAULTED = 5
    REJECTED = 6
    EXPIRED = 7


class FeeType(IntEnum):
    """`ITreasury.FeeType`."""

    ORIGINATION = 0
    SERVICING = 1


def loan_config(market: Market, **overrides: Any) -> tuple[Any, ...]:
    """The market's Loan `Config` as a constructor argument, with fields overridden by name (``factory=...``)."""
    current = dict(market.loan_implementation.config().items())
    unknown = set(overrides) - set(current)
    assert not unknown, f"no such Config fields: {unknown}"
    current.update(overrides)
    return tuple(current.values())


@pytest.fixture
def fund_by(fund, lenders, unit):
    """Funds ``loan`` with whole tokens per lender, in order of ``lenders``: ``fund_by(loan, [2_500, 7_500])``."""

    def make(loan, tokens):
        assert len(tokens) <= len(lenders)
        return [fund(loan, who, amount * unit) for who, amount in zip(lenders, tokens)]

    return make


@pytest.fixture
def active_loan(create_loan, fund_by, borrower):
    """A loan funded (by default by one lender) and drawn: ``active_loan(amount_tokens=10_000, term=12,
    shares=[2_500, 7_500])``."""

    def make(amount_tokens=10_000, term=12, shares=None, grade=8):
        loan = create_loan(amount_tokens=amount_tokens, term=term, grade=grade)
        fund_by(loan, shares or [amount_tokens])
        loan.withdrawFunds(sender=borrower)
        return loan

    return make


@pytest.fixture
def repay(market, chain, borrower, unit):
    """Pays into ``loan`` from ``payer`` (default the borrower), mined exactly at ``at`` when given:
    ``repay(loan, amount, at=due_date)``. For ``MAX_UINT`` (pay off) a large amount is minted and approved."""

    def make(loan, amount, at=None, payer=None):
        payer = payer or borrower
        mint = amount if amount != MAX_UINT else 10**9 * unit
        market.asset.mint(payer, mint, sender=payer)
        market.asset.approve(loan, mint, sender=payer)
        if at is not None:
            chain.pending_timestamp = at
        return loan.makeRepayment(amount, sender=payer)

    return make


@pytest.fixture
def fund_reserve(market, stranger):
    """Adds ``amount`` (token units) to the Treasury's reserve from ``stranger``."""

    def make(amount):
        market.asset.mint(stranger, amount, sender=stranger)
        market.asset.approve(market.treasury, amount, sender=stranger)
        return market.treasury.fundReserve(amount, sender=stranger)

    return make


@pytest.fixture
def as_contract(accounts, chain):
    """An impersonated sender at a contract's address (anvil), with gas money: ``as_contract(loan)``."""

    def make(contract):
        chain.set_balance(contract.address, 10**20)
        return accounts.impersonate_account(contract.address)

    return make


@pytest.fixture(scope="session")
def fot_market(project, admin, oracle, kyc_admin, revoker, underwriter, guardian) -> Market:
    """A market whose asset burns 1 % of every transfer (the kind of token markets must refuse)."""
    fot = admin.deploy(project.MockFeeOnTransferToken)
    return deploy_market(
        project, admin, fot, oracle_signers=(oracle.address,), kyc_admin=kyc_admin, revoker=revoker,
        underwriter=underwriter, guardian=guardian,
    )


def onboard_user(mkt: Market, oracle: LocalAccount, chain: Any, chain_id: int, submitter: Any, user: Any,
                 roles: int = Role.LENDER, grade: int | None = None, limit_tokens: int = 40_000) -> Any:
    """Verifies ``user`` in ``mkt``'s registry through oracle attestations submitted by ``submitter`` (any scope)."""
    reg, now = mkt.registry, chain.pending_timestamp
    kyc_nonce, credit_nonce = reg.nonces(user)
    # Validity within the registry's caps (a year of KYC, 180 days of credit) with a day to spare: the block that
    # applies them may be stamped a second before the pending timestamp read here.
    att = KycAttestation(str(user), int(roles), b"\x42" * 32, now + YEAR - DAY, kyc_nonce, now + DAY)
    reg.submitKycAttestation(att.as_tuple(), oracle.address, sign_attestation(att, oracle.key, chain_id, reg.address),
                             sender=submitter)
    if grade is not None:
        limit = limit_tokens * 10 ** mkt.asset.decimals()
        catt = CreditAttestation(str(user), int(grade), limit, now + 179 * DAY, credit_nonce, now + DAY)
        reg.submitCreditAttestation(catt.as_tuple(), oracle.address,
                                    sign_attestation(catt, oracle.key, chain_id, reg.address), sender=submitter)
    return user


@pytest.fixture
def onboard_to(oracle, chain, chain_id, stranger):
    """Like ``onboard`` for any market: ``onboard_to(market, user, Role.LENDER)`` or with ``grade=8``."""

    def make(mkt: Market, user, roles=Role.LENDER, grade=None, limit_tokens=40_000):
        return onboard_user(mkt, oracle, chain, chain_id, stranger, user, roles, grade, limit_tokens)

    return make


@pytest.fixture
def fast_reverts(monkeypatch):
    """Speeds up ``ape.reverts`` (~1.8 s to ~0.1 s a revert): on every revert ape-foundry fetches, enriches and prints
    the call trace, and the enrichment re-derives the HD test accounts each time. This caches the derivation (a pure
    function of its arguments) and skips printing the trace (the decoded custom error still reaches the test).
    Opt in with ``pytestmark = pytest.mark.usefixtures("fast_reverts")``; nothing but speed and stdout changes."""
    import ape_ethereum.trace
    import ape_test.accounts

    monkeypatch.setattr(ape_test.accounts, "generate_dev_accounts", _cached_dev_accounts)
    monkeypatch.setattr(ape_ethereum.trace.Trace, "show", lambda self, *args, **kwargs: None)


def _cached_dev_accounts(*args: Any, **kwargs: Any) -> list[Any]:
    from ape.utils.testing import generate_dev_accounts

    key = (args, tuple(sorted(kwargs.items())))
    if key not in _DEV_ACCOUNTS:
        _DEV_ACCOUNTS[key] = generate_dev_accounts(*args, **kwargs)
    return list(_DEV_ACCOUNTS[key])


_DEV_ACCOUNTS: dict[Any, list[Any]] = {}


@contextlib.contextmanager
def reverts(error: Any, **inputs: Any) -> Iterator[Any]:
    """``ape.reverts(error, **inputs)``, but strict: the revert must be a decoded custom error of that name with
    exactly these input values. (ape skips the check when the revert is not a custom error at all, or when it
    bubbled up through another contract, e.g. a Loan error raised inside a LoanFactory call.)"""
    from ape.exceptions import CustomError

    with ape.reverts() as info:
        yield info
    err = info.value
    name = getattr(error, "__name__", str(error))
    assert isinstance(err, CustomError), f"expected {name}{inputs}, got {err!r}"
    assert type(err).__name__ == name, f"expected {name}{inputs}, got {type(err).__name__}{dict(err.inputs)}"
    actual = dict(err.inputs)
    assert set(actual) == set(inputs), f"{name}: expected inputs {sorted(inputs)}, got {actual}"
    for key, value in inputs.items():
        assert actual[key] == value, f"{name}: expected {key}={value}, got {actual[key]}"
