"""The chains a Disfruta market is deployed on, in one reviewed table: chain id, the ape network, the stablecoin.

Each row is a fact to review against its source before a deployment, not a default to trust:

* chain ids: chainlist.org / EIP-155 registry (ethereum-lists/chains);
* USDC: Circle's own list of native USDC contracts, developers.circle.com/stablecoins/usdc-contract-addresses (the
  native token on each chain, not a bridged USDC.e); 6 decimals on all five;
* the ape networks: the ApeWorX plugins ape-arbitrum, ape-optimism, ape-base and ape-polygon (pinned in
  pyproject.toml) name these ecosystems, each with a ``mainnet`` network;
* the rollup kind decides how a transaction's L1 data is paid for (`disfruta.l1fees`) and whether a rehearsal anvil
  runs with ``--optimism``.

>>> chain_named("base").chain_id, chain_named("base").deployment_file
(8453, 'base-mainnet.json')
>>> chain_by_id(42161).name
'arbitrum'
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address

from disfruta.deployment import network_file_name
from disfruta.errors import ConfigurationError


@dataclass(frozen=True)
class Chain:
    """One chain a market can be deployed on."""

    name: str  # what `disfruta deploy --network` and `ape run deploy --chain` take
    title: str
    chain_id: int
    ecosystem: str  # ape's ecosystem (`ape networks list`)
    network: str  # ape's network in that ecosystem
    stablecoin: str  # the market's asset on that chain
    stablecoin_symbol: str
    stablecoin_decimals: int
    rollup: str | None  # "op-stack", "arbitrum" or None (an L1, or a sidechain that posts no data to Ethereum)
    explorer: str

    @property
    def ape_network(self) -> str:
        """ape's network choice, e.g. ``base:mainnet`` (add ``:node`` or an RPC URL as the provider)."""
        return f"{self.ecosystem}:{self.network}"

    @property
    def deployment_file(self) -> str:
        """``deployments/<file>``: ``mainnet.json`` for Ethereum, ``<ecosystem>-<network>.json`` elsewhere."""
        return network_file_name(self.ecosystem, self.network)

    @property
    def anvil_args(self) -> tuple[str, ...]:
        """How a local rehearsal of this chain starts anvil: its chain id, and OP-stack semantics where they apply."""
        return ("--chain-id", str(self.chain_id), *(("--optimism",) if self.rollup == "op-stack" else ()))


CHAINS: tuple[Chain, ...] = (
    Chain("ethereum", "Ethereum", 1, "ethereum", "mainnet", to_checksum_address(
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48"), "USDC", 6, None, "https://etherscan.io"),
    Chain("arbitrum", "Arbitrum One", 42161, "arbitrum", "mainnet", to_checksum_address(
        "0xaf88d065e77c8cc2239327c5edb3a432268e5831"), "USDC", 6, "arbitrum", "https://arbiscan.io"),
    Chain("optimism", "OP Mainnet", 10, "optimism", "mainnet", to_checksum_address(
        "0x0b2c639c533813f4aa9d7837caf62653d097ff85"), "USDC", 6, "op-stack", "https://optimistic.etherscan.io"),
    Chain("base", "Base", 8453, "base", "mainnet", to_checksum_address(
        "0x833589fcd6edb6e08f4c7c32d4f71b54bda02913"), "USDC", 6, "op-stack", "https://basescan.org"),
    Chain("polygon", "Polygon PoS", 137, "polygon", "mainnet", to_checksum_address(
        "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359"), "USDC", 6, None, "https://polygonscan.com"),
)


def chain_named(name: str) -> Chain:
    """The chain called ``name`` (``ethereum``, ``arbitrum``, ``optimism``, ``base``, ``polygon``)."""
    for chain in CHAINS:
        if chain.name == name.strip().lower():
            return chain
    raise ConfigurationError(f"unknown chain {name!r}: known are {', '.join(c.name for c in CHAINS)}")


def chain_by_id(chain_id: int) -> Chain:
    for chain in CHAINS:
        if chain.chain_id == chain_id:
            return chain
    raise ConfigurationError(f"chain {chain_id} is not in the table of chains (known: "
                             + ", ".join(f"{c.name} {c.chain_id}" for c in CHAINS) + ")")
