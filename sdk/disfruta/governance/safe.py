"""The governance Safe (v1.4.1): local deployment, Safe transactions, owner signatures, execution.

The Safe's contracts come from safe-eth-py, which ships the v1.4.1 singleton, ``SafeProxyFactory`` and
``CompatibilityFallbackHandler`` with their bytecode, so a local chain gets a real Safe. Safe transactions are hashed
and signed with safe-eth-py's ``SafeTx`` (EIP-712, chain id in the domain) offline: the nonce, version and chain id
are given, so no node is contacted to sign. Execution goes through ape like every other transaction.

>>> safe = deploy_safe(deployer, owners=[a.address, b.address, c.address], threshold=2)   # doctest: +SKIP
>>> tx = SafeTransaction.for_call(safe, to=factory.address, data=factory.pause.encode_input())  # doctest: +SKIP
>>> tx.sign_with_key(a.key); tx.sign_with_key(b.key)                                     # doctest: +SKIP
>>> execute_safe_transaction(safe, tx, sender=anyone)                                     # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from eth_typing import ChecksumAddress
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from safe_eth.eth import EthereumClient
from safe_eth.eth.contracts import load_contract_interface
from safe_eth.safe.safe_signature import SafeSignature
from safe_eth.safe.safe_tx import SafeTx
from web3.exceptions import Web3Exception

from disfruta.errors import decode_exception
from disfruta.governance.errors import DeploymentError, ProposalError

if TYPE_CHECKING:
    from ape.api import AccountAPI, ReceiptAPI
    from ape.contracts import ContractContainer, ContractInstance

SAFE_VERSION = "1.4.1"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
CALL, DELEGATE_CALL = 0, 1

_ARTIFACTS = {
    "Safe": "Safe_V1_4_1.json",
    "SafeProxyFactory": "ProxyFactory_V1_4_1.json",
    "CompatibilityFallbackHandler": "CompatibilityFallbackHandler_V1_4_1.json",
}

# Signing is offline (nonce, version and chain id are given), so this client is never contacted.
_OFFLINE_CLIENT = EthereumClient()


@cache
def safe_contract_type(name: str) -> Any:
    """The ethPM ``ContractType`` of a Safe v1.4.1 contract (``Safe``, ``SafeProxyFactory``,
    ``CompatibilityFallbackHandler``), with its bytecode, from safe-eth-py."""
    from ethpm_types import ContractType

    artifact = load_contract_interface(_ARTIFACTS[name])
    return ContractType.model_validate({
        "contractName": name,
        "abi": artifact["abi"],
        "deploymentBytecode": {"bytecode": artifact["bytecode"]},
        "runtimeBytecode": {"bytecode": artifact["deployedBytecode"]},
    })


def safe_container(name: str = "Safe") -> ContractContainer:
    from ape.contracts import ContractContainer

    return ContractContainer(safe_contract_type(name))


def safe_at(address: str) -> ContractInstance:
    """The Safe at ``address`` as an ape contract (checks there is code there)."""
    from ape import chain

    if not chain.provider.get_code(address):
        raise DeploymentError(f"no contract at the Safe address {address}")
    return safe_container().at(address)


# ------------------------------------------------------------------------------------------------ deployment


@dataclass(frozen=True)
class SafeInfrastructure:
    """The shared Safe contracts a Safe proxy is created from."""

    singleton: ChecksumAddress
    proxy_factory: ChecksumAddress
    fallback_handler: ChecksumAddress


def deploy_safe_infrastructure(deployer: AccountAPI) -> SafeInfrastructure:
    """Deploys the Safe v1.4.1 singleton, proxy factory and fallback handler (for local chains)."""
    singleton = deployer.deploy(safe_container("Safe"))
    factory = deployer.deploy(safe_container("SafeProxyFactory"))
    handler = deployer.deploy(safe_container("CompatibilityFallbackHandler"))
    return SafeInfrastructure(singleton.address, factory.address, handler.address)


def deploy_safe(deployer: AccountAPI, owners: Sequence[str], threshold: int,
                infrastructure: SafeInfrastructure | None = None, salt_nonce: int = 0) -> ContractInstance:
    """Creates a Safe proxy with ``owners`` and ``threshold`` (deploying the infrastructure if not given)."""
    if not owners or not 1 <= threshold <= len(owners):
        raise DeploymentError(f"a Safe needs 1 ≤ threshold ≤ owners; got threshold {threshold} for {len(owners)}")
    if len({o.lower() for o in owners}) != len(owners):
        raise DeploymentError("the Safe's owners must be distinct")
    infra = infrastructure or deploy_safe_infrastructure(deployer)
    singleton = safe_container("Safe").at(infra.singleton)
    setup = singleton.setup.encode_input(
        [to_checksum_address(o) for o in owners], threshold, ZERO_ADDRESS, b"", infra.fallback_handler,
        ZERO_ADDRESS, 0, ZERO_ADDRESS,
    )
    factory = safe_container("SafeProxyFactory").at(infra.proxy_factory)
    receipt = factory.createProxyWithNonce(infra.singleton, setup, salt_nonce, sender=deployer)
    created = receipt.events.filter(factory.ProxyCreation)
    if not created:
        raise DeploymentError("the Safe proxy factory created no proxy")
    return safe_container("Safe").at(created[0].proxy)


# ------------------------------------------------------------------------------------------------ reads


@dataclass(frozen=True)
class SafeState:
    """What a Safe transaction depends on."""

    address: ChecksumAddress
    owners: list[ChecksumAddress]
    threshold: int
    nonce: int
    version: str


def safe_state(safe: ContractInstance, block_id: int | str | None = None) -> SafeState:
    kwargs: dict[str, Any] = {} if block_id is None else {"block_id": block_id}
    return SafeState(
        address=to_checksum_address(safe.address),
        owners=[to_checksum_address(o) for o in safe.getOwners(**kwargs)],
        threshold=int(safe.getThreshold(**kwargs)),
        nonce=int(safe.call_view_method("nonce", **kwargs)),  # `safe.nonce` is the account nonce
        version=str(safe.VERSION(**kwargs)),
    )


# ------------------------------------------------------------------------------------------------ transactions


@dataclass
class SafeTransaction:
    """One Safe transaction (a call the Safe makes once threshold owners signed), with the signatures so far.

    Gas fields are zero (no refund): the Safe then requires the inner call to succeed, so a failing call reverts the
    whole execution instead of burning the nonce.
    """

    safe: ChecksumAddress
    chain_id: int
    nonce: int
    to: ChecksumAddress
    data: HexBytes
    value: int = 0
    operation: int = CALL
    signatures: dict[ChecksumAddress, HexBytes] = field(default_factory=dict)
    executed_in: str | None = None  # transaction hash once executed

    @classmethod
    def for_call(cls, safe: ContractInstance, to: str, data: bytes, value: int = 0, nonce: int | None = None,
                 chain_id: int | None = None) -> SafeTransaction:
        from ape import chain

        return cls(safe=to_checksum_address(safe.address), chain_id=chain_id or chain.chain_id,
                   nonce=int(safe.call_view_method("nonce")) if nonce is None else nonce, to=to_checksum_address(to),
                   data=HexBytes(data), value=value)

    def _safe_tx(self) -> SafeTx:
        return SafeTx(_OFFLINE_CLIENT, self.safe, self.to, self.value, bytes(self.data), self.operation, 0, 0, 0,
                      None, None, signatures=self.packed_signatures(), safe_nonce=self.nonce,
                      safe_version=SAFE_VERSION, chain_id=self.chain_id)

    @property
    def hash(self) -> HexBytes:
        """The EIP-712 ``safeTxHash`` the owners sign."""
        return HexBytes(self._safe_tx().safe_tx_hash)

    def packed_signatures(self) -> bytes:
        """The signatures as ``execTransaction`` takes them: 65 bytes each, sorted by owner address."""
        return b"".join(sig for _, sig in sorted(self.signatures.items(), key=lambda kv: int(kv[0], 16)))

    def add_signature(self, signature: bytes) -> ChecksumAddress:
        """Adds an owner's 65-byte ECDSA signature of ``hash``; returns the owner it recovers to."""
        parsed = SafeSignature.parse_signature(signature, self.hash)
        if len(parsed) != 1:
            raise ProposalError(f"expected one 65-byte signature, got {len(signature)} bytes")
        owner = to_checksum_address(parsed[0].owner)
        self.signatures[owner] = HexBytes(SafeSignature.export_signatures(parsed))
        return owner

    def sign_with_key(self, private_key: str | bytes) -> ChecksumAddress:
        """Signs with a raw private key (safe-eth-py ``SafeTx.sign``)."""
        key = private_key if isinstance(private_key, str) else HexBytes(private_key).to_0x_hex()
        return self.add_signature(self._safe_tx().sign(key))

    def sign_with_account(self, account: AccountAPI) -> ChecksumAddress:
        """Signs with an ape account (test account, keyfile or hardware wallet that signs raw hashes)."""
        signature = account.sign_raw_msghash(self.hash)
        if signature is None:
            raise ProposalError(f"account {account.address} declined to sign")
        return self.add_signature(signature.encode_rsv())

    def to_json(self) -> dict[str, Any]:
        return {
            "safe": self.safe, "chainId": self.chain_id, "nonce": self.nonce, "to": self.to,
            "value": self.value, "data": self.data.to_0x_hex(), "operation": self.operation,
            "safeTxHash": self.hash.to_0x_hex(),
            "signatures": {owner: sig.to_0x_hex() for owner, sig in self.signatures.items()},
            "executedIn": self.executed_in,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SafeTransaction:
        tx = cls(safe=to_checksum_address(data["safe"]), chain_id=int(data["chainId"]), nonce=int(data["nonce"]),
                 to=to_checksum_address(data["to"]), data=HexBytes(data["data"]), value=int(data["value"]),
                 operation=int(data["operation"]), executed_in=data.get("executedIn"))
        for sig in data.get("signatures", {}).values():
            tx.add_signature(HexBytes(sig))
        if "safeTxHash" in data and HexBytes(data["safeTxHash"]) != tx.hash:
            raise ProposalError(f"Safe transaction {data['safeTxHash']} does not match its fields")
        return tx


def execute_safe_transaction(safe: ContractInstance, tx: SafeTransaction, sender: AccountAPI) -> ReceiptAPI:
    """Sends ``execTransaction``: checks the nonce, that threshold owners signed, and that the call itself would
    succeed when the Safe makes it (a clear error instead of the Safe's bare ``GS013``)."""
    from ape import chain

    state = safe_state(safe)
    if tx.nonce != state.nonce:
        raise ProposalError(f"Safe transaction nonce {tx.nonce} but the Safe is at nonce {state.nonce}"
                            + (" (already executed?)" if tx.nonce < state.nonce else " (earlier ones first)"))
    owners = {o.lower() for o in state.owners}
    signers = [s for s in tx.signatures if s.lower() in owners]
    strangers = [s for s in tx.signatures if s.lower() not in owners]
    if strangers:
        raise ProposalError(f"signatures from non-owners: {', '.join(strangers)}")
    if len(signers) < state.threshold:
        raise ProposalError(f"{len(signers)} of {state.threshold} required owner signatures")
    try:
        chain.provider.web3.eth.call({"from": tx.safe, "to": tx.to, "data": tx.data, "value": tx.value})
    except (Web3Exception, ValueError) as exc:  # web3's ContractLogicError carries the revert data
        raise ProposalError(f"the Safe's call to {tx.to} would revert: {decode_exception(exc)}") from exc
    receipt = safe.execTransaction(tx.to, tx.value, tx.data, tx.operation, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS,
                                   tx.packed_signatures(), sender=sender)
    tx.executed_in = receipt.txn_hash
    return receipt
