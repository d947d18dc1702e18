"""The demo's accounts: an RSSI and a management reader for the demo hospital, to browse it at once.

Passwords are drawn fresh on every build (never a fixed password that would open every demo) and
checked against the same policy as any account. The second factor stays off: the demo is meant to
be opened in a minute; a real account enrols one from its account page.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hygie.org import accounts, audit
from hygie.org.models import Role
from hygie.org.passwords import DEFAULT_POLICY, PasswordPolicy, check_password

# No look-alike characters (0/O, 1/l/I): the password is read off a terminal and typed.
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"
_ALPHABET = _LOWER + _UPPER + _DIGITS
GROUPS, GROUP_LENGTH = 4, 5  # 20 random characters: about 117 bits


@dataclass(frozen=True)
class DemoAccount:
    email: str
    display_name: str
    role: Role
    password: str


DEMO_USERS: tuple[tuple[str, str, Role], ...] = (
    ("rssi@saint-aurele.demo", "Claire Martin", Role.RSSI),
    ("direction@saint-aurele.demo", "Hélène Roussel", Role.MANAGEMENT),
)


def generate_password(
    email: str | None = None, name: str | None = None, policy: PasswordPolicy = DEFAULT_POLICY
) -> str:
    """A random password such as ``Kq7wz-Tm4Rb-...`` that meets ``policy``."""
    while True:
        groups = ["".join(secrets.choice(_ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)]
        password = "-".join(groups)
        varied = all(any(c in chars for c in password) for chars in (_LOWER, _UPPER, _DIGITS))
        if varied and not check_password(password, email=email, name=name, policy=policy):
            return password


def create_accounts(session: Session, establishment_id: int) -> list[DemoAccount]:
    """The demo's two accounts with their roles in the demo establishment, audited like any other."""
    created = []
    for email, name, role in DEMO_USERS:
        password = generate_password(email, name)
        user = accounts.create_user(session, email, name, password)
        accounts.grant_role(session, user, role, establishment_id=establishment_id)
        audit.record(
            session,
            actor=audit.cli_actor(),
            action="user.create",
            object_type="user",
            object_id=user.id,
            establishment_id=establishment_id,
            details={"email": user.email, "role": role.value, "demo": True},
        )
        created.append(DemoAccount(email=user.email, display_name=name, role=role, password=password))
    return created
