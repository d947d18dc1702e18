"""Server-side sessions (expiry, idle, log out everywhere) and API tokens (hashed, revocable)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError
from hygie.org import accounts
from hygie.org.models import ApiToken, User, UserSession
from hygie.org.sessions import SessionPolicy, create_session, resolve_session, revoke_session
from hygie.org.tokens import create_api_token, list_api_tokens, resolve_api_token, revoke_api_token

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
POLICY = SessionPolicy(lifetime=timedelta(hours=12), idle=timedelta(minutes=30))


def make_user(session: Session, email: str = "tech@ch-exemple.fr") -> User:
    return accounts.create_user(session, email, "Lou Bernard", "Vx7#qLm2pR9w")


def test_session_lives_while_used_and_dies_when_idle(session: Session) -> None:
    user = make_user(session)
    token = create_session(session, user, ip="10.0.0.1", user_agent="Firefox", now=T0, policy=POLICY)
    # The database holds the hash only.
    row = session.scalar(select(UserSession))
    assert row is not None and row.token_hash != token and token not in row.token_hash
    assert resolve_session(session, token, now=T0 + timedelta(minutes=29), policy=POLICY) is user
    # Used at 29 min, so still alive 29 min later (58 min after creation).
    assert resolve_session(session, token, now=T0 + timedelta(minutes=58), policy=POLICY) is user
    # Then 30 min without use: dead.
    assert resolve_session(session, token, now=T0 + timedelta(minutes=88), policy=POLICY) is None


def test_session_dies_at_its_lifetime_even_when_used(session: Session) -> None:
    user = make_user(session)
    token = create_session(session, user, now=T0, policy=POLICY)
    for minutes in range(20, 12 * 60, 20):
        assert resolve_session(session, token, now=T0 + timedelta(minutes=minutes), policy=POLICY) is user
    assert resolve_session(session, token, now=T0 + timedelta(hours=12), policy=POLICY) is None


def test_revoke_one_and_logout_everywhere(session: Session) -> None:
    user = make_user(session)
    laptop = create_session(session, user, now=T0)
    phone = create_session(session, user, now=T0)
    revoke_session(session, laptop, now=T0)
    assert resolve_session(session, laptop, now=T0) is None
    assert resolve_session(session, phone, now=T0) is user
    accounts.logout_everywhere(session, user)
    assert resolve_session(session, phone, now=T0) is None
    # A session opened afterwards works.
    assert resolve_session(session, create_session(session, user, now=T0), now=T0) is user
    assert resolve_session(session, "forged-token", now=T0) is None


def test_password_change_ends_sessions(session: Session) -> None:
    user = make_user(session)
    token = create_session(session, user, now=T0)
    accounts.set_password(session, user, "Autre#Phrase-2026")
    assert resolve_session(session, token, now=T0) is None


def test_api_token_is_stored_hashed_and_resolves(session: Session) -> None:
    user = make_user(session)
    token, row = create_api_token(session, user, "import GLPI")
    assert token.startswith("hyg_") and len(token) >= 4 + 43  # 32 random bytes, base64url
    assert row.prefix == token[:12]
    stored = session.execute(text("SELECT prefix, token_hash FROM org_api_token")).all()
    assert all(token not in value for r in stored for value in r)
    assert resolve_api_token(session, token) is user
    assert row.last_used_at is not None
    assert resolve_api_token(session, token + "x") is None
    assert resolve_api_token(session, "Bearer " + token) is None


def test_api_token_revocation_expiry_and_ownership(session: Session) -> None:
    owner = make_user(session)
    other = make_user(session, "other@ch-exemple.fr")
    token, row = create_api_token(
        session, owner, "nightly", expires_at=datetime.now(UTC) + timedelta(days=30)
    )
    assert resolve_api_token(session, token, now=datetime.now(UTC) + timedelta(days=31)) is None
    with pytest.raises(NotFoundError):
        revoke_api_token(session, row.id, owner=other)  # someone else's token looks missing
    assert [t.name for t in list_api_tokens(session, owner)] == ["nightly"]
    revoke_api_token(session, row.id, owner=owner)
    assert resolve_api_token(session, token) is None
    assert list_api_tokens(session, owner) == []
    assert session.scalar(select(ApiToken.revoked_at)) is not None


def test_token_of_deactivated_user_stops_working(session: Session) -> None:
    user = make_user(session)
    token, _ = create_api_token(session, user, "script")
    accounts.set_active(session, user, False)
    assert resolve_api_token(session, token) is None
