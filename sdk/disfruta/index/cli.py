"""``disfruta index ...``: follow the chain into the database, check it against the chain, serve it over HTTP.

This module imports only click at load time (the [index] extra's packages load inside each command), so the group
registers in a core-only install and a command says which extra it needs.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import click

DB = click.option("--db", "database", default=lambda: os.environ.get("DISFRUTA_INDEX_DB", "index.db"),
                  show_default="index.db",
                  help="The index database: a SQLite file path or a SQLAlchemy URL (or $DISFRUTA_INDEX_DB).")


class _Command(click.Command):
    """Usage mistakes print as one line (``Error: …``), as everywhere in the CLI."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as exc:
            exc.ctx = None  # without its context a usage error prints no usage text around it
            raise


class _Group(click.Group):
    command_class = _Command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None
            raise


def _obj(ctx: click.Context) -> Any:
    obj = ctx.find_root().obj
    if obj is None:
        raise click.UsageError("run as `disfruta index ...`")
    return obj


@click.group(name="index", cls=_Group)
def index_group() -> None:
    """The index of the market: chain events into SQL (SQLite file or PostgreSQL URL), served over HTTP."""


@index_group.command()
@DB
def migrate(database: str) -> None:
    """Create or upgrade the index's schema."""
    from disfruta.index.db import make_engine, upgrade

    upgrade(make_engine(database))
    click.echo(f"index schema up to date in {database}")


@index_group.command()
@DB
@click.option("--confirmations", default=0, show_default=True, type=click.IntRange(0),
              help="Stay this many blocks behind the tag's block.")
@click.option("--tag", type=click.Choice(["latest", "safe", "finalized"]), default="latest", show_default=True,
              help="The block to follow: latest, or the node's safe/finalized block.")
@click.option("--max-range", default=2_000, show_default=True, type=click.IntRange(1),
              help="Most blocks one log query spans (halved when the provider refuses).")
@click.option("--max-addresses", default=500, show_default=True, type=click.IntRange(1),
              help="Most addresses in one log filter.")
@click.option("--max-logs", default=10_000, show_default=True, type=click.IntRange(1),
              help="A log query answered with this many results counts as cut short (its range is halved).")
@click.option("--poll", default=2.0, show_default=True, type=click.FloatRange(0), help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Index up to the current head and stop, instead of following.")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Serve Prometheus metrics at http://HOST:PORT/metrics (0: off).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True, help="The address --metrics-port binds.")
@click.pass_context
def run(ctx: click.Context, database: str, confirmations: int, tag: str, max_range: int, max_addresses: int,
        max_logs: int, poll: float, once: bool, metrics_port: int, metrics_host: str) -> None:
    """Index the market from its deployment block and follow the chain (Ctrl-C stops between ranges)."""
    from disfruta.index.source import ChainSource
    from disfruta.index.sync import Indexer, StepResult

    obj = _obj(ctx)
    if metrics_port:
        from disfruta.metrics import serve

        try:
            serve(metrics_port, metrics_host)
        except OSError as exc:
            raise click.ClickException(f"--metrics-port {metrics_port}: {exc.strerror or exc}") from None
    indexer = Indexer.connect(database, obj.network, obj.deployment, confirmations=confirmations, tag=tag,
                              max_range=max_range)
    indexer.source = ChainSource(indexer.rpc, max_addresses=max_addresses, max_logs=max_logs)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

    def report(result: StepResult) -> None:
        if result.rolled_back_to is not None:
            click.echo(f"reorganisation: rolled back to block {result.rolled_back_to}", err=True)
        elif result.read_back:
            click.echo(f"read back the logs of {', '.join(result.read_back)} (blocks {result.first}-{result.last}): "
                       f"{result.events} events", err=True)
        elif result.last >= result.first:
            click.echo(f"blocks {result.first}-{result.last}: {result.events} events", err=True)

    try:
        if once:
            total = indexer.sync(on_step=report)
            click.echo(json.dumps({"cursor": indexer.cursor()[0], "events": total}) if obj.as_json
                       else f"indexed to block {indexer.cursor()[0]} ({total} events)")
        else:
            indexer.run(poll=poll, stop=lambda: bool(stopping), on_step=report)
    except KeyboardInterrupt:
        click.echo(f"stopped at block {indexer.cursor()[0]}", err=True)


@index_group.command()
@DB
@click.pass_context
def verify(ctx: click.Context, database: str) -> None:
    """Compare every indexed loan, note balance, claimable amount, pool account, user and treasury figure with the
    chain's views at the indexed block; exits 1 on any difference."""
    from disfruta.client import Disfruta
    from disfruta.index.db import is_migrated, make_engine
    from disfruta.index.verify import verify as run_verify

    obj = _obj(ctx)
    engine = make_engine(database)
    if not is_migrated(engine):
        raise click.ClickException(f"{database} is not an index (run `disfruta index run` first)")
    client = Disfruta.connect(obj.network, obj.deployment)
    report = run_verify(engine, client.core)
    if obj.as_json:
        click.echo(json.dumps({"block": report.block, "checked": report.checked,
                               "differences": [vars(d) for d in report.differences]}, default=str))
    else:
        for d in report.differences:
            click.echo(str(d))
        click.echo(f"block {report.block}: {report.checked} fields checked, {len(report.differences)} differences")
    if not report.ok:
        ctx.exit(1)


@index_group.command()
@DB
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=click.IntRange(1, 65535))
@click.option("--cors-origin", "cors_origins", multiple=True,
              help="An origin (e.g. https://app.example) whose browser pages may read the API; repeatable, '*' for any.")
@click.option("--cache-seconds", default=5, show_default=True, type=click.IntRange(0),
              help="Cache-Control max-age of responses that change only with new blocks.")
@click.option("--live/--no-live", default=True, show_default=True,
              help="Read time-dependent fields (amount due, payoff) from the node given by --network.")
@click.pass_context
def serve(ctx: click.Context, database: str, host: str, port: int, cors_origins: tuple[str, ...],
          cache_seconds: int, live: bool) -> None:
    """Serve the read API over the index (OpenAPI docs at /docs)."""
    import uvicorn

    from disfruta.index.api import create_app
    from disfruta.index.db import is_migrated, make_engine

    obj = _obj(ctx)
    engine = make_engine(database)
    if not is_migrated(engine):
        raise click.ClickException(f"{database} is not an index (run `disfruta index run` first)")
    core = None
    if live:
        from disfruta.client import Disfruta

        core = Disfruta.connect(obj.network, obj.deployment).core
    uvicorn.run(create_app(engine, core, cors_origins=cors_origins, cache_seconds=cache_seconds), host=host,
                port=port, log_level="info")


def _when(value: str, name: str) -> int:
    """``YYYY-MM-DD`` (UTC midnight) or unix seconds."""
    from datetime import datetime, timezone

    if value.isdigit():
        return int(value)
    try:
        return int(datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc).timestamp())
    except ValueError:
        raise click.ClickException(f"{name}: {value!r} is neither YYYY-MM-DD nor unix seconds") from None


@index_group.command()
@DB
@click.argument("address")
@click.option("--start", default="0", show_default=True, help="First day (YYYY-MM-DD, UTC) or unix seconds.")
@click.option("--end", default=None, help="Last moment (YYYY-MM-DD means that day's start; default: no end).")
@click.option("--borrower", is_flag=True, help="A borrower's statement (default: a lender's).")
@click.option("--csv", "as_csv", is_flag=True, help="CSV: one line per loan and a total line.")
@click.pass_context
def statement(ctx: click.Context, database: str, address: str, start: str, end: str | None, borrower: bool,
              as_csv: bool) -> None:
    """A lender's statement (interest, principal, late fees, servicing fees, losses, recoveries, notes bought and
    sold) or a borrower's (drawn, paid by part) for a period, per loan and in total (amounts in token units)."""
    from disfruta.index.local import LocalIndex

    first = _when(start, "--start")
    last = _when(end, "--end") if end is not None else 2**40 - 1
    stmt = LocalIndex.open(database).statement(address, start=first, end=last, borrower=borrower)
    click.echo(stmt.to_csv() if as_csv else json.dumps(stmt.to_json(), indent=2), nl=not as_csv)


@click.group(name="app", cls=_Group)
def app_group() -> None:
    """The reference dApp (app/): served next to the index API."""


@app_group.command(name="serve")
@DB
@click.option("--oracle-url", required=True, help="The oracle service the app signs users in with (its "
              "DISFRUTA_ORACLE_CORS_ORIGINS must name this site's origin).")
@click.option("--browser-rpc-url", default=None, help="The read-only RPC URL the pages read through (default: "
              "--network).")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The built app (default: the repository's app/dist, built by `make app`).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8200, show_default=True, type=click.IntRange(1, 65535))
@click.option("--follow/--no-follow", default=True, show_default=True,
              help="Index the chain in this process while serving (off: another `disfruta index run` does).")
@click.pass_context
def app_serve(ctx: click.Context, database: str, oracle_url: str, browser_rpc_url: str | None, dist: Path | None,
              host: str, port: int, follow: bool) -> None:
    """Serve the built app at / with its config, the deployment file and the index API at /index/v1."""
    import time

    from disfruta.errors import DisfrutaError
    from disfruta.index.webapp import Site

    obj = _obj(ctx)
    try:
        with Site(database=database, deployment_file=Path(obj.deployment), rpc_url=obj.network,
                  oracle_url=oracle_url, browser_rpc_url=browser_rpc_url, dist=dist, host=host, port=port,
                  follow=follow) as site:
            click.echo(f"the app: {site.url}/  (index API {site.url}/index/docs; Ctrl-C stops)")
            while not site.errors:
                time.sleep(0.5)
            raise click.ClickException(f"the site stopped: {site.errors[0]}")
    except DisfrutaError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
