"""``client.token``: the market's stablecoin, read and approved through the ERC-20 metadata interface."""

from __future__ import annotations

from typing import Generic

from eth_utils import to_checksum_address

from disfruta.api.session import BaseSession, R
from disfruta.codec import codec_for
from disfruta.errors import ConfigurationError
from disfruta.multicall import BlockId, Call
from disfruta.tx import TxCall

ERC20 = codec_for("IERC20Metadata")
MAX_UINT = 2**256 - 1


class TokenAPI(Generic[R]):
    """The market's stablecoin (``client.token``): balances, allowances, approvals and transfers in token units."""
    def __init__(self, session: BaseSession[R], address: str) -> None:
        self._s: BaseSession[R] = session
        self.address = to_checksum_address(address)

    def balance(self, owner: str, block: BlockId = "latest") -> int:
        """``owner``'s token balance (token units)."""
        return int(self._s.core.read([Call(self.address, ERC20.function("balanceOf"), (to_checksum_address(owner),))],
                                     block)[0])

    def allowance(self, owner: str, spender: str, block: BlockId = "latest") -> int:
        """How much ``spender`` may take from ``owner``."""
        fn = ERC20.function("allowance")
        return int(self._s.core.read([Call(self.address, fn, (to_checksum_address(owner),
                                                               to_checksum_address(spender)))], block)[0])

    def approve(self, spender: str, amount: int) -> R:
        """Sets ``spender``'s allowance from this account to ``amount`` (ERC-20 ``approve`` replaces, not adds)."""
        return self._s.send(TxCall(self.address, ERC20.function("approve"), (to_checksum_address(spender), amount)))

    def transfer(self, to: str, amount: int) -> R:
        """Sends ``amount`` token units from this account to ``to``."""
        return self._s.send(TxCall(self.address, ERC20.function("transfer"), (to_checksum_address(to), amount)))

    def ensure_allowance(self, spender: str, amount: int) -> None:
        """Approves ``spender`` for ``amount`` unless it may already take that much. When the allowance is short, the
        balance is checked too, so a short wallet fails here, naming both figures, rather than in the contract.

        Inside a pipeline the allowance left after the batch's earlier spends is counted locally, because those
        transactions are not mined yet when the next one is prepared.
        """
        owner = self._s.address
        spender = to_checksum_address(spender)
        key = (self.address, owner, spender)  # by token too: a loan's notes are approved to the note market as well
        tracked = self._s.tracks_allowances
        remaining = self._s.approved.get(key) if tracked else None
        if remaining is None:
            allowance, balance = (int(x) for x in self._s.core.read([
                Call(self.address, ERC20.function("allowance"), (owner, spender)),
                Call(self.address, ERC20.function("balanceOf"), (owner,))]))
            if allowance < amount and balance < amount:
                raise ConfigurationError(f"{owner} holds {balance} token units, needs {amount}")
            remaining = allowance
        if remaining >= amount:
            remaining -= amount
        elif self._s.approve_max:
            self.approve(spender, MAX_UINT)
            remaining = MAX_UINT - amount
        else:
            self.approve(spender, amount)
            remaining = 0
        if tracked:
            self._s.approved[key] = remaining
