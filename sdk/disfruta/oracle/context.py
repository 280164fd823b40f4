"""Everything a request needs, built once from the settings: database, keys, chain client, limiter, clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from disfruta.attestations import Attestation, attestation_digest
from disfruta.credit.scorecard import Scorecard, load_scorecard
from disfruta.oracle.chain import ChainError, RegistryClient
from disfruta.oracle.crypto import MasterKey
from disfruta.oracle.db import make_engine, session_factory
from disfruta.oracle.errors import ApiError
from disfruta.oracle.keys import NoActiveSigner, OracleSigner, load_account
from disfruta.oracle.ratelimit import RateLimiter
from disfruta.oracle.settings import OracleSettings
from disfruta.oracle.tokens import TokenService


@dataclass
class OracleContext:
    settings: OracleSettings
    engine: Engine
    sessions: sessionmaker[Session]
    master: MasterKey
    tokens: TokenService
    signer: OracleSigner
    registry: RegistryClient | None
    scorecard: Scorecard
    limiter: RateLimiter = field(default_factory=RateLimiter)
    clock: Callable[[], float] = time.time

    def now(self) -> datetime:
        return datetime.fromtimestamp(int(self.clock()), UTC)

    def attestation_now(self) -> int:
        """What attestation deadlines and validity count from: the clock, or the chain's latest block time
        (``attestation_clock = "chain"``)."""
        if self.settings.attestation_clock == "chain" and self.registry is not None:
            try:
                return self.registry.block_time()
            except ChainError as exc:
                raise ApiError(503, str(exc)) from None
        return int(self.clock())

    @property
    def registry_address(self) -> str:
        if self.settings.registry_address is None:
            raise ApiError(503, "no registry address configured (DISFRUTA_ORACLE_REGISTRY_ADDRESS)")
        return self.settings.registry_address

    def sign(self, att: Attestation, chain_id: int, registry: str) -> tuple[str, bytes, bytes]:
        """``(signer, signature, digest)``: signed with the key the registry currently accepts (checked on chain
        when connected)."""
        digest = attestation_digest(att, chain_id, registry)
        try:
            signer, signature = self.signer.sign_digest(digest, self.registry.is_signer if self.registry else None)
            return signer, signature, digest
        except NoActiveSigner as exc:
            raise ApiError(503, str(exc)) from None
        except ChainError as exc:
            raise ApiError(503, str(exc)) from None


def build_context(settings: OracleSettings, clock: Callable[[], float] = time.time) -> OracleContext:
    """Loads keys and connects; raises ``KeyLoadError`` / ``ValueError`` naming a bad setting."""
    s = settings
    keys = [k for k in (
        load_account(s.signer_key, s.signer_keystore, s.signer_keystore_password, "signer key"),
        load_account(s.next_signer_key, s.next_signer_keystore, s.next_signer_keystore_password, "next signer key"),
    ) if k is not None]
    revoker = load_account(s.revoker_key, s.revoker_keystore, s.revoker_keystore_password, "revoker key")
    registry = (RegistryClient(s.rpc_url, s.registry_address, s.chain_id, revoker)
                if s.rpc_url and s.registry_address else None)
    engine = make_engine(s.database_url)
    return OracleContext(
        settings=s,
        engine=engine,
        sessions=session_factory(engine),
        master=MasterKey(s.master_key_bytes()),
        tokens=TokenService(s.jwt_secret.get_secret_value().encode(), s.access_ttl_seconds, s.refresh_ttl_seconds),
        signer=OracleSigner(keys),
        registry=registry,
        scorecard=load_scorecard(s.scorecard_path),
        limiter=RateLimiter(s.rate_limit_storage_url, s.rate_limit_namespace),
        clock=clock,
    )
