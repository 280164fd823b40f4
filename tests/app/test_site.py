"""The site that serves the built dApp next to the index API (`disfruta app serve`): routes, config, headers."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from disfruta.errors import ConfigurationError
from disfruta.index.api import create_app
from disfruta.index.db import make_engine, upgrade
from disfruta.index.webapp import app_config, create_site

RPC = "http://127.0.0.1:8545"
ORACLE = "http://127.0.0.1:9000/"


@pytest.fixture
def dist(tmp_path):
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>Disfruta</title><div id=root></div>")
    (root / "assets" / "index-abc123.js").write_text("console.log('app')")
    (root / "sw.js").write_text("self.addEventListener('fetch', () => {})")
    return root


@pytest.fixture
def site(tmp_path, dist):
    engine = make_engine(tmp_path / "index.db")
    upgrade(engine)
    deployment = tmp_path / "local.json"
    deployment.write_text(json.dumps({"chain_id": 31337, "contracts": {"LoanFactory": {"address": "0x" + "11" * 20}}}))
    config = app_config(chain_id=31337, rpc_url=RPC, oracle_url=ORACLE, chain_name="Anvil")
    return TestClient(create_site(dist, config, deployment, create_app(engine)))


def test_site__config_and_deployment__as_the_app_reads_them_never_cached(site):
    config = site.get("/config.json")
    assert config.status_code == 200 and config.headers["cache-control"] == "no-store"
    assert config.json() == {"chainId": 31337, "chainName": "Anvil", "rpcUrl": RPC, "indexUrl": "/index",
                             "oracleUrl": "http://127.0.0.1:9000", "deploymentUrl": "./deployment.json",
                             "nativeSymbol": "ETH", "explorerUrl": None}
    deployment = site.get("/deployment.json")
    assert deployment.headers["cache-control"] == "no-store"
    assert deployment.json()["contracts"]["LoanFactory"]["address"] == "0x" + "11" * 20


def test_site__app_files__shell_revalidated_hashed_assets_immutable(site):
    shell = site.get("/")
    assert shell.status_code == 200 and "<title>Disfruta</title>" in shell.text
    assert shell.headers["cache-control"] == "no-cache"
    assert site.get("/sw.js").headers["cache-control"] == "no-cache"
    asset = site.get("/assets/index-abc123.js")
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert site.get("/assets/missing.js").status_code == 404


def test_site__index_api_mounted__its_own_answers_and_caching(site):
    status = site.get("/index/v1/status")
    assert status.status_code == 503 and "index is empty" in status.json()["detail"]
    assert site.get("/index/v1/loans", params={"min_grade": "Z9"}).status_code == 422
    assert site.get("/index/v1/loans").headers["cache-control"].startswith("public, max-age=")


def test_site__security_headers__csp_names_only_the_rpc_and_the_oracle(site):
    headers = site.get("/").headers
    csp = dict(part.strip().split(" ", 1) for part in headers["content-security-policy"].split(";"))
    assert csp["connect-src"] == f"'self' {RPC} http://127.0.0.1:9000"
    assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert site.get("/index/v1/status").headers["content-security-policy"] == headers["content-security-policy"]


def test_site__app_not_built__refused_naming_the_build_command(tmp_path):
    deployment = tmp_path / "local.json"
    deployment.write_text("{}")
    with pytest.raises(ConfigurationError, match=r"not built .*make app"):
        create_site(tmp_path / "nowhere", app_config(chain_id=1, rpc_url=RPC, oracle_url=ORACLE), deployment,
                    create_app(make_engine(tmp_path / "i.db")))


def test_site__missing_deployment_file__refused_by_path(tmp_path, dist):
    with pytest.raises(ConfigurationError, match="no deployment file"):
        create_site(dist, app_config(chain_id=1, rpc_url=RPC, oracle_url=ORACLE), tmp_path / "none.json",
                    create_app(make_engine(tmp_path / "i.db")))


@pytest.mark.parametrize("field", ["rpc_url", "oracle_url"])
def test_app_config__not_a_url__refused_by_value(field):
    values = {"rpc_url": RPC, "oracle_url": ORACLE, field: "127.0.0.1:8545"}
    with pytest.raises(ConfigurationError, match="is not an http"):
        app_config(chain_id=1, **values)


def _serve(args, deployment):
    from click.testing import CliRunner

    from disfruta.cli import main

    return CliRunner().invoke(main, ["--network", "http://127.0.0.1:9", "--deployment", str(deployment),
                                     "app", "serve", *args])


@pytest.mark.parametrize(("args", "message"), [
    (["--oracle-url", ORACLE, "--dist", "/nonexistent/dist"], "Error: the app is not built in /nonexistent/dist"),
    (["--oracle-url", "oracle.example"], "Error: 'oracle.example' is not an http(s) or ws(s) URL"),
    ([], "Error: Missing option '--oracle-url'"),
])
def test_app_serve__bad_input__one_line_error_nothing_started(tmp_path, dist, args, message):
    deployment = tmp_path / "local.json"
    deployment.write_text(json.dumps({"chain_id": 31337, "block": 0, "contracts": {}}))
    if "--dist" not in args and args:
        args = [*args, "--dist", str(dist)]
    result = _serve([*args, "--db", str(tmp_path / "i.db")], deployment)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith(message), result.output
    assert "Traceback" not in result.output and len(lines) <= 2


def test_site__port_in_use__one_clear_error_nothing_left_running(tmp_path, dist, deployment_file, rpc):
    import socket

    from disfruta.index.webapp import Site

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        site = Site(database=tmp_path / "i.db", deployment_file=deployment_file, rpc_url=rpc, oracle_url=ORACLE,
                    dist=dist, port=port, follow=False)
        with pytest.raises(ConfigurationError, match=f"cannot serve on 127.0.0.1:{port}: Address already in use"):
            site.__enter__()
    assert site._threads == []


def test_site__no_follow__serves_and_writes_nothing_to_the_index(tmp_path, dist, deployment_file, rpc):
    import httpx

    from disfruta.index.webapp import Site

    with Site(database=tmp_path / "i.db", deployment_file=deployment_file, rpc_url=rpc, oracle_url=ORACLE,
              dist=dist, follow=False) as site:
        assert httpx.get(f"{site.url}/config.json").json()["rpcUrl"] == rpc
        status = httpx.get(f"{site.url}/index/v1/status")
        assert (status.status_code, status.json()["block"]) == (200, -1), status.text  # nothing indexed
        assert httpx.get(f"{site.url}/index/v1/loans").json()["items"] == []


def test_site__gzip_for_browsers_that_accept_it(site, dist):
    (dist / "assets" / "big-abc.js").write_text("const x = 1;\n" * 2_000)
    packed = site.get("/assets/big-abc.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.text == "const x = 1;\n" * 2_000
    assert packed.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = site.get("/assets/big-abc.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
