"""Development nodes for rehearsals: an anvil that looks like another chain, and ape connected to a given node.

`rehearsal_node` starts an anvil with a chain's id (``--optimism`` on OP-stack chains) and without anvil's built-in
CREATE2 factory, so a deployment creates the public one with its keyless transaction, as on a new chain;
`connected` points ape's Foundry provider at a node by URL (it reads the node's real chain id).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from disfruta.chains import Chain
from disfruta.governance.errors import DeploymentError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def anvil_command(chain: Chain | None, port: int) -> list[str]:
    """The anvil command line of a rehearsal of ``chain`` (None: a plain local chain)."""
    anvil = shutil.which("anvil")
    if anvil is None:
        raise DeploymentError("anvil not found: run `make setup` (it comes from the npm package) or put it on PATH")
    return [anvil, "--port", str(port), "--silent", "--disable-default-create2-deployer",
            *(chain.anvil_args if chain else ())]


@contextlib.contextmanager
def rehearsal_node(chain: Chain | None, port: int | None = None) -> Iterator[str]:
    """An anvil that looks like ``chain`` (its chain id; ``--optimism`` on OP-stack chains; no CREATE2 factory of
    its own), for as long as the ``with`` block runs; yields its RPC URL."""
    port = port or _free_port()
    process = subprocess.Popen(anvil_command(chain, port), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise DeploymentError(f"anvil for {chain.name if chain else 'a local chain'} exited at start: "
                                      + (process.stderr.read().decode(errors="replace").strip()
                                         if process.stderr else ""))
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
            if time.monotonic() > deadline:
                raise DeploymentError(f"anvil did not answer on port {port} within 30 s")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def connected(url: str) -> Iterator[Any]:
    """ape connected to the node at ``url`` through its Foundry provider (which reads the node's real chain id)."""
    import ape
    from ape.logging import logger

    logger.set_level("ERROR")
    # ape-foundry lets $APE_FOUNDRY_HOST override the host given here; an operator who set it for `ape run deploy`
    # would get this connection on that node instead (a rehearsal deployed onto the real target): set it aside.
    saved = os.environ.pop("APE_FOUNDRY_HOST", None)
    try:
        with ape.networks.parse_network_choice("ethereum:local:foundry", provider_settings={"host": url}) as provider:
            if provider.uri.rstrip("/") != url.rstrip("/"):
                raise DeploymentError(f"ape connected to {provider.uri}, not to {url}")
            # ape caches a chain id per network and provider name, which every rehearsal node shares with the
            # connection this one interrupts (ape's test chain, say): forget it now, so records, Safe signatures
            # and receipts use this node's id, and again on leaving, so the outer connection reads its own again.
            cache = ape.chain._chain_id_cache
            key = cache.key_for(provider)
            cache.pop(key, None)
            try:
                yield provider
            finally:
                cache.pop(key, None)
    finally:
        if saved is not None:
            os.environ["APE_FOUNDRY_HOST"] = saved
