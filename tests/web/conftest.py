"""A web application on the test's rolled-back connection, and helpers to sign in through the pages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hygie.core.settings import Settings, get_settings
from hygie.org import accounts, audit
from hygie.org.models import Role, User
from hygie.web.app import create_app

PASSWORD = "Vx7#qLm2pR9w"
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([0-9a-f]{64})">')


def make_app(session: Session, **settings: object) -> FastAPI:
    # Each request gets its own Session on the test's connection: its commit is a savepoint,
    # and the test's final rollback removes everything.
    factory = sessionmaker(
        bind=session.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return create_app(Settings(lang="fr", **settings), session_factory=factory)  # type: ignore[arg-type]


@pytest.fixture
def app(session: Session) -> FastAPI:
    return make_app(session)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # https: the cookies are Secure by default and would not come back over http.
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as test_client:
        yield test_client


def make_user(
    session: Session,
    email: str = "rssi@chu-exemple.fr",
    role: Role | None = None,
    establishment_id: int | None = None,
) -> User:
    user = accounts.create_user(session, email, "Camille Martin", PASSWORD)
    if role is not None:
        accounts.grant_role(session, user, role, establishment_id=establishment_id)
    return user


def csrf_from(html: str) -> str:
    found = _CSRF_META.search(html)
    assert found, "no CSRF meta tag in the page"
    return found.group(1)


def page_csrf(client: TestClient, path: str = "/login") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.text
    return csrf_from(response.text)


def login(client: TestClient, email: str = "rssi@chu-exemple.fr", password: str = PASSWORD) -> None:
    token = page_csrf(client)
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, "next": "/account"}
    )
    assert response.status_code == 303, response.text


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The settings of an empty HYGIE_HOME, for pages that read the event store."""
    monkeypatch.setenv("HYGIE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def audit_actions(session: Session, establishment_id: int) -> list[str]:
    """The establishment's audit actions, oldest first."""
    return [e.action for e in reversed(audit.list_entries(session, establishment_ids={establishment_id}))]
