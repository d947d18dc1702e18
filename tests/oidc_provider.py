"""A fake OpenID Connect provider without network: a local RSA key, its JWKS, hand-made ID tokens,
and the discovery, keys and token endpoints behind an ``httpx.MockTransport``."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ISSUER = "https://sso.chu-exemple.fr/realms/hopital"
CLIENT = "hygie"
NOW = 1_780_000_000
AUTHORIZATION_ENDPOINT = f"{ISSUER}/protocol/openid-connect/auth"
TOKEN_ENDPOINT = f"{ISSUER}/protocol/openid-connect/token"
JWKS_URI = f"{ISSUER}/protocol/openid-connect/certs"


@lru_cache(maxsize=1)
def signing_key() -> RSAKey:
    """The provider's key, made once per test process (RSA generation is slow)."""
    return RSAKey.generate_key(2048, parameters={"kid": "k1"})


def public_jwks(key: RSAKey) -> dict[str, Any]:
    return dict(KeySet([key]).as_dict(private=False))


def id_token(key: RSAKey, *, now: int = NOW, **overrides: Any) -> str:
    """A signed ID token for Camille Martin, RSSI; an override of None removes the claim."""
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "f3a1",
        "aud": CLIENT,
        "iat": now - 10,
        "exp": now + 300,
        "nonce": "n-123",
        "email": "Camille.Martin@chu-exemple.fr",
        "name": "Camille Martin",
        "groups": ["hygie-rssi"],
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def discovery_document(issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": AUTHORIZATION_ENDPOINT,
        "token_endpoint": TOKEN_ENDPOINT,
        "jwks_uri": JWKS_URI,
    }


@dataclass
class _Grant:
    nonce: str
    challenge: str
    redirect_uri: str
    claims: dict[str, Any]


@dataclass
class FakeProvider:
    """Plays the provider's part: ``authorize`` is the user signing in there (it returns the code
    sent back to Hygie); the token endpoint checks the client, the redirect URI and PKCE, like a
    real provider, and answers with an ID token carrying the nonce of the request."""

    key: RSAKey = field(default_factory=signing_key)
    client_id: str = CLIENT
    client_secret: str = "s3cret"
    down: bool = False  # every endpoint answers 503
    token_override: str | None = None  # an ID token to send instead of the right one
    grants: dict[str, _Grant] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    discoveries: int = 0

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))

    def authorize(self, url: str, **claims: Any) -> str:
        """The browser arrives at ``url``; the user signs in with ``claims`` (over the defaults)."""
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == AUTHORIZATION_ENDPOINT, url
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        assert query["client_id"] == self.client_id and query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        code = secrets.token_urlsafe(16)
        self.grants[code] = _Grant(query["nonce"], query["code_challenge"], query["redirect_uri"], claims)
        return code

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        url = str(request.url).split("?")[0]
        if url == f"{ISSUER}/.well-known/openid-configuration":
            self.discoveries += 1
            return httpx.Response(200, json=discovery_document())
        if url == JWKS_URI:
            return httpx.Response(200, json=public_jwks(self.key))
        if url == TOKEN_ENDPOINT and request.method == "POST":
            return self._token(request)
        return httpx.Response(404)

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = parse_qs(request.content.decode())
        self.token_requests.append(form)
        basic = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return httpx.Response(401, json={"error": "invalid_client"})
        grant = self.grants.pop(form.get("code", [""])[0], None)  # a code is used once
        verifier = form.get("code_verifier", [""])[0].encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if (
            grant is None
            or form.get("grant_type") != ["authorization_code"]
            or form.get("redirect_uri") != [grant.redirect_uri]
            or challenge != grant.challenge
        ):
            return httpx.Response(400, json={"error": "invalid_grant"})
        token = self.token_override or id_token(
            self.key, now=int(time.time()), nonce=grant.nonce, aud=self.client_id, **grant.claims
        )
        return httpx.Response(200, json={"access_token": "at", "token_type": "Bearer", "id_token": token})
