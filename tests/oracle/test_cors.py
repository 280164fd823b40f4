"""CORS: a dApp on another origin (the reference app next to the index) may call the oracle; nobody else may."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

APP = "http://127.0.0.1:8200"


def test_cors__listed_origin__preflight_allowed_and_headers_on_answers(make_service):
    client, _ctx = make_service(cors_origins=f"{APP}, https://app.example")
    preflight = client.options("/auth/siwe/nonce", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
    answer = client.post("/auth/siwe/nonce", headers={"Origin": "https://app.example"})
    assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "https://app.example"
    # a refusal carries the header too, so the page can read the message
    refused = client.get("/kyc/me", headers={"Origin": APP})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == APP


def test_cors__other_origin_or_none_configured__no_allow_header(make_service):
    client, _ctx = make_service(cors_origins=APP)
    other = client.options("/auth/siwe/nonce", headers={"Origin": "https://evil.example",
                                                        "Access-Control-Request-Method": "POST"})
    assert other.status_code == 400 and "access-control-allow-origin" not in other.headers
    plain, _ = make_service()
    answer = plain.post("/auth/siwe/nonce", headers={"Origin": APP})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


@pytest.mark.parametrize("bad", ["127.0.0.1:8200", "http://app.example/path", "ftp://x"])
def test_cors__not_an_origin__refused_by_name(make_settings, bad):
    with pytest.raises(ValidationError, match="is not an origin"):
        make_settings(cors_origins=f"{APP},{bad}")


def test_attestation_clock__chain_without_a_chain__refused_by_name(make_settings):
    with pytest.raises(ValidationError, match="attestation_clock 'chain' needs rpc_url"):
        make_settings(attestation_clock="chain", rpc_url=None)
