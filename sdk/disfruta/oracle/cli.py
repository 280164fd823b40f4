"""``disfruta oracle ...``: run the service, migrate its database, add operators, make keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from disfruta.oracle.settings import OracleSettings


def _settings() -> OracleSettings:
    from pydantic import ValidationError

    from disfruta.oracle.settings import OracleSettings

    try:
        return OracleSettings()  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'settings'}: {e['msg']}" for e in exc.errors())
        raise click.ClickException(f"bad oracle settings (DISFRUTA_ORACLE_*): {problems}") from None


@click.group(name="oracle")
def oracle_group() -> None:
    """The KYC and credit oracle service (settings from DISFRUTA_ORACLE_* variables)."""


@oracle_group.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (uvicorn). More than one needs a shared rate-limit store "
                   "(DISFRUTA_ORACLE_RATE_LIMIT_STORAGE_URL=redis://...) and is meant for PostgreSQL.")
@click.option("--migrate/--no-migrate", default=True, show_default=True,
              help="Upgrade the database schema before serving.")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="One line per request on stdout (a proxy in front usually keeps these; the audit log and "
                   "/metrics record what matters).")
def serve(host: str, port: int, workers: int, migrate: bool, access_log: bool) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import os
    import shutil
    import tempfile

    import uvicorn  # noqa: F401  # first: without the [oracle] extra, this is the line that says so

    from disfruta.oracle.ratelimit import shared

    settings = _settings()
    if workers > 1 and not shared(settings.rate_limit_storage_url):
        raise click.ClickException(
            f"--workers {workers} needs a rate-limit store the workers share: set "
            "DISFRUTA_ORACLE_RATE_LIMIT_STORAGE_URL=redis://host:port/0 (memory:// gives each worker its own budget)")
    # Metrics of all workers are summed from files in one directory (prometheus-client's multiprocess mode, which
    # it decides when first imported: so before anything imports it); a fresh one per start, so a restarted
    # service doesn't count the last run's requests again.
    made_metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        made_metrics_dir = tempfile.mkdtemp(prefix="disfruta-oracle-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = made_metrics_dir
    try:
        _serve(settings, host, port, workers, migrate, access_log)
    finally:
        if made_metrics_dir is not None:
            shutil.rmtree(made_metrics_dir, ignore_errors=True)


def _serve(settings: OracleSettings, host: str, port: int, workers: int, migrate: bool, access_log: bool) -> None:
    import uvicorn

    from disfruta.oracle.app import create_app
    from disfruta.oracle.context import build_context
    from disfruta.oracle.db import upgrade
    from disfruta.oracle.keys import KeyLoadError

    try:
        ctx = build_context(settings)  # every setting and key checked here, once, before any worker starts
    except (KeyLoadError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if migrate:
        upgrade(ctx.engine)
    if workers == 1:
        uvicorn.run(create_app(context=ctx), host=host, port=port, server_header=False, access_log=access_log)
        return
    ctx.engine.dispose()  # the workers open their own connections
    from disfruta.oracle import workers as multi

    try:
        multi.run("disfruta.oracle.app:create_app_from_env", workers=workers, host=host, port=port,
                  server_header=False, access_log=access_log)
    except OSError as exc:
        raise click.ClickException(f"can't listen on {host}:{port}: {exc.strerror or exc}") from None


@oracle_group.command()
def migrate() -> None:
    """Upgrade the database schema to the latest revision."""
    from disfruta.oracle.db import make_engine, upgrade

    engine = make_engine(_settings().database_url)
    upgrade(engine)
    click.echo(f"database {engine.url.render_as_string(hide_password=True)} is at the latest schema")


@oracle_group.command("create-operator")
@click.argument("username")
@click.password_option(envvar="DISFRUTA_ORACLE_OPERATOR_PASSWORD", help="At least 12 characters.")
def create_operator(username: str, password: str) -> None:
    """Add a KYC operator; prints the TOTP URI to load into their authenticator app (shown once)."""
    from disfruta.oracle.auth import create_operator as create
    from disfruta.oracle.crypto import MasterKey
    from disfruta.oracle.db import make_engine, session_factory, upgrade

    settings = _settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    with session_factory(engine)() as db:
        try:
            uri = create(db, MasterKey(settings.master_key_bytes()), username, password)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from None
        db.commit()
    click.echo(f"operator {username} created; TOTP URI (load it into an authenticator app now):\n{uri}")


@oracle_group.command()
def keygen() -> None:
    """Print a fresh master key and JWT secret (put them in the environment or a secret store)."""
    import base64
    import secrets

    click.echo(f"DISFRUTA_ORACLE_MASTER_KEY={base64.b64encode(secrets.token_bytes(32)).decode()}")
    click.echo(f"DISFRUTA_ORACLE_JWT_SECRET={secrets.token_urlsafe(48)}")


@oracle_group.command("new-keystore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.password_option(envvar="DISFRUTA_ORACLE_SIGNER_KEYSTORE_PASSWORD", help="The keystore's password.")
def new_keystore(path: Path, password: str) -> None:
    """Create a new signing key in an encrypted keystore; prints only its address."""
    from eth_account import Account

    from disfruta.oracle.keys import write_keystore

    if path.exists():
        raise click.ClickException(f"{path} exists; not overwriting a key")
    account = Account.create()
    write_keystore(account, password, path)
    click.echo(f"new signer {account.address} in {path} (add it with UserRegistry.addSigner via governance)")
