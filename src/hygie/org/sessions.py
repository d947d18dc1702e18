"""Web sessions, kept server-side.

The cookie carries a random token (``secrets.token_urlsafe(32)``); the table keeps only its
SHA-256, so a copy of the database opens no session. Nothing needs signing: the token is
unguessable, and everything else (user, expiry, version) lives in the row.

A session dies when any of these holds: it was revoked; it is older than ``lifetime``; it was
not used for ``idle``; the user's ``session_version`` moved on ("log out everywhere", a new
password, a deactivation); the account is inactive.

The web application sets the cookie (not this module) with these flags:
``Secure`` (HTTPS only), ``HttpOnly`` (no JavaScript access), ``SameSite=Lax`` (``Strict``
would drop the session when arriving from the IdP's redirect or a link in an e-mail), ``Path=/``
and no ``Domain``, under the name ``__Host-hygie_session`` (the ``__Host-`` prefix makes the
browser enforce Secure, Path=/ and no Domain), without ``Max-Age`` so it ends with the browser.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hygie.core.time import utcnow
from hygie.org.models import User, UserSession

COOKIE_NAME = "__Host-hygie_session"
# Writing last_seen on every request would turn every page view into a write.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    lifetime: timedelta = timedelta(hours=12)  # a working day, then sign in again
    idle: timedelta = timedelta(minutes=30)


DEFAULT_SESSION_POLICY = SessionPolicy()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(
    session: Session,
    user: User,
    *,
    ip: str | None = None,
    user_agent: str | None = None,
    now: datetime | None = None,
    policy: SessionPolicy = DEFAULT_SESSION_POLICY,
) -> str:
    """Opens a session after a successful sign-in; returns the token for the cookie (shown once)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
            session_version=user.session_version,
        )
    )
    session.flush()
    return token


def resolve_session(
    session: Session,
    token: str,
    *,
    now: datetime | None = None,
    policy: SessionPolicy = DEFAULT_SESSION_POLICY,
) -> User | None:
    """The user of a live session, or None; marks the session as seen."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if now >= row.expires_at or now - row.last_seen_at >= policy.idle:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or row.session_version != user.session_version:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.flush()
    return user


def revoke_session(session: Session, token: str, now: datetime | None = None) -> None:
    """Logs out this browser (the others stay signed in)."""
    session.execute(
        update(UserSession)
        .where(UserSession.token_hash == token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )


def active_sessions(session: Session, user: User, now: datetime | None = None) -> list[UserSession]:
    """The sessions the user may still use, to list them on the account page."""
    now = now or utcnow()
    rows = session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.session_version == user.session_version,
        )
        .order_by(UserSession.created_at.desc())
    )
    return list(rows)


__all__ = [
    "COOKIE_NAME",
    "DEFAULT_SESSION_POLICY",
    "SessionPolicy",
    "active_sessions",
    "create_session",
    "resolve_session",
    "revoke_session",
]
