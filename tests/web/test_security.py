"""CSRF, security headers, cookies over plain HTTP in development."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from hygie.org import tokens
from tests.web.conftest import csrf_from, login, make_app, make_user

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def test_a_form_without_the_csrf_token_is_refused(client: TestClient, session: Session) -> None:
    make_user(session)
    login(client)
    refused = client.post("/account/tokens", data={"name": "script"})
    assert refused.status_code == 403
    assert "expiré" in refused.text or "rôle" in refused.text  # the French error page
    forged = client.post("/account/tokens", data={"name": "script", "csrf_token": "0" * 64})
    assert forged.status_code == 403
    non_ascii = client.post("/account/tokens", data={"name": "script", "csrf_token": "é" * 64})
    assert non_ascii.status_code == 403  # refused, not a 500 from the comparison
    assert tokens.list_api_tokens(session, tokens_owner(session)) == []

    token = csrf_from(client.get("/account").text)
    accepted = client.post("/account/tokens", data={"name": "script", "csrf_token": token})
    assert accepted.status_code == 200
    assert "hyg_" in accepted.text
    # HTMX sends it as a header instead of a field.
    by_header = client.post("/account/tokens", data={"name": "other"}, headers={"X-CSRF-Token": token})
    assert by_header.status_code == 200
    assert [t.name for t in tokens.list_api_tokens(session, tokens_owner(session))] == ["script", "other"]


def tokens_owner(session: Session):  # type: ignore[no-untyped-def]
    from hygie.org.accounts import find_user

    return find_user(session, "rssi@chu-exemple.fr")


def test_login_itself_needs_the_csrf_token(client: TestClient, session: Session) -> None:
    make_user(session)
    client.get("/login")
    response = client.post("/login", data={"email": "rssi@chu-exemple.fr", "password": "x"})
    assert response.status_code == 403


def test_security_headers(client: TestClient, session: Session) -> None:
    make_user(session)
    login(client)
    page = client.get("/account")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in page.headers["permissions-policy"]
    assert page.headers["strict-transport-security"].startswith("max-age=")
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "style=" not in page.text  # nothing inline: the CSP forbids it
    css = client.get("/static/hygie.css")
    assert css.status_code == 200
    assert css.headers["content-security-policy"] == CSP
    assert "no-store" not in css.headers.get("cache-control", "")
    api = client.get("/api/v1/me")
    assert api.headers["content-security-policy"] == CSP


def test_plain_http_cookies_in_development(session: Session) -> None:
    make_user(session)
    app = make_app(session, cookie_secure=False)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as client:
        login(client)
        assert "hygie_session" in client.cookies
        page = client.get("/account")
        assert page.status_code == 200
        assert "strict-transport-security" not in page.headers


def test_oversized_request_is_refused_before_reading(client: TestClient) -> None:
    response = client.post("/login", content=b"x", headers={"content-length": str(30 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_htmx_is_served_when_installed_and_optional(session: Session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from hygie.core.settings import Settings
    from hygie.web.app import create_app

    vendor = tmp_path / "node_modules"
    (vendor / "htmx.org" / "dist").mkdir(parents=True)
    (vendor / "htmx.org" / "dist" / "htmx.min.js").write_text("/* htmx */", encoding="utf-8")
    factory = make_app(session).state.session_factory
    with_htmx = create_app(Settings(), session_factory=factory, vendor_dir=vendor)
    without = create_app(Settings(), session_factory=factory, vendor_dir=tmp_path / "none")
    with TestClient(with_htmx, base_url="https://testserver") as client:
        assert client.get("/static/vendor/htmx.min.js").text == "/* htmx */"
        assert '<script src="/static/vendor/htmx.min.js" defer></script>' in client.get("/login").text
    with TestClient(without, base_url="https://testserver") as client:
        assert client.get("/static/vendor/htmx.min.js").status_code == 404
        page = client.get("/login")
        assert page.status_code == 200 and "htmx.min.js" not in page.text
        assert '<form method="post" action="/login"' in page.text


def test_the_icon_is_served_from_the_static_files(client: TestClient) -> None:
    assert '<link rel="icon" href="/static/favicon.svg"' in client.get("/login").text
    moved = client.get("/favicon.ico", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
