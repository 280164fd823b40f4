"""CREATE2 deployment through the deterministic-deployment proxy: one market, the same addresses on every chain.

The factory is the deterministic-deployment proxy (github.com/Arachnid/deterministic-deployment-proxy) at
``0x4e59b44847b379578588920cA78FbF26c0B4956C``. It exists at that address on Ethereum, Arbitrum One, OP Mainnet,
Base, Polygon and most other EVM chains because it was created by a keyless transaction (Nick's method): one signed
transaction without a chain id, from a sender whose key nobody knows, which anyone can replay on a new chain after
funding the sender with 0.01 ETH. The local deploy path does exactly that on anvil (`ensure_deterministic_deployer`),
so the local factory is the public one, byte for byte. Calling it with ``salt ‖ init code`` creates a contract at
``keccak256(0xff ‖ factory ‖ salt ‖ keccak256(init code))[12:]`` (EIP-1014) and returns its address.

What goes into each address is therefore the contract's creation code, its constructor arguments and the salt
(``contract_salt(market_salt, name)``): nothing about the sender's nonce. The Safe is created through its own
proxy factory's deterministic path (``createProxyWithNonce``), whose address depends on the singleton, the owners,
the threshold and a salt nonce; the Safe v1.4.1 contracts sit at their canonical addresses on public chains and the
local path puts them there through the Safe singleton factory (`ensure_safe_infrastructure`).

EIP-1014's first example (factory, salt and init code all zero bytes):

>>> create2_address(b"\\x00" * 32, b"\\x00", factory="0x" + "00" * 20)
'0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38'
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes

from disfruta.governance.errors import DeploymentError

if TYPE_CHECKING:
    from ape.api import AccountAPI
    from ape.contracts import ContractContainer, ContractInstance

log = logging.getLogger(__name__)

# ------------------------------------------------------------------------------------------ the factories

DETERMINISTIC_DEPLOYER = to_checksum_address("0x4e59b44847b379578588920ca78fbf26c0b4956c")
# The keyless creation transaction: nonce 0, gas price 100 gwei, gas 100,000, no chain id (pre-EIP-155), signature
# r = s = 0x2222…; its sender is whatever address that signature recovers to.
DETERMINISTIC_DEPLOYER_TX = HexBytes(
    "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffff"
    "ffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba022222222222222"
    "22222222222222222222222222222222222222222222222222a0222222222222222222222222222222222222222222222222222222222222"
    "2222")
DETERMINISTIC_DEPLOYER_SIGNER = to_checksum_address("0x3fab184622dc19b6109349b94811493bf2a45362")
DETERMINISTIC_DEPLOYER_FUNDING = 100_000 * 100 * 10**9  # gas × gas price of the keyless transaction: 0.01 ETH
# What the keyless transaction leaves at the factory's address (its init code returns these 69 bytes).
DETERMINISTIC_DEPLOYER_CODE = HexBytes(
    "0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f580151560395781"
    "82fd5b8082525050506014600cf3")

# Safe's own deterministic factory. Its code is the deterministic-deployment proxy's; Safe deploys it per chain with
# a chain-specific signed transaction of its own, which is why it is not replayable like the one above. The Safe
# v1.4.1 contracts are created through it with salt 0, which is what makes their addresses canonical.
SAFE_SINGLETON_FACTORY = to_checksum_address("0x914d7fec6aac8cd542e72bca78b30650d45643d7")
SAFE_V141 = {
    "singleton": to_checksum_address("0x29fcb43b46531bca003ddc8fcb67ffe91900c762"),  # SafeL2 1.4.1
    "proxy_factory": to_checksum_address("0x4e1dcf7ad4e460cfd30791ccc4f9c8a4f820ec67"),
    "fallback_handler": to_checksum_address("0xfd0732dc9e303f09fcef3a7388ad10a83459ec99"),
}
_SAFE_ARTIFACT = {"singleton": "Safe", "proxy_factory": "SafeProxyFactory",
                  "fallback_handler": "CompatibilityFallbackHandler"}

_SET_CODE = ("anvil_setCode", "hardhat_setCode")


def create2_address(salt: bytes, init_code: bytes, factory: str = DETERMINISTIC_DEPLOYER) -> ChecksumAddress:
    """EIP-1014: where ``factory`` creates ``init_code`` with ``salt``."""
    if len(salt) != 32:
        raise DeploymentError(f"a CREATE2 salt is 32 bytes, got {len(salt)}")
    return to_checksum_address(keccak(b"\xff" + bytes(HexBytes(factory)) + salt + keccak(init_code))[12:])


def contract_salt(market_salt: str, name: str) -> bytes:
    """The salt of one contract of a market: ``keccak256("disfruta/<market salt>/<name>")``. The market salt names
    the market (``"usdc-v1"``); the same market salt on another chain gives the same salts."""
    if not market_salt or "/" in market_salt:
        raise DeploymentError(f"a market salt is a non-empty name without '/', got {market_salt!r}")
    return keccak(text=f"disfruta/{market_salt}/{name}")


def constructor_args(contract_type: Any, *args: Any) -> bytes:
    """The ABI-encoded constructor arguments of ``contract_type`` (an ethPM ``ContractType``), without a node."""
    abi = contract_type.constructor
    types = [i.canonical_type for i in abi.inputs] if abi is not None else []
    if len(types) != len(args):
        raise DeploymentError(f"{contract_type.name}'s constructor takes {len(types)} arguments, got {len(args)}")
    return abi_encode(types, [_plain(a) for a in args]) if types else b""


def _plain(value: Any) -> Any:
    """Ape contract handles and accounts as addresses, recursively (eth-abi takes plain values)."""
    if hasattr(value, "address") and not isinstance(value, (str, bytes)):
        return to_checksum_address(str(value.address))
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value) if isinstance(value, list) else tuple(_plain(v) for v in value)
    return value


def init_code(contract_type: Any, *args: Any) -> bytes:
    """Creation code followed by the encoded constructor arguments: what CREATE2 hashes."""
    bytecode = contract_type.deployment_bytecode.bytecode if contract_type.deployment_bytecode else None
    if not bytecode or bytecode == "0x":
        raise DeploymentError(f"{contract_type.name} has no creation code (is it compiled? an interface?)")
    return bytes(HexBytes(bytecode)) + constructor_args(contract_type, *args)


# ------------------------------------------------------------------------------------------ putting them on a chain


def _code(w3: Any, address: str) -> bytes:
    return bytes(w3.eth.get_code(to_checksum_address(address)))


def _set_code(w3: Any, address: str, code: bytes) -> None:
    errors = []
    for method in _SET_CODE:
        answer = w3.provider.make_request(method, [address, HexBytes(code).to_0x_hex()])
        if not answer.get("error"):
            return
        errors.append(f"{method}: {answer['error'].get('message', answer['error'])}")
    raise DeploymentError(f"cannot put code at {address}: " + "; ".join(errors))


def ensure_deterministic_deployer(w3: Any, *, local: bool) -> str:
    """Makes sure the deterministic-deployment proxy is at its address; returns what was done (``"present"`` or
    ``"created by the keyless transaction"``).

    On a local chain without it, funds the keyless sender with 0.01 ETH and replays the keyless transaction, as on
    any new public chain. Elsewhere a chain without it is an error naming the procedure (anyone may run it)."""
    code = _code(w3, DETERMINISTIC_DEPLOYER)
    if code:
        if code != bytes(DETERMINISTIC_DEPLOYER_CODE):
            raise DeploymentError(f"chain {w3.eth.chain_id} has other code at the deterministic-deployment proxy's "
                                  f"address {DETERMINISTIC_DEPLOYER}: not the factory this deployment expects")
        return "present"
    if not local:
        raise DeploymentError(
            f"chain {w3.eth.chain_id} has no deterministic-deployment proxy at {DETERMINISTIC_DEPLOYER}: send 0.01 "
            f"ETH to {DETERMINISTIC_DEPLOYER_SIGNER} and broadcast its keyless transaction (`disfruta --network "
            "<rpc> create2-factory --send --key …`), then deploy again")
    answer = w3.provider.make_request("anvil_setBalance", [DETERMINISTIC_DEPLOYER_SIGNER,
                                                           hex(DETERMINISTIC_DEPLOYER_FUNDING)])
    if answer.get("error"):
        funder = w3.eth.accounts[0]
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
            {"from": funder, "to": DETERMINISTIC_DEPLOYER_SIGNER, "value": DETERMINISTIC_DEPLOYER_FUNDING}))
    send_keyless_transaction(w3)
    return "created by the keyless transaction"


def send_keyless_transaction(w3: Any) -> None:
    """Broadcasts the factory's keyless creation transaction (its sender must hold 0.01 ETH and have nonce 0)."""
    nonce = w3.eth.get_transaction_count(DETERMINISTIC_DEPLOYER_SIGNER)
    if nonce:
        raise DeploymentError(f"the keyless sender {DETERMINISTIC_DEPLOYER_SIGNER} has nonce {nonce} on chain "
                              f"{w3.eth.chain_id}, so its transaction can never be replayed there")
    balance = w3.eth.get_balance(DETERMINISTIC_DEPLOYER_SIGNER)
    if balance < DETERMINISTIC_DEPLOYER_FUNDING:
        raise DeploymentError(f"the keyless sender {DETERMINISTIC_DEPLOYER_SIGNER} holds {balance} wei; it needs "
                              f"{DETERMINISTIC_DEPLOYER_FUNDING} (0.01 ETH) for its transaction's gas")
    try:
        tx_hash = w3.eth.send_raw_transaction(DETERMINISTIC_DEPLOYER_TX)
    except Exception as exc:
        raise DeploymentError(f"the node refused the keyless transaction ({exc}); a node that only accepts "
                              "EIP-155 transactions must be told to allow unprotected ones (geth: "
                              "--rpc.allow-unprotected-txs)") from exc
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    if receipt["status"] != 1 or _code(w3, DETERMINISTIC_DEPLOYER) != bytes(DETERMINISTIC_DEPLOYER_CODE):
        raise DeploymentError("the keyless transaction ran but the factory's code is not at its address")


def ensure_safe_infrastructure(w3: Any, *, local: bool) -> dict[str, ChecksumAddress]:
    """The Safe v1.4.1 singleton (SafeL2), proxy factory and fallback handler at their canonical addresses.

    On a local chain, puts Safe's singleton factory there (its code is the deterministic-deployment proxy's) and
    creates the three contracts through it with salt 0 from safe-eth-py's artifacts, which land exactly at the
    canonical addresses. Elsewhere they must already exist (Safe has deployed them on every chain it supports)."""
    from disfruta.governance.safe import safe_contract_type

    missing = [role for role, address in SAFE_V141.items() if not _code(w3, address)]
    if not missing:
        return dict(SAFE_V141)
    if not local:
        raise DeploymentError(f"chain {w3.eth.chain_id} has no Safe v1.4.1 {', '.join(missing)} at the canonical "
                              "address: deploy the Safe contracts there first (safe-global/safe-smart-account)")
    if not _code(w3, SAFE_SINGLETON_FACTORY):
        _set_code(w3, SAFE_SINGLETON_FACTORY, bytes(DETERMINISTIC_DEPLOYER_CODE))
    sender = w3.eth.accounts[0]
    for role in missing:
        contract_type = safe_contract_type(_SAFE_ARTIFACT[role])
        code = bytes(HexBytes(contract_type.deployment_bytecode.bytecode))
        if create2_address(b"\x00" * 32, code, SAFE_SINGLETON_FACTORY) != SAFE_V141[role]:
            raise DeploymentError(f"safe-eth-py's {_SAFE_ARTIFACT[role]} is not the canonical v1.4.1 code")
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction(
            {"from": sender, "to": SAFE_SINGLETON_FACTORY, "data": b"\x00" * 32 + code, "gas": 6_000_000}))
        if not _code(w3, SAFE_V141[role]):
            raise DeploymentError(f"Safe's singleton factory did not create the {role} at {SAFE_V141[role]}")
    return dict(SAFE_V141)


def place_token(w3: Any, deployer: AccountAPI, token_type: ContractContainer, address: str, name: str,
                symbol: str, decimals: int) -> None:
    """A dry run on a local chain: a test token (``MockERC20``) at the chain's real stablecoin address, so the market
    is configured with exactly the address it will have there. Deploys one, then copies its code and storage."""
    if _code(w3, address):
        return
    made = deployer.deploy(token_type, name, symbol, decimals)
    _set_code(w3, address, _code(w3, made.address))
    for slot in range(8):
        value = w3.eth.get_storage_at(made.address, slot)
        if any(value):
            answer = w3.provider.make_request("anvil_setStorageAt", [address, hex(slot), HexBytes(value).to_0x_hex()])
            if answer.get("error"):
                raise DeploymentError(f"cannot copy the test token's storage to {address}: {answer['error']}")


# ------------------------------------------------------------------------------------------ deploying


@dataclass(frozen=True)
class Created:
    """How one contract was created, as the deployment record keeps it (and a verifier needs it)."""

    address: ChecksumAddress
    salt: bytes
    init_code_hash: bytes
    constructor_args: bytes
    created_now: bool

    def to_json(self) -> dict[str, str]:
        return {"factory": DETERMINISTIC_DEPLOYER, "salt": "0x" + self.salt.hex(),
                "init_code_hash": "0x" + self.init_code_hash.hex(), "constructor_args": "0x" + self.constructor_args.hex()}


@dataclass
class Create2Deployer:
    """Deploys a market's contracts through the deterministic-deployment proxy, each with ``contract_salt(salt,
    name)``; a contract already at its address (the same creation code, put there by anyone) is left as it is.

    ``sender`` pays; nothing in an address depends on it except where a contract's own arguments name it (the
    proxies' bootstrap names the deployer)."""

    sender: AccountAPI
    market_salt: str
    created: dict[str, Created] = field(default_factory=dict)

    def address_of(self, name: str, contract_type: Any, *args: Any) -> ChecksumAddress:
        return create2_address(contract_salt(self.market_salt, name), init_code(contract_type, *args))

    def deploy(self, name: str, container: ContractContainer, *args: Any) -> ContractInstance:
        """Creates ``container`` with ``args`` under ``name``'s salt (unless already there); an ape handle on it."""
        return container.at(self.create(name, container, *args))

    def create(self, name: str, container: ContractContainer, *args: Any) -> ChecksumAddress:
        """As `deploy`, returning only the address (so ape caches no contract type for it yet: a proxy's is its
        implementation's, known only once it leaves the bootstrap)."""
        from ape import chain

        contract_type = container.contract_type
        salt = contract_salt(self.market_salt, name)
        code = init_code(contract_type, *args)
        address = create2_address(salt, code)
        now = not chain.provider.get_code(address)
        if now:
            problem: Exception | None = None
            try:
                receipt = self.sender.transfer(DETERMINISTIC_DEPLOYER, 0, data=salt + code)
                if receipt.failed:
                    problem = DeploymentError("the transaction reverted")
            except Exception as exc:  # noqa: BLE001 - ape raises on a revert and on a refused gas estimate
                problem = exc
            if not chain.provider.get_code(address):
                raise DeploymentError(f"creating {name} at {address} through the deterministic-deployment proxy "
                                      f"left no code there ({problem})") from problem
            # Code there despite a failure: someone sent the same creation first (the address commits to the
            # creation code, so it is the same contract); nothing is lost.
            now = problem is None
        if name not in self.created:
            self.created[name] = Created(address=address, salt=salt, init_code_hash=keccak(code),
                                         constructor_args=constructor_args(contract_type, *args), created_now=now)
        return address


def abi_encode_call(contract_type: Any, function: str, *args: Any) -> bytes:
    """Calldata of ``function`` of ``contract_type`` without a node (selector + arguments)."""
    for abi in contract_type.abi:
        if getattr(abi, "type", None) == "function" and abi.name == function:
            types = [i.canonical_type for i in abi.inputs]
            if len(types) == len(args):
                return keccak(text=f"{function}({','.join(types)})")[:4] + abi_encode(types, [_plain(a) for a in args])
    raise DeploymentError(f"{contract_type.name} has no function {function} taking {len(args)} arguments")


def safe_address(owners: Any, threshold: int, salt_nonce: int,
                 infrastructure: dict[str, ChecksumAddress] | None = None) -> ChecksumAddress:
    """Where the Safe proxy factory (v1.4.1) creates a Safe with these owners and threshold (no module, the
    canonical fallback handler, no payment) and ``salt_nonce``, computed offline as the factory does:
    ``salt = keccak256(keccak256(initializer) ‖ saltNonce)`` over ``proxyCreationCode ‖ uint256(singleton)``."""
    from safe_eth.eth.contracts import load_contract_interface

    from disfruta.governance.safe import ZERO_ADDRESS, safe_contract_type

    infra = infrastructure or SAFE_V141
    setup = abi_encode_call(safe_contract_type("Safe"), "setup", [to_checksum_address(o) for o in owners],
                            threshold, ZERO_ADDRESS, b"", infra["fallback_handler"], ZERO_ADDRESS, 0, ZERO_ADDRESS)
    salt = keccak(keccak(setup) + salt_nonce.to_bytes(32, "big"))
    creation = bytes(HexBytes(load_contract_interface("Proxy_V1_4_1.json")["bytecode"]))
    return create2_address(salt, creation + abi_encode(["uint256"], [int(infra["singleton"], 16)]),
                           infra["proxy_factory"])
