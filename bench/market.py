"""Markets for the benchmarks: deployed through ape with the SDK's `deploy_market` on the benchmark's own anvil,
then driven with plain web3 contract objects (one RPC per transaction, any sender through anvil impersonation).

Users are onboarded the protocol's way: KYC (and credit) attestations signed by a test oracle key, submitted in
batches through the registry's `multicall`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import eth_abi
from disfruta.attestations import CreditAttestation, KycAttestation, Role, sign_attestation
from disfruta.deployment import Deployment
from disfruta.governance.market import MarketParams, deploy_market, ensure_multicall3
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import event_abi_to_log_topic, function_signature_to_4byte_selector, keccak, to_checksum_address
from web3 import Web3

from bench.node import DEV_KEYS, Anvil, NodeError

DAY = 86_400
PERIOD = 30 * DAY  # Loan.PERIOD: one installment
YEAR = 365 * DAY
MAX_UINT = 2**256 - 1
ABI_NAMES = ("UserRegistry", "LoanFactory", "Treasury", "LendingPool", "NoteMarket", "Autopay", "Loan", "MockERC20",
             "PushLoopLoan")


def encode(contract: Any, fn: str, *args: Any) -> str:
    """Calldata of ``contract.fn(*args)`` (web3's ``encode_abi`` is slow in bulk; these functions have no overloads)."""
    [item] = [i for i in contract.abi if i.get("type") == "function" and i["name"] == fn]
    types = tuple(_abi_type(i) for i in item["inputs"])
    return _selector(fn, types) + eth_abi.encode(types, list(args)).hex()


@cache
def _selector(fn: str, types: tuple[str, ...]) -> str:
    return "0x" + function_signature_to_4byte_selector(f"{fn}({','.join(types)})").hex()


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        return f"({','.join(_abi_type(c) for c in item['components'])}){item['type'][5:]}"
    return str(item["type"])


def derived_account(label: str, index: int = 0) -> LocalAccount:
    """A deterministic key per label and index (the same accounts on every run)."""
    return Account.from_key(keccak(f"disfruta-bench/{label}/{index}".encode()))


def derived_address(label: str, index: int) -> str:
    """A deterministic address with no key (for contracts that never check who their lenders are)."""
    return to_checksum_address(keccak(f"disfruta-bench-address/{label}/{index}".encode())[12:])


ORACLE = derived_account("oracle")
DEPLOYER = Account.from_key(DEV_KEYS[0]).address  # ape's test account 0 is anvil's dev account 0


@dataclass(frozen=True)
class Artifact:
    abi: list[dict[str, Any]]
    bytecode: str


@dataclass
class BenchMarket:
    """One deployed market: web3 contracts, its node, and the helpers every section needs."""

    node: Anvil
    params: MarketParams
    contracts: dict[str, Any]  # UserRegistry, LoanFactory, Treasury, LendingPool, NoteMarket, Autopay, asset
    artifacts: dict[str, Artifact]
    block: int
    unit: int

    @cached_property
    def chain_id(self) -> int:
        return int(self.w3.eth.chain_id)

    @property
    def w3(self) -> Web3:
        return self.node.w3

    @property
    def registry(self) -> Any:
        return self.contracts["UserRegistry"]

    @property
    def factory(self) -> Any:
        return self.contracts["LoanFactory"]

    @property
    def treasury(self) -> Any:
        return self.contracts["Treasury"]

    @property
    def pool(self) -> Any:
        return self.contracts["LendingPool"]

    @property
    def note_market(self) -> Any:
        return self.contracts["NoteMarket"]

    @property
    def autopay(self) -> Any:
        return self.contracts["Autopay"]

    @property
    def token(self) -> Any:
        return self.contracts["asset"]

    def deployment(self) -> Deployment:
        """What the SDK reads (`deployments/<network>.json`'s shape)."""
        return Deployment(chain_id=self.chain_id, block=self.block, network="bench",
                          contracts={k: c.address for k, c in self.contracts.items()})

    def loan(self, address: str) -> Any:
        return self.w3.eth.contract(address=to_checksum_address(address), abi=self.artifacts["Loan"].abi)

    # ------------------------------------------------------------------------------------------- transactions

    def call(self, sender: str, contract: Any, fn: str, *args: Any, gas: int = 5_000_000) -> int:
        """Sends ``contract.fn(*args)`` from ``sender``; returns the whole transaction's gas (21,000 base included)."""
        return self.node.transact(sender, contract.address, encode(contract, fn, *args), gas=gas)

    def batch(self, calls: Sequence[tuple[str, Any, str, tuple[Any, ...]]], *, gas: int = 1_000_000
              ) -> list[dict[str, Any]]:
        """Set-up in bulk: ``(sender, contract, fn, args)`` calls mined together (see `Anvil.send_batch`)."""
        return self.node.send_batch([(sender, c.address, encode(c, fn, *args), gas) for sender, c, fn, args in calls])

    def mint(self, to: str, amount: int) -> None:
        self.call(DEPLOYER, self.token, "mint", to, amount)

    def create_loan(self, borrower: str, amount: int, term: int, *, approve: bool = True) -> tuple[Any, int]:
        """Applies (and by default approves); returns the loan and the createLoan transaction's gas."""
        gas = self.call(borrower, self.factory, "createLoan", amount, term, 0, 14 * DAY)
        loan_id = self.factory.functions.loanCounter().call()
        if approve:
            self.call(DEPLOYER, self.factory, "approveLoan", loan_id)
        return self.loan(self.factory.functions.loans(loan_id).call()), gas

    # ------------------------------------------------------------------------------------------- onboarding

    def onboard(self, users: Sequence[str], roles: int = Role.LENDER, *, grade: int | None = None,
                limit: int = 0, batch: int = 100) -> None:
        """Verifies users new to the registry (nonce 0) with oracle-signed attestations, ``batch`` users per
        `multicall` transaction; a borrower grade adds a credit attestation (limit in token units)."""
        now = self.node.timestamp()
        calls = [c for user in users for c in self.attestation_calls(user, roles, grade=grade, limit=limit, now=now)]
        per_tx = batch * (2 if grade is not None else 1)
        receipts = self.batch([(DEPLOYER, self.registry, "multicall", (calls[i:i + per_tx],))
                               for i in range(0, len(calls), per_tx)], gas=min(self.node.gas_limit, 25_000_000))
        topic = "0x" + event_abi_to_log_topic(self.registry.events.UserVerified().abi).hex()
        verified = sum(1 for r in receipts for log in r["logs"] if log["topics"][0] == topic)
        if verified != len(users):
            raise NodeError(f"onboarded {verified} of {len(users)} users")

    def regrade(self, user: str, grade: int, limit: int) -> None:
        """Submits a fresh credit attestation for ``user`` (a credit grade lasts at most the registry's credit
        validity, 180 days: a benchmark that runs the clock past it re-grades before applying again)."""
        now = self.node.timestamp()
        _, nonce = self.registry.functions.nonces(user).call()
        credit = CreditAttestation(user, grade, limit, now + 180 * DAY, nonce, now + DAY)
        self.call(user, self.registry, "submitCreditAttestation", credit.as_tuple(), ORACLE.address,
                  sign_attestation(credit, ORACLE.key, self.chain_id, self.registry.address))

    def attestation_calls(self, user: str, roles: int, *, grade: int | None = None, limit: int = 0,
                          now: int | None = None) -> list[bytes]:
        """The encoded `submitKycAttestation` (and `submitCreditAttestation`) calls for a user new to the registry,
        signed by the test oracle key: valid as long as the registry allows (a year of KYC, 180 days of credit; the
        head's timestamp is the earliest block that can apply them), submittable for a day."""
        now = self.node.timestamp() if now is None else now
        registry, chain_id = self.registry.address, self.chain_id
        kyc = KycAttestation(user, int(roles), keccak(user.encode()), now + YEAR, 0, now + DAY)
        calls = [encode(self.registry, "submitKycAttestation", kyc.as_tuple(), ORACLE.address,
                        sign_attestation(kyc, ORACLE.key, chain_id, registry))]
        if grade is not None:
            credit = CreditAttestation(user, grade, limit, now + 180 * DAY, 0, now + DAY)
            calls.append(encode(self.registry, "submitCreditAttestation", credit.as_tuple(), ORACLE.address,
                                sign_attestation(credit, ORACLE.key, chain_id, registry)))
        return [bytes.fromhex(c[2:]) for c in calls]

    def fund_accounts(self, addresses: Sequence[str], tokens: int = 0) -> None:
        """Gas money (impersonated senders pay their own gas) and, optionally, ``tokens`` token units each."""
        for a in addresses:
            self.node.set_balance(a)
        if tokens:
            self.batch([(DEPLOYER, self.token, "mint", (a, tokens)) for a in addresses])


def deploy_markets(node: Anvil, specs: dict[str, MarketParams], *, decimals: int = 6) -> dict[str, BenchMarket]:
    """Deploys one market (with its own 6-decimal mock stablecoin) per spec on ``node``, through ape, and puts
    Multicall3 at its canonical address (as public chains have it) for the SDK's one-request reads."""
    os.environ["APE_FOUNDRY_HOST"] = node.uri  # ape-foundry connects to this node instead of starting its own
    import ape
    from ape.logging import logger

    logger.set_level("ERROR")
    markets: dict[str, BenchMarket] = {}
    try:
        with ape.networks.parse_network_choice("ethereum:local:foundry"):
            deployer = ape.accounts.test_accounts[0]
            if deployer.address != DEPLOYER:
                raise NodeError(f"ape's test account 0 is {deployer.address}, anvil's dev account 0 is {DEPLOYER}")
            artifacts = {name: _artifact(ape.project, name) for name in ABI_NAMES}
            for name, params in specs.items():
                token = deployer.deploy(ape.project.MockERC20, f"Bench USD {name}", "BUSD", decimals)
                m = deploy_market(ape.project, deployer, token, params=params, oracle_signers=(ORACLE.address,))
                contracts = {
                    "UserRegistry": m.registry.address, "LoanFactory": m.factory.address,
                    "Treasury": m.treasury.address, "LendingPool": m.pool.address,
                    "NoteMarket": m.note_market.address, "Autopay": m.autopay.address, "asset": token.address,
                }
                abi_name = {"asset": "MockERC20"}
                markets[name] = BenchMarket(
                    node=node, params=params, artifacts=artifacts, unit=10**decimals,
                    block=node.w3.eth.block_number,
                    contracts={k: node.w3.eth.contract(address=v, abi=artifacts[abi_name.get(k, k)].abi)
                               for k, v in contracts.items()})
    finally:
        os.environ.pop("APE_FOUNDRY_HOST", None)
    ensure_multicall3(node.w3)
    return markets


def _artifact(project: Any, name: str) -> Artifact:
    ct = getattr(project, name).contract_type
    return Artifact(abi=[item.model_dump(mode="json", by_alias=True) for item in ct.abi],
                    bytecode=ct.deployment_bytecode.bytecode if ct.deployment_bytecode else "0x")


def deploy_contract(market: BenchMarket, name: str, *args: Any) -> Any:
    """Deploys a compiled contract of the project with web3 (from the deployer) and returns it."""
    art = market.artifacts[name]
    factory = market.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    data = factory.constructor(*args).data_in_transaction
    receipt = market.node.receipt_ok(market.node.send(DEPLOYER, None, data, gas=10_000_000))
    return market.w3.eth.contract(address=to_checksum_address(receipt["contractAddress"]), abi=art.abi)
