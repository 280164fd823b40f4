"""``ape run export_abis``: regenerates the ABIs for frontends (``abi/<Contract>.json``) and the ethPM manifest the SDK
ships (``sdk/disfruta/data/manifest.json``: contract types, compiler settings, published deployments), and the
SDK's address book by chain id (``sdk/disfruta/data/addressbook.json``: every non-local record, dry runs marked).

Run it after changing a contract's interface or recording a deployment; ``tests/governance/test_export.py`` fails
while the committed files are stale. Local deployments stay out of the manifest unless ``--include-local``.
"""

from __future__ import annotations

from pathlib import Path

import click
from ape import project
from disfruta import __version__
from disfruta.governance.export import (
    build_address_book,
    build_manifest,
    export_abis,
    load_records,
    write_address_book,
    write_manifest,
)


@click.command()
@click.option("--abi-dir", type=click.Path(path_type=Path), default=Path("abi"), show_default=True)
@click.option("--manifest", "manifest_path", type=click.Path(path_type=Path),
              default=Path("sdk/disfruta/data/manifest.json"), show_default=True)
@click.option("--deployments", type=click.Path(path_type=Path), default=Path("deployments"), show_default=True)
@click.option("--address-book", "book_path", type=click.Path(path_type=Path),
              default=Path("sdk/disfruta/data/addressbook.json"), show_default=True)
@click.option("--include-local", is_flag=True, help="also put local-chain deployments in the manifest")
def cli(abi_dir: Path, manifest_path: Path, deployments: Path, book_path: Path, include_local: bool) -> None:
    """Export ABIs, the ethPM manifest (deployed markets) and the SDK's address book (every chain's record, dry runs
    marked)."""
    written = export_abis(project, abi_dir)
    records = load_records(deployments, include_local=include_local)
    manifest = build_manifest(project, records, version=__version__)
    write_manifest(manifest, manifest_path)
    click.echo(f"{len(written)} ABIs in {abi_dir}/: {', '.join(p.stem for p in written)}")
    networks = ", ".join(f"{r.network} ({r.chain_id})" for r in records) or "none"
    count = len(manifest.contract_types or {})
    click.echo(f"manifest {manifest_path}: {count} contract types; deployments: {networks}")
    book = build_address_book(load_records(deployments, include_local=include_local, include_dry_runs=True))
    write_address_book(book, book_path)
    click.echo(f"address book {book_path}: " + (", ".join(
        f"{entry['network']} ({chain_id}{', dry run' if entry['dry_run'] else ''})" for chain_id, entry in book.items())
        or "empty"))
