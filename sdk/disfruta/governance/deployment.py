"""Deploy code of a governed market (the plain market it builds on is `disfruta.governance.market`).

A governed deployment: the market behind UUPS proxies, a 48-hour timelock that holds every admin role, the Safe
as proposer, canceller and guardian, operators for the day-to-day roles, and a deployer left with nothing.

Executors. By default anyone may execute a ready operation (``EXECUTOR_ROLE`` for ``address(0)``, as OpenZeppelin
documents): what runs was fixed when threshold owners scheduled it and has been public for 48 hours, the Safe can
cancel it until then, so opening execution adds no power to anyone but removes a second signing round (and the risk
that a ready fix waits for owners to be available). ``open_executor=False`` makes the Safe the only executor instead,
for teams that want to choose the moment of execution; the governance scripts handle both.

>>> deployed = deploy_governed_market(project, deployer, GovernanceConfig(safe_owners=owners, safe_threshold=2),
...                                   local=True)                                      # doctest: +SKIP
>>> deployed.record.save(Path("deployments/local.json"))                               # doctest: +SKIP

On a local chain the deployment also puts Multicall3 at its canonical address (`ensure_multicall3`), as public chains
have it. `deploy_from_cli` is ``disfruta deploy`` (local chains); ``ape run deploy`` (`deploy_to_file`) deploys
anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from disfruta.chains import Chain
from disfruta.deployment import PROXIES, ContractRecord, Deployment, network_file_name
from disfruta.errors import ConfigurationError
from disfruta.governance.create2 import (
    DETERMINISTIC_DEPLOYER,
    Create2Deployer,
    contract_salt,
    ensure_deterministic_deployer,
    ensure_safe_infrastructure,
    place_token,
    safe_address,
)
from disfruta.governance.errors import DeploymentError
from disfruta.governance.layout import layouts_of
from disfruta.governance.market import LOCAL_CHAIN_IDS, Market, MarketParams, deploy_market, ensure_multicall3
from disfruta.governance.records import code_version, git_revision
from disfruta.governance.roles import Assignment, hand_over, verify_roles
from disfruta.governance.safe import SafeInfrastructure, deploy_safe, safe_at, safe_state
from disfruta.governance.timelock import MIN_DELAY, OPEN_ROLE

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractInstance
    from ape.managers.project import ProjectManager

DEMO_TOKEN = ("Demo USD", "dUSD", 6)


@dataclass(frozen=True)
class GovernanceConfig:
    """What a deployment needs beyond the market parameters. On a local chain the Safe and the token are deployed
    (``safe_owners``/``safe_threshold``); elsewhere ``safe`` and ``asset`` must be given. Operators default to the
    Safe."""

    safe: str | None = None
    safe_owners: tuple[str, ...] = ()
    safe_threshold: int = 1
    asset: str | None = None
    min_delay: int = MIN_DELAY
    open_executor: bool = True
    kyc_admin: str | None = None
    revoker: str | None = None
    underwriter: str | None = None
    oracle_signers: tuple[str, ...] = ()
    market: MarketParams = field(default_factory=MarketParams)
    # Names the market: with the same deployer, the same salt and the same configuration, every chain gets the same
    # addresses (`disfruta.governance.create2`).
    market_salt: str = "v1"
    # The chain whose settings a deployment uses (`disfruta.chains`); on a local chain it makes a dry run of that
    # chain: a test token at its stablecoin's address.
    chain: Chain | None = None

    def validate(self, local: bool) -> None:
        """Refuses, before anything is sent, what would fail half-way: a malformed address, a missing Safe or token
        off a local chain, a short delay."""
        fields: dict[str, Any] = {"safe": self.safe, "asset": self.asset, "kyc_admin": self.kyc_admin,
                                  "revoker": self.revoker, "underwriter": self.underwriter}
        fields.update({f"safe owner {i + 1}": o for i, o in enumerate(self.safe_owners)})
        fields.update({f"oracle signer {i + 1}": o for i, o in enumerate(self.oracle_signers)})
        for what, value in fields.items():
            if value is None:
                continue
            try:
                checked = to_checksum_address(str(value))
            except ValueError:
                raise DeploymentError(f"the {what} {value!r} is not an address") from None
            if int(checked, 16) == 0:
                raise DeploymentError(f"the {what} is the zero address")
        if not 1 <= self.safe_threshold <= max(len(self.safe_owners), 1) and not self.safe:
            raise DeploymentError(f"the Safe's threshold must be 1 … {len(self.safe_owners)}, got "
                                  f"{self.safe_threshold}")
        if not local and (not (self.safe or self.safe_owners) or not self.asset):
            raise DeploymentError("outside a local chain give the Safe (its address, or its owners to create it) and "
                                  "the market's token address")
        if local and not self.safe and not self.safe_owners:
            raise DeploymentError("a local deployment needs the Safe's owners (or an existing Safe's address)")
        if not local and self.min_delay < MIN_DELAY:
            raise DeploymentError(f"the timelock delay must be at least {MIN_DELAY} s (48 h) outside a local chain")


@dataclass(frozen=True)
class GovernedDeployment:
    """Live handles on everything deployed, and its record."""

    market: Market
    timelock: ContractInstance
    safe: ContractInstance
    record: Deployment

    def governed(self) -> dict[str, ContractInstance]:
        """The contracts whose roles governance holds, by name (proxies and the timelock)."""
        return {**_proxies(self.market), "Timelock": self.timelock}


def _proxies(market: Market) -> dict[str, ContractInstance]:
    return {"UserRegistry": market.registry, "LoanFactory": market.factory, "Treasury": market.treasury,
            "LendingPool": market.pool, "NoteMarket": market.note_market, "Autopay": market.autopay}


def deploy_governed_market(project: ProjectManager, deployer: AccountAPI, config: GovernanceConfig, *,
                           local: bool, network: str = "local") -> GovernedDeployment:
    """Deploys (Safe and token when local), the market, the timelock; hands every role over; verifies the result.

    Every contract goes through CREATE2 (`disfruta.governance.create2`): the deterministic-deployment proxy for the
    market's contracts and the timelock, the Safe proxy factory for the Safe. On a local chain the factories are put
    where public chains have them first, and a ``config.chain`` with a token address makes a dry run of that chain."""
    from ape import chain

    config.validate(local)
    w3 = chain.provider.web3
    if local:
        ensure_multicall3(chain.provider)
    ensure_deterministic_deployer(w3, local=local)
    start_block = chain.blocks.height + 1
    create2 = Create2Deployer(deployer, config.market_salt)
    safe_extra: dict[str, Any] = {}
    if config.safe:
        safe = safe_at(config.safe)
    else:
        infra = SafeInfrastructure(**ensure_safe_infrastructure(w3, local=local))
        salt_nonce = safe_salt_nonce(config.market_salt)
        predicted = safe_address(config.safe_owners, config.safe_threshold, salt_nonce)
        safe = (safe_container_at(predicted) if chain.provider.get_code(predicted) else
                deploy_safe(deployer, config.safe_owners, config.safe_threshold, infra, salt_nonce=salt_nonce))
        if to_checksum_address(safe.address) != predicted:
            raise DeploymentError(f"the Safe landed at {safe.address}, not at its predicted address {predicted}")
        safe_extra = {"singleton": infra.singleton, "proxy_factory": infra.proxy_factory,
                      "fallback_handler": infra.fallback_handler, "salt_nonce": str(salt_nonce)}
    if config.asset:
        if local and config.chain and not chain.provider.get_code(config.asset):
            place_token(w3, deployer, project.MockERC20, config.asset, f"Dry-run {config.chain.stablecoin_symbol}",
                        config.chain.stablecoin_symbol, config.chain.stablecoin_decimals)
        asset = project.MockERC20.at(config.asset)
    else:
        asset = create2.deploy("DemoToken", project.MockERC20, *DEMO_TOKEN)

    safe_address_ = to_checksum_address(safe.address)
    operators = {"kyc_admin": config.kyc_admin or safe_address_, "revoker": config.revoker or safe_address_,
                 "underwriter": config.underwriter or safe_address_}
    executor = OPEN_ROLE if config.open_executor else safe_address_
    # Created first, with everything else (`precreate`): after the first proxy is initialised nothing is left that
    # someone else could race us to.
    timelock = create2.deploy("Timelock", project.DisfrutaTimelock, config.min_delay, [safe_address_], [executor],
                              OPEN_ROLE)
    market = deploy_market(project, deployer, asset, params=config.market, oracle_signers=config.oracle_signers,
                           guardian=safe_address_, create2=create2, **operators)
    hand_over(_proxies(market), timelock, deployer)

    expected = Assignment.governed(timelock=timelock.address, safe=safe_address_, executor=executor,
                                   factory=market.factory.address, note_market=market.note_market.address,
                                   **operators)
    owners = safe_state(safe).owners
    verify_roles({**_proxies(market), "Timelock": timelock}, expected,
                 [deployer.address, safe_address_, *owners, *operators.values(), market.factory.address,
                  market.note_market.address], start_block)
    record = _record(project, market, timelock, safe, deployer, config, network, start_block, safe_extra, operators,
                     executor, create2, dry_run=local and config.chain is not None)
    return GovernedDeployment(market=market, timelock=timelock, safe=safe, record=record)


def market_settings(params: MarketParams) -> dict[str, Any]:
    """The market's parameters as the record keeps them (limits, policy, rates by sub-grade, the loan rules), so two
    chains' records can be compared on what no address commits to."""
    import dataclasses

    data = dataclasses.asdict(params)
    data["rates"] = {grade.name: list(rate) for grade, rate in sorted(params.rates.items())}
    return data


def safe_salt_nonce(market_salt: str) -> int:
    """The Safe proxy factory's salt nonce for a market's Safe (so owners, threshold and market salt fix its
    address)."""
    return int.from_bytes(contract_salt(market_salt, "Safe"), "big")


def safe_container_at(address: str) -> ContractInstance:
    from disfruta.governance.safe import safe_container

    return safe_container().at(address)


def _record(project: ProjectManager, market: Market, timelock: ContractInstance, safe: ContractInstance,
            deployer: AccountAPI, config: GovernanceConfig, network: str, start_block: int,
            safe_extra: dict[str, Any], operators: dict[str, str], executor: str, create2: Create2Deployer, *,
            dry_run: bool) -> Deployment:
    from ape import chain

    state = safe_state(safe)
    layouts = layouts_of(project, PROXIES)
    contracts: dict[str, ContractRecord] = {}
    for name, proxy in _proxies(market).items():
        impl = market.implementations[name]
        contracts[name] = ContractRecord(
            address=to_checksum_address(proxy.address), contract=name, implementation=impl.address,
            version=code_version(impl.contract_type), storage_layout=layouts[name].to_json(),
            extra={"kind": "uups-proxy"},
        )
    for name, contract in (("LoanImplementation", market.loan_implementation),
                           ("InterestCalculator", market.calculator), ("Timelock", timelock)):
        contracts[name] = ContractRecord(address=to_checksum_address(contract.address),
                                         contract=str(contract.contract_type.name),
                                         version=code_version(contract.contract_type))
    contracts["Timelock"].extra["min_delay"] = int(timelock.getMinDelay())
    for name, created in create2.created.items():
        key = name.removesuffix(".implementation")
        if name.endswith(".implementation"):
            contracts[key].extra["implementation_create2"] = created.to_json()
        elif key in contracts:
            contracts[key].extra["create2"] = created.to_json()
    if "ProxyBootstrap" in create2.created:
        created = create2.created["ProxyBootstrap"]
        contracts["ProxyBootstrap"] = ContractRecord(address=created.address, contract="ProxyBootstrap",
                                                     extra={"create2": created.to_json()})
    contracts["Safe"] = ContractRecord(address=state.address, contract="Safe", version=state.version,
                                       extra={"owners": state.owners, "threshold": state.threshold, **safe_extra})
    asset = market.asset
    contracts["asset"] = ContractRecord(address=to_checksum_address(asset.address),
                                        contract="MockERC20" if not config.asset or dry_run else "ERC20",
                                        extra={"symbol": asset.symbol(), "decimals": int(asset.decimals())})
    if "DemoToken" in create2.created:
        contracts["asset"].extra["create2"] = create2.created["DemoToken"].to_json()
    commit, dirty = git_revision(project.path)
    return Deployment(
        network=network, chain_id=int(chain.provider.web3.eth.chain_id), block=start_block,
        deployer=to_checksum_address(deployer.address),
        contracts=contracts, genesis_hash=chain.blocks[0].hash.to_0x_hex(),
        block_hash=chain.blocks.head.hash.to_0x_hex(), git_commit=commit, git_dirty=dirty,
        deployed_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        governance={
            "timelock_min_delay": config.min_delay,
            "executors": "anyone" if executor == OPEN_ROLE else "safe",
            "proposers": [state.address], "cancellers": [state.address], "guardian": state.address,
            "operators": operators, "oracle_signers": list(config.oracle_signers),
        },
        extra={
            "market": market_settings(config.market),
            "dry_run": dry_run,
            "create2": {"factory": DETERMINISTIC_DEPLOYER, "market_salt": config.market_salt,
                        "salt": "keccak256('disfruta/<market_salt>/<name>')"},
        },
    )


def governed_contracts(project: ProjectManager, record: Deployment) -> dict[str, ContractInstance]:
    """Ape handles on a recorded deployment's governed contracts (proxies with their live ABI, and the timelock)."""
    out = {name: project.get_contract(record.contracts[name].contract).at(record.address(name)) for name in PROXIES}
    out["Timelock"] = project.DisfrutaTimelock.at(record.address("Timelock"))
    return out


def candidates(record: Deployment, extra: Sequence[str] = ()) -> list[str]:
    """Every address that might wrongly hold a role: deployer, Safe, owners, operators, timelock, the market's own
    contracts (the factory records defaults, the note market books fees), and ``extra``."""
    safe = record.contracts["Safe"]
    own = [record.address(name) for name in ("LoanFactory", "NoteMarket") if name in record.contracts]
    return [record.deployer, safe.address, *safe.extra.get("owners", []),
            *record.governance.get("operators", {}).values(), record.address("Timelock"), *own, *extra]


def deploy_to_file(project: ProjectManager, deployer: AccountAPI, config: GovernanceConfig,
                   deployments_dir: Path) -> tuple[GovernedDeployment, Path]:
    """Deploys on ape's connected network and writes ``deployments/<network>.json`` (what ``ape run deploy`` and
    ``disfruta deploy`` do); a rehearsal of ``config.chain`` on a local node writes that chain's file, marked
    ``dry_run``. Refuses to overwrite a record of another chain with the same file name."""
    from ape import chain

    network = chain.provider.network
    local = is_development_node(chain.provider.web3)
    rehearsal = local and config.chain is not None
    name = config.chain.ape_network if rehearsal and config.chain else network.name
    path = deployments_dir / (config.chain.deployment_file if rehearsal and config.chain
                              else network_file_name(network.ecosystem.name, network.name))
    check_record_slot(path, int(chain.provider.web3.eth.chain_id), dry_run=local)
    deployed = deploy_governed_market(project, deployer, config, local=local, network=name)
    return deployed, deployed.record.save(path)


def check_record_slot(path: Path, chain_id: int, *, dry_run: bool) -> None:
    """May a deployment on ``chain_id`` (a rehearsal on a development node when ``dry_run``) write ``path``? Only
    over nothing, a dry run of the same chain, or (rehearsing) a local record; never over a real deployment's record
    or another chain's."""
    if not path.exists():
        return
    existing = Deployment.from_file(path, required=())
    if existing.chain_id != chain_id and existing.chain_id not in LOCAL_CHAIN_IDS:
        raise DeploymentError(f"{path} records chain {existing.chain_id}, not {chain_id}: write elsewhere "
                              "(--out-dir)")
    real = not existing.extra.get("dry_run") and existing.chain_id not in LOCAL_CHAIN_IDS
    if real:
        raise DeploymentError(f"{path} records a real deployment on chain {existing.chain_id}: move it away first"
                              + (" (a rehearsal never replaces one)" if dry_run else ""))


def deploy_from_cli(network: str, out: Path, owners: list[str] | None, threshold: int,
                    oracle_signers: Sequence[str | int] = (), *, kyc_admin: str | int | None = None,
                    revoker: str | int | None = None, underwriter: str | int | None = None,
                    chain: Chain | None = None, market_salt: str = "v1") -> dict[str, Any]:
    """``disfruta deploy``: the governed deployment (Safe + 48 h timelock, Multicall3) of a market on a development
    node (``network``: an RPC URL or an ape network choice), recorded in ``out``. Other networks go through
    ``ape run deploy``, which takes a real deployer account.

    ``chain`` (`disfruta.chains`): deploy with that chain's settings, on a node started with its chain id (``anvil
    --chain-id 8453 --optimism``): a rehearsal, whose token is a test token at the chain's stablecoin address.

    The operators (KYC admin, revoker, underwriter) default to the Safe; each, like the oracle signers, may be an
    address or the index of one of the node's accounts (``--operator 4`` gives a dev account those roles)."""
    import ape
    from ape.logging import logger

    from disfruta.governance.nodes import connected

    logger.set_level("ERROR")
    connection = (connected(network) if network.startswith(("http://", "https://", "ws://", "wss://"))
                  else ape.networks.parse_network_choice(network))
    with connection as provider:
        chain_id = int(provider.web3.eth.chain_id)
        if not is_development_node(provider.web3):
            raise ConfigurationError(
                f"chain {chain_id} is not a development node: deploy with `ape run deploy --network <ecosystem>:"
                "<network>:node --deployer <alias>`, which signs with a real account")
        if chain is not None and chain.chain_id != chain_id:
            raise ConfigurationError(f"--chain {chain.name} deploys with chain {chain.chain_id}'s settings but the "
                                     f"node is on chain {chain_id}: start it with `anvil {' '.join(chain.anvil_args)}`")
        dev = ape.accounts.test_accounts
        safe_owners = tuple(owners) if owners else tuple(a.address for a in dev[1:4])
        if not 1 <= threshold <= len(safe_owners):
            raise ConfigurationError(f"threshold must be 1 … {len(safe_owners)}, got {threshold}")
        node_accounts = provider.web3.eth.accounts

        def resolve(who: str | int | None) -> str | None:
            if who is None or not isinstance(who, int):
                return who
            if who >= len(node_accounts):
                raise ConfigurationError(f"the node has {len(node_accounts)} accounts, so an index is 0 … "
                                         f"{len(node_accounts) - 1}; got {who}")
            return to_checksum_address(node_accounts[who])

        deployed = deploy_governed_market(
            ape.project, dev[0], GovernanceConfig(
                safe_owners=safe_owners, safe_threshold=threshold,
                oracle_signers=tuple(str(resolve(s)) for s in oracle_signers), kyc_admin=resolve(kyc_admin),
                revoker=resolve(revoker), underwriter=resolve(underwriter), market_salt=market_salt,
                asset=chain.stablecoin if chain else None, chain=chain),
            local=True, network=chain.ape_network if chain else "local")
        deployed.record.save(out)
        return {"chain_id": chain_id, "file": str(out), "contracts": deployed.record.addresses}


def is_development_node(w3: Any) -> bool:
    """A node that lets a deployment set code and balances: a local chain id, or anvil/Hardhat under any chain id
    (a rehearsal of another chain)."""
    if int(w3.eth.chain_id) in LOCAL_CHAIN_IDS:
        return True
    try:
        version = str(w3.client_version).lower()
    except Exception:  # noqa: BLE001 - a node that will not say is not a development node
        return False
    return version.startswith(("anvil", "hardhatnetwork"))
