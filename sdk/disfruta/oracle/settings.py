"""The oracle's configuration, read from ``DISFRUTA_ORACLE_*`` environment variables (or a ``.env`` file).

Secrets are ``SecretStr``: they print as ``**********`` in logs, reprs and tracebacks.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class OracleSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISFRUTA_ORACLE_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///disfruta-oracle.db",
                              description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user:pw@host/db")

    # Envelope encryption: the master key wraps one AES-256-GCM data key per user. Base64 or hex of 32 bytes,
    # directly or in a file (e.g. a mounted secret).
    master_key: SecretStr | None = None
    master_key_file: Path | None = None
    jwt_secret: SecretStr = Field(description="HMAC key of the JWTs, at least 32 bytes")

    # The attestation signing key: an eth-account keystore (JSON) + password, or a hex private key. An optional
    # second key is held during a rotation (see the README's "Oracle operator" section).
    signer_key: SecretStr | None = None
    signer_keystore: Path | None = None
    signer_keystore_password: SecretStr | None = None
    next_signer_key: SecretStr | None = None
    next_signer_keystore: Path | None = None
    next_signer_keystore_password: SecretStr | None = None

    # Chain: with rpc_url + registry_address the service reads nonces (and its signer's status) from the registry;
    # with a revoker key too it pushes revocations on chain.
    chain_id: int = Field(31337, ge=1)
    registry_address: str | None = Field(None, pattern=r"^0x[0-9a-fA-F]{40}$")
    rpc_url: str | None = None
    revoker_key: SecretStr | None = None
    revoker_keystore: Path | None = None
    revoker_keystore_password: SecretStr | None = None

    # Sign-in with Ethereum (EIP-4361): the domain and URI wallets must show the user.
    siwe_domain: str = "localhost:8000"
    siwe_uri: str = "http://localhost:8000"
    siwe_nonce_ttl_seconds: int = Field(600, ge=30)
    # Browser apps on other origins (a dApp served next to the index) may call the API: comma-separated origins,
    # e.g. "https://app.example,http://127.0.0.1:8200"; empty: none. Credentials are bearer tokens, never cookies.
    cors_origins: str = Field("", description="Comma-separated origins whose pages may call the API")
    access_ttl_seconds: int = Field(900, ge=60)
    refresh_ttl_seconds: int = Field(14 * 86_400, ge=300)

    # The registry caps a KYC attestation at its own KYC validity (365 days in the default market) from the block
    # that applies it: 360 days leaves a margin for clock skew between this service and the chain.
    kyc_validity_days: int = Field(360, ge=1, le=3 * 365)
    credit_validity_days: int = Field(90, ge=1, le=365)
    # What an attestation's deadline and validity count from. The registry judges them by block.timestamp: "chain"
    # (needs rpc_url) reads the latest block's time, for chains whose clock is not the wall clock (a local chain
    # after time travel, as in `make demo`); "system" (the default) uses this machine's clock.
    attestation_clock: Literal["system", "chain"] = "system"
    attestation_deadline_seconds: int = Field(86_400, ge=60)
    token_decimals: int = Field(6, ge=0, le=36)
    scorecard_path: Path | None = Field(None, description="A scorecard artifact; the packaged one by default")

    rate_limit_per_minute: int = Field(120, ge=1, description="Requests per client per minute")
    auth_rate_limit_per_minute: int = Field(20, ge=1, description="Sign-in requests per client per minute")
    trust_forwarded_for: bool = Field(False, description="Key rate limits on X-Forwarded-For (behind a proxy)")
    rate_limit_storage_url: str = Field(
        "memory://", description="Where the rate-limit counters live: memory:// (one worker) or "
                                 "redis://host:port/db (shared by several workers and hosts)")
    rate_limit_namespace: str = Field("disfruta-oracle", min_length=1, max_length=64, pattern=r"^[\w.-]+$",
                                      description="Prefix of the counters' keys (services sharing one Redis)")

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        for origin in filter(None, (o.strip() for o in value.split(","))):
            if origin != "*" and not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(f"cors_origins: {origin!r} is not an origin (scheme://host[:port], no path)")
        return value

    @model_validator(mode="after")
    def _chain_clock_needs_a_chain(self) -> OracleSettings:
        if self.attestation_clock == "chain" and not (self.rpc_url and self.registry_address):
            raise ValueError("attestation_clock 'chain' needs rpc_url and registry_address (the chain to read)")
        return self

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]

    @field_validator("jwt_secret")
    @classmethod
    def _long_jwt_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value().encode()) < 32:
            raise ValueError("jwt_secret must be at least 32 bytes")
        return value

    @field_validator("rate_limit_storage_url")
    @classmethod
    def _known_storage(cls, value: str) -> str:
        from disfruta.oracle.ratelimit import check_url

        return check_url(value)

    @model_validator(mode="after")
    def _one_master_key(self) -> OracleSettings:
        if (self.master_key is None) == (self.master_key_file is None):
            raise ValueError("set exactly one of DISFRUTA_ORACLE_MASTER_KEY or DISFRUTA_ORACLE_MASTER_KEY_FILE")
        if self.rpc_url is not None and self.registry_address is None:
            raise ValueError("DISFRUTA_ORACLE_RPC_URL needs DISFRUTA_ORACLE_REGISTRY_ADDRESS")
        return self

    def master_key_bytes(self) -> bytes:
        """The 32-byte master key (decoded from base64 or hex)."""
        text = (self.master_key.get_secret_value() if self.master_key is not None
                else self.master_key_file.read_text()).strip()  # type: ignore[union-attr]
        return decode_key(text, "master key")


def decode_key(text: str, what: str) -> bytes:
    """32 bytes from hex (with or without 0x) or base64; ``ValueError`` naming ``what`` otherwise."""
    candidates = []
    try:
        candidates.append(bytes.fromhex(text.removeprefix("0x")))
    except ValueError:
        pass
    try:
        candidates.append(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError):
        pass
    for raw in candidates:
        if len(raw) == 32:
            return raw
    raise ValueError(f"{what} must be 32 bytes as hex or base64")
