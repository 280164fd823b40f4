"""Who holds which role: the hand-over from the deployer to governance, and an audit of the result.

Governance requires: the timelock holds every admin role (``DEFAULT_ADMIN_ROLE``, which is also the UUPS upgrade
right) and administers itself; the Safe proposes and cancels on the timelock and is the guardian (pause at once,
remove an oracle signer at once); operators hold the operational roles; the deployer holds nothing.

``AccessControl`` is not enumerable, so the audit works two ways: it replays every ``RoleGranted`` / ``RoleRevoked``
event since the deployment block (the complete history of holders), and it asks ``hasRole`` for every known
candidate address (deployer, Safe, owners, operators, timelock).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes

from disfruta.governance.errors import DeploymentError

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance

DEFAULT_ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"
ROLES: dict[str, tuple[str, ...]] = {
    "UserRegistry": (DEFAULT_ADMIN_ROLE, "KYC_ADMIN_ROLE", "REVOKER_ROLE", "GUARDIAN_ROLE", "DEFAULT_RECORDER_ROLE"),
    "LoanFactory": (DEFAULT_ADMIN_ROLE, "UNDERWRITER_ROLE", "GUARDIAN_ROLE"),
    "Treasury": (DEFAULT_ADMIN_ROLE, "FEE_COLLECTOR_ROLE"),
    "LendingPool": (DEFAULT_ADMIN_ROLE, "GUARDIAN_ROLE"),
    "NoteMarket": (DEFAULT_ADMIN_ROLE, "GUARDIAN_ROLE"),
    "Autopay": (DEFAULT_ADMIN_ROLE, "GUARDIAN_ROLE"),
    "Timelock": (DEFAULT_ADMIN_ROLE, "PROPOSER_ROLE", "CANCELLER_ROLE", "EXECUTOR_ROLE"),
}


def role_id(contract: ContractInstance, name: str) -> HexBytes:
    return HexBytes(b"\x00" * 32) if name == DEFAULT_ADMIN_ROLE else HexBytes(getattr(contract, name)())


@dataclass(frozen=True)
class Assignment:
    """Who must hold each role of each governed contract (contract name → role name → holders)."""

    holders: Mapping[str, Mapping[str, frozenset[ChecksumAddress]]]

    @classmethod
    def governed(cls, *, timelock: str, safe: str, kyc_admin: str, revoker: str, underwriter: str,
                 executor: str, factory: str, note_market: str) -> Assignment:
        def one(address: str) -> frozenset[ChecksumAddress]:
            return frozenset({to_checksum_address(address)})

        tl, sf = one(timelock), one(safe)
        return cls({
            "UserRegistry": {DEFAULT_ADMIN_ROLE: tl, "KYC_ADMIN_ROLE": one(kyc_admin), "REVOKER_ROLE": one(revoker),
                             "GUARDIAN_ROLE": sf, "DEFAULT_RECORDER_ROLE": one(factory)},
            "LoanFactory": {DEFAULT_ADMIN_ROLE: tl, "UNDERWRITER_ROLE": one(underwriter), "GUARDIAN_ROLE": sf},
            "Treasury": {DEFAULT_ADMIN_ROLE: tl, "FEE_COLLECTOR_ROLE": one(note_market)},
            "LendingPool": {DEFAULT_ADMIN_ROLE: tl, "GUARDIAN_ROLE": sf},
            "NoteMarket": {DEFAULT_ADMIN_ROLE: tl, "GUARDIAN_ROLE": sf},
            "Autopay": {DEFAULT_ADMIN_ROLE: tl, "GUARDIAN_ROLE": sf},
            "Timelock": {DEFAULT_ADMIN_ROLE: tl, "PROPOSER_ROLE": sf, "CANCELLER_ROLE": sf,
                         "EXECUTOR_ROLE": one(executor)},
        })


def hand_over(contracts: Mapping[str, ContractInstance], timelock: ContractInstance, deployer: AccountAPI) -> None:
    """Grants every admin role to the timelock, then has the deployer renounce every role it holds."""
    for contract in contracts.values():
        contract.grantRole(role_id(contract, DEFAULT_ADMIN_ROLE), timelock, sender=deployer)
    for name, contract in contracts.items():
        # the admin role last: renouncing it first would still work (renounce needs no admin) but reads wrongly
        for role in sorted(ROLES[name], key=lambda r: r == DEFAULT_ADMIN_ROLE):
            rid = role_id(contract, role)
            if contract.hasRole(rid, deployer):
                contract.renounceRole(rid, deployer, sender=deployer)


def holders_from_events(contract: ContractInstance, start_block: int) -> dict[HexBytes, set[ChecksumAddress]]:
    """Every role's holders, replaying ``RoleGranted``/``RoleRevoked`` from ``start_block`` to the head."""
    from ape import chain

    head = chain.blocks.height
    logs = [*contract.RoleGranted.range(start_block, head + 1), *contract.RoleRevoked.range(start_block, head + 1)]
    holders: dict[HexBytes, set[ChecksumAddress]] = {}
    for log in sorted(logs, key=lambda x: (x.block_number, x.log_index)):
        members = holders.setdefault(HexBytes(log.role), set())
        account = to_checksum_address(log.account)
        if log.event_name == "RoleGranted":
            members.add(account)
        else:
            members.discard(account)
    return holders


def audit_roles(contracts: Mapping[str, ContractInstance], expected: Assignment, candidates: Iterable[str],
                start_block: int) -> list[str]:
    """Differences between ``expected`` and the chain, as sentences (empty when governance is wired right)."""
    problems: list[str] = []
    everyone_expected = {h for roles in expected.holders.values() for hs in roles.values() for h in hs}
    people = sorted({to_checksum_address(c) for c in candidates} | everyone_expected)
    for name, contract in contracts.items():
        wanted = expected.holders[name]
        ids = {role_id(contract, role): role for role in ROLES[name]}
        for rid, members in holders_from_events(contract, start_block).items():
            role = ids.get(rid, rid.to_0x_hex())
            want = set(wanted.get(role, frozenset()))
            if members != want:
                problems.append(f"{name}.{role}: events show holders {sorted(members)}, expected {sorted(want)}")
        for role in ROLES[name]:
            rid = role_id(contract, role)
            for person in people:
                holds, should = bool(contract.hasRole(rid, person)), person in wanted.get(role, frozenset())
                if holds != should:
                    problems.append(f"{name}.{role}: hasRole({person}) is {holds}, expected {should}")
    return problems


def verify_roles(contracts: Mapping[str, ContractInstance], expected: Assignment, candidates: Iterable[str],
                 start_block: int) -> None:
    problems = audit_roles(contracts, expected, candidates, start_block)
    if problems:
        raise DeploymentError("governance roles are not as required:\n  " + "\n  ".join(problems))
