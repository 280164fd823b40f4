"""Governance of a Disfruta market: deployment behind a 48-hour timelock and a Safe, proposals, upgrade safety.

Modules, one concept each:

* ``deployment`` — deploys a governed market and hands every role to governance (``deploy_governed_market``).
* ``roles`` — the role assignment governance requires and an audit of the chain against it.
* ``safe`` — the Safe: local deployment, Safe transactions, owner signatures, execution.
* ``timelock`` — timelock operations, ids, calldata and state.
* ``actions`` — the calls governance makes (upgrade, rates, unpause, pause, oracle signers ...), checked first.
* ``proposals`` — proposal files: propose, sign, execute, status, cancel.
* ``layout`` — ERC-7201 storage layouts from the compiler AST and the upgrade compatibility check.
* ``records`` — what governance reads from and writes to a deployment record (``disfruta.deployment.Deployment``,
  the one model of ``deployments/<network>.json``): implementation versions, live implementations, upgrades.
* ``export`` — ABIs for frontends and the ethPM manifest the SDK ships.

Everything that talks to a chain expects an active ape network connection (``ape run``, ``ape test`` or
``ape.networks.parse_network_choice``); ape is imported inside the functions that need it.
"""

from disfruta.governance.errors import (
    DeploymentError,
    GovernanceError,
    LayoutProblem,
    ProposalError,
    StorageLayoutError,
    UpgradeSafetyError,
)

__all__ = [
    "DeploymentError",
    "GovernanceError",
    "LayoutProblem",
    "ProposalError",
    "StorageLayoutError",
    "UpgradeSafetyError",
]
