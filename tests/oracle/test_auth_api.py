"""Sign-in over HTTP: EIP-4361 wallets, operators with password + TOTP, refresh rotation, logout, rate limits,
security headers. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import time

import pytest
from disfruta.oracle.auth import operator_totp
from disfruta.oracle.ratelimit import STORE_TIMEOUT_S
from eth_account import Account

from .helpers import OPERATOR, OPERATOR_PASSWORD, bearer, personal_sign, sign_in, siwe_text


def test_siwe_verify__valid_signature__tokens_for_the_address(client, wallet):
    tokens = sign_in(client, wallet)
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900
    me = client.get("/kyc/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json()["wallet_address"] == wallet.address
    assert me.json()["kyc_status"] == "none"


def test_siwe_verify__nonce_used_twice__401(client, wallet):
    message = siwe_text(client, wallet)
    body = {"message": message, "signature": personal_sign(wallet, message)}
    assert client.post("/auth/siwe/verify", json=body).status_code == 200
    again = client.post("/auth/siwe/verify", json=body)
    assert again.status_code == 401
    assert "nonce unknown, already used or expired" in again.json()["detail"]


def test_siwe_verify__nonce_not_issued_by_the_service__401(client, wallet):
    message = siwe_text(client, wallet, nonce="madeUpNonce12345")
    response = client.post("/auth/siwe/verify", json={"message": message,
                                                      "signature": personal_sign(wallet, message)})
    assert response.status_code == 401
    assert "nonce unknown" in response.json()["detail"]


def test_siwe_verify__nonce_expired__401(client, wallet, clock):
    message = siwe_text(client, wallet)
    clock.t += 601
    response = client.post("/auth/siwe/verify", json={"message": message,
                                                      "signature": personal_sign(wallet, message)})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_siwe_verify__signed_by_someone_else__401(client, wallet):
    message = siwe_text(client, wallet)
    response = client.post("/auth/siwe/verify", json={"message": message,
                                                      "signature": personal_sign(Account.create(), message)})
    assert response.status_code == 401
    assert response.json()["detail"] == "sign-in refused: signature is not from the message's address"


def test_siwe_verify__other_domain__401(client, wallet):
    message = siwe_text(client, wallet, domain="phishing.example")
    response = client.post("/auth/siwe/verify", json={"message": message,
                                                      "signature": personal_sign(wallet, message)})
    assert response.status_code == 401
    assert "message is for domain 'phishing.example'" in response.json()["detail"]


def test_refresh__rotation__new_pair_and_old_token_refused_then_session_revoked(client, wallet):
    first = sign_in(client, wallet)
    second = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    # Replaying the used token is theft or a bug: the whole session ends, including the newest tokens.
    replay = client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    assert replay.json()["detail"] == "refresh token was already used; the session is revoked"
    assert client.get("/kyc/me", headers=bearer(second.json())).status_code == 401
    assert client.post("/auth/refresh", json={"refresh_token": second.json()["refresh_token"]}).status_code == 401


def test_refresh__expired_token__401(client, wallet, clock):
    tokens = sign_in(client, wallet)
    clock.t += 14 * 86_400 + 1
    response = client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401
    assert response.json()["detail"] == "refresh token has expired"


def test_logout__session__access_and_refresh_stop_working(client, wallet):
    tokens = sign_in(client, wallet)
    assert client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]}).status_code == 204
    me = client.get("/kyc/me", headers=bearer(tokens))
    assert me.status_code == 401
    assert me.json()["detail"] == "session has ended; sign in again"
    assert client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_access_token__expired__401(client, wallet, clock):
    tokens = sign_in(client, wallet)
    clock.t += 901
    response = client.get("/kyc/me", headers=bearer(tokens))
    assert response.status_code == 401
    assert response.json()["detail"] == "access token has expired"


@pytest.mark.parametrize(("headers", "detail"), [
    ({}, "missing bearer token"),
    ({"Authorization": "Bearer not.a.jwt"}, "invalid access token"),
])
def test_protected_endpoint__without_valid_token__401(client, headers, detail):
    response = client.get("/kyc/me", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"].startswith(detail)
    assert response.headers["www-authenticate"] == "Bearer"


def test_operator_endpoint__wallet_token__403(client, wallet_headers):
    response = client.get("/kyc/pending", headers=wallet_headers)
    assert response.status_code == 403
    assert response.json()["detail"] == "this endpoint is for KYC operators"


def test_operator_login__password_and_totp__operator_token(client, operator_headers):
    assert client.get("/kyc/pending", headers=operator_headers).json() == []


def _login(client, ctx, clock, *, password=OPERATOR_PASSWORD, offset=0):
    with ctx.sessions() as db:
        code = operator_totp(db, ctx.master, OPERATOR).at(int(clock()) + offset)
    return client.post("/auth/operator/login", json={"username": OPERATOR, "password": password, "totp": code})


def test_operator_login__code_replayed__401(client, ctx, clock, operator_headers):
    response = _login(client, ctx, clock)  # the fixture already used this time step's code
    assert response.status_code == 401
    assert response.json()["detail"] == "sign-in refused: wrong username, password or TOTP code"
    assert _login(client, ctx, clock, offset=30).status_code == 200  # the next step's code works


@pytest.mark.parametrize(("password", "offset", "reason"), [
    ("wrong password!", 0, "bad credentials"),
    (OPERATOR_PASSWORD, 300, "bad TOTP code"),
])
def test_operator_login__bad_factor__401_and_audited(client, ctx, clock, operator_headers, password, offset,
                                                     reason):
    response = _login(client, ctx, clock, password=password, offset=offset + 30)
    assert response.status_code == 401
    events = client.get("/audit", headers=operator_headers,
                        params={"action": "auth.operator_sign_in_failed"}).json()
    assert events[0]["details"] == {"reason": reason}


def test_operator_login__malformed_code__400(client, operator_headers):
    response = client.post("/auth/operator/login",
                           json={"username": OPERATOR, "password": OPERATOR_PASSWORD, "totp": "12ab"})
    assert response.status_code == 400
    assert response.json()["detail"] == "TOTP code must be 6 digits"


def test_rate_limit__auth_burst__429_with_retry_after(make_service):
    client, _ = make_service(auth_rate_limit_per_minute=3)
    codes = [client.post("/auth/siwe/nonce").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.post("/auth/siwe/nonce")
    assert limited.json()["detail"].startswith("rate limit exceeded: 3 requests per minute")
    assert int(limited.headers["retry-after"]) >= 1
    assert client.get("/health").status_code == 200  # the API bucket is separate


def test_rate_limit__store_unreachable__503_not_unmetered(make_service):
    """With the shared counters out of reach, requests are refused (and can be retried), not let through."""
    client, _ = make_service(rate_limit_storage_url="redis://127.0.0.1:9/0")  # the discard port: nothing listens
    response = client.get("/credit/model")
    assert response.status_code == 503
    assert response.json()["detail"] == "rate-limit store unavailable (ConnectionError); retry later"
    assert response.headers["retry-after"] == "5"
    assert response.headers["x-frame-options"] == "DENY"
    assert client.get("/health").status_code == 200  # the liveness probe doesn't depend on the store


def test_rate_limit__store_accepts_but_never_answers__503_within_the_timeout(make_service):
    """A partitioned Redis (the connection opens, no answer comes): the request fails after the store timeout
    instead of hanging."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshake; nobody ever reads or answers
        client, _ = make_service(rate_limit_storage_url=f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        started = time.monotonic()
        response = client.get("/credit/model")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["detail"].startswith("rate-limit store unavailable (")
    assert elapsed < 10 * STORE_TIMEOUT_S  # bounded by the store timeout, not by TCP's minutes


def test_rate_limit__behind_a_proxy__spoofed_forwarded_for_gets_no_fresh_budget(make_service):
    """The proxy appends the address it saw; whatever the client wrote before it is not the client's key."""
    client, _ = make_service(auth_rate_limit_per_minute=3, trust_forwarded_for=True)
    codes = [client.post("/auth/siwe/nonce", headers={"X-Forwarded-For": f"198.51.100.{i}, 203.0.113.9"}).status_code
             for i in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    other = client.post("/auth/siwe/nonce", headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.10"})
    assert other.status_code == 200  # another client (as the proxy saw it) has its own budget


def test_rate_limit__probes_and_scrapes__never_limited(make_service):
    client, _ = make_service(rate_limit_per_minute=2)
    assert [client.get("/health").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/metrics").status_code for _ in range(5)] == [200] * 5
    assert [client.get("/credit/model").status_code for _ in range(3)] == [200, 200, 429]


def test_any_response__always__security_headers(client):
    response = client.get("/health")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["cache-control"] == "no-store"
    assert client.post("/auth/refresh", json={}).headers["x-frame-options"] == "DENY"
