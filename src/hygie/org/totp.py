"""Second factor: TOTP (RFC 6238, the codes of authenticator apps) and single-use recovery codes.

Enrolment is two steps: ``enrol_totp`` draws a secret and gives the QR code to scan, and
``confirm_totp`` turns the second factor on only once the user typed a correct code, so that
nobody is locked out by a secret that never reached their phone. A code is accepted one step
(30 s) early or late, and never twice: the last accepted time step is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hygie.core.errors import ValidationError
from hygie.core.time import utcnow
from hygie.org.models import RecoveryCode, User

ISSUER = "Hygie"
VALID_WINDOW = 1  # steps accepted either side of now, for clocks a little off
RECOVERY_CODES = 10
# No 0/o, 1/l/i: the codes are copied by hand from paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10  # 31^10, about 50 bits: random enough for a fast hash (SHA-256)


@dataclass(frozen=True)
class TotpEnrolment:
    """What the enrolment page shows once: the secret (typed by hand if the camera fails),
    the ``otpauth://`` URI, and that URI as an SVG QR code."""

    secret: str
    provisioning_uri: str
    qr_svg: str


def qr_svg(data: str) -> str:
    """An SVG QR code, drawn in pure Python (no image library)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode("utf-8")


def enrol_totp(user: User) -> TotpEnrolment:
    """Draws a new secret, pending until ``confirm_totp``. Refused while a second factor is on:
    replacing it must go through ``reset_totp`` (an administrator), not a stolen session."""
    if user.totp_enabled:
        raise ValidationError("a second factor is already enabled; it must be reset first")
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TotpEnrolment(secret=secret, provisioning_uri=uri, qr_svg=qr_svg(uri))


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code is ``code``, within the window around ``now``."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not (code.isascii() and code.isdigit()):  # "١٢٣٤٥٦" is digits too
        return None
    totp = pyotp.TOTP(secret)
    found = None
    for offset in range(-VALID_WINDOW, VALID_WINDOW + 1):
        # Every candidate is compared, in constant time, whatever matched first.
        if hmac.compare_digest(totp.at(now, counter_offset=offset), code):
            found = totp.timecode(now) + offset
    return found


def verify_totp(user: User, code: str, now: datetime | None = None) -> bool:
    """True once per time step for a correct code; records the step so it cannot be replayed."""
    if not user.totp_secret:
        return False
    step = _matching_step(user.totp_secret, code, now or utcnow())
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def confirm_totp(user: User, code: str, now: datetime | None = None) -> None:
    """Turns the second factor on, once the user proved the app computes the right codes."""
    if user.totp_enabled or not user.totp_secret:
        raise ValidationError("no second factor is waiting for confirmation")
    if not verify_totp(user, code, now):
        raise ValidationError("wrong code: check the time of the phone and try the next code")
    user.totp_enabled = True


def reset_totp(session: Session, user: User) -> None:
    """Removes the second factor and its recovery codes (an administrator's act, audited)."""
    user.totp_secret = None
    user.totp_enabled = False
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.flush()


def _code_hash(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def generate_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new codes, to show once; the previous ones stop working."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(code)))
    session.flush()
    return codes


def use_recovery_code(session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """True, and the code is spent, when ``code`` is one of the user's unused codes."""
    found = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _code_hash(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if found is None:
        return False
    found.used_at = now or utcnow()
    session.flush()
    return True


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
    )


__all__ = [
    "TotpEnrolment",
    "confirm_totp",
    "enrol_totp",
    "generate_recovery_codes",
    "qr_svg",
    "remaining_recovery_codes",
    "reset_totp",
    "use_recovery_code",
    "verify_totp",
]
