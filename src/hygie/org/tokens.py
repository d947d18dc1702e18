"""API tokens for scripts: created, listed and revoked by their owner; stored as SHA-256 only.

A token is ``hyg_`` followed by 32 random bytes (``secrets.token_urlsafe``), shown once. A fast
hash is enough, unlike passwords: 256 random bits cannot be guessed, however fast the hash.
Lists show the first characters (``prefix``) so that the owner recognises which one is which.
Scripts send it as ``Authorization: Bearer hyg_...``.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import utcnow
from hygie.org.models import ApiToken, User

TOKEN_PREFIX = "hyg_"  # noqa: S105 -- a public marker that secret scanners can look for, not a secret
PREFIX_SHOWN = 8  # characters of the random part shown in lists
_TOUCH_EVERY_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(
    session: Session, user: User, name: str, *, expires_at: datetime | None = None
) -> tuple[str, ApiToken]:
    """(the token, to show once; its row). The row never holds the token itself."""
    if not name.strip():
        raise ValidationError("a token needs a name, to recognise it later")
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationError("the expiry date is in the past")
    random_part = secrets.token_urlsafe(32)
    token = TOKEN_PREFIX + random_part
    row = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        prefix=TOKEN_PREFIX + random_part[:PREFIX_SHOWN],
        token_hash=_hash(token),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return token, row


def list_api_tokens(session: Session, user: User, include_revoked: bool = False) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at, ApiToken.id)
    if not include_revoked:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list(session.scalars(query))


def get_api_token(session: Session, token_id: int, owner: User | None = None) -> ApiToken:
    """A token by id; with ``owner``, another user's token is reported as missing."""
    row = session.get(ApiToken, token_id)
    if row is None or (owner is not None and row.user_id != owner.id):
        raise NotFoundError(f"no API token {token_id}")
    return row


def revoke_api_token(session: Session, token_id: int, owner: User | None = None) -> ApiToken:
    """Revokes at once; ``owner`` None is the administrator's CLI, which may revoke any token."""
    row = get_api_token(session, token_id, owner)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row


def resolve_api_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    """The active user behind a live token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() >= _TOUCH_EVERY_SECONDS:
        row.last_used_at = now
        session.flush()
    return user


__all__ = [
    "TOKEN_PREFIX",
    "create_api_token",
    "get_api_token",
    "list_api_tokens",
    "resolve_api_token",
    "revoke_api_token",
]
