"""Single sign-on through the pages, against a fake provider (tests/oidc_provider.py, no network):
the redirect, the signed pending cookie, the callback, the session, every refusal, the button."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hygie.org.models import AuditEntry, Establishment, LoginAttempt, Role, User
from hygie.org.oidc import OidcSettings
from hygie.org.sessions import resolve_session
from hygie.web.sso import Pending, decode_pending, encode_pending
from tests.factories import make_establishment
from tests.oidc_provider import AUTHORIZATION_ENDPOINT, CLIENT, ISSUER, FakeProvider, id_token
from tests.web.conftest import make_app, make_user

SESSION_COOKIE = "__Host-hygie_session"
PENDING_COOKIE = "__Host-hygie_oidc"
CSRF_COOKIE = "__Host-hygie_csrf"
JAR_DOMAIN = "testserver.local"  # where httpx's cookie jar files the test server's cookies
REDIRECT_URI = "https://testserver/login/oidc/callback"
FAILED_FR = "L’authentification unique a échoué"
NOT_ALLOWED_FR = "Ce compte n’a pas accès à Hygie"


def oidc_settings(establishment: Establishment, **overrides: Any) -> OidcSettings:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "client_id": CLIENT,
        "client_secret": "s3cret",
        "redirect_uri": REDIRECT_URI,
        "role_mapping": {"hygie-rssi": [f"rssi@{establishment.finess}"]},
        "allowed_domains": ["chu-exemple.fr"],
        "algorithms": ["RS256"],
        "label": "Keycloak du GHT",
    }
    values.update(overrides)
    return OidcSettings(**values)


@pytest.fixture
def provider() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def establishment(session: Session) -> Establishment:
    return make_establishment(session)


@pytest.fixture
def sso_app(session: Session, provider: FakeProvider, establishment: Establishment) -> FastAPI:
    app = make_app(session)
    app.state.oidc_settings = oidc_settings(establishment)
    app.state.oidc_http = provider.client()
    return app


@pytest.fixture
def browser(sso_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(sso_app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def start(client: TestClient, next_path: str | None = None) -> tuple[Response, dict[str, str]]:
    """GET /login/oidc: the redirect to the provider and its query."""
    response = client.get("/login/oidc", params={"next": next_path} if next_path else None)
    assert response.status_code == 303, response.text
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    return response, query


def sign_in(
    client: TestClient, provider: FakeProvider, next_path: str | None = None, **claims: Any
) -> Response:
    """The whole round trip: Hygie → provider (the user signs in with ``claims``) → callback."""
    response, query = start(client, next_path)
    code = provider.authorize(response.headers["location"], **claims)
    return client.get("/login/oidc/callback", params={"code": code, "state": query["state"]})


def cookie_flags(response: Response, name: str) -> set[str]:
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(name + "="))
    return {part.strip().lower() for part in cookie.split(";")[1:]}


def last_audit(session: Session) -> AuditEntry:
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    return entry


def failures(session: Session) -> int:
    return session.scalar(select(func.count(LoginAttempt.id))) or 0


def test_full_round_trip(
    browser: TestClient, session: Session, provider: FakeProvider, establishment: Establishment
) -> None:
    dashboard = f"/e/{establishment.id}/dashboard"
    page = browser.get("/login", params={"next": dashboard})
    assert f'href="/login/oidc?next=/e/{establishment.id}/dashboard"' in page.text
    assert "Se connecter avec l’authentification unique (Keycloak du GHT)" in page.text

    response, query = start(browser, dashboard)
    location = response.headers["location"]
    assert location.startswith(AUTHORIZATION_ENDPOINT + "?")
    assert query["client_id"] == CLIENT and query["response_type"] == "code"
    assert query["redirect_uri"] == REDIRECT_URI
    assert query["scope"] == "openid email profile"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) == 32 and len(query["nonce"]) == 32 and query["state"] != query["nonce"]
    flags = cookie_flags(response, PENDING_COOKIE)
    assert {"secure", "httponly", "samesite=lax", "path=/", "max-age=600"} <= flags
    # What waits in the cookie is never in the URL the provider sees: the PKCE verifier.
    value = browser.cookies[PENDING_COOKIE].strip('"')
    verifier = json.loads(base64.urlsafe_b64decode(value.split(".")[0] + "=="))["verifier"]
    assert verifier not in location and len(verifier) == 64

    code = provider.authorize(location)
    callback = browser.get("/login/oidc/callback", params={"code": code, "state": query["state"]})
    assert callback.status_code == 303, callback.text
    assert callback.headers["location"] == dashboard
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= cookie_flags(callback, SESSION_COOKIE)
    assert "max-age=0" in cookie_flags(callback, PENDING_COOKIE) or PENDING_COOKIE not in browser.cookies
    # The provider got the verifier of this browser's request (it checked the S256 challenge).
    assert provider.token_requests[0]["code_verifier"] == [verifier]

    user = session.scalars(select(User).where(User.email == "camille.martin@chu-exemple.fr")).one()
    assert user.oidc_identity == f"{ISSUER}|f3a1" and user.password_hash is None
    assert resolve_session(session, browser.cookies[SESSION_COOKIE]) is user
    entry = last_audit(session)
    assert (entry.action, entry.actor, entry.object_id) == ("session.login", f"user:{user.id}", str(user.id))
    assert entry.details == {"method": "oidc"}

    page = browser.get(dashboard)
    assert page.status_code == 200, page.text
    assert "Camille Martin" in page.text
    # Signed in: the SSO link goes straight to where it was asked to.
    assert browser.get("/login/oidc", params={"next": "/account"}).headers["location"] == "/account"


def test_the_next_sign_in_reuses_the_discovery(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    assert sign_in(browser, provider).status_code == 303
    with TestClient(browser.app, base_url="https://testserver", follow_redirects=False) as other:
        assert sign_in(other, provider).status_code == 303
    assert provider.discoveries == 1


def test_password_login_audit_says_password(session: Session, sso_app: FastAPI) -> None:
    from tests.web.conftest import login

    make_user(session)
    with TestClient(sso_app, base_url="https://testserver", follow_redirects=False) as client:
        login(client)
    assert last_audit(session).details == {"method": "password", "recovery_code": False}


def test_wrong_state_is_refused(browser: TestClient, session: Session, provider: FakeProvider) -> None:
    response, query = start(browser)
    code = provider.authorize(response.headers["location"])
    refused = browser.get("/login/oidc/callback", params={"code": code, "state": "forged-state"})
    assert refused.status_code == 401
    assert FAILED_FR in refused.text and "state" not in refused.text
    assert SESSION_COOKIE not in browser.cookies
    assert provider.token_requests == []  # refused before the code was even exchanged
    entry = last_audit(session)
    assert (entry.action, entry.actor) == ("session.login_failed", "anonymous")
    assert entry.details == {"method": "oidc", "reason": "state"}
    assert failures(session) == 1
    # The pending sign-in is forgotten: the right state no longer works either.
    again = browser.get("/login/oidc/callback", params={"code": code, "state": query["state"]})
    assert again.status_code == 401
    assert last_audit(session).details == {"method": "oidc", "reason": "no_pending_sign_in"}


def test_a_callback_without_a_pending_sign_in_is_refused(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    refused = browser.get("/login/oidc/callback", params={"code": "abc", "state": "xyz"})
    assert refused.status_code == 401 and FAILED_FR in refused.text
    assert provider.token_requests == []


def _tamper(value: str, **changes: Any) -> str:
    payload, mac = value.strip('"').rsplit(".", 1)
    data = json.loads(base64.urlsafe_b64decode(payload + "=="))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{raw}.{mac}"


def test_tampered_cookie_is_refused(browser: TestClient, session: Session, provider: FakeProvider) -> None:
    response, query = start(browser)
    code = provider.authorize(response.headers["location"])
    forged = _tamper(browser.cookies[PENDING_COOKIE], next="/account", nonce="attacker-nonce")
    browser.cookies.delete(PENDING_COOKIE)
    browser.cookies.set(PENDING_COOKIE, forged, domain=JAR_DOMAIN, path="/")
    refused = browser.get("/login/oidc/callback", params={"code": code, "state": query["state"]})
    assert refused.status_code == 401 and FAILED_FR in refused.text
    assert SESSION_COOKIE not in browser.cookies
    assert last_audit(session).details == {"method": "oidc", "reason": "bad_cookie"}
    assert provider.token_requests == []


def test_a_pending_cookie_from_another_browser_is_refused(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    # Login CSRF: the attacker begins a sign-in, then makes the victim's browser finish it with
    # the attacker's cookie. The cookie is signed for the attacker's browser (its CSRF seed).
    response, query = start(browser)
    code = provider.authorize(response.headers["location"])
    stolen = browser.cookies[PENDING_COOKIE]
    with TestClient(browser.app, base_url="https://testserver", follow_redirects=False) as victim:
        victim.get("/login")  # the victim's own CSRF seed
        assert victim.cookies[CSRF_COOKIE] != browser.cookies[CSRF_COOKIE]
        victim.cookies.set(PENDING_COOKIE, stolen, domain=JAR_DOMAIN, path="/")
        refused = victim.get("/login/oidc/callback", params={"code": code, "state": query["state"]})
        assert refused.status_code == 401
        assert SESSION_COOKIE not in victim.cookies
    assert last_audit(session).details == {"method": "oidc", "reason": "bad_cookie"}


def test_an_expired_pending_sign_in_is_refused() -> None:
    from hygie.org.oidc import AuthorizationRequest

    pending = Pending(AuthorizationRequest("", "s", "n", "v"), "/account", expires=1_000)
    value = encode_pending(pending)
    assert decode_pending(value, now=999) == Pending(
        AuthorizationRequest("", "s", "n", "v"), "/account", 1_000
    )
    assert decode_pending(value, now=1_000) is None
    assert decode_pending("not base64 json!") is None
    # A next that is not a local path does not come out of the cookie, even a validly signed one.
    evil = Pending(AuthorizationRequest("", "s", "n", "v"), "//evil.example", expires=2_000)
    decoded = decode_pending(encode_pending(evil), now=1_000)
    assert decoded is not None and decoded.next_path == "/"


def test_provider_error_shows_a_generic_message(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    _response, query = start(browser)
    refused = browser.get(
        "/login/oidc/callback",
        params={
            "error": "access_denied",
            "error_description": "User <b>cancelled</b>",
            "state": query["state"],
        },
    )
    assert refused.status_code == 401
    assert FAILED_FR in refused.text
    assert "access_denied" not in refused.text and "cancelled" not in refused.text
    assert last_audit(session).details == {
        "method": "oidc",
        "reason": "provider_error",
        "error": "access_denied",
    }
    assert failures(session) == 1
    # Without the pending sign-in of this browser, a provider's error is just an unexpected call.
    browser.cookies.delete(PENDING_COOKIE)
    browser.get("/login/oidc/callback", params={"error": "access_denied", "state": query["state"]})
    assert last_audit(session).details == {"method": "oidc", "reason": "no_pending_sign_in"}


def test_an_invalid_id_token_is_refused(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    provider.token_override = id_token(provider.key, nonce="not-the-one-sent")  # and dated in 2026
    refused = sign_in(browser, provider)
    assert refused.status_code == 401 and FAILED_FR in refused.text
    assert "nonce" not in refused.text
    assert SESSION_COOKIE not in browser.cookies
    assert last_audit(session).details == {"method": "oidc", "reason": "token"}


def test_an_identity_without_any_role_is_refused(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    refused = sign_in(browser, provider, groups=["another-application"])
    assert refused.status_code == 403
    assert NOT_ALLOWED_FR in refused.text
    assert SESSION_COOKIE not in browser.cookies
    user = session.scalars(select(User).where(User.email == "camille.martin@chu-exemple.fr")).one()
    entry = last_audit(session)
    assert (entry.action, entry.actor, entry.object_id) == (
        "session.login_failed",
        f"user:{user.id}",
        str(user.id),
    )
    assert entry.details == {"method": "oidc", "reason": "no_role"}


def test_an_identity_outside_the_allowed_domains_is_refused(
    browser: TestClient, session: Session, provider: FakeProvider
) -> None:
    refused = sign_in(browser, provider, email="someone@gmail.com")
    assert refused.status_code == 403 and NOT_ALLOWED_FR in refused.text
    assert "gmail" not in refused.text
    assert session.scalar(select(User).where(User.email == "someone@gmail.com")) is None
    assert last_audit(session).details == {"method": "oidc", "reason": "not_allowed"}


def test_a_refused_identity_leaves_no_half_created_account(
    session: Session, provider: FakeProvider, establishment: Establishment
) -> None:
    # A mapping naming a role that does not exist fails after the account was created.
    app = make_app(session)
    app.state.oidc_settings = oidc_settings(establishment, role_mapping={"hygie-rssi": ["chief@x"]})
    app.state.oidc_http = provider.client()
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        assert sign_in(client, provider).status_code == 403
    assert session.scalar(select(User).where(User.email == "camille.martin@chu-exemple.fr")) is None


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example"])
def test_next_cannot_leave_the_site(browser: TestClient, provider: FakeProvider, target: str) -> None:
    assert 'href="/login/oidc?next=/"' in browser.get("/login", params={"next": target}).text
    done = sign_in(browser, provider, next_path=target)
    assert done.status_code == 303 and done.headers["location"] == "/"


def test_discovery_failure_shows_a_page_and_is_logged(
    browser: TestClient, provider: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    provider.down = True
    with caplog.at_level(logging.WARNING, logger="hygie.web"):
        response = browser.get("/login/oidc", params={"next": "/account"})
    assert response.status_code == 503
    assert "L’authentification unique est indisponible pour le moment" in response.text
    assert 'name="password"' in response.text  # the password form is still there
    assert any(
        "discovery" in record.getMessage() and ISSUER in record.getMessage() for record in caplog.records
    )
    provider.down = False  # nothing was cached: the next try discovers again
    assert sign_in(browser, provider).status_code == 303


def test_failed_callbacks_are_rate_limited(browser: TestClient, session: Session) -> None:
    for _ in range(10):
        assert browser.get("/login/oidc/callback", params={"code": "c", "state": "s"}).status_code == 401
    limited = browser.get("/login/oidc/callback", params={"code": "c", "state": "s"})
    assert limited.status_code == 429 and "trop de tentatives" in limited.text
    assert browser.get("/login/oidc").status_code == 429
    assert failures(session) == 10  # the refused-for-rate answers add nothing


def test_english_button(browser: TestClient) -> None:
    page = browser.get("/login", params={"lang": "en"})
    assert "Sign in with single sign-on (Keycloak du GHT)" in page.text


def test_no_button_and_no_routes_when_not_configured(session: Session) -> None:
    app = make_app(session)
    app.state.oidc_settings = OidcSettings(issuer=None)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        page = client.get("/login")
        assert page.status_code == 200 and "/login/oidc" not in page.text
        assert "authentification unique" not in page.text
        assert client.get("/login/oidc").status_code == 404
        assert client.get("/login/oidc/callback", params={"code": "c", "state": "s"}).status_code == 404


def test_the_redirect_uri_defaults_to_this_host(
    session: Session, provider: FakeProvider, establishment: Establishment
) -> None:
    app = make_app(session)
    app.state.oidc_settings = oidc_settings(establishment, redirect_uri="")
    app.state.oidc_http = provider.client()
    with TestClient(app, base_url="https://hygie.chu-exemple.fr", follow_redirects=False) as client:
        _response, query = start(client)
        assert query["redirect_uri"] == "https://hygie.chu-exemple.fr/login/oidc/callback"
        done = sign_in(client, provider)
        assert done.status_code == 303, done.text
    assert provider.token_requests[-1]["redirect_uri"] == ["https://hygie.chu-exemple.fr/login/oidc/callback"]


def test_local_roles_are_enough(browser: TestClient, session: Session, provider: FakeProvider) -> None:
    # An account with a role given in Hygie signs in even if the provider maps none.
    other = make_establishment(session)
    make_user(session, "camille.martin@chu-exemple.fr", Role.AUDITOR, other.id)
    done = sign_in(browser, provider, groups=[])
    assert done.status_code == 303, done.text
    assert browser.get(f"/e/{other.id}/dashboard").status_code == 200
