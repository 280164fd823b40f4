"""The reference dApp in a real headless Chromium (Debian's, driven by Playwright through its path) against the test
chain, the indexer and the oracle started here.

The browser's wallet is an EIP-1193 provider injected into the page before the app loads (what a browser extension
does): it answers ``eth_requestAccounts`` with one of the node's unlocked test accounts and forwards every other
request to the node, which signs for that account (``personal_sign``, ``eth_sendTransaction``). The app cannot tell
it from an extension; it reaches the chain only through it and through the read-only RPC URL of its config.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from disfruta.index.webapp import CHROMIUM_FLAGS, REPO_DIST, Site
from disfruta.oracle_client import OracleClient, Session
from disfruta.oracle_process import OracleProcess, free_port


#: Screenshots of every page the browser tests visit, for a person to look at (git-ignored).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "app" / "test-results" / "screenshots"

WALLET_JS = """
(() => {
  const RPC = %(rpc)s, ACCOUNT = %(account)s;
  let chainId = %(chain)s;
  const listeners = {};
  const emit = (event, value) => (listeners[event] || []).forEach((fn) => fn(value));
  async function node(method, params) {
    const answer = await fetch(RPC, {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify({jsonrpc: "2.0", id: 1, method, params: params || []})});
    const body = await answer.json();
    if (body.error) {
      const error = new Error(body.error.message);
      error.code = body.error.code;
      error.data = body.error.data;
      throw error;
    }
    return body.result;
  }
  const provider = {
    isDisfrutaTestWallet: true,
    async request({method, params}) {
      window.__walletCalls = [...(window.__walletCalls || []), method];
      switch (method) {
        // as a wallet extension: no account for the site until the user connects it (remembered per origin)
        case "eth_requestAccounts":
          localStorage.setItem("test-wallet-connected", "1"); emit("accountsChanged", [ACCOUNT]); return [ACCOUNT];
        case "eth_accounts": return localStorage.getItem("test-wallet-connected") ? [ACCOUNT] : [];
        case "eth_chainId": return chainId;
        case "net_version": return String(parseInt(chainId, 16));
        case "wallet_switchEthereumChain":
          chainId = params[0].chainId; emit("chainChanged", chainId); return null;
        case "wallet_addEthereumChain": return null;
        default:
          if (method === "eth_sendTransaction" && parseInt(chainId, 16) !== %(node_chain)d) {
            const error = new Error("wallet on another chain"); error.code = 4901; throw error;
          }
          return node(method, params);
      }
    },
    on(event, fn) { (listeners[event] = listeners[event] || []).push(fn); },
    removeListener(event, fn) { listeners[event] = (listeners[event] || []).filter((f) => f !== fn); },
  };
  window.ethereum = provider;
  const info = {uuid: "5b6e4c1e-0d1f-4a8e-9a3e-d15f00d00001", name: "Test wallet", rdns: "org.disfruta.test",
                icon: "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'/>"};
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider",
                                                              {detail: Object.freeze({info, provider})}));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
"""


def wallet_script(rpc: str, account: str, chain_id: int, node_chain_id: int | None = None) -> str:
    """The injected wallet of ``account`` (reporting ``chain_id``, which may differ from the node's)."""
    return WALLET_JS % {"rpc": json.dumps(rpc), "account": json.dumps(account), "chain": json.dumps(hex(chain_id)),
                        "node_chain": node_chain_id if node_chain_id is not None else chain_id}


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("DISFRUTA_CHROMIUM") or shutil.which("chromium")
    if not path:
        message = "no chromium: `source tools/services.sh && setup_chromium` installs Debian's (DISFRUTA_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def app_dist() -> Path:
    if not (REPO_DIST / "index.html").is_file():
        message = f"the app is not built in {REPO_DIST}: `make app`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return REPO_DIST


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=list(CHROMIUM_FLAGS))
        yield browser
        browser.close()


@dataclass
class Dapp:
    """The running stack: the site (app + index API), the oracle, and what the test needs to act as the operator."""

    site: Site
    oracle: OracleProcess
    rpc: str
    chain_id: int
    _oracle_client: OracleClient
    _operator: Session | None = None
    pages: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.site.url

    def approve_kyc(self, wallet: str) -> None:
        """The operator approves the wallet's KYC submission (signed in once: each TOTP code works once)."""
        if self._operator is None:
            self._operator = self._oracle_client.operator_sign_in(
                OracleProcess.OPERATOR, self.oracle.operator_password, self.oracle.operator_totp())
        review = self._oracle_client.review(self._operator, wallet, "approve", "documents match")
        assert review["kyc_status"] == "approved"

    def page(self, browser: Any, account: str | None, *, chain_id: int | None = None) -> Any:
        """A new browser context (its own storage) with the wallet of ``account`` (None: no wallet installed)."""
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
        if account is not None:
            context.add_init_script(wallet_script(self.rpc, account, chain_id or self.chain_id, self.chain_id))
        page = context.new_page()
        page.set_default_timeout(20_000)
        self.pages.append(page)
        return page


def published_deployment(market: Any, chain: Any) -> dict[str, Any]:
    """The test market in the published deployment-file format (``contracts.<name>.address``)."""
    names = {"UserRegistry": market.registry, "LoanFactory": market.factory, "Treasury": market.treasury,
             "LendingPool": market.pool, "NoteMarket": market.note_market, "Autopay": market.autopay,
             "asset": market.asset}
    return {"network": "local", "chain_id": chain.chain_id, "block": 0,
            "contracts": {name: {"address": c.address, "contract": name} for name, c in names.items()}}


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(scope="module")
def app_market(project: Any, admin: Any, oracle: Any, kyc_admin: Any, revoker: Any, underwriter: Any,
               guardian: Any) -> Any:
    """A market of its own for the browser tests, on a 6-decimal token (the USDC shape): one run, where the SDK's
    market tests run on a 6- and an 18-decimal token. Module-scoped: ape keeps it through this module's tests."""
    from disfruta.governance.market import deploy_market

    token = admin.deploy(project.MockERC20, "Test USD", "TUSD", 6)
    return deploy_market(project, admin, token, oracle_signers=(oracle.address,), kyc_admin=kyc_admin,
                         revoker=revoker, underwriter=underwriter, guardian=guardian)


@pytest.fixture
def dapp(request: pytest.FixtureRequest, tmp_path: Path, app_dist: Path, app_market: Any, chain: Any,
         oracle: Any) -> Iterator[Dapp]:
    port = free_port()
    origin = f"http://127.0.0.1:{port}"
    deployment_file = tmp_path / "local.json"
    deployment_file.write_text(json.dumps(published_deployment(app_market, chain)))
    rpc = chain.provider.uri
    with OracleProcess(app_market.registry.address, chain.chain_id, rpc, signer_key=oracle.key.hex(),
                       settings={"CORS_ORIGINS": origin, "SIWE_DOMAIN": f"127.0.0.1:{port}",
                                 "SIWE_URI": origin}) as service, \
            Site(database=tmp_path / "index.db", deployment_file=deployment_file, rpc_url=rpc,
                 oracle_url=service.url, dist=app_dist, port=port, poll=0.2, chain_name="Anvil (tests)") as site:
        client = OracleClient(service.url)
        dapp = Dapp(site, service, rpc, chain.chain_id, client)
        try:
            yield dapp
        finally:
            client.close()
            if getattr(request.node, "call_failed", False):  # what each browser showed when the test failed
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                for i, page in enumerate(dapp.pages):
                    if not page.is_closed():
                        page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}-{i}.png"),
                                        full_page=True)
            for page in dapp.pages:
                page.context.close()


@pytest.fixture
def shoot() -> Any:
    """``shoot(page, name)``: a full-page screenshot into app/test-results/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page: Any, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
