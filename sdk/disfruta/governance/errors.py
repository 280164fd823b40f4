"""Exceptions of the governance tooling, all under the SDK's root ``DisfrutaError``."""

from __future__ import annotations

from dataclasses import dataclass

from disfruta.errors import DisfrutaError


class GovernanceError(DisfrutaError):
    """A deployment, proposal or upgrade can't go ahead; the message says why and what to do."""


class DeploymentError(GovernanceError):
    """The deployment's configuration is inconsistent, or its role wiring is not what governance requires."""


class ProposalError(GovernanceError):
    """A proposal can't be signed or executed yet (missing signatures, delay not passed, wrong signer, ...)."""


@dataclass(frozen=True)
class LayoutProblem:
    """One incompatibility between the live and the new storage layout."""

    namespace: str
    member: str
    old: str
    new: str
    reason: str

    def __str__(self) -> str:
        return f"`{self.member}` (namespace {self.namespace}): {self.reason} (live: {self.old}; new: {self.new})"


class StorageLayoutError(GovernanceError):
    """The new implementation would read the proxy's existing storage wrongly; the upgrade is refused.

    ``member`` names the first member that changed; ``problems`` lists them all.
    """

    def __init__(self, contract: str, problems: list[LayoutProblem]) -> None:
        self.contract = contract
        self.problems = problems
        self.member = problems[0].member if problems else ""
        lines = "\n  ".join(str(p) for p in problems)
        super().__init__(f"{contract}: incompatible storage layout, upgrade refused:\n  {lines}")


class UpgradeSafetyError(GovernanceError):
    """The new implementation is not a safe UUPS implementation (no upgrade entry point, bad namespace slot...)."""
