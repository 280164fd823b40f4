"""Sign-In with Ethereum (EIP-4361): building, parsing and checking the message a wallet signs (EIP-191).

Plain text and signatures, no state: the oracle client composes the message with it, the oracle service parses and
checks it (the nonce store and sessions are the service's).

Only externally owned accounts sign in (an ERC-1271 contract wallet would need a chain call per sign-in).

Why not SpruceID's ``siwe`` package, the maintained implementation: its 4.4.0 (the latest) fails to import with the
current ``abnf`` (2.9: its grammars redefine RFC 5234's core rules), its parse errors are empty ``ValueError``s (a
client would not learn what is wrong with its message), and its ABNF parse costs about 10 ms of CPU per sign-in
against 0.2 ms here. It is the reference instead: ``tests/oracle/test_siwe.py`` checks that every message this
module writes reads the same in its grammar, and that what its grammar refuses this parser refuses.

>>> msg = SiweMessage(domain="example.org", address="0x" + "11" * 20, uri="https://example.org",
...                   chain_id=1, nonce="abcdefgh12345678", issued_at="2030-01-01T00:00:00Z")
>>> SiweMessage.parse(msg.text()) == msg
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_keys.exceptions import BadSignature
from eth_utils import is_checksum_address, to_checksum_address

STATEMENT = "Sign in to the Disfruta oracle."
_HEADER = " wants you to sign in with your Ethereum account:"
_FIELDS = ("URI", "Version", "Chain ID", "Nonce", "Issued At", "Expiration Time", "Not Before", "Request ID")
_NONCE = re.compile(r"^[A-Za-z0-9]{8,}$")
MAX_CLOCK_SKEW = timedelta(minutes=5)


class SiweError(ValueError):
    """The message or signature is not acceptable; the text says why (safe to show the client)."""


def _parse_time(value: str, what: str) -> datetime:
    try:  # Python 3.10's fromisoformat does not read RFC 3339's "Z" for UTC
        parsed = datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        raise SiweError(f"{what} is not an RFC 3339 date-time: {value!r}") from None
    if parsed.tzinfo is None:
        raise SiweError(f"{what} must carry a time zone")
    return parsed


@dataclass(frozen=True)
class SiweMessage:
    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: str
    statement: str | None = STATEMENT
    version: str = "1"
    expiration_time: str | None = None
    not_before: str | None = None
    request_id: str | None = None
    resources: tuple[str, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """The exact EIP-4361 text the wallet shows and signs."""
        lines = [f"{self.domain}{_HEADER}", to_checksum_address(self.address), ""]
        if self.statement is not None:
            lines += [self.statement, ""]
        else:
            lines += [""]
        lines += [f"URI: {self.uri}", f"Version: {self.version}", f"Chain ID: {self.chain_id}",
                  f"Nonce: {self.nonce}", f"Issued At: {self.issued_at}"]
        for name, value in (("Expiration Time", self.expiration_time), ("Not Before", self.not_before),
                            ("Request ID", self.request_id)):
            if value is not None:
                lines.append(f"{name}: {value}")
        if self.resources:
            lines += ["Resources:", *(f"- {r}" for r in self.resources)]
        return "\n".join(lines)

    @classmethod
    def parse(cls, text: str) -> SiweMessage:
        lines = text.split("\n")
        if len(lines) < 8 or not lines[0].endswith(_HEADER):
            raise SiweError("not an EIP-4361 message: first line must be '<domain> wants you to sign in …'")
        domain, address = lines[0][: -len(_HEADER)], lines[1]
        if not domain or any(c.isspace() for c in domain):
            raise SiweError("missing or invalid domain")
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", address) or not is_checksum_address(address):
            raise SiweError("address must be an EIP-55 checksummed address")
        if lines[2] != "":
            raise SiweError("expected an empty line after the address")
        if lines[3] == "":
            statement, rest = None, lines[4:]
        else:
            if len(lines) < 6 or lines[4] != "":
                raise SiweError("expected an empty line after the statement")
            statement, rest = lines[3], lines[5:]
        values: dict[str, str] = {}
        resources: list[str] = []
        expected = list(_FIELDS)
        for i, line in enumerate(rest):
            if line == "Resources:":
                resources = [r[2:] for r in rest[i + 1:] if r.startswith("- ")]
                if len(resources) != len(rest) - i - 1:
                    raise SiweError("each resource must be a line '- <URI>'")
                break
            name, sep, value = line.partition(": ")
            if not sep or name not in expected:
                raise SiweError(f"unexpected line {line[:60]!r} (fields must come in EIP-4361 order)")
            expected = expected[expected.index(name) + 1:]
            values[name] = value
        for required in ("URI", "Version", "Chain ID", "Nonce", "Issued At"):
            if required not in values:
                raise SiweError(f"missing field {required!r}")
        if values["Version"] != "1":
            raise SiweError("Version must be 1")
        if not values["Chain ID"].isdigit() or len(values["Chain ID"]) > 20:
            raise SiweError("Chain ID must be a decimal number")
        return cls(domain=domain, address=address, uri=values["URI"], chain_id=int(values["Chain ID"]),
                   nonce=values["Nonce"], issued_at=values["Issued At"], statement=statement,
                   expiration_time=values.get("Expiration Time"), not_before=values.get("Not Before"),
                   request_id=values.get("Request ID"), resources=tuple(resources))

    def check(self, *, domain: str, chain_id: int, now: datetime) -> None:
        """Checks everything but the nonce's freshness (the caller's store) and the signature."""
        if self.domain != domain:
            raise SiweError(f"message is for domain {self.domain!r}, this service is {domain!r}")
        if self.chain_id != chain_id:
            raise SiweError(f"message is for chain {self.chain_id}, this service serves chain {chain_id}")
        if not _NONCE.match(self.nonce):
            raise SiweError("nonce must be at least 8 alphanumeric characters")
        if _parse_time(self.issued_at, "Issued At") > now + MAX_CLOCK_SKEW:
            raise SiweError("Issued At is in the future")
        if self.expiration_time is not None and _parse_time(self.expiration_time, "Expiration Time") <= now:
            raise SiweError("message has expired")
        if self.not_before is not None and _parse_time(self.not_before, "Not Before") > now + MAX_CLOCK_SKEW:
            raise SiweError("message is not valid yet (Not Before)")


def recover_signer(text: str, signature: str) -> str:
    """The address that signed ``text`` with EIP-191 ``personal_sign``."""
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError:
        raise SiweError("signature must be hex") from None
    if len(raw) != 65:
        raise SiweError(f"signature must be 65 bytes, got {len(raw)}")
    try:
        return str(Account.recover_message(encode_defunct(text=text), signature=raw))
    except (BadSignature, ValueError, TypeError) as exc:  # bad v or s value, point not on the curve
        raise SiweError(f"invalid signature: {exc}") from None


def verify(text: str, signature: str, *, domain: str, chain_id: int, now: datetime) -> SiweMessage:
    """Parses and checks ``text`` and that ``signature`` is its address's; returns the message."""
    message = SiweMessage.parse(text)
    message.check(domain=domain, chain_id=chain_id, now=now)
    if recover_signer(text, signature) != message.address:
        raise SiweError("signature is not from the message's address")
    return message
