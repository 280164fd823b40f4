"""The ``disfruta`` command line."""

from __future__ import annotations

import click

from disfruta import __version__


@click.group()
@click.version_option(__version__, prog_name="disfruta")
def main() -> None:
    """Disfruta: peer-to-peer lending on Ethereum-compatible chains."""


@main.command()
@click.option("--network", default="ethereum:local:foundry", show_default=True,
              help="ape network choice; the default starts a fresh local anvil.")
def demo(network: str) -> None:
    """Deploy to a local chain, onboard users with oracle attestations and quote a loan."""
    from disfruta.demo import run_demo

    try:
        run_demo(network)
    except Exception as exc:  # a user-facing command: report, don't dump a traceback
        from ape.exceptions import ApeException

        if isinstance(exc, (ApeException, ValueError)):
            raise click.ClickException(str(exc)) from exc
        raise


def _register_services() -> None:
    """The oracle and credit groups; their modules import only click, the heavy work loads per command."""
    from disfruta.credit.cli import credit_group
    from disfruta.oracle.cli import oracle_group

    main.add_command(oracle_group, "oracle")
    main.add_command(credit_group, "credit")


_register_services()
