"""Calls that governance makes, built and checked before anything is proposed.

Timelocked (the timelock makes them after 48 h): upgrades, rates, limits, unpause, oracle signers, the Loan
implementation for new loans, the timelock's own roles. Immediate (the Safe makes them as guardian): pause, removing a
leaked oracle signer. An upgrade is checked here — UUPS entry points present, storage layout compatible with the
live implementation — and refused with an exception before its implementation is even deployed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from disfruta.deployment import Deployment
from disfruta.governance.errors import DeploymentError, ProposalError
from disfruta.governance.layout import StorageLayout, check_upgrade, check_uups, layouts_of
from disfruta.governance.records import implementation_address, storage_layout
from disfruta.governance.timelock import Call

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager


def call(contract: ContractInstance, method: str, *args: Any, name: str | None = None) -> Call:
    """``Call`` of ``contract.method(*args)`` with a readable description (``LoanFactory.setRate(8, 1300, 350)``)."""
    from ape.exceptions import ApeException
    from eth_abi.exceptions import EncodingError

    label = name or str(contract.contract_type.name)
    shown = ", ".join(_show(a) for a in args)
    try:
        data = HexBytes(getattr(contract, method).encode_input(*args))
    except (ApeException, EncodingError, TypeError, ValueError) as exc:
        raise ProposalError(f"can't encode {label}.{method}({shown}): {exc}") from exc
    return Call(target=to_checksum_address(contract.address), data=data, description=f"{label}.{method}({shown})")


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return HexBytes(value).to_0x_hex()
    return str(getattr(value, "address", value))


# ------------------------------------------------------------------------------------------------ upgrades


@dataclass(frozen=True)
class UpgradePlan:
    """A checked upgrade: the call to schedule and what the deployment record becomes once it has run."""

    proxy: str
    contract: str
    implementation: ChecksumAddress
    layout: StorageLayout
    call: Call


def plan_upgrade(project: ProjectManager, record: Deployment, proxy_name: str, new_contract: str,
                 deployer: AccountAPI, *, init: tuple[str, Sequence[Any]] | None = None) -> UpgradePlan:
    """Checks ``new_contract`` against the live implementation of ``proxy_name``, then deploys it and returns the
    ``upgradeToAndCall`` call (with ``init = (method, args)`` called on the proxy in the same transaction).

    Raises ``StorageLayoutError`` / ``UpgradeSafetyError`` / ``DeploymentError`` before sending any transaction.
    """
    live_layout = live_storage_layout(record, proxy_name)
    container = project.get_contract(new_contract)
    check_uups((m.name for m in container.contract_type.methods), new_contract)
    new_layout = layouts_of(project, [new_contract])[new_contract]
    check_upgrade(live_layout, new_layout)
    implementation = deployer.deploy(container)  # initializers disabled in its constructor: harmless on its own
    init_data = b""
    if init is not None:
        method, args = init
        init_data = getattr(implementation, method).encode_input(*args)
    proxy = project.get_contract(record.contracts[proxy_name].contract).at(record.address(proxy_name))
    upgrade_call = call(proxy, "upgradeToAndCall", implementation.address, init_data, name=proxy_name)
    if init is not None:
        upgrade_call = Call(upgrade_call.target, upgrade_call.data, 0,
                            f"{proxy_name}.upgradeToAndCall({new_contract} at {implementation.address}, "
                            f"{init[0]}({', '.join(_show(a) for a in init[1])}))")
    return UpgradePlan(proxy=proxy_name, contract=new_contract, implementation=implementation.address,
                       layout=new_layout, call=upgrade_call)


def live_storage_layout(record: Deployment, proxy_name: str) -> StorageLayout:
    """The recorded layout of the proxy's implementation, after checking the record still matches the chain."""
    layout = storage_layout(record, proxy_name)
    if layout is None:
        raise DeploymentError(f"the deployment record has no storage layout for {proxy_name}")
    entry = record.contracts[proxy_name]
    live = implementation_address(entry.address)
    if entry.implementation != live:
        raise DeploymentError(f"{proxy_name} runs {live} but the record says {entry.implementation}: the record is "
                              "stale (an upgrade ran outside these scripts?); refresh it before upgrading")
    return layout


# ------------------------------------------------------------------------------------------------ parameters


def set_rates(factory: ContractInstance, rates: Mapping[int, tuple[int, int]]) -> list[Call]:
    """``LoanFactory.setRate(grade, annualRateBps, originationFeeBps)`` for each grade."""
    return [call(factory, "setRate", grade, rate, fee, name="LoanFactory")
            for grade, (rate, fee) in sorted(rates.items())]


def unpause(contracts: Mapping[str, ContractInstance]) -> list[Call]:
    return [call(c, "unpause", name=name) for name, c in contracts.items()]


def pause(contracts: Mapping[str, ContractInstance]) -> list[Call]:
    """Guardian calls (the Safe makes them at once, no timelock)."""
    return [call(c, "pause", name=name) for name, c in contracts.items()]


def add_signer(registry: ContractInstance, signer: str) -> Call:
    return call(registry, "addSigner", to_checksum_address(signer), name="UserRegistry")


def remove_signer(registry: ContractInstance, signer: str) -> Call:
    """Through the timelock, or at once by the Safe as the registry's guardian (a leaked key)."""
    return call(registry, "removeSigner", to_checksum_address(signer), name="UserRegistry")


def set_loan_implementation(factory: ContractInstance, implementation: str) -> Call:
    return call(factory, "setLoanImplementation", to_checksum_address(implementation), name="LoanFactory")


def timelock_roles(timelock: ContractInstance, changes: Iterable[tuple[str, str, str]]) -> list[Call]:
    """The timelock changing its own roles: ``(grant|revoke, ROLE_NAME, account)`` each, e.g. making the Safe the
    only executor: ``[("grant", "EXECUTOR_ROLE", safe), ("revoke", "EXECUTOR_ROLE", ZERO)]``."""
    out = []
    for verb, role, account in changes:
        if verb not in ("grant", "revoke"):
            raise ValueError(f"grant or revoke, not {verb!r}")
        out.append(call(timelock, f"{verb}Role", HexBytes(getattr(timelock, role)()), to_checksum_address(account),
                        name="Timelock"))
    return out
