"""`disfruta deploy`: the governed deployment (Safe + 48 h timelock) of a market on a local chain, recorded in a
deployment file. Other networks go through the ape script (`ape run deploy`), which takes the Safe's and the token's
addresses and a real deployer account."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from disfruta.errors import ConfigurationError

LOCAL_CHAIN_IDS = (31337, 1337)


def deploy_from_cli(network: str, out: Path, owners: list[str] | None, threshold: int,
                    oracle_signers: tuple[str, ...] = ()) -> dict[str, Any]:
    import ape
    from ape.logging import logger

    from disfruta.governance.deployment import GovernanceConfig, deploy_governed_market

    logger.set_level("ERROR")
    with ape.networks.parse_network_choice(network) as provider:
        if provider.chain_id not in LOCAL_CHAIN_IDS:
            raise ConfigurationError(
                f"chain {provider.chain_id} is not a local chain: deploy with `ape run deploy --network {network}` "
                "and the Safe's and the token's addresses")
        dev = ape.accounts.test_accounts
        safe_owners = tuple(owners) if owners else tuple(a.address for a in dev[1:4])
        if not 1 <= threshold <= len(safe_owners):
            raise ConfigurationError(f"threshold must be 1 … {len(safe_owners)}, got {threshold}")
        deployed = deploy_governed_market(
            ape.project, dev[0], GovernanceConfig(safe_owners=safe_owners, safe_threshold=threshold,
                                                  oracle_signers=oracle_signers), local=True)
        out.parent.mkdir(parents=True, exist_ok=True)
        deployed.record.save(out)
        return {"chain_id": provider.chain_id, "file": str(out),
                "contracts": {name: c.address for name, c in deployed.record.contracts.items()}}
