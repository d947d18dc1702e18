"""Single sign-on through OpenID Connect (Keycloak, ADFS, any conforming provider).

The authorisation-code flow with PKCE, in three calls the web application makes:

1. ``begin_login(settings, provider)`` → an ``AuthorizationRequest``: the URL to redirect the
   browser to, and the ``state``, ``nonce`` and PKCE ``code_verifier`` that the application keeps
   server-side (or in a short-lived encrypted cookie) until the browser comes back;
2. ``finish_login(settings, provider, pending, code=..., state=...)`` exchanges the code at the
   token endpoint and validates the ID token: signature against the provider's JWKS (joserfc),
   then issuer, audience, expiry, issue time and nonce (``authlib.oidc.core.CodeIDToken``);
3. ``user_from_claims(session, settings, claims)`` finds or creates the local account and
   replaces its identity-provider roles by those the claims map to.

``discover`` reads the provider's ``.well-known/openid-configuration`` and JWKS once at start-up.
HTTP goes through an ``httpx.Client`` given by the caller, so tests run without network.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import HygieError, NotFoundError
from hygie.core.time import utcnow
from hygie.org import accounts
from hygie.org.models import Group, Role, User
from hygie.org.service import find_establishment


class OidcError(HygieError):
    """Single sign-on refused: bad answer from the provider, invalid token, or no account allowed."""


class OidcSettings(BaseSettings):
    """``HYGIE_OIDC_*``. Examples: Keycloak ``issuer=https://sso.example/realms/hopital``,
    ``role_claim=groups``; ADFS ``issuer=https://adfs.example/adfs``, ``role_claim=role``,
    ``email_claim=upn``."""

    model_config = SettingsConfigDict(env_prefix="HYGIE_OIDC_", extra="ignore")

    issuer: str | None = Field(default=None, description="Issuer URL; single sign-on is off when unset.")
    client_id: str = ""
    client_secret: SecretStr | None = None
    redirect_uri: str = Field(default="", description="Hygie's callback URL, as registered at the provider.")
    scopes: str = "openid email profile"
    email_claim: str = "email"
    name_claim: str = "name"
    role_claim: str = Field(default="groups", description="Keycloak: groups; ADFS: role.")
    role_mapping: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Claim value → roles, each 'ROLE@FINESS' or 'ROLE@group:GHT name'.",
    )
    allowed_domains: list[str] = Field(
        default_factory=list, description="E-mail domains whose users get an account at first sign-in."
    )
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "PS256", "ES256"])
    leeway_seconds: int = 60
    http_timeout_seconds: float = 10.0
    label: str = Field(
        default="", description="The provider's name on the sign-in button, e.g. Keycloak du GHT."
    )


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks: dict[str, Any]


@dataclass(frozen=True)
class AuthorizationRequest:
    """What to keep between the redirect to the provider and its answer (never in the URL)."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def _get_json(client: httpx.Client, url: str) -> dict[str, Any]:
    if not url.startswith("https://"):
        raise OidcError(f"refusing a non-HTTPS endpoint: {url}")
    try:
        response = client.get(url)
        response.raise_for_status()
        value = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(f"{url}: {exc}") from exc
    if not isinstance(value, dict):
        raise OidcError(f"{url}: not a JSON object")
    return value


def discover(settings: OidcSettings, client: httpx.Client | None = None) -> ProviderMetadata:
    """Reads the provider's configuration and keys."""
    if not settings.issuer:
        raise OidcError("single sign-on is not configured (HYGIE_OIDC_ISSUER)")
    own = client is None
    http = client or httpx.Client(timeout=settings.http_timeout_seconds)
    try:
        config = _get_json(http, settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
        if config.get("issuer") != settings.issuer:
            raise OidcError(f"the provider calls itself {config.get('issuer')!r}, not {settings.issuer!r}")
        jwks = _get_json(http, str(config["jwks_uri"]))
        return ProviderMetadata(
            issuer=settings.issuer,
            authorization_endpoint=str(config["authorization_endpoint"]),
            token_endpoint=str(config["token_endpoint"]),
            jwks=jwks,
        )
    except KeyError as exc:
        raise OidcError(f"the provider's configuration lacks {exc}") from exc
    finally:
        if own:
            http.close()


def begin_login(settings: OidcSettings, provider: ProviderMetadata) -> AuthorizationRequest:
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url = prepare_grant_uri(
        provider.authorization_endpoint,
        client_id=settings.client_id,
        response_type="code",
        redirect_uri=settings.redirect_uri,
        scope=settings.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return AuthorizationRequest(url=str(url), state=state, nonce=nonce, code_verifier=verifier)


def validate_id_token(
    id_token: str,
    *,
    jwks: dict[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: list[str],
    now: int | None = None,
    leeway: int = 60,
) -> dict[str, Any]:
    """The claims of a valid ID token; OidcError for a bad signature, issuer, audience, nonce or time."""
    try:
        token = jwt.decode(id_token, KeySet.import_key_set(jwks), algorithms=algorithms)  # type: ignore[arg-type]
    except (JoseError, ValueError) as exc:
        raise OidcError(f"ID token refused: {exc}") from exc
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id}},
        params={"nonce": nonce, "client_id": client_id},
    )
    if "nonce" not in token.claims:  # authlib checks it when present; we sent one, so it must come back
        raise OidcError("ID token refused: no nonce")
    try:
        claims.validate(now=int(time.time()) if now is None else now, leeway=leeway)
    except JoseError as exc:
        raise OidcError(f"ID token refused: {exc}") from exc
    return dict(token.claims)


def finish_login(
    settings: OidcSettings,
    provider: ProviderMetadata,
    pending: AuthorizationRequest,
    *,
    code: str,
    state: str,
    client: httpx.Client | None = None,
    now: int | None = None,
) -> dict[str, Any]:
    """Checks the state, exchanges the code (client_secret_basic + PKCE), validates the ID token."""
    if not hmac.compare_digest(state.encode("utf-8"), pending.state.encode("utf-8")):
        raise OidcError("the state does not match: the answer is not for this browser")
    if not provider.token_endpoint.startswith("https://"):
        raise OidcError(f"refusing a non-HTTPS token endpoint: {provider.token_endpoint}")
    secret = settings.client_secret.get_secret_value() if settings.client_secret else ""
    own = client is None
    http = client or httpx.Client(timeout=settings.http_timeout_seconds)
    try:
        response = http.post(
            provider.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": settings.redirect_uri,
                "code_verifier": pending.code_verifier,
            },
            auth=(settings.client_id, secret),
            headers={"Accept": "application/json"},
        )
        response.raise_for_status()
        answer = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(f"token endpoint: {exc}") from exc
    finally:
        if own:
            http.close()
    if not isinstance(answer, dict) or not isinstance(answer.get("id_token"), str):
        raise OidcError("the token endpoint gave no ID token")
    return validate_id_token(
        answer["id_token"],
        jwks=provider.jwks,
        issuer=provider.issuer,
        client_id=settings.client_id,
        nonce=pending.nonce,
        algorithms=settings.algorithms,
        now=now,
        leeway=settings.leeway_seconds,
    )


def _claim_values(claims: dict[str, Any], name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def mapped_roles(
    session: Session, settings: OidcSettings, claims: dict[str, Any]
) -> list[tuple[Role, int | None, int | None]]:
    """(role, establishment id, group id) for every claim value the mapping knows.

    A target that does not exist (yet) is skipped rather than refusing the sign-in.
    """
    grants: set[tuple[Role, int | None, int | None]] = set()
    for value in _claim_values(claims, settings.role_claim):
        for target in settings.role_mapping.get(value, []):
            role_name, _, where = target.partition("@")
            try:
                role = Role(role_name.strip())
            except ValueError as exc:
                raise OidcError(f"role mapping {value!r}: unknown role {role_name!r}") from exc
            if where.startswith("group:"):
                group_id = session.scalar(select(Group.id).where(Group.name == where[len("group:") :]))
                if group_id is not None:
                    grants.add((role, None, group_id))
            else:
                try:
                    grants.add((role, find_establishment(session, where.strip()).id, None))
                except NotFoundError:
                    continue
    return sorted(grants, key=lambda g: (g[0].value, g[1] or 0, g[2] or 0))


def user_from_claims(session: Session, settings: OidcSettings, claims: dict[str, Any]) -> User:
    """The local account of a validated identity, created at first sign-in if its domain is allowed."""
    identity = f"{claims['iss']}|{claims['sub']}"
    raw_email = claims.get(settings.email_claim)
    if not isinstance(raw_email, str) or "@" not in raw_email:
        raise OidcError(f"the provider sent no e-mail address in the claim {settings.email_claim!r}")
    if claims.get("email_verified") is False:
        raise OidcError("the provider says this e-mail address is not verified")
    email = accounts.normalise_email(raw_email)
    user = session.scalar(select(User).where(User.oidc_identity == identity))
    if user is None:
        user = session.scalar(select(User).where(User.email == email))
        if user is not None and user.oidc_identity not in (None, identity):
            raise OidcError("this address is linked to another identity")
    if user is None:
        domain = email.rsplit("@", 1)[1]
        if domain not in {d.lower() for d in settings.allowed_domains}:
            raise OidcError("no Hygie account for this identity")
        name = claims.get(settings.name_claim)
        user = accounts.create_user(session, email, name if isinstance(name, str) and name.strip() else email)
    if not user.is_active:
        raise OidcError("no Hygie account for this identity")
    user.oidc_identity = identity
    user.last_login_at = utcnow()
    accounts.replace_oidc_roles(session, user, mapped_roles(session, settings, claims))
    return user


__all__ = [
    "AuthorizationRequest",
    "OidcError",
    "OidcSettings",
    "ProviderMetadata",
    "begin_login",
    "discover",
    "finish_login",
    "mapped_roles",
    "user_from_claims",
    "validate_id_token",
]
