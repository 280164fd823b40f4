"""``disfruta index ...`` and ``--index``: run to the head, verify (exit 1 on a difference), statements as JSON and
CSV, the SDK commands reading through the index; every mistake one line, no traceback."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner
from disfruta.cli import main
from disfruta.index import schema as s
from disfruta.index.db import make_engine
from sqlalchemy import update


@pytest.fixture
def cli(rpc, deployment_file):
    def run(*args: str):
        return CliRunner().invoke(main, ["--network", rpc, "--deployment", str(deployment_file), *args])

    return run


def one_line_error(result) -> str:
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_index_cli__run_verify_statement(cli, lifecycle, tmp_path, lenders, borrower):
    lifecycle(seed=17)
    db = str(tmp_path / "cli.db")
    ran = cli("--json", "index", "run", "--db", db, "--once")
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout.strip().splitlines()[-1])["events"] > 50
    checked = cli("index", "verify", "--db", db)
    assert checked.exit_code == 0 and checked.output.strip().endswith("0 differences"), checked.output

    stmt = cli("index", "statement", lenders[0].address, "--db", db, "--start", "2000-01-01", "--csv")
    assert stmt.exit_code == 0, stmt.output
    rows = list(csv.DictReader(io.StringIO(stmt.output)))
    assert rows[-1]["loan_id"] == "total" and int(rows[-1]["interest"]) > 0
    mine = json.loads(cli("index", "statement", borrower.address, "--db", db, "--borrower").output)
    assert len(mine["loans"]) == 5 and int(mine["total"]["paid"]) > 0

    listed = cli("--json", "--index", db, "loans", "list", "--status", "active")
    assert listed.exit_code == 0, listed.output

    with make_engine(db).begin() as conn:
        conn.execute(update(s.loans).values(principal_outstanding=1))
    broken = cli("index", "verify", "--db", db)
    assert broken.exit_code == 1 and "principal_outstanding is 1 in the index" in broken.output


def test_index_cli__mistakes__one_line(cli, tmp_path):
    assert "is not an index" in one_line_error(cli("index", "verify", "--db", str(tmp_path / "empty.db")))
    assert "neither YYYY-MM-DD" in one_line_error(
        cli("index", "statement", "0x" + "11" * 20, "--db", str(tmp_path / "x.db"), "--start", "yesterday"))
    assert "is not an index" in one_line_error(cli("--index", str(tmp_path / "none.db"), "loans", "list"))
    assert "range" in one_line_error(cli("index", "run", "--db", str(tmp_path / "y.db"), "--max-range", "0"))
