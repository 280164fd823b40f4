"""The ``disfruta`` command line: a command for every user action of the market.

Global options pick the node (``--network``: an RPC URL, or ``$DISFRUTA_NETWORK``), the market (``--deployment``,
or ``$DISFRUTA_DEPLOYMENT``) and who signs: ``--key`` (or ``$DISFRUTA_PRIVATE_KEY``) signs here; ``--account`` names
an account the node has unlocked, by address or index (local dev chains). ``--json`` prints machine-readable output
(amounts in token units); otherwise amounts are whole tokens. A mistake ends in a one-line error, never a traceback.

Groups: ``loans`` (the marketplace and every loan action), ``fund`` / ``repay`` / ``claim`` / ``refund`` (the
everyday actions), ``notes``, ``pool``, ``autoinvest`` and ``market`` (lenders), ``borrower`` and ``autopay``,
``portfolio``, ``onboard`` (through
the oracle service), ``registry`` (the admin path and the on-chain record), ``treasury``, ``token``, ``keeper``, and
``node`` / ``deploy`` / ``demo`` for a local chain.
"""

from __future__ import annotations

from disfruta.cli import chain, lenders, loans, market, ops, users  # noqa: F401  (each registers its commands)
from disfruta.cli.base import main


def _register_services() -> None:
    """The oracle, credit and index groups. Their modules import only click (the packages of the [oracle] and [credit]
    extras load inside each command), so they register in a core-only install and say which extra they need."""
    from disfruta.credit.cli import credit_group
    from disfruta.index.cli import app_group, index_group
    from disfruta.oracle.cli import oracle_group

    main.add_command(oracle_group, "oracle")
    main.add_command(credit_group, "credit")
    main.add_command(index_group, "index")
    main.add_command(app_group, "app")


_register_services()


__all__ = ["main"]
