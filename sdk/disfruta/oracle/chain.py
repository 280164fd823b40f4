"""The oracle's link to ``UserRegistry`` (web3.py, a minimal ABI): nonces, the signer set, revocations."""

from __future__ import annotations

from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.exceptions import ContractLogicError, Web3Exception

# The fragment of IUserRegistry the service calls (the full ABI is in the ape project's build).
REGISTRY_ABI = [
    {"type": "function", "name": "nonces", "stateMutability": "view",
     "inputs": [{"name": "user", "type": "address"}],
     "outputs": [{"name": "kycNonce", "type": "uint256"}, {"name": "creditNonce", "type": "uint256"}]},
    {"type": "function", "name": "isSigner", "stateMutability": "view",
     "inputs": [{"name": "signer", "type": "address"}], "outputs": [{"name": "", "type": "bool"}]},
    # IUserRegistry.UserView: the service reads the default record (the rest is decoded and ignored)
    {"type": "function", "name": "getUser", "stateMutability": "view",
     "inputs": [{"name": "user", "type": "address"}],
     "outputs": [{"name": "", "type": "tuple", "components": [
         {"name": "status", "type": "uint8"}, {"name": "roles", "type": "uint8"},
         {"name": "kycCommitment", "type": "bytes32"}, {"name": "registeredAt", "type": "uint40"},
         {"name": "kycValidUntil", "type": "uint40"}, {"name": "grade", "type": "uint8"},
         {"name": "borrowLimit", "type": "uint128"}, {"name": "creditValidUntil", "type": "uint40"},
         {"name": "kycNonce", "type": "uint32"}, {"name": "creditNonce", "type": "uint32"},
         {"name": "defaults", "type": "uint8"}, {"name": "lastDefaultAt", "type": "uint40"}]}]},
    {"type": "function", "name": "revokeUser", "stateMutability": "nonpayable",
     "inputs": [{"name": "user", "type": "address"}, {"name": "reason", "type": "bytes32"}], "outputs": []},
]


class ChainError(Exception):
    """The chain could not be read or the transaction failed; the message says which."""


class NotRegisteredOnChain(ChainError):
    """``revokeUser`` refused: the user never reached the registry (``UserRegistryNotRegistered``)."""


NOT_REGISTERED_SELECTOR = "0x" + keccak(text="UserRegistryNotRegistered(address)")[:4].hex()


@dataclass(frozen=True)
class Nonces:
    kyc: int
    credit: int


@dataclass(frozen=True)
class DefaultRecord:
    """What the registry recorded of a borrower's defaults (the loan factory records each one)."""

    defaults: int
    last_default_at: int  # unix seconds; 0 when never


class RegistryClient:
    """Reads and writes one registry over JSON-RPC. The revoker key is optional (reads need none)."""

    def __init__(self, rpc_url: str, registry: str, chain_id: int, revoker: LocalAccount | None = None,
                 timeout: float = 10.0) -> None:
        self.w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
        self.registry = self.w3.eth.contract(address=to_checksum_address(registry), abi=REGISTRY_ABI)
        self.chain_id = chain_id
        self._revoker = revoker

    def __repr__(self) -> str:
        return f"RegistryClient(registry={self.registry.address}, revoker={bool(self._revoker)})"

    @property
    def can_revoke(self) -> bool:
        return self._revoker is not None

    def nonces(self, user: str) -> Nonces:
        try:
            kyc, credit = self.registry.functions.nonces(to_checksum_address(user)).call()
        except (Web3Exception, OSError) as exc:
            raise ChainError(f"cannot read nonces from the registry: {exc.__class__.__name__}") from exc
        return Nonces(int(kyc), int(credit))

    def default_record(self, user: str) -> DefaultRecord:
        try:
            view = self.registry.functions.getUser(to_checksum_address(user)).call()
        except (Web3Exception, OSError) as exc:
            raise ChainError(f"cannot read the user's record from the registry: {exc.__class__.__name__}") from exc
        return DefaultRecord(int(view[10]), int(view[11]))  # UserView.defaults, UserView.lastDefaultAt

    def block_time(self) -> int:
        """The latest block's timestamp (what the registry judges deadlines and validity by)."""
        try:
            return int(self.w3.eth.get_block("latest")["timestamp"])
        except Exception as exc:  # noqa: BLE001 — any node failure is the same 503 to the caller
            raise ChainError(f"cannot read the chain's time: {type(exc).__name__}") from None

    def is_signer(self, address: str) -> bool:
        try:
            return bool(self.registry.functions.isSigner(to_checksum_address(address)).call())
        except (Web3Exception, OSError) as exc:
            raise ChainError(f"cannot read the registry's signer set: {exc.__class__.__name__}") from exc

    def revoke_user(self, user: str, reason: str) -> str:
        """Sends ``revokeUser(user, keccak256(reason))`` from the revoker key; returns the transaction hash.

        Only the reason's hash goes on chain (it may name a sanctions hit or a fraud case).
        """
        if self._revoker is None:
            raise ChainError("no revoker key configured")
        fn = self.registry.functions.revokeUser(to_checksum_address(user), keccak(text=reason))
        try:
            tx = fn.build_transaction({
                "from": self._revoker.address,
                "nonce": self.w3.eth.get_transaction_count(self._revoker.address, "pending"),
                "chainId": self.chain_id,
            })
            signed = self._revoker.sign_transaction(dict(tx))  # type: ignore[arg-type]
            tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)
        except ContractLogicError as exc:
            if str(exc.data or "").startswith(NOT_REGISTERED_SELECTOR):
                raise NotRegisteredOnChain(f"{user} is not registered on chain") from exc
            raise ChainError(f"revokeUser reverted: {exc.message or exc.data}") from exc
        except (Web3Exception, OSError) as exc:
            raise ChainError(f"revokeUser failed: {exc.__class__.__name__}: {exc}") from exc
        if receipt["status"] != 1:
            raise ChainError(f"revokeUser transaction {tx_hash.to_0x_hex()} reverted")
        return str(tx_hash.to_0x_hex())
