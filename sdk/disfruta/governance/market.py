"""A plain market, as the tests, the benchmarks and the governed deployment (`disfruta.governance.deployment`) deploy
it through ape, and Multicall3 at its canonical address on a local chain.

`deploy_market` deploys one market (one ERC-20 asset): the registry, factory, treasury, lending pool, note market and
autopay behind UUPS proxies, the
Loan implementation (whose immutables hold the market's fee and timing configuration), and the stateless calculator,
then wires them together. Every role starts with ``admin``; the governed deployment then hands the admin roles to
the timelock and the guardian role to the Safe.

`ensure_multicall3` puts Multicall3 at 0xcA11bde05977b3631167028862bE2a173976CA11 on a local chain, where public chains
have it, so the SDK's batched reads work the same everywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from disfruta.codec import codec_for, encode_struct
from disfruta.governance.create2 import Create2Deployer, abi_encode_call
from disfruta.governance.errors import DeploymentError
from disfruta.grades import Grade
from disfruta.models import LoanConfig, LoanLimits

DAY = 86_400
YEAR = 365 * DAY

# Annual rate and origination fee (basis points) by sub-grade, A1 … E5: a LendingClub-like ladder from 6 % to 30 %
# APR and 1 % to 6 % origination. Governance changes them through the timelock (`LoanFactory.setRate`).
DEFAULT_RATES: dict[Grade, tuple[int, int]] = {
    grade: (600 + (grade.value - 1) * 100, 100 + (grade.value - 1) * 500 // 24) for grade in Grade
}


@dataclass(frozen=True)
class LoanRules:
    """The market-wide loan parameters, immutable in each Loan implementation (amounts in whole tokens here). On
    chain they are `ILoan.Config` (`disfruta.models.LoanConfig`, token units and the contracts' addresses)."""

    servicing_fee_bps: int = 100
    late_fee_bps: int = 500
    late_fee_min_tokens: int = 15
    min_note_tokens: int = 25
    partial_funding_bps: int = 7_000
    grace_period: int = 15 * DAY
    default_after: int = 120 * DAY
    acceptance_window: int = 7 * DAY
    drawdown_window: int = 30 * DAY

    def config(self, factory: str, registry: str, treasury: str, asset: str, pool: str, autopay: str,
               unit: int) -> LoanConfig:
        return LoanConfig(
            factory=factory, registry=registry, treasury=treasury, asset=asset, pool=pool, autopay=autopay,
            servicing_fee_bps=self.servicing_fee_bps, late_fee_bps=self.late_fee_bps,
            late_fee_min=self.late_fee_min_tokens * unit, min_note=self.min_note_tokens * unit,
            partial_funding_bps=self.partial_funding_bps, grace_period=self.grace_period,
            default_after=self.default_after, acceptance_window=self.acceptance_window,
            drawdown_window=self.drawdown_window)

    def as_tuple(self, factory: str, registry: str, treasury: str, asset: str, pool: str, autopay: str,
                 unit: int) -> tuple[Any, ...]:
        """The Loan constructor's `Config` argument, built by the struct codec by field name from the ABI."""
        return encode_struct(self.config(factory, registry, treasury, asset, pool, autopay, unit),
                             codec_for("Loan").struct_components("config"))


@dataclass(frozen=True)
class MarketParams:
    """Limits, rates and treasury policy of a new market."""

    min_amount_tokens: int = 1_000
    max_amount_tokens: int = 40_000
    min_term_months: int = 6
    max_term_months: int = 60
    min_funding_period: int = 1 * DAY
    max_funding_period: int = 30 * DAY
    reserve_share_bps: int = 5_000
    default_cover_bps: int = 3_000
    kyc_validity: int = YEAR
    # The note market's seller fee (LendingClub's 1 %) and how long before a due date autopay collects (3 days).
    seller_fee_bps: int = 100
    autopay_lead_time: int = 3 * DAY
    rates: dict[Grade, tuple[int, int]] = field(default_factory=lambda: dict(DEFAULT_RATES))
    loan: LoanRules = field(default_factory=LoanRules)

    def limits(self, unit: int) -> tuple[Any, ...]:
        """`ILoanFactory.Limits` in token units, built by the struct codec by field name from the ABI."""
        limits = LoanLimits(min_amount=self.min_amount_tokens * unit, max_amount=self.max_amount_tokens * unit,
                            min_term_months=self.min_term_months, max_term_months=self.max_term_months,
                            min_funding_period=self.min_funding_period, max_funding_period=self.max_funding_period)
        return encode_struct(limits, codec_for("LoanFactory").struct_components("limits"))


@dataclass(frozen=True)
class Market:
    """A deployed market: proxied contracts and their implementations."""

    asset: Any
    registry: Any
    factory: Any
    treasury: Any
    pool: Any
    note_market: Any
    autopay: Any
    loan_implementation: Any
    calculator: Any
    implementations: dict[str, Any]


def deploy_proxy(project: Any, deployer: Any, contract_type: Any, *init_args: Any,
                 constructor_args: tuple[Any, ...] = (), create2: Create2Deployer | None = None) -> tuple[Any, Any]:
    """Deploys ``contract_type`` as a UUPS implementation behind a ``DisfrutaProxy`` initialised with ``init_args``.

    ``constructor_args``: the implementation's immutables (the note market's and autopay's market addresses).
    Returns ``(proxied contract, implementation)``; the implementation's own initializer is disabled.

    With ``create2`` both go through the deterministic-deployment proxy: the implementation under the salt
    ``<Name>.implementation``, the proxy under ``<Name>`` with the bootstrap as its first implementation (creation
    code without anything chain-specific), then one ``upgradeToAndCall`` by the deployer moves it to the
    implementation and initialises it with the chain's own arguments.
    """
    if create2 is None:
        impl = deployer.deploy(contract_type, *constructor_args)
        proxy = deployer.deploy(project.DisfrutaProxy, impl, impl.initialize.encode_input(*init_args))
        return contract_type.at(proxy.address), impl
    from ape import chain

    name = str(contract_type.contract_type.name)
    impl = create2.deploy(f"{name}.implementation", contract_type, *constructor_args)
    bootstrap = create2.deploy("ProxyBootstrap", project.ProxyBootstrap, deployer.address)
    proxy = create2.create(name, project.DisfrutaProxy, bootstrap.address, b"")
    current = implementation_of(chain.provider.web3, proxy)
    if current != bootstrap.address:
        raise DeploymentError(
            f"{name}'s proxy at {proxy} already runs {current}, not the bootstrap: a market with salt "
            f"{create2.market_salt!r} from {deployer.address} is already deployed on chain {chain.chain_id}; "
            "choose another salt")
    # Sent as plain calldata: an ape handle on the proxy now would cache the bootstrap's ABI for its address.
    upgrade = abi_encode_call(project.ProxyBootstrap.contract_type, "upgradeToAndCall", impl.address,
                              bytes(impl.initialize.encode_input(*init_args)))
    receipt = deployer.transfer(proxy, 0, data=upgrade)
    if receipt.failed or implementation_of(chain.provider.web3, proxy) != impl.address:
        raise DeploymentError(f"moving {name}'s proxy at {proxy} to its implementation {impl.address} failed")
    return contract_type.at(proxy), impl


def precreate(project: Any, deployer: Any, asset: Any, params: MarketParams, create2: Create2Deployer) -> None:
    """Creates the market's contracts through CREATE2 before any proxy is initialised: the bootstrap, the six
    proxies (on the bootstrap), the implementations, the Loan implementation and the calculator. The note market's
    and autopay's implementations read the factory's registry and token in their constructors, so they are created
    once the factory is initialised (`deploy_proxy`).

    Anyone may send any of these creations first (the factory is public): ours then reverts, the code is there all
    the same (the address commits to the creation code), and the deployment goes on (`Create2Deployer.create`)."""
    bootstrap = create2.create("ProxyBootstrap", project.ProxyBootstrap, deployer.address)
    proxies = {name: create2.create(name, project.DisfrutaProxy, bootstrap, b"") for name in
               ("UserRegistry", "LoanFactory", "Treasury", "LendingPool", "NoteMarket", "Autopay")}
    for name in ("UserRegistry", "LoanFactory", "Treasury", "LendingPool"):
        create2.create(f"{name}.implementation", project.get_contract(name))
    unit = 10 ** asset.decimals()
    create2.create("LoanImplementation", project.Loan, params.loan.as_tuple(
        proxies["LoanFactory"], proxies["UserRegistry"], proxies["Treasury"], asset.address, proxies["LendingPool"],
        proxies["Autopay"], unit))
    create2.create("InterestCalculator", project.InterestCalculator)


IMPLEMENTATION_SLOT = 0x360894A13BA1A3210667C828492DB98DCA3E2076CC3735A920A3CA505D382BBC  # ERC-1967


def implementation_of(w3: Any, proxy: str) -> str:
    """The ERC-1967 implementation a proxy runs (from its storage slot)."""
    from eth_utils import to_checksum_address

    return to_checksum_address(bytes(w3.eth.get_storage_at(to_checksum_address(proxy), IMPLEMENTATION_SLOT))[-20:])


def deploy_market(
    project: Any,
    deployer: Any,
    asset: Any,
    *,
    params: MarketParams | None = None,
    oracle_signers: tuple[str, ...] = (),
    kyc_admin: Any | None = None,
    revoker: Any | None = None,
    underwriter: Any | None = None,
    guardian: Any | None = None,
    create2: Create2Deployer | None = None,
) -> Market:
    """Deploys and wires a whole market for ``asset``; operational roles default to the deployer. With ``create2``
    every contract goes through the deterministic-deployment proxy (`deploy_proxy`), so the same deployer and salt
    give the same addresses on every chain; only the Loan implementation, whose immutables hold the asset, differs
    with the asset."""
    params = params or MarketParams()
    unit = 10 ** asset.decimals()

    def proxied(contract_type: Any, *init_args: Any, constructor_args: tuple[Any, ...] = ()) -> tuple[Any, Any]:
        return deploy_proxy(project, deployer, contract_type, *init_args, constructor_args=constructor_args,
                            create2=create2)

    def plain(name: str, contract_type: Any, *args: Any) -> Any:
        return create2.deploy(name, contract_type, *args) if create2 else deployer.deploy(contract_type, *args)

    if create2 is not None:
        precreate(project, deployer, asset, params, create2)
    registry, registry_impl = proxied(project.UserRegistry, deployer, params.kyc_validity)
    factory, factory_impl = proxied(project.LoanFactory, deployer, registry, asset, params.limits(unit))
    treasury, treasury_impl = proxied(project.Treasury, deployer, asset, factory, params.reserve_share_bps,
                                      params.default_cover_bps)
    pool, pool_impl = proxied(project.LendingPool, deployer, asset, factory)
    note_market, note_market_impl = proxied(project.NoteMarket, deployer, params.seller_fee_bps,
                                            constructor_args=(factory, treasury))
    autopay, autopay_impl = proxied(project.Autopay, deployer, params.autopay_lead_time, constructor_args=(factory,))
    loan_impl = plain(
        "LoanImplementation", project.Loan,
        params.loan.as_tuple(factory.address, registry.address, treasury.address, asset.address, pool.address,
                             autopay.address, unit),
    )
    factory.setLoanImplementation(loan_impl, sender=deployer)
    for grade, (rate, fee) in params.rates.items():
        factory.setRate(int(grade), rate, fee, sender=deployer)
    for role, holder in (
        (registry.KYC_ADMIN_ROLE(), kyc_admin),
        (registry.REVOKER_ROLE(), revoker),
        (registry.GUARDIAN_ROLE(), guardian),
    ):
        registry.grantRole(role, holder or deployer, sender=deployer)
    # The factory records a borrower's default in the registry when one of their loans defaults.
    registry.grantRole(registry.DEFAULT_RECORDER_ROLE(), factory, sender=deployer)
    factory.grantRole(factory.UNDERWRITER_ROLE(), underwriter or deployer, sender=deployer)
    factory.grantRole(factory.GUARDIAN_ROLE(), guardian or deployer, sender=deployer)
    pool.grantRole(pool.GUARDIAN_ROLE(), guardian or deployer, sender=deployer)
    note_market.grantRole(note_market.GUARDIAN_ROLE(), guardian or deployer, sender=deployer)
    autopay.grantRole(autopay.GUARDIAN_ROLE(), guardian or deployer, sender=deployer)
    # The note market records its seller fees in the Treasury.
    treasury.grantRole(treasury.FEE_COLLECTOR_ROLE(), note_market, sender=deployer)
    for signer in oracle_signers:
        registry.addSigner(signer, sender=deployer)
    calculator = plain("InterestCalculator", project.InterestCalculator)
    return Market(
        asset=asset,
        registry=registry,
        factory=factory,
        treasury=treasury,
        pool=pool,
        note_market=note_market,
        autopay=autopay,
        loan_implementation=loan_impl,
        calculator=calculator,
        implementations={
            "UserRegistry": registry_impl, "LoanFactory": factory_impl, "Treasury": treasury_impl,
            "LendingPool": pool_impl, "NoteMarket": note_market_impl, "Autopay": autopay_impl,
        },
    )


# ------------------------------------------------------------------------------------------------ Multicall3

MULTICALL3_ADDRESS = "0xcA11bde05977b3631167028862bE2a173976CA11"
LOCAL_CHAIN_IDS = (31337, 1337)
_SET_CODE = ("anvil_setCode", "hardhat_setCode")  # anvil answers both; hardhat only the second

log = logging.getLogger(__name__)


def ensure_multicall3(provider_or_web3: Any) -> bool:
    """Puts Multicall3's runtime code (the one ape ships) at its canonical address on a local chain that has no code
    there yet; returns whether it did. ``provider_or_web3``: an ape provider (``chain.provider``) or a ``Web3``.

    A chain that already has code there is left alone; a non-local chain without Multicall3 is only logged (the
    SDK's batched reads will say so), never written to."""
    from ape_ethereum.multicall.constants import MULTICALL3_CODE
    from hexbytes import HexBytes

    w3 = getattr(provider_or_web3, "web3", provider_or_web3)
    if bytes(w3.eth.get_code(MULTICALL3_ADDRESS)):
        return False
    network = getattr(provider_or_web3, "network", None)
    chain_id = int(w3.eth.chain_id)
    if chain_id not in LOCAL_CHAIN_IDS and not getattr(network, "is_local", False):
        log.warning("chain %s has no Multicall3 at %s and is not a local chain: not deploying it", chain_id,
                    MULTICALL3_ADDRESS)
        return False
    code = HexBytes(MULTICALL3_CODE).to_0x_hex()
    errors = []
    for method in _SET_CODE:
        answer = w3.provider.make_request(method, [MULTICALL3_ADDRESS, code])
        if not answer.get("error"):
            break
        errors.append(f"{method}: {answer['error'].get('message', answer['error'])}")
    else:
        raise DeploymentError(f"cannot put Multicall3 at {MULTICALL3_ADDRESS} on local chain {chain_id}: "
                              + "; ".join(errors))
    if not bytes(w3.eth.get_code(MULTICALL3_ADDRESS)):
        raise DeploymentError(f"the node accepted Multicall3's code at {MULTICALL3_ADDRESS} but has none there")
    return True
