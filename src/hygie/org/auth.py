"""Signing in with e-mail, password and second factor, without telling anyone which part failed.

Whatever went wrong (unknown address, wrong password, wrong code, locked or deactivated
account) the answer is the same ``INVALID``, and an unknown address costs the same argon2
verification as a known one. Two brakes, both stored in the database so that every worker
process shares them:

- an account is locked for ``lockout`` after ``max_failures`` failures in a row
  (the lock shows only as ``INVALID``, even with the right password);
- an address IP that failed ``ip_limit`` times within ``ip_window`` gets ``RATE_LIMITED``
  (a sliding window over ``org_login_attempt``), which says nothing about any account.

The caller commits whatever the result: the failures must be kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hygie.core.i18n import normalise_language
from hygie.core.time import utcnow
from hygie.org.models import LoginAttempt, User
from hygie.org.passwords import HASHER, burn_time, needs_rehash, verify_password
from hygie.org.totp import use_recovery_code, verify_totp


@dataclass(frozen=True)
class AuthPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    ip_limit: int = 10
    ip_window: timedelta = timedelta(minutes=10)


DEFAULT_AUTH_POLICY = AuthPolicy()


class AuthStatus(StrEnum):
    OK = "ok"
    INVALID = "invalid"  # the one answer for every failure
    SECOND_FACTOR_REQUIRED = "second_factor_required"  # right password, now the code
    RATE_LIMITED = "rate_limited"  # too many failures from this address IP: HTTP 429


_MESSAGES = {
    AuthStatus.OK: {"en": "signed in", "fr": "connexion réussie"},
    AuthStatus.INVALID: {"en": "invalid credentials", "fr": "identifiants invalides"},
    AuthStatus.SECOND_FACTOR_REQUIRED: {
        "en": "enter the code of your authenticator app, or a recovery code",
        "fr": "saisissez le code de votre application d'authentification, ou un code de secours",
    },
    AuthStatus.RATE_LIMITED: {
        "en": "too many attempts, try again later",
        "fr": "trop de tentatives, réessayez plus tard",
    },
}


@dataclass(frozen=True)
class AuthResult:
    status: AuthStatus
    user: User | None = None  # set only when status is OK
    used_recovery_code: bool = False  # the page should then suggest generating new codes

    @property
    def ok(self) -> bool:
        return self.status is AuthStatus.OK

    def message(self, lang: str = "fr") -> str:
        return _MESSAGES[self.status][normalise_language(lang)]


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def recent_failures(
    session: Session, ip: str, now: datetime, policy: AuthPolicy = DEFAULT_AUTH_POLICY
) -> int:
    return (
        session.scalar(
            select(func.count(LoginAttempt.id)).where(
                LoginAttempt.ip == ip, LoginAttempt.at > now - policy.ip_window
            )
        )
        or 0
    )


def _record_failure(session: Session, ip: str, email: str, now: datetime, policy: AuthPolicy) -> None:
    # Pruning this address's old rows keeps the table small without a background job.
    session.execute(
        delete(LoginAttempt).where(LoginAttempt.ip == ip, LoginAttempt.at <= now - policy.ip_window)
    )
    session.add(LoginAttempt(at=now, ip=ip, email_hash=email_hash(email)))
    session.flush()


def record_failed_attempt(
    session: Session,
    ip: str,
    email: str = "",
    *,
    now: datetime | None = None,
    policy: AuthPolicy = DEFAULT_AUTH_POLICY,
) -> None:
    """Counts against the address IP a refused sign-in that did not go through ``authenticate`` (SSO)."""
    _record_failure(session, ip, email, now or utcnow(), policy)


def prune_login_attempts(
    session: Session, now: datetime | None = None, keep: timedelta = timedelta(days=1)
) -> int:
    """Deletes attempts older than ``keep`` (for a periodic job); returns how many."""
    result = session.execute(delete(LoginAttempt).where(LoginAttempt.at < (now or utcnow()) - keep))
    return int(getattr(result, "rowcount", 0) or 0)


def _second_factor(session: Session, user: User, code: str, now: datetime) -> tuple[bool, bool]:
    """(accepted, was a recovery code)."""
    compact = code.strip().replace(" ", "")
    if len(compact) == 6 and compact.isdigit():
        return verify_totp(user, compact, now), False
    return use_recovery_code(session, user, compact, now), True


def authenticate(
    session: Session,
    email: str,
    password: str,
    code: str | None = None,
    ip: str = "unknown",
    *,
    now: datetime | None = None,
    policy: AuthPolicy = DEFAULT_AUTH_POLICY,
    hasher: PasswordHasher = HASHER,
) -> AuthResult:
    """Checks a sign-in; ``code`` is the TOTP code or a recovery code when the account has 2FA.

    With 2FA on and no ``code``, a right password gives ``SECOND_FACTOR_REQUIRED``: the page then
    asks for the code and submits the three together.
    """
    now = now or utcnow()
    if recent_failures(session, ip, now, policy) >= policy.ip_limit:
        return AuthResult(AuthStatus.RATE_LIMITED)

    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.is_active or user.password_hash is None:
        burn_time(password, hasher)
        _record_failure(session, ip, email, now, policy)
        return AuthResult(AuthStatus.INVALID)

    # Verified even when locked, so that a locked account answers in the same time.
    password_ok = verify_password(user.password_hash, password, hasher)
    if user.locked_until is not None and user.locked_until > now:
        _record_failure(session, ip, email, now, policy)
        return AuthResult(AuthStatus.INVALID)

    if not password_ok:
        return _fail(session, user, ip, email, now, policy)

    used_recovery = False
    if user.totp_enabled:
        if not code:
            return AuthResult(AuthStatus.SECOND_FACTOR_REQUIRED)
        accepted, used_recovery = _second_factor(session, user, code, now)
        if not accepted:
            return _fail(session, user, ip, email, now, policy)

    user.failed_attempts = 0
    user.locked_until = None
    user.last_login_at = now
    if needs_rehash(user.password_hash, hasher):
        user.password_hash = hasher.hash(password)
    session.flush()
    return AuthResult(AuthStatus.OK, user=user, used_recovery_code=used_recovery)


def _fail(session: Session, user: User, ip: str, email: str, now: datetime, policy: AuthPolicy) -> AuthResult:
    user.failed_attempts += 1
    if user.failed_attempts >= policy.max_failures:
        user.locked_until = now + policy.lockout
        user.failed_attempts = 0
    _record_failure(session, ip, email, now, policy)
    return AuthResult(AuthStatus.INVALID)


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


__all__ = [
    "DEFAULT_AUTH_POLICY",
    "AuthPolicy",
    "AuthResult",
    "AuthStatus",
    "authenticate",
    "email_hash",
    "is_locked",
    "prune_login_attempts",
    "recent_failures",
    "record_failed_attempt",
]
