"""The SDK's address book: the market on each chain, by chain id, shipped in the package
(``disfruta/data/addressbook.json``, written by ``ape run export_abis`` from ``deployments/*.json``).

Every entry says whether it is a dry run: a deployment rehearsed on an anvil with that chain's id and settings,
whose addresses are the ones the real deployment (same deployer, salt and Safe) will get, but where nothing has been
deployed yet. A dry run is never used unless asked for, so a client cannot mistake a plan for a market.

>>> book = address_book()
>>> sorted(book) == sorted({1, 10, 137, 8453, 42161} & set(book))
True
>>> deployment_for_chain(8453, allow_dry_run=True).address("LoanFactory") == \\
...     deployment_for_chain(42161, allow_dry_run=True).address("LoanFactory")
True
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from disfruta.deployment import Deployment
from disfruta.errors import ConfigurationError


@cache
def _book() -> dict[str, Any]:
    text = resources.files("disfruta").joinpath("data/addressbook.json").read_text()
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ConfigurationError("the packaged address book is not a JSON object")
    return data


def address_book() -> dict[int, Deployment]:
    """Every chain's market, dry runs included (``Deployment.extra["dry_run"]`` says which)."""
    return {int(chain_id): Deployment.from_dict(entry) for chain_id, entry in _book().items()}


def deployment_for_chain(chain_id: int, *, allow_dry_run: bool = False) -> Deployment:
    """The market the address book has for ``chain_id``. ``ConfigurationError`` when it has none, or only a dry run
    (unless ``allow_dry_run``), saying what to pass instead."""
    entry = _book().get(str(int(chain_id)))
    if entry is None:
        known = ", ".join(f"{e['network']} ({c})" for c, e in _book().items()) or "none"
        raise ConfigurationError(f"the address book has no market on chain {chain_id} (it has: {known}); pass the "
                                 "deployment file of the market you mean")
    if entry.get("dry_run") and not allow_dry_run:
        raise ConfigurationError(
            f"the address book's market on chain {chain_id} ({entry['network']}) is a dry run: planned, not "
            "deployed there yet; pass the deployment file of a market that is (or allow_dry_run=True on a "
            "rehearsal node)")
    return Deployment.from_dict(entry)
