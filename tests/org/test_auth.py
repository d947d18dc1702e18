"""Sign-in: same answer for every failure, lockout, rate limit, TOTP, recovery codes, rehash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import ValidationError
from hygie.org import accounts
from hygie.org.auth import AuthPolicy, AuthStatus, authenticate
from hygie.org.models import LoginAttempt, RecoveryCode, User
from hygie.org.totp import (
    confirm_totp,
    enrol_totp,
    generate_recovery_codes,
    remaining_recovery_codes,
)

PASSWORD = "Vx7#qLm2pR9w"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def make_user(session: Session, email: str = "rssi@chu-exemple.fr") -> User:
    return accounts.create_user(session, email, "Camille Martin", PASSWORD)


def test_right_password_signs_in_and_email_case_does_not_matter(session: Session) -> None:
    user = make_user(session)
    result = authenticate(session, "  RSSI@CHU-exemple.fr ", PASSWORD, ip="10.0.0.1", now=T0)
    assert result.status is AuthStatus.OK
    assert result.user is user
    assert user.last_login_at == T0


def test_unknown_account_and_wrong_password_get_the_same_answer(session: Session) -> None:
    make_user(session)
    unknown = authenticate(session, "nobody@chu-exemple.fr", PASSWORD, ip="10.0.0.1", now=T0)
    wrong = authenticate(session, "rssi@chu-exemple.fr", "not the password", ip="10.0.0.1", now=T0)
    assert unknown.status is wrong.status is AuthStatus.INVALID
    assert unknown.user is None and wrong.user is None
    assert unknown.message("en") == wrong.message("en") == "invalid credentials"
    # Both failures are counted for the rate limit; the address is kept hashed only.
    stored = list(session.scalars(select(LoginAttempt.email_hash)))
    assert len(stored) == 2
    assert all("@" not in h and len(h) == 64 for h in stored)


def test_lock_after_five_failures_even_with_the_right_password(session: Session) -> None:
    user = make_user(session)
    for i in range(4):
        assert (
            authenticate(session, user.email, "wrong", ip=f"10.0.1.{i}", now=T0).status is AuthStatus.INVALID
        )
    assert user.locked_until is None
    authenticate(session, user.email, "wrong", ip="10.0.1.9", now=T0)
    assert user.locked_until == T0 + timedelta(minutes=15)
    # Locked: the right password gets the same answer as a wrong one.
    locked = authenticate(session, user.email, PASSWORD, ip="10.0.2.1", now=T0 + timedelta(minutes=14))
    assert locked.status is AuthStatus.INVALID
    later = authenticate(session, user.email, PASSWORD, ip="10.0.2.1", now=T0 + timedelta(minutes=16))
    assert later.status is AuthStatus.OK
    assert user.failed_attempts == 0


def test_a_success_resets_the_failure_count(session: Session) -> None:
    user = make_user(session)
    for _ in range(4):
        authenticate(session, user.email, "wrong", ip="10.0.0.2", now=T0)
    assert authenticate(session, user.email, PASSWORD, ip="10.0.0.2", now=T0).ok
    authenticate(session, user.email, "wrong", ip="10.0.0.2", now=T0)
    assert user.locked_until is None and user.failed_attempts == 1


def test_rate_limit_per_ip_over_a_sliding_window(session: Session) -> None:
    make_user(session)
    policy = AuthPolicy(ip_limit=10, ip_window=timedelta(minutes=10), max_failures=100)
    for i in range(10):
        at = T0 + timedelta(seconds=30 * i)
        status = authenticate(
            session, f"x{i}@ext.fr", "guess", ip="203.0.113.5", now=at, policy=policy
        ).status
        assert status is AuthStatus.INVALID
    eleventh = T0 + timedelta(minutes=5)
    limited = authenticate(
        session, "rssi@chu-exemple.fr", PASSWORD, ip="203.0.113.5", now=eleventh, policy=policy
    )
    assert limited.status is AuthStatus.RATE_LIMITED
    # Another address is not concerned.
    other = authenticate(
        session, "rssi@chu-exemple.fr", PASSWORD, ip="203.0.113.6", now=eleventh, policy=policy
    )
    assert other.ok
    # Ten minutes after the first failure it slides out of the window: one more try is allowed.
    after = T0 + timedelta(minutes=10, seconds=1)
    assert authenticate(
        session, "rssi@chu-exemple.fr", PASSWORD, ip="203.0.113.5", now=after, policy=policy
    ).ok


def test_old_hash_parameters_are_upgraded_at_sign_in(session: Session) -> None:
    user = make_user(session)
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    old = user.password_hash
    assert authenticate(session, user.email, PASSWORD, ip="10.0.0.3", now=T0).ok
    assert user.password_hash != old
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def _enrolled(session: Session) -> tuple[User, pyotp.TOTP]:
    user = make_user(session)
    enrolment = enrol_totp(user)
    assert enrolment.provisioning_uri.startswith("otpauth://totp/Hygie:rssi%40chu-exemple.fr?secret=")
    assert enrolment.qr_svg.lstrip().startswith("<?xml") and "<svg" in enrolment.qr_svg
    assert not user.totp_enabled
    totp = pyotp.TOTP(enrolment.secret)
    confirm_totp(user, totp.at(T0), now=T0)
    assert user.totp_enabled
    return user, totp


def test_totp_is_enabled_only_after_a_right_code(session: Session) -> None:
    user = make_user(session)
    enrolment = enrol_totp(user)
    wrong = "000000" if pyotp.TOTP(enrolment.secret).at(T0) != "000000" else "111111"
    with pytest.raises(ValidationError):
        confirm_totp(user, wrong, now=T0)
    # Digits of another script are digits to Python, and non-ASCII to compare_digest: refused, not a crash.
    with pytest.raises(ValidationError):
        confirm_totp(user, "١٢٣٤٥٦", now=T0)
    assert not user.totp_enabled


def test_totp_sign_in_window_and_replay(session: Session) -> None:
    user, totp = _enrolled(session)
    t1 = T0 + timedelta(minutes=5)
    # Password alone is not enough.
    assert (
        authenticate(session, user.email, PASSWORD, ip="10.0.0.4", now=t1).status
        is AuthStatus.SECOND_FACTOR_REQUIRED
    )
    # The previous step's code is accepted (clock skew)...
    previous_step = totp.at(t1 - timedelta(seconds=30))
    assert authenticate(session, user.email, PASSWORD, previous_step, ip="10.0.0.4", now=t1).ok
    # ...but never twice, nor an older one after it.
    replay = authenticate(session, user.email, PASSWORD, previous_step, ip="10.0.0.4", now=t1)
    assert replay.status is AuthStatus.INVALID
    assert authenticate(session, user.email, PASSWORD, totp.at(t1), ip="10.0.0.4", now=t1).ok
    # Two steps away is outside the window.
    far = totp.at(t1 + timedelta(seconds=90))
    assert (
        authenticate(session, user.email, PASSWORD, far, ip="10.0.0.4", now=t1).status is AuthStatus.INVALID
    )


def test_the_code_used_at_confirmation_cannot_sign_in(session: Session) -> None:
    user, totp = _enrolled(session)
    assert (
        authenticate(session, user.email, PASSWORD, totp.at(T0), ip="10.0.0.5", now=T0).status
        is AuthStatus.INVALID
    )


def test_recovery_codes_are_single_use_and_stored_hashed(session: Session) -> None:
    user, _ = _enrolled(session)
    codes = generate_recovery_codes(session, user)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    stored = set(session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)))
    assert not stored & set(codes)
    result = authenticate(session, user.email, PASSWORD, codes[3].upper(), ip="10.0.0.6", now=T0)
    assert result.ok and result.used_recovery_code
    again = authenticate(session, user.email, PASSWORD, codes[3], ip="10.0.0.6", now=T0)
    assert again.status is AuthStatus.INVALID
    assert remaining_recovery_codes(session, user) == 9
    # New codes replace the old ones.
    fresh = generate_recovery_codes(session, user)
    assert (
        authenticate(session, user.email, PASSWORD, codes[4], ip="10.0.0.6", now=T0).status
        is AuthStatus.INVALID
    )
    assert authenticate(session, user.email, PASSWORD, fresh[0], ip="10.0.0.6", now=T0).ok


def test_deactivated_account_is_refused_like_an_unknown_one(session: Session) -> None:
    user = make_user(session)
    accounts.set_active(session, user, False)
    assert authenticate(session, user.email, PASSWORD, ip="10.0.0.7", now=T0).status is AuthStatus.INVALID
