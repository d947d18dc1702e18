"""OIDC without network: a local RSA key, its JWKS, hand-made ID tokens (tests/oidc_provider.py), a mocked
token endpoint."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey
from sqlalchemy.orm import Session

from hygie.org import accounts
from hygie.org.access import principal_for, visible_establishments
from hygie.org.models import Role
from hygie.org.oidc import (
    OidcError,
    OidcSettings,
    begin_login,
    discover,
    finish_login,
    user_from_claims,
    validate_id_token,
)
from tests.factories import make_establishment
from tests.oidc_provider import CLIENT, ISSUER, NOW, id_token, public_jwks, signing_key


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return signing_key()


@pytest.fixture(scope="module")
def jwks(key: RSAKey) -> dict[str, Any]:
    return public_jwks(key)


def check(token: str, jwks: dict[str, Any], nonce: str = "n-123") -> dict[str, Any]:
    return validate_id_token(
        token, jwks=jwks, issuer=ISSUER, client_id=CLIENT, nonce=nonce, algorithms=["RS256"], now=NOW
    )


def test_valid_token_is_accepted(key: RSAKey, jwks: dict[str, Any]) -> None:
    claims = check(id_token(key), jwks)
    assert claims["sub"] == "f3a1" and claims["email"] == "Camille.Martin@chu-exemple.fr"
    assert check(id_token(key, aud=[CLIENT]), jwks)["aud"] == [CLIENT]


@pytest.mark.parametrize(
    ("overrides", "nonce"),
    [
        ({"aud": "another-app"}, "n-123"),
        ({"iss": "https://evil.example/realms/hopital"}, "n-123"),
        ({}, "another-nonce"),
        ({"nonce": None}, "n-123"),
        ({"exp": NOW - 120}, "n-123"),  # beyond the 60 s leeway
        ({"iat": NOW + 3600}, "n-123"),
        ({"aud": [CLIENT, "other"]}, "n-123"),  # several audiences without azp
    ],
)
def test_invalid_claims_are_refused(
    key: RSAKey, jwks: dict[str, Any], overrides: dict[str, Any], nonce: str
) -> None:
    with pytest.raises(OidcError):
        check(id_token(key, **overrides), jwks, nonce)


def test_bad_signature_is_refused(key: RSAKey, jwks: dict[str, Any]) -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    with pytest.raises(OidcError):
        check(id_token(other), jwks)
    header, payload, signature = id_token(key).split(".")
    with pytest.raises(OidcError):
        check(f"{header}.{payload}.{signature[:-4]}AAAA", jwks)


def test_unsigned_token_is_refused(jwks: dict[str, Any]) -> None:
    import base64

    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"iss": ISSUER, "sub": "x", "aud": CLIENT, "iat": NOW, "exp": NOW + 60, "nonce": "n-123"}
    with pytest.raises(OidcError):
        check(f"{b64({'alg': 'none'})}.{b64(claims)}.", jwks)


def settings(**overrides: Any) -> OidcSettings:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "client_id": CLIENT,
        "client_secret": "s3cret",
        "redirect_uri": "https://hygie.chu-exemple.fr/auth/callback",
        "role_mapping": {"hygie-rssi": ["rssi@group:GHT Alpha"], "hygie-audit": ["auditor@310000007"]},
        "allowed_domains": ["chu-exemple.fr"],
        "algorithms": ["RS256"],
    }
    values.update(overrides)
    return OidcSettings(**values)


def test_full_flow_with_a_mocked_provider(key: RSAKey, jwks: dict[str, Any]) -> None:
    seen: dict[str, Any] = {}

    def provider(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/protocol/openid-connect/auth",
                    "token_endpoint": f"{ISSUER}/protocol/openid-connect/token",
                    "jwks_uri": f"{ISSUER}/protocol/openid-connect/certs",
                },
            )
        if request.url.path.endswith("/certs"):
            return httpx.Response(200, json=jwks)
        if request.url.path.endswith("/token"):
            seen["form"] = parse_qs(request.content.decode())
            seen["auth"] = request.headers["authorization"]
            return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer",
                                             "id_token": id_token(key, nonce=seen["nonce"])})  # fmt: skip
        return httpx.Response(404)

    client = httpx.Client(transport=httpx.MockTransport(provider))
    config = settings()
    metadata = discover(config, client)
    pending = begin_login(config, metadata)
    query = parse_qs(urlsplit(pending.url).query)
    assert query["response_type"] == ["code"] and query["client_id"] == [CLIENT]
    assert query["state"] == [pending.state] and query["nonce"] == [pending.nonce]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0] != pending.code_verifier
    assert query["scope"] == ["openid email profile"]
    seen["nonce"] = pending.nonce
    claims = finish_login(config, metadata, pending, code="abc", state=pending.state, client=client, now=NOW)
    assert claims["sub"] == "f3a1"
    assert seen["form"]["code_verifier"] == [pending.code_verifier]
    assert seen["form"]["grant_type"] == ["authorization_code"]
    assert seen["auth"].startswith("Basic ")
    with pytest.raises(OidcError, match="state"):
        finish_login(config, metadata, pending, code="abc", state="forged", client=client, now=NOW)


def test_discovery_refuses_another_issuer() -> None:
    client = httpx.Client(
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"issuer": "https://evil.example"}))
    )
    with pytest.raises(OidcError):
        discover(settings(), client)


def test_claims_create_the_user_with_mapped_roles(session: Session) -> None:
    a1 = make_establishment(session, group="GHT Alpha")
    a2 = make_establishment(session, group="GHT Alpha")
    make_establishment(session, group="GHT Beta")
    claims = {
        "iss": ISSUER,
        "sub": "f3a1",
        "email": "Camille.Martin@chu-exemple.fr",
        "name": "Camille Martin",
        "groups": ["hygie-rssi", "unrelated"],
    }
    user = user_from_claims(session, settings(), claims)
    assert user.email == "camille.martin@chu-exemple.fr" and user.password_hash is None
    assert user.oidc_identity == f"{ISSUER}|f3a1"
    principal = principal_for(session, user)
    assert visible_establishments(session, principal) == {a1.id, a2.id}
    assert principal.roles[a1.id] == {Role.RSSI}
    # Next login without the group: the IdP-given role goes, a local one stays.
    accounts.grant_role(session, user, Role.AUDITOR, establishment_id=a2.id)
    again = user_from_claims(session, settings(), {**claims, "groups": []})
    assert again is user
    assert principal_for(session, user).roles == {a2.id: {Role.AUDITOR}}


def test_first_login_outside_the_allowed_domains_is_refused(session: Session) -> None:
    claims = {"iss": ISSUER, "sub": "z9", "email": "someone@gmail.com"}
    with pytest.raises(OidcError):
        user_from_claims(session, settings(), claims)
    with pytest.raises(OidcError):
        user_from_claims(
            session, settings(), {**claims, "email": "x@chu-exemple.fr", "email_verified": False}
        )


def test_existing_local_account_is_linked_once(session: Session) -> None:
    local = accounts.create_user(session, "rssi@clinique.fr", "R S", "Vx7#qLm2pR9w")
    claims = {"iss": ISSUER, "sub": "s1", "email": "rssi@clinique.fr"}
    assert user_from_claims(session, settings(allowed_domains=[]), claims) is local
    with pytest.raises(OidcError, match="another identity"):
        user_from_claims(session, settings(), {**claims, "sub": "s2"})
