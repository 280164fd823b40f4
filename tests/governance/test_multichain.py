"""One market on many chains: the governed market deployed on two rehearsal anvils started with Arbitrum One's and
Base's chain ids (Base with ``--optimism``), the same addresses on both (but the asset and the Loan implementation),
as planned offline, and a short lifecycle on each: apply, fund, draw, repay, claim.

The rehearsal nodes have no CREATE2 factory of their own (``--disable-default-create2-deployer``): the deployment
creates the public one with its keyless transaction, as on a new chain.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from disfruta import Disfruta, Grade, LoanStatus, Role
from disfruta.addressbook import address_book, deployment_for_chain
from disfruta.attestations import CreditAttestation, KycAttestation, sign_attestation
from disfruta.chains import CHAINS, chain_by_id, chain_named
from disfruta.deployment import Deployment
from disfruta.errors import ConfigurationError, ContractError
from disfruta.governance.create2 import (
    DETERMINISTIC_DEPLOYER,
    DETERMINISTIC_DEPLOYER_CODE,
    SAFE_V141,
    contract_salt,
    create2_address,
    init_code,
)
from disfruta.governance.deployment import GovernanceConfig
from disfruta.governance.errors import DeploymentError
from disfruta.governance.multichain import (
    PER_CHAIN,
    compare_across_chains,
    predict_addresses,
    recorded_addresses,
    rehearsal_node,
)
from eth_account import Account
from eth_utils import keccak
from web3 import Web3
from web3.exceptions import ContractCustomError

DAY = 86_400
YEAR = 365 * DAY
REHEARSED = ("arbitrum", "base")
ORACLE = Account.from_key("0x" + "0a" * 32)


@pytest.fixture(scope="module")
def dev():
    """Addresses of the dev accounts every anvil unlocks (the test mnemonic): deployer, owners, operator, users."""
    import ape

    return [str(a.address) for a in ape.accounts.test_accounts]


@pytest.fixture(scope="module")
def config(dev) -> GovernanceConfig:
    return GovernanceConfig(safe_owners=tuple(dev[1:4]), safe_threshold=2, kyc_admin=dev[4], underwriter=dev[4],
                            oracle_signers=(ORACLE.address,), market_salt="rehearsal")


@pytest.fixture(scope="module")
def rehearsals(project, config, tmp_path_factory):
    """The market on each rehearsed chain's anvil, each node kept running for the lifecycle; chain name → (record,
    RPC URL)."""
    import contextlib

    out = tmp_path_factory.mktemp("deployments")
    with contextlib.ExitStack() as stack:
        result = {}
        for name in REHEARSED:
            chain = chain_named(name)
            url = stack.enter_context(rehearsal_node(chain))
            record = dry_run_on(project, chain, config, url, out)
            result[name] = (record, url)
        yield result


def dry_run_on(project, chain, config, url, out):
    """`dry_run`'s deployment, on a node this test keeps (dry_run stops its own)."""
    import ape
    from disfruta.governance.deployment import deploy_governed_market
    from disfruta.governance.nodes import connected

    with connected(url):
        deployed = deploy_governed_market(project, ape.accounts.test_accounts[0],
                                          dataclasses.replace(config, asset=chain.stablecoin, chain=chain),
                                          local=True, network=chain.ape_network)
    deployed.record.extra["dry_run"] = True
    deployed.record.save(out / chain.deployment_file)
    return deployed.record


# ----------------------------------------------------------------------------------------------- addresses


def test_rehearsals__same_addresses_on_both_chains_but_asset_and_loan_implementation(rehearsals):
    records = {name: rec for name, (rec, _url) in rehearsals.items()}
    assert {r.chain_id for r in records.values()} == {42161, 8453}
    differing = compare_across_chains(records)
    assert set(differing) == set(PER_CHAIN) == {"asset", "LoanImplementation"}
    assert differing["asset"] == {"arbitrum": chain_named("arbitrum").stablecoin,
                                  "base": chain_named("base").stablecoin}
    same = recorded_addresses(records["arbitrum"])
    for name in ("UserRegistry", "LoanFactory", "Treasury", "LendingPool", "NoteMarket", "Autopay", "Timelock",
                 "Safe", "InterestCalculator", "UserRegistry.implementation", "ProxyBootstrap"):
        assert same[name] == recorded_addresses(records["base"])[name], name


def test_rehearsals__same_configuration_on_both_chains__and_a_difference_is_named(rehearsals):
    """Operators, oracle signers, the timelock, the Safe and the market's parameters commit to no address: two
    chains' markets with the same addresses could still differ there, so the records are compared on them too."""
    import copy

    from disfruta.governance.multichain import configuration_differences

    records = {name: rec for name, (rec, _url) in rehearsals.items()}
    assert configuration_differences(records) == {}
    assert records["base"].extra["market"]["rates"]["A1"] == [600, 100]
    other = copy.deepcopy(records["arbitrum"])
    other.governance["operators"]["underwriter"] = "0x" + "77" * 20
    other.extra["market"]["seller_fee_bps"] = 200
    differing = configuration_differences({"base": records["base"], "arbitrum": other})
    assert set(differing) == {"operators", "market"}
    assert differing["operators"]["arbitrum"]["underwriter"] == "0x" + "77" * 20


def test_rehearsals__every_address_as_planned_offline(project, rehearsals, config, dev):
    for name, (record, _url) in rehearsals.items():
        chain = chain_named(name)
        planned = predict_addresses(project, dev[0], dataclasses.replace(config, asset=chain.stablecoin, chain=chain))
        assert recorded_addresses(record) == planned


def test_rehearsals__chain_ids_and_the_public_factories_at_their_addresses(rehearsals):
    for name, (record, url) in rehearsals.items():
        w3 = Web3(Web3.HTTPProvider(url))
        assert w3.eth.chain_id == chain_named(name).chain_id == record.chain_id
        assert bytes(w3.eth.get_code(DETERMINISTIC_DEPLOYER)) == bytes(DETERMINISTIC_DEPLOYER_CODE)
        for address in SAFE_V141.values():
            assert w3.eth.get_code(address)
        assert record.contracts["Safe"].extra["singleton"] == SAFE_V141["singleton"]
        assert record.extra["create2"]["market_salt"] == "rehearsal"


def test_record__each_contract_says_how_it_was_created(rehearsals):
    record, _url = rehearsals["base"]
    registry = record.contracts["UserRegistry"]
    created = registry.extra["create2"]
    assert created["factory"] == DETERMINISTIC_DEPLOYER
    assert created["salt"] == "0x" + contract_salt("rehearsal", "UserRegistry").hex()
    # the proxy's creation code names only the bootstrap, so its address is the salt's and the bootstrap's
    assert registry.extra["implementation_create2"]["constructor_args"] == "0x"
    market = record.contracts["NoteMarket"].extra["implementation_create2"]["constructor_args"]
    assert record.address("LoanFactory")[2:].lower() in market and record.address("Treasury")[2:].lower() in market


# ----------------------------------------------------------------------------------------------- lifecycle


def _onboard(client, w3, user, roles, grade=None):
    now = w3.eth.get_block("latest")["timestamp"]
    reg, chain_id = client.registry.address, w3.eth.chain_id
    kyc = KycAttestation(user, roles, b"\x01" * 32, now + YEAR - DAY, 0, now + DAY)
    credit = (CreditAttestation(user, grade, 40_000 * 10**6, now + 90 * DAY, 0, now + DAY)
              if grade is not None else None)
    client.registry.submit_attestations(
        kyc, sign_attestation(kyc, ORACLE.key, chain_id, reg), ORACLE.address,
        credit, sign_attestation(credit, ORACLE.key, chain_id, reg) if credit else None)


@pytest.mark.parametrize("name", REHEARSED)
def test_lifecycle__apply_fund_draw_repay_claim__on_each_chain(rehearsals, dev, name):
    record, url = rehearsals[name]
    w3 = Web3(Web3.HTTPProvider(url))
    ops, borrower, lender = dev[4], dev[6], dev[7]
    client = Disfruta.connect(url, record, account=ops)
    assert client.decimals == 6
    _onboard(client, w3, borrower, Role.BORROWER, Grade.B2)
    _onboard(client, w3, lender, Role.LENDER)
    token = w3.eth.contract(address=record.address("asset"), abi=[{
        "name": "mint", "type": "function", "stateMutability": "nonpayable", "outputs": [],
        "inputs": [{"name": "to", "type": "address"}, {"name": "amount", "type": "uint256"}]}])
    for who in (borrower, lender):
        w3.eth.wait_for_transaction_receipt(token.functions.mint(who, 5_000 * 10**6).transact({"from": ops}))

    receipt = client.as_account(borrower).loans.apply(amount=1_000 * 10**6, term_months=6, purpose=2,
                                                      funding_period=5 * DAY)
    loan_id = receipt.return_value.loan_id
    client.loans.approve(loan_id)
    client.as_account(lender).loans.fund(loan_id, 1_000 * 10**6)
    client.as_account(borrower).loans.draw(loan_id)
    info = client.loans.get(loan_id)
    assert info.status == LoanStatus.ACTIVE and info.principal_outstanding == 1_000 * 10**6
    w3.provider.make_request("evm_setNextBlockTimestamp", [info.start_time + 30 * DAY])
    paid = client.as_account(borrower).loans.repay_installment(loan_id).one("RepaymentMade").args
    assert paid["principal"] > 0 and paid["interest"] > 0
    claimed = client.as_account(lender).loans.claim(loan_id).one("Claimed").args["amount"]
    assert claimed > 0
    assert client.loans.get(loan_id).principal_outstanding == 1_000 * 10**6 - paid["principal"]


def test_attestation__signed_for_one_chain__refused_on_the_other_at_the_same_registry_address(rehearsals, dev):
    """The registry has one address on both chains; the EIP-712 domain's chain id keeps an attestation to its own."""
    (base, _base_url), (arb, arb_url) = rehearsals["base"], rehearsals["arbitrum"]
    assert base.address("UserRegistry") == arb.address("UserRegistry")
    user = Account.create().address
    w3 = Web3(Web3.HTTPProvider(arb_url))
    client = Disfruta.connect(arb_url, arb, account=dev[8])
    now = w3.eth.get_block("latest")["timestamp"]
    kyc = KycAttestation(user, Role.LENDER, b"\x02" * 32, now + YEAR - DAY, 0, now + DAY)
    for_base = sign_attestation(kyc, ORACLE.key, base.chain_id, base.address("UserRegistry"))
    with pytest.raises(ContractError, match="UserRegistryInvalidSignature"):
        client.registry.submit_attestations(kyc, for_base, ORACLE.address, None, None)
    assert client.registry.user(user).status != "verified"
    for_arbitrum = sign_attestation(kyc, ORACLE.key, arb.chain_id, arb.address("UserRegistry"))
    client.registry.submit_attestations(kyc, for_arbitrum, ORACLE.address, None, None)
    assert client.registry.user(user).status == "verified"


# ----------------------------------------------------------------------------------------------- refusals


def test_deploy_again__same_salt_on_the_same_chain__refused_by_name(project, rehearsals, config):
    import ape
    from disfruta.governance.deployment import deploy_governed_market
    from disfruta.governance.nodes import connected

    _record, url = rehearsals["base"]
    with connected(url), pytest.raises(DeploymentError, match="salt 'rehearsal' .* already deployed on chain 8453"):
        deploy_governed_market(project, ape.accounts.test_accounts[0],
                               dataclasses.replace(config, asset=chain_named("base").stablecoin,
                                                   chain=chain_named("base")), local=True)


def test_proxy_created_early_by_someone_else__still_only_the_deployer_moves_it(project, rehearsals, dev):
    """Anyone may create a market's proxy at its address first (the factory is public): it stays on the
    bootstrap, which refuses every upgrade but the deployer's."""
    record, url = rehearsals["arbitrum"]
    w3 = Web3(Web3.HTTPProvider(url))
    stranger = dev[9]
    bootstrap_code = init_code(project.ProxyBootstrap.contract_type, dev[0])
    salt = contract_salt("early", "ProxyBootstrap")
    bootstrap = create2_address(salt, bootstrap_code)
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": stranger, "to": DETERMINISTIC_DEPLOYER, "data": salt + bootstrap_code}))
    abi = [entry.model_dump(mode="json", by_alias=True) for entry in project.ProxyBootstrap.contract_type.abi]
    assert w3.eth.contract(address=bootstrap, abi=abi).functions.deployer().call() == dev[0]
    proxy_code = init_code(project.DisfrutaProxy.contract_type, bootstrap, b"")
    proxy_salt = contract_salt("early", "UserRegistry")
    proxy = create2_address(proxy_salt, proxy_code)
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
        {"from": stranger, "to": DETERMINISTIC_DEPLOYER, "data": proxy_salt + proxy_code}))
    on_proxy = w3.eth.contract(address=proxy, abi=abi)
    impl = record.contracts["UserRegistry"].implementation
    not_deployer = "0x" + keccak(text="NotDeployer(address)")[:4].hex()
    with pytest.raises(ContractCustomError) as refused:
        on_proxy.functions.upgradeToAndCall(impl, b"").call({"from": stranger})
    assert str(refused.value.data).startswith(not_deployer)
    on_proxy.functions.upgradeToAndCall(impl, b"").call({"from": dev[0]})  # the deployer may (simulated only)


def test_bootstrap__zero_deployer__refused(project, rehearsals):
    _record, url = rehearsals["base"]
    w3 = Web3(Web3.HTTPProvider(url))
    code = init_code(project.ProxyBootstrap.contract_type, "0x" + "00" * 20)
    with pytest.raises(ContractCustomError) as refused:
        w3.eth.call({"data": code})
    assert str(refused.value.data).startswith("0x" + keccak(text="ZeroDeployer()")[:4].hex())


def test_deploy_from_cli__chain_settings_on_a_node_of_another_chain__refused(tmp_path):
    from disfruta.governance.deployment import deploy_from_cli

    refused = pytest.raises(ConfigurationError, match="--chain base deploys with chain 8453's settings but the node "
                                                      "is on chain 10: start it with `anvil --chain-id 8453 --optimism`")
    with rehearsal_node(chain_named("optimism")) as url, refused:
        deploy_from_cli(url, tmp_path / "x.json", None, 2, chain=chain_named("base"))


# ----------------------------------------------------------------------------------------------- shipped files


DEPLOYMENTS = Path(__file__).resolve().parents[2] / "deployments"


def test_shipped_dry_runs__one_file_per_chain__same_addresses_but_the_per_chain_ones():
    records = {}
    for chain in CHAINS:
        record = Deployment.from_file(DEPLOYMENTS / chain.deployment_file)
        assert record.chain_id == chain.chain_id and record.network == chain.ape_network
        assert record.extra["dry_run"] is True
        assert record.address("asset") == chain.stablecoin
        records[chain.name] = record
    assert set(compare_across_chains(records)) == set(PER_CHAIN)


def test_shipped_dry_runs__as_planned_offline_by_todays_code(project):
    """A contract changed since the dry runs moves its address: run `disfruta deploy --dry-run --chain all` and
    `ape run export_abis` again."""
    for chain in CHAINS:
        record = Deployment.from_file(DEPLOYMENTS / chain.deployment_file)
        owners = tuple(record.contracts["Safe"].extra["owners"])
        config = GovernanceConfig(safe_owners=owners, safe_threshold=record.contracts["Safe"].extra["threshold"],
                                  market_salt=record.extra["create2"]["market_salt"], asset=chain.stablecoin,
                                  chain=chain)
        assert predict_addresses(project, str(record.deployer), config) == recorded_addresses(record), \
            f"{chain.deployment_file} is stale: run `disfruta deploy --dry-run --chain all` and `ape run export_abis`"


def test_address_book__every_chain_by_id__dry_runs_refused_unless_asked():
    book = address_book()
    assert set(book) == {c.chain_id for c in CHAINS}
    for chain in CHAINS:
        with pytest.raises(ConfigurationError, match=f"chain {chain.chain_id} .* is a dry run"):
            deployment_for_chain(chain.chain_id)
        entry = deployment_for_chain(chain.chain_id, allow_dry_run=True)
        shipped = Deployment.from_file(DEPLOYMENTS / chain.deployment_file)
        assert entry.addresses == shipped.addresses, "address book stale: run `ape run export_abis`"
        assert chain_by_id(chain.chain_id) == chain
    with pytest.raises(ConfigurationError, match="no market on chain 5"):
        deployment_for_chain(5)


def test_connect__without_a_deployment__uses_the_address_book_and_refuses_a_dry_run():
    refused = pytest.raises(ConfigurationError, match="chain 137 \\(polygon:mainnet\\) is a dry run")
    with rehearsal_node(chain_named("polygon")) as url, refused:
        Disfruta.connect(url)


# ----------------------------------------------------------------------------------------------- verification


def test_bundles__every_contract_of_a_rehearsal__recompiles_to_the_code_on_chain(rehearsals, tmp_path):
    """`disfruta bundles write` then `disfruta bundles check` on the Base rehearsal: every bundle (proxies, their
    implementations, the Loan implementation, the calculator, the timelock, the bootstrap) is a full match."""
    from click.testing import CliRunner
    from disfruta.cli import main

    record, url = rehearsals["base"]
    path = tmp_path / "base-mainnet.json"
    record.save(path)
    out = tmp_path / "bundles"
    written = CliRunner().invoke(main, ["--deployment", str(path), "--json", "bundles", "write", "--out-dir",
                                        str(out)])
    assert written.exit_code == 0, written.output
    labels = {p.stem for p in out.glob("*.json")}
    assert labels == {"UserRegistry", "LoanFactory", "Treasury", "LendingPool", "NoteMarket", "Autopay",
                      *(f"{n}.implementation" for n in ("UserRegistry", "LoanFactory", "Treasury", "LendingPool",
                                                        "NoteMarket", "Autopay")),
                      "LoanImplementation", "InterestCalculator", "Timelock", "ProxyBootstrap"}
    checked = CliRunner().invoke(main, ["--network", url, "--json", "bundles", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    results = json.loads(checked.output)
    assert len(results) == len(labels) and all(r["ok"] and r["match"] == "full" for r in results)
    assert all("give this address by CREATE2" in r["message"] for r in results)
    # wrong constructor arguments (another asset in the Loan's immutables): the code still matches with the
    # immutables masked, as explorers mask them, but CREATE2 says the arguments are not the deployed ones
    from disfruta.governance.verification import read_bundles, refresh_forms, write_bundles

    bundles = {b["label"]: b for b in read_bundles(out)}
    loan = bundles["LoanImplementation"]
    asset = record.address("asset")[2:].lower()
    assert asset in loan["constructor_arguments"]
    loan["constructor_arguments"] = loan["constructor_arguments"].replace(asset, "11" * 20)
    tampered = tmp_path / "tampered"
    write_bundles([refresh_forms(loan)], tampered)
    wrong = CliRunner().invoke(main, ["--network", url, "bundles", "check", str(tampered)])
    assert wrong.exit_code == 1 and "full match" not in wrong.output
    assert "NOT VERIFIED" in wrong.output and "the constructor arguments are wrong" in wrong.output
    # Base's bundles against the Arbitrum rehearsal (same addresses): refused in one line, by chain id
    _arb, arb_url = rehearsals["arbitrum"]
    other = CliRunner().invoke(main, ["--network", arb_url, "bundles", "check", str(out)])
    assert other.exit_code == 1
    assert "the bundle is for chain 8453, the node is on chain 42161" in other.output
    assert len(other.output.strip().splitlines()) == 1 and "Traceback" not in other.output


def test_table_of_chains__chain_ids_agree_with_the_ape_network_plugins():
    """Each row's ape network (ape itself for Ethereum, the pinned ape-arbitrum/-optimism/-base/-polygon plugins)
    knows the same chain id as the reviewed table, so `ape run deploy --network <ecosystem>:mainnet:node` picks the
    row it means."""
    import ape

    for chain in CHAINS:
        network = ape.networks.get_ecosystem(chain.ecosystem).get_network(chain.network)
        assert network.chain_id == chain.chain_id, chain.name
    assert [c.name for c in CHAINS] == ["ethereum", "arbitrum", "optimism", "base", "polygon"]
    assert {c.rollup for c in CHAINS} == {None, "op-stack", "arbitrum"}
    assert chain_named("base").anvil_args == ("--chain-id", "8453", "--optimism")
    with pytest.raises(ConfigurationError, match="unknown chain 'zksync': known are ethereum, arbitrum"):
        chain_named("zksync")


# ----------------------------------------------------------------------------------------------- races and records


def test_create__someone_else_sent_the_same_creation_first__carries_on(project, accounts, chain):
    """The factory is public: a stranger's copy of our creation landing first makes ours revert; the code at the
    address is the same contract (the address commits to it), so the deployment carries on."""
    from disfruta.governance.create2 import Create2Deployer

    stranger = accounts[9]

    class Raced:
        """Our sender, beaten to it: the stranger's identical creation lands first, then ours fails."""

        address = accounts[0].address

        def transfer(self, to, value, data):
            stranger.transfer(to, value, data=data)
            raise RuntimeError("Transaction failed.")

    deployer = Create2Deployer(Raced(), market_salt="raced")
    address = deployer.create("InterestCalculator", project.InterestCalculator)
    assert chain.provider.get_code(address)
    assert deployer.created["InterestCalculator"].created_now is False
    # a creation that fails with nothing at the address is an error naming it
    broken = Create2Deployer(type("Broken", (), {"address": accounts[0].address,
                                                 "transfer": lambda self, *a, **k: (_ for _ in ()).throw(
                                                     RuntimeError("out of gas"))})(), market_salt="broken")
    with pytest.raises(DeploymentError, match="creating InterestCalculator at 0x.* left no code there \\(out of "
                                              "gas\\)"):
        broken.create("InterestCalculator", project.InterestCalculator)


def test_deploy__over_contracts_a_stranger_created_first__as_planned(project, config, dev):
    """A stranger creates the bootstrap, a proxy and an implementation of the market first: the deployment uses
    them and every address is the plan's."""
    import ape
    from disfruta.governance.deployment import deploy_governed_market
    from disfruta.governance.nodes import connected

    chain = chain_named("optimism")
    cfg = dataclasses.replace(config, market_salt="early-bird", asset=chain.stablecoin, chain=chain)
    planned = predict_addresses(project, dev[0], cfg)
    with rehearsal_node(chain) as url, connected(url):
        w3 = Web3(Web3.HTTPProvider(url))
        from disfruta.governance.create2 import ensure_deterministic_deployer

        ensure_deterministic_deployer(w3, local=True)
        bootstrap = init_code(project.ProxyBootstrap.contract_type, dev[0])
        for name, code in (("ProxyBootstrap", bootstrap),
                           ("LoanFactory", init_code(project.DisfrutaProxy.contract_type, planned["ProxyBootstrap"],
                                                     b"")),
                           ("UserRegistry.implementation", init_code(project.UserRegistry.contract_type))):
            w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
                {"from": dev[9], "to": DETERMINISTIC_DEPLOYER, "data": contract_salt("early-bird", name) + code}))
            assert w3.eth.get_code(planned[name])
        deployed = deploy_governed_market(project, ape.accounts.test_accounts[0], cfg, local=True)
    assert recorded_addresses(deployed.record) == planned


def test_record_slot__a_real_record_is_never_overwritten_a_dry_run_is(tmp_path):
    from disfruta.governance.deployment import check_record_slot

    path = tmp_path / "base-mainnet.json"
    check_record_slot(path, 8453, dry_run=True)  # nothing there
    record = Deployment(chain_id=8453, contracts={"UserRegistry": "0x" + "11" * 20}, extra={"dry_run": True})
    record.save(path)
    check_record_slot(path, 8453, dry_run=False)  # the real deployment replaces its dry run
    record.extra["dry_run"] = False
    record.save(path)
    with pytest.raises(DeploymentError, match="records a real deployment on chain 8453: move it away first \\(a "
                                              "rehearsal never replaces one\\)"):
        check_record_slot(path, 8453, dry_run=True)
    with pytest.raises(DeploymentError, match="records chain 8453, not 10"):
        check_record_slot(path, 10, dry_run=False)


def test_core__a_dry_run_record_on_a_node_that_is_not_a_development_node__refused():
    """The shipped dry runs were made with public dev keys: on a real chain anyone may have put code at their
    addresses, so the SDK never uses one there, even when given the file."""
    from disfruta.core import Core

    class Node:
        def __init__(self, version):
            self.version = version

        def request(self, method, params=None):
            return {"eth_chainId": hex(8453), "web3_clientVersion": self.version}[method]

    record = deployment_for_chain(8453, allow_dry_run=True)
    with pytest.raises(ConfigurationError, match="is a dry run .* the node is not a development node"):
        Core(Node("Geth/v1.14.0-stable/linux-amd64/go1.22"), record)
    assert Core(Node("anvil/v1.7.1"), record).chain_id == 8453  # a rehearsal node may use it


def test_connected__a_rehearsal_node_and_back__each_connection_sees_its_own_chain_id(chain):
    """ape caches one chain id per network and provider name, which a rehearsal shares with ape's test chain: a CI
    run saw every later test of that worker read the rehearsal's chain id (10) on the test chain (31337)."""
    import ape
    from disfruta.governance.nodes import connected

    outer = chain.chain_id
    with rehearsal_node(chain_named("polygon")) as url, connected(url):
        assert ape.chain.chain_id == 137
    assert ape.chain.chain_id == outer == chain.provider.web3.eth.chain_id
