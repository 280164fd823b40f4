"""The keeper's Prometheus series: recorded from each pass (an autopay failure, then the collection), a failed pass,
and served by ``disfruta keeper run --metrics-port``.

The series live in the process's default registry, shared by every test: each test asserts differences.
"""

from __future__ import annotations

import socket
import time
import urllib.request
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import DAY
from disfruta import Disfruta, keeper_metrics
from disfruta.cli import main
from disfruta.errors import DisfrutaError
from disfruta.keeper import Keeper, KeeperReport
from prometheus_client import REGISTRY


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_observe__report__duties_failures_errors_counted():
    before = {"invest": value("disfruta_keeper_actions_total", duty="auto_invest"),
              "default": value("disfruta_keeper_actions_total", duty="default"),
              "error": value("disfruta_keeper_action_errors_total", action="autoInvest"),
              "market": value("disfruta_keeper_action_errors_total", action="NoteMarket.sweepFees"),
              "gas": value("disfruta_keeper_gas_used_total"), "ok": value("disfruta_keeper_passes_total", outcome="ok")}
    report = KeeperReport(invested={1: 5, 2: 7}, defaulted=[3], late={4: 2, 5: 9},
                          failed=["autoInvest #1: out of gas", "NoteMarket.sweepFees: node unreachable"], gas_used=21)
    keeper_metrics.observe(report, 0.5)
    assert value("disfruta_keeper_actions_total", duty="auto_invest") - before["invest"] == 2
    assert value("disfruta_keeper_actions_total", duty="default") - before["default"] == 1
    assert value("disfruta_keeper_action_errors_total", action="autoInvest") - before["error"] == 1
    assert value("disfruta_keeper_action_errors_total", action="NoteMarket.sweepFees") - before["market"] == 1
    assert value("disfruta_keeper_gas_used_total") - before["gas"] == 21
    assert value("disfruta_keeper_passes_total", outcome="ok") - before["ok"] == 1
    assert value("disfruta_keeper_late_loans") == 2
    assert time.time() - value("disfruta_keeper_last_success_timestamp_seconds") < 60


def test_run_once__node_gone__failed_pass_counted_and_raised():
    def gone():
        raise DisfrutaError("node unreachable")

    client = SimpleNamespace(decimals=18, core=SimpleNamespace(head=gone))
    before = value("disfruta_keeper_passes_total", outcome="failed")
    with pytest.raises(DisfrutaError):
        Keeper(client).run_once()  # type: ignore[arg-type]
    assert value("disfruta_keeper_passes_total", outcome="failed") - before == 1


def test_keeper_pass__autopay_refused_then_collected__series_rise(rpc, deployment_file, create_loan, fund_by, borrower,
                                                                  stranger, market, unit, warp):
    client = Disfruta.connect(rpc, deployment_file)
    loan = create_loan(amount_tokens=1_000, term=6)
    fund_by(loan, [1_000])
    loan.withdrawFunds(sender=borrower)
    client.as_account(borrower.address).autopay.enrol(1, 250 * unit)
    market.asset.transfer(stranger, market.asset.balanceOf(borrower) - 10 * unit, sender=borrower)
    warp(loan.nextDueDate() - DAY)
    keeper = Keeper(client.as_account(stranger.address))
    failures = value("disfruta_keeper_autopay_failures_total", reason="insufficient_balance")
    collected = value("disfruta_keeper_actions_total", duty="autopay_collect")
    passes = value("disfruta_keeper_passes_total", outcome="ok")
    durations = value("disfruta_keeper_pass_seconds_count")

    assert len(keeper.run_once().autopay_failures) == 1
    assert value("disfruta_keeper_autopay_failures_total", reason="insufficient_balance") - failures == 1
    market.asset.mint(borrower, 500 * unit, sender=borrower)
    assert list(keeper.run_once().collected) == [1]
    assert value("disfruta_keeper_actions_total", duty="autopay_collect") - collected == 1
    assert value("disfruta_keeper_passes_total", outcome="ok") - passes == 2
    assert value("disfruta_keeper_pass_seconds_count") - durations == 2
    assert value("disfruta_keeper_gas_used_total") > 0


def test_cli_keeper_run__metrics_port__series_served_over_http(rpc, deployment_file, stranger):
    port = free_port()
    result = CliRunner().invoke(main, ["--network", rpc, "--deployment", str(deployment_file), "--account",
                                       stranger.address, "keeper", "run", "--iterations", "1", "--interval", "0",
                                       "--metrics-port", str(port)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # the endpoint lives as long as the process (a daemon thread): a long-running keeper is scraped meanwhile
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        body = response.read().decode()
        assert response.headers["Content-Type"].startswith("text/plain")
    for series in ('disfruta_keeper_passes_total{outcome="ok"}', "disfruta_keeper_last_success_timestamp_seconds",
                   "disfruta_keeper_pass_seconds_bucket", 'disfruta_keeper_actions_total{duty="auto_invest"}',
                   "disfruta_keeper_late_loans"):
        assert series in body, series


def test_cli_keeper_run__metrics_port_taken__one_line_error(rpc, deployment_file, stranger):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["--network", rpc, "--deployment", str(deployment_file), "--account",
                                           stranger.address, "keeper", "run", "--iterations", "1",
                                           "--metrics-port", str(port)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: --metrics-port {port}: Address already in use"]
