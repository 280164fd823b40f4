"""Deployment helpers shared by the demo, the tests and (later) the governance deploy script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

YEAR = 365 * 86_400


def deploy_proxy(project: Any, deployer: Any, contract_type: Any, *init_args: Any) -> tuple[Any, Any]:
    """Deploys ``contract_type`` as a UUPS implementation behind a ``DisfrutaProxy`` initialised with ``init_args``.

    Returns ``(proxied contract, implementation)``; the implementation's own initializer is disabled.
    """
    impl = deployer.deploy(contract_type)
    proxy = deployer.deploy(project.DisfrutaProxy, impl, impl.initialize.encode_input(*init_args))
    return contract_type.at(proxy.address), impl


@dataclass(frozen=True)
class Foundation:
    """The contracts of the foundation: the registry (behind its proxy) and the stateless calculator."""

    registry: Any
    registry_implementation: Any
    calculator: Any


def deploy_foundation(
    project: Any,
    deployer: Any,
    *,
    admin: Any | None = None,
    kyc_admin: Any | None = None,
    revoker: Any | None = None,
    guardian: Any | None = None,
    oracle_signers: tuple[str, ...] = (),
    kyc_validity: int = YEAR,
) -> Foundation:
    """Deploys `UserRegistry` (proxy) and `InterestCalculator`, grants the registry's roles and adds oracle signers.

    Roles default to the deployer; the governance deploy script hands them to the timelock and the Safe.
    """
    admin = admin or deployer
    registry, impl = deploy_proxy(project, deployer, project.UserRegistry, deployer, kyc_validity)
    for role, holder in (
        (registry.KYC_ADMIN_ROLE(), kyc_admin or admin),
        (registry.REVOKER_ROLE(), revoker or admin),
        (registry.GUARDIAN_ROLE(), guardian or admin),
    ):
        registry.grantRole(role, holder, sender=deployer)
    for signer in oracle_signers:
        registry.addSigner(signer, sender=deployer)
    if admin != deployer:
        registry.grantRole(registry.DEFAULT_ADMIN_ROLE(), admin, sender=deployer)
        registry.renounceRole(registry.DEFAULT_ADMIN_ROLE(), deployer, sender=deployer)
    calculator = deployer.deploy(project.InterestCalculator)
    return Foundation(registry=registry, registry_implementation=impl, calculator=calculator)
