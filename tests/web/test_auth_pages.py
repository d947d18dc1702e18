"""Sign-in pages: cookie flags, generic failures, lockout, second factor, rotation, logout."""

from __future__ import annotations

import time

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.org.models import AuditEntry
from hygie.org.sessions import resolve_session
from hygie.org.totp import confirm_totp, enrol_totp
from tests.web.conftest import PASSWORD, csrf_from, login, make_user, page_csrf

SESSION_COOKIE = "__Host-hygie_session"


def _post_login(client: TestClient, email: str, password: str, code: str | None = None) -> object:
    data = {"email": email, "password": password, "csrf_token": page_csrf(client), "next": "/account"}
    if code is not None:
        data["code"] = code
    return client.post("/login", data=data)


def test_login_sets_a_secure_httponly_lax_session_cookie(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "csrf_token": page_csrf(client), "next": "/account"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= flags
    assert not any(f.startswith(("domain", "max-age", "expires")) for f in flags)
    assert resolve_session(session, client.cookies[SESSION_COOKIE]) is user
    assert client.get("/account").status_code == 200
    assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()[-1] == "session.login"


def test_unknown_account_wrong_password_and_lockout_get_the_same_page(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    unknown = _post_login(client, "nobody@chu-exemple.fr", PASSWORD)
    wrong = _post_login(client, user.email, "not the password")
    assert unknown.status_code == wrong.status_code == 401  # type: ignore[attr-defined]
    assert "identifiants invalides" in unknown.text  # type: ignore[attr-defined]
    assert "identifiants invalides" in wrong.text  # type: ignore[attr-defined]
    for _ in range(4):  # five failures in a row lock the account
        _post_login(client, user.email, "still wrong")
    locked = _post_login(client, user.email, PASSWORD)
    assert locked.status_code == 401  # type: ignore[attr-defined]
    assert "identifiants invalides" in locked.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies


def test_the_address_is_rate_limited_after_ten_failures(client: TestClient, session: Session) -> None:
    make_user(session)
    for i in range(10):
        assert _post_login(client, f"x{i}@chu-exemple.fr", "wrong").status_code == 401  # type: ignore[attr-defined]
    limited = _post_login(client, "rssi@chu-exemple.fr", PASSWORD)
    assert limited.status_code == 429  # type: ignore[attr-defined]
    assert "trop de tentatives" in limited.text  # type: ignore[attr-defined]


def test_second_factor_step(client: TestClient, session: Session) -> None:
    user = make_user(session)
    enrolment = enrol_totp(user)
    totp = pyotp.TOTP(enrolment.secret)
    confirm_totp(user, totp.now())
    session.flush()

    first = _post_login(client, user.email, PASSWORD)
    assert first.status_code == 200  # type: ignore[attr-defined]
    assert 'name="code"' in first.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in client.cookies
    # A wrong code: back to the start, same generic answer.
    assert _post_login(client, user.email, PASSWORD, code="000000").status_code == 401  # type: ignore[attr-defined]
    # The next time step's code (the current one was spent by the confirmation).
    response = _post_login(client, user.email, PASSWORD, code=totp.at(time.time() + 30))
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE in client.cookies


def test_login_rotates_the_session_and_logout_ends_it(client: TestClient, session: Session) -> None:
    make_user(session)
    login(client)
    first = client.cookies[SESSION_COOKIE]
    login_page_token = page_csrf(client, "/account")
    client.post("/logout", data={"csrf_token": login_page_token})
    assert resolve_session(session, first) is None
    assert client.get("/account").headers["location"] == "/login?next=%2Faccount"

    login(client)
    second = client.cookies[SESSION_COOKIE]
    # Signing in again from the same browser (still signed in) replaces its session.
    data = {"email": "rssi@chu-exemple.fr", "password": PASSWORD}
    data["csrf_token"] = csrf_from(client.get("/account").text)
    assert client.post("/login", data=data).status_code == 303
    assert client.cookies[SESSION_COOKIE] != second
    assert resolve_session(session, second) is None
    assert resolve_session(session, client.cookies[SESSION_COOKIE]) is not None


def test_log_out_everywhere_ends_every_session(client: TestClient, session: Session, app: object) -> None:
    user = make_user(session)
    login(client)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as other:  # type: ignore[arg-type]
        login(other)
        other_token = other.cookies[SESSION_COOKIE]
    token = csrf_from(client.get("/account").text)
    response = client.post("/account/logout-everywhere", data={"csrf_token": token})
    assert response.status_code == 303
    session.expire_all()
    assert resolve_session(session, other_token) is None
    assert user.session_version == 2


def test_login_page_redirects_only_to_local_paths(client: TestClient, session: Session) -> None:
    make_user(session)
    data = {"email": "rssi@chu-exemple.fr", "password": PASSWORD, "next": "//evil.example/x"}
    data["csrf_token"] = page_csrf(client)
    assert client.post("/login", data=data).headers["location"] == "/"
