"""The demo's accounts: an RSSI and a management reader for the demo hospital, an RSSI for each of the
group's other establishments, and the group's RSSI, whose one membership is on the group (GHT): they see
every establishment of it, each of the others only their own.

Passwords are drawn fresh on every build (never a fixed password that would open every demo) and
checked against the same policy as any account. The second factor stays off: the demo is meant to
be opened in a minute; a real account enrols one from its account page.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
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
    scope: str = ""  # the establishment's name, or the group's for a group membership
    group: bool = False


User = tuple[str, str, Role]  # e-mail, name, role
DEMO_USERS: tuple[User, ...] = (
    ("rssi@saint-aurele.demo", "Claire Martin", Role.RSSI),
    ("direction@saint-aurele.demo", "Hélène Roussel", Role.MANAGEMENT),
)
GROUP_USER: User = ("rssi@ght-loire-aurele.demo", "Nadia Benali", Role.RSSI)
OTHER_USERS: dict[str, tuple[User, ...]] = {
    "val-aurele": (("rssi@val-aurele.demo", "Julien Perrot", Role.RSSI),),
    "chu-aurele": (("rssi@chu-aurele.demo", "Thomas Garnier", Role.RSSI),),
}


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


def _create(
    session: Session,
    who: User,
    scope: str,
    *,
    establishment_id: int | None = None,
    group_id: int | None = None,
) -> DemoAccount:
    email, name, role = who
    password = generate_password(email, name)
    user = accounts.create_user(session, email, name, password)
    accounts.grant_role(session, user, role, establishment_id=establishment_id, group_id=group_id)
    details: dict[str, object] = {"email": user.email, "role": role.value, "demo": True}
    if group_id is not None:
        details["group_id"] = group_id
    audit.record(
        session,
        actor=audit.cli_actor(),
        action="user.create",
        object_type="user",
        object_id=user.id,
        establishment_id=establishment_id,
        details=details,
    )
    return DemoAccount(user.email, name, role, password, scope, group_id is not None)


def create_accounts(session: Session, establishment_id: int, scope: str = "") -> list[DemoAccount]:
    """The demo hospital's two accounts with their roles in it, audited like any other."""
    return [_create(session, who, scope, establishment_id=establishment_id) for who in DEMO_USERS]


def create_group_accounts(
    session: Session, group_id: int, group_name: str, establishments: Sequence[tuple[int, str, str]]
) -> list[DemoAccount]:
    """The group's RSSI (a membership on the group), then each establishment's accounts: the demo hospital's
    two (:data:`DEMO_USERS`), one RSSI for each other. ``establishments``: (id, profile key, name), the
    demo hospital first."""
    created = [_create(session, GROUP_USER, group_name, group_id=group_id)]
    for index, (establishment_id, key, name) in enumerate(establishments):
        users = DEMO_USERS if index == 0 else OTHER_USERS[key]
        created += [_create(session, who, name, establishment_id=establishment_id) for who in users]
    return created
