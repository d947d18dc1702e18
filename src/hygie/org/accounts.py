"""User accounts and their roles: create, find, change password, unlock, grant and revoke.

With ``auth``, ``totp``, ``sessions``, ``tokens`` and ``audit``, this module is the only writer of
the account tables (``org_user``, ``org_membership`` ...). Nothing here commits: the caller's
unit of work does, and the CLI or the web route records the audit entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, ValidationError
from hygie.core.time import utcnow
from hygie.org.models import Establishment, Group, Membership, MembershipSource, Role, User
from hygie.org.passwords import DEFAULT_POLICY, PasswordPolicy, hash_password, require_strong_password

# Deliberately loose: the address is an identifier here, the IdP or the mail server validates it.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Lower-cased and stripped: the one form stored and looked up, so case never matters."""
    value = email.strip().lower()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValidationError(f"not an e-mail address: {email!r}")
    return value


def create_user(
    session: Session,
    email: str,
    display_name: str,
    password: str | None = None,
    *,
    policy: PasswordPolicy = DEFAULT_POLICY,
    lang: str = "fr",
) -> User:
    """A new active account. Without a password it can only sign in through OIDC."""
    address = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == address)) is not None:
        raise ValidationError(f"an account with the address {address} already exists")
    if not display_name.strip():
        raise ValidationError("the display name is empty")
    user = User(email=address, display_name=display_name.strip())
    if password is not None:
        require_strong_password(password, email=address, name=display_name, policy=policy, lang=lang)
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"no user {user_id}")
    return user


def find_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFoundError(f"no user with the address {email!r}")
    return user


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Who an actor string (``user:<id>``, ``cli:<login>``) stands for, as people read it: the
    account's display name, or the string itself when no account matches."""
    wanted = set(actors)
    ids = {int(a.removeprefix("user:")) for a in wanted if re.fullmatch(r"user:\d+", a)}
    names = {a: a for a in wanted}
    if ids:
        for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(ids))):
            names[f"user:{user_id}"] = name
    return names


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def set_password(
    session: Session, user: User, password: str, *, policy: PasswordPolicy = DEFAULT_POLICY, lang: str = "fr"
) -> None:
    """Checks the policy, stores the new hash, unlocks, and ends every open session of the user."""
    require_strong_password(password, email=user.email, name=user.display_name, policy=policy, lang=lang)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_attempts = 0
    user.locked_until = None
    user.session_version += 1
    session.flush()


def unlock_user(session: Session, user: User) -> None:
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivating ends the sessions at once; accounts are never deleted (the trail names them)."""
    user.is_active = active
    if not active:
        user.session_version += 1
    session.flush()


def logout_everywhere(session: Session, user: User) -> None:
    """Every session opened before now stops working at its next request."""
    user.session_version += 1
    session.flush()


def _scope_clause(establishment_id: int | None, group_id: int | None) -> tuple[int | None, int | None]:
    if (establishment_id is None) == (group_id is None):
        raise ValidationError("a role is granted on one establishment or on one group, not both nor neither")
    return establishment_id, group_id


def grant_role(
    session: Session,
    user: User,
    role: Role,
    *,
    establishment_id: int | None = None,
    group_id: int | None = None,
    source: MembershipSource = MembershipSource.LOCAL,
) -> Membership:
    """Gives ``role`` in one establishment, or in every establishment of one group (GHT)."""
    _scope_clause(establishment_id, group_id)
    if establishment_id is not None and session.get(Establishment, establishment_id) is None:
        raise NotFoundError(f"no establishment {establishment_id}")
    if group_id is not None and session.get(Group, group_id) is None:
        raise NotFoundError(f"no group {group_id}")
    existing = session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.role == Role(role),
            Membership.establishment_id == establishment_id
            if establishment_id is not None
            else Membership.establishment_id.is_(None),
            Membership.group_id == group_id if group_id is not None else Membership.group_id.is_(None),
        )
    )
    if existing is not None:
        return existing
    membership = Membership(
        user_id=user.id, role=Role(role), establishment_id=establishment_id, group_id=group_id, source=source
    )
    session.add(membership)
    session.flush()
    return membership


def revoke_role(
    session: Session,
    user: User,
    role: Role,
    *,
    establishment_id: int | None = None,
    group_id: int | None = None,
) -> None:
    _scope_clause(establishment_id, group_id)
    query = select(Membership).where(Membership.user_id == user.id, Membership.role == Role(role))
    if establishment_id is not None:
        query = query.where(Membership.establishment_id == establishment_id)
    else:
        query = query.where(Membership.group_id == group_id)
    membership = session.scalar(query)
    if membership is None:
        raise NotFoundError(f"{user.email} has no role {role} there")
    session.delete(membership)
    session.flush()


def replace_oidc_roles(
    session: Session, user: User, grants: list[tuple[Role, int | None, int | None]]
) -> None:
    """The roles that came from the identity provider are replaced by this login's; local ones stay."""
    session.execute(
        delete(Membership).where(Membership.user_id == user.id, Membership.source == MembershipSource.OIDC)
    )
    for role, establishment_id, group_id in grants:
        session.add(
            Membership(
                user_id=user.id,
                role=role,
                establishment_id=establishment_id,
                group_id=group_id,
                source=MembershipSource.OIDC,
            )
        )
    session.flush()


def memberships(session: Session, user: User) -> list[Membership]:
    return list(
        session.scalars(select(Membership).where(Membership.user_id == user.id).order_by(Membership.id))
    )


__all__ = [
    "create_user",
    "find_user",
    "get_user",
    "grant_role",
    "list_users",
    "logout_everywhere",
    "memberships",
    "normalise_email",
    "replace_oidc_roles",
    "revoke_role",
    "set_active",
    "set_password",
    "unlock_user",
]
