"""One market on many chains: its addresses computed before anything is sent, rehearsals on anvil with another chain's
id, and the dry runs that write ``deployments/<network>.json`` for every chain in `disfruta.chains`.

`predict_addresses` computes, without a node, where a governed deployment puts every contract (CREATE2 through the
deterministic-deployment proxy; the Safe through its proxy factory). Everything but two entries depends only on the
deployer, the market salt, the Safe's owners and threshold, the timelock's delay and executors, and the code:

* ``asset``: each chain's own stablecoin;
* ``LoanImplementation``: the Loan's immutables hold the asset's address and unit.

`rehearsal_node` starts an anvil that looks like a chain (its chain id, ``--optimism`` on OP-stack chains, and no
built-in CREATE2 factory, so the deployment creates the public one with its keyless transaction as on a new chain);
`dry_run` deploys there with the chain's stablecoin address (a test token put at it) and records the result, marked
``"dry_run": true``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from disfruta.chains import Chain
from disfruta.deployment import PROXIES, Deployment
from disfruta.governance.create2 import constructor_args, contract_salt, create2_address, init_code, safe_address
from disfruta.governance.errors import DeploymentError
from disfruta.governance.nodes import connected, rehearsal_node
from disfruta.governance.timelock import OPEN_ROLE

if TYPE_CHECKING:
    from ape.managers.project import ProjectManager

    from disfruta.governance.deployment import GovernanceConfig

# Immutables of implementations that take the market's own (deterministic) addresses.
_IMPLEMENTATION_ARGS = {"NoteMarket": ("LoanFactory", "Treasury"), "Autopay": ("LoanFactory",)}


def predict_addresses(project: ProjectManager, deployer: str, config: GovernanceConfig, *,
                      asset_decimals: int = 6) -> dict[str, str]:
    """Where a governed deployment of ``config`` by ``deployer`` puts each contract, by record name (a proxy's
    implementation as ``<Name>.implementation``), computed offline. ``config.asset`` is the chain's token (the demo
    token's CREATE2 address when not given, whose decimals are 6)."""
    from disfruta.governance.deployment import DEMO_TOKEN, safe_salt_nonce

    salt = config.market_salt

    def at(name: str, container: Any, *args: Any) -> str:
        return create2_address(contract_salt(salt, name), init_code(container.contract_type, *args))

    out: dict[str, str] = {"ProxyBootstrap": at("ProxyBootstrap", project.ProxyBootstrap,
                                                to_checksum_address(deployer))}
    for name in PROXIES:
        out[name] = at(name, project.DisfrutaProxy, out["ProxyBootstrap"], b"")
    for name in PROXIES:
        args = tuple(out[a] for a in _IMPLEMENTATION_ARGS.get(name, ()))
        out[f"{name}.implementation"] = at(f"{name}.implementation", project.get_contract(name), *args)
    out["asset"] = to_checksum_address(config.asset) if config.asset else at("DemoToken", project.MockERC20,
                                                                              *DEMO_TOKEN)
    loan_config = config.market.loan.as_tuple(out["LoanFactory"], out["UserRegistry"], out["Treasury"], out["asset"],
                                              out["LendingPool"], out["Autopay"], 10**asset_decimals)
    out["LoanImplementation"] = at("LoanImplementation", project.Loan, loan_config)
    out["InterestCalculator"] = at("InterestCalculator", project.InterestCalculator)
    out["Safe"] = (to_checksum_address(config.safe) if config.safe else
                   safe_address(config.safe_owners, config.safe_threshold, safe_salt_nonce(salt)))
    executor = OPEN_ROLE if config.open_executor else out["Safe"]
    out["Timelock"] = at("Timelock", project.DisfrutaTimelock, config.min_delay, [out["Safe"]], [executor], OPEN_ROLE)
    return out


def recorded_addresses(record: Deployment) -> dict[str, str]:
    """A record's addresses by the names `predict_addresses` uses."""
    out: dict[str, str] = {}
    for name, entry in record.contracts.items():
        out[name] = entry.address
        if entry.implementation:
            out[f"{name}.implementation"] = entry.implementation
    return out


# What differs between two chains' deployments of one configuration, and why (the runbook repeats it).
PER_CHAIN = {
    "asset": "each chain's own stablecoin (the table in disfruta.chains)",
    "LoanImplementation": "the Loan's immutables hold the asset's address and unit",
}


def compare_across_chains(records: dict[str, Deployment]) -> dict[str, dict[str, str]]:
    """Every name whose address is not the same in all ``records`` (chain name → record), with its addresses; the
    names in `PER_CHAIN` are expected there."""
    addresses = {chain: recorded_addresses(r) for chain, r in records.items()}
    names = set().union(*(a.keys() for a in addresses.values()))
    return {name: {chain: a.get(name, "-") for chain, a in addresses.items()} for name in sorted(names)
            if len({a.get(name) for a in addresses.values()}) > 1}


def dry_run(project: ProjectManager, chain: Chain, config: GovernanceConfig, out_dir: Path | None, *,
            deployer: str | None = None) -> Deployment:
    """Deploys ``config`` with ``chain``'s settings on a rehearsal anvil of that chain and returns the record
    (``"dry_run": true``, network ``<ecosystem>:<network>``), written to ``out_dir / chain.deployment_file`` when
    given. ``deployer``: the address the real deployment will send from (impersonated here, so every address is
    the one the real deployment gets); default anvil's first dev account."""
    import dataclasses

    import ape

    from disfruta.governance.deployment import check_record_slot, deploy_governed_market

    config = dataclasses.replace(config, asset=config.asset or chain.stablecoin, chain=chain)
    config.validate(local=True)
    if out_dir is not None:
        check_record_slot(out_dir / chain.deployment_file, chain.chain_id, dry_run=True)
    with rehearsal_node(chain) as url, connected(url) as provider:
        if int(provider.chain_id) != chain.chain_id:
            raise DeploymentError(f"the rehearsal node reports chain {provider.chain_id}, not {chain.chain_id}")
        dev = {str(a.address): a for a in ape.accounts.test_accounts}
        if deployer and to_checksum_address(deployer) not in dev:
            ape.chain.set_balance(to_checksum_address(deployer), 10**21)
            sender = ape.accounts.test_accounts.impersonate_account(to_checksum_address(deployer))
        else:
            sender = dev[to_checksum_address(deployer)] if deployer else ape.accounts.test_accounts[0]
        deployed = deploy_governed_market(project, sender, config, local=True, network=chain.ape_network)
    record = deployed.record
    record.extra["dry_run"] = True
    if out_dir is not None:
        record.save(out_dir / chain.deployment_file)
    return record


def configuration_differences(records: dict[str, Deployment]) -> dict[str, dict[str, Any]]:
    """What no address commits to, compared across ``records`` (chain name → record): the operators, oracle
    signers, timelock delay and executors, the Safe's owners and threshold, the market salt and the market's
    parameters (limits, policy, rates, loan rules). Each key that differs, with each chain's value."""
    def settings(record: Deployment) -> dict[str, Any]:
        safe = record.contracts.get("Safe")
        gov = record.governance
        return {
            "operators": gov.get("operators"), "oracle_signers": sorted(gov.get("oracle_signers") or []),
            "timelock_min_delay": gov.get("timelock_min_delay"), "executors": gov.get("executors"),
            "safe_owners": sorted((safe.extra.get("owners") or []) if safe else []),
            "safe_threshold": safe.extra.get("threshold") if safe else None,
            "market_salt": (record.extra.get("create2") or {}).get("market_salt"),
            "market": record.extra.get("market"),
        }

    by_chain = {chain: settings(r) for chain, r in records.items()}
    keys = set().union(*(s.keys() for s in by_chain.values()))
    return {key: {chain: s.get(key) for chain, s in by_chain.items()} for key in sorted(keys)
            if len({repr(s.get(key)) for s in by_chain.values()}) > 1}


def _config(owners: list[str] | None, threshold: int, market_salt: str) -> GovernanceConfig:
    import ape

    from disfruta.governance.deployment import GovernanceConfig

    safe_owners = tuple(o.strip() for o in owners) if owners else tuple(
        str(a.address) for a in ape.accounts.test_accounts[1:4])
    config = GovernanceConfig(safe_owners=safe_owners, safe_threshold=threshold, market_salt=market_salt)
    config.validate(local=True)
    contract_salt(market_salt, "check")  # a bad salt is refused here, before any node starts
    return config


def _deployer(address: str | None) -> str:
    import ape

    return to_checksum_address(address) if address else str(ape.accounts.test_accounts[0].address)


def _table(rows: dict[str, dict[str, str]], chains: list[Chain]) -> str:
    """One line per contract: its address where it is the same on every chain, else each chain's."""
    lines = []
    for name, by_chain in rows.items():
        values = set(by_chain.values())
        if len(values) == 1:
            lines.append(f"  {name:<29} {values.pop()}")
        else:
            lines.append(f"  {name:<29} differs: " + ", ".join(f"{c.name} {by_chain[c.name]}" for c in chains))
    return "\n".join(lines)


def plan_markets(chains: list[Chain], owners: list[str] | None, threshold: int, market_salt: str,
                 deployer: str | None, out_dir: Path | None = None) -> dict[str, Any]:
    """``disfruta deploy --plan``: every chain's predicted addresses, offline."""
    import dataclasses

    import ape

    config = _config(owners, threshold, market_salt)
    sender = _deployer(deployer)
    plans = {c.name: predict_addresses(ape.project, sender, dataclasses.replace(config, asset=c.stablecoin, chain=c),
                                       asset_decimals=c.stablecoin_decimals) for c in chains}
    rows = {name: {c.name: plans[c.name][name] for c in chains} for name in plans[chains[0].name]}
    text = (f"Market {market_salt!r} deployed by {sender}, Safe {threshold} of {len(config.safe_owners)}, on "
            f"{', '.join(c.title for c in chains)} (computed offline, nothing sent):\n" + _table(rows, chains))
    return {"deployer": sender, "market_salt": market_salt, "chains": {c.name: c.chain_id for c in chains},
            "addresses": plans, "text": text}


def check_against_plan(plan: dict[str, Any], files: list[Path]) -> list[dict[str, Any]]:
    """Each deployment file held against ``plan`` (`plan_markets`' result) for its chain id: ``ok`` and the
    contracts that are not where the plan puts them."""
    from disfruta.chains import chain_by_id

    checks = []
    for path in files:
        record = Deployment.from_file(path)
        chain = chain_by_id(record.chain_id)
        if chain.name not in plan["addresses"]:
            raise DeploymentError(f"{path} is a deployment on {chain.name}; add --chain {chain.name} to the plan")
        planned, got = plan["addresses"][chain.name], recorded_addresses(record)
        wrong = {name: {"planned": address, "recorded": got.get(name, "-")} for name, address in planned.items()
                 if got.get(name) != address}
        text = (f"{path}: every contract where the plan puts it on {chain.title}" if not wrong else
                f"{path}: NOT as planned on {chain.title}: " + "; ".join(
                    f"{n} at {w['recorded']}, planned {w['planned']}" for n, w in wrong.items()))
        checks.append({"file": str(path), "chain": chain.name, "ok": not wrong, "wrong": wrong, "text": text})
    return checks


def deploy_dry_runs(chains: list[Chain], owners: list[str] | None, threshold: int, market_salt: str,
                    deployer: str | None, out_dir: Path) -> dict[str, Any]:
    """``disfruta deploy --dry-run``: `dry_run` on each chain, the files written, and whether the addresses match
    the offline plan and each other (only `PER_CHAIN` may differ)."""
    import dataclasses

    import ape

    config = _config(owners, threshold, market_salt)
    sender = _deployer(deployer)
    records: dict[str, Deployment] = {}
    for c in chains:
        records[c.name] = dry_run(ape.project, c, config, out_dir, deployer=sender)
        planned = predict_addresses(ape.project, sender, dataclasses.replace(config, asset=c.stablecoin, chain=c),
                                    asset_decimals=c.stablecoin_decimals)
        got = recorded_addresses(records[c.name])
        wrong = {k: (v, got.get(k)) for k, v in planned.items() if got.get(k) != v}
        if wrong:
            raise DeploymentError(f"the dry run on {c.name} put contracts elsewhere than planned: {wrong}")
    differing = compare_across_chains(records)
    unexpected = sorted(set(differing) - set(PER_CHAIN))
    if unexpected:
        raise DeploymentError(f"addresses differ across chains beyond the asset and the Loan implementation: "
                              f"{', '.join(unexpected)}")
    settings = configuration_differences(records)
    if settings:
        raise DeploymentError(f"the chains' markets are configured differently: {', '.join(settings)}")
    rows = {name: {c: recorded_addresses(r)[name] for c, r in records.items()}
            for name in recorded_addresses(records[chains[0].name])}
    files = [str(out_dir / c.deployment_file) for c in chains]
    text = (f"Dry runs of market {market_salt!r} by {sender} on {', '.join(c.title for c in chains)} (rehearsal "
            f"anvils with each chain's id), as planned offline:\n" + _table(rows, chains)
            + "\nWrote " + ", ".join(files) + " (marked dry_run). Run `ape run export_abis` to refresh the SDK's "
            "address book.")
    return {"deployer": sender, "market_salt": market_salt, "files": files,
            "addresses": {c: recorded_addresses(r) for c, r in records.items()}, "text": text}


def implementation_args(record: Deployment, name: str) -> bytes:
    """The recorded constructor arguments of ``name`` (its implementation's, for a proxy)."""
    entry = record.contracts[name]
    created = entry.extra.get("implementation_create2" if entry.implementation else "create2") or {}
    return bytes.fromhex(str(created.get("constructor_args", "0x"))[2:])


__all__ = ["PER_CHAIN", "compare_across_chains", "connected", "constructor_args", "dry_run", "implementation_args",
           "predict_addresses", "recorded_addresses", "rehearsal_node"]
