"""Who may see and do what: the one place where establishments are filtered.

Every route, page, export and CLI command that touches establishment data goes through here:

- ``principal_for(session, user)`` builds the caller once per request: its roles per
  establishment, a group (GHT) role expanded to the group's establishments at that moment;
- ``scoped(select(Model), Model, visible_establishments(session, principal))`` restricts any
  query on a table with an ``establishment_id`` column;
- ``get_visible(session, principal, Model, id, action)`` loads one object or raises;
- ``require(principal, establishment_id, action)`` checks a write before it happens.

An establishment the caller may not see is reported exactly like one that does not exist
(``NotFoundError``, HTTP 404), so that ids cannot be probed. ``PermissionDenied`` (HTTP 403) is
only for what the caller can already see but its role may not do.

A group's consolidated view (``hygie.group``) is for the holders of a role on the group itself
(``require_group``, ``visible_groups``): a role in one of its establishments does not open it,
and the group then looks missing (404) like any establishment out of reach.

The permissions, by role (``PERMISSIONS`` below):

============  ====  ======  =====  ======  ============  =====
role          read  export  write  assess  manage_users  admin
============  ====  ======  =====  ======  ============  =====
admin         yes   yes     yes    yes     yes           yes
rssi          yes   yes     yes    yes     no            no
technician    yes   no      yes    no      no            no
management    yes   yes     no     no      no            no
auditor       yes   yes     no     no      no            no
============  ====  ======  =====  ======  ============  =====

``write`` is the daily work (inventories, imports, actions, incidents, answers); ``assess`` is
what commits the establishment (close an assessment, accept a risk, validate the plan);
``manage_users`` grants roles; ``admin`` changes the establishment itself.
"""

from __future__ import annotations

import getpass
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, PermissionDenied
from hygie.org.models import Establishment, Group, Membership, Role, User

T = TypeVar("T")
S = TypeVar("S")


class Action(StrEnum):
    READ = "read"
    EXPORT = "export"
    WRITE = "write"
    ASSESS = "assess"
    MANAGE_USERS = "manage_users"
    ADMIN = "admin"


PERMISSIONS: Mapping[Role, frozenset[Action]] = {
    Role.ADMIN: frozenset(Action),
    Role.RSSI: frozenset({Action.READ, Action.EXPORT, Action.WRITE, Action.ASSESS}),
    Role.TECHNICIAN: frozenset({Action.READ, Action.WRITE}),
    Role.MANAGEMENT: frozenset({Action.READ, Action.EXPORT}),
    Role.AUDITOR: frozenset({Action.READ, Action.EXPORT}),
}


@dataclass(frozen=True)
class Principal:
    """The caller of one request: who, from where, and its roles per establishment.

    ``unrestricted`` is the operator at the command line, who already holds the database:
    it sees every establishment (its writes are still audited as ``cli:<os user>``).
    """

    actor: str
    user_id: int | None = None
    roles: Mapping[int, frozenset[Role]] = field(default_factory=dict)
    unrestricted: bool = False
    # Roles held on a group (GHT) itself, by group id: what opens the group's consolidated view.
    group_roles: Mapping[int, frozenset[Role]] = field(default_factory=dict)
    ip: str | None = None

    @classmethod
    def cli(cls) -> Principal:
        return cls(actor=f"cli:{getpass.getuser()}", unrestricted=True)

    def may(self, establishment_id: int, action: Action) -> bool:
        if self.unrestricted:
            return True
        return any(action in PERMISSIONS[role] for role in self.roles.get(establishment_id, ()))


def principal_for(session: Session, user: User, ip: str | None = None) -> Principal:
    """The user's roles, group roles expanded to the group's current establishments."""
    roles: dict[int, set[Role]] = {}
    group_roles: dict[int, set[Role]] = {}
    if user.is_active:
        for membership in session.scalars(select(Membership).where(Membership.user_id == user.id)):
            if membership.establishment_id is not None:
                targets = [membership.establishment_id]
            else:
                assert membership.group_id is not None  # the table's check: one of the two
                group_roles.setdefault(membership.group_id, set()).add(Role(membership.role))
                targets = list(
                    session.scalars(
                        select(Establishment.id).where(Establishment.group_id == membership.group_id)
                    )
                )
            for establishment_id in targets:
                roles.setdefault(establishment_id, set()).add(Role(membership.role))
    return Principal(
        actor=f"user:{user.id}",
        user_id=user.id,
        roles={e: frozenset(r) for e, r in roles.items()},
        ip=ip,
        group_roles={g: frozenset(r) for g, r in group_roles.items()},
    )


def visible_establishments(session: Session, principal: Principal) -> set[int]:
    """The ids of the establishments the caller may read."""
    if principal.unrestricted:
        return set(session.scalars(select(Establishment.id)))
    return {e for e, roles in principal.roles.items() if roles}


def require(principal: Principal, establishment_id: int | None, action: Action) -> None:
    """NotFoundError if the establishment is not visible, PermissionDenied if the role falls short."""
    if principal.unrestricted:
        return
    if establishment_id is None or not principal.roles.get(establishment_id):
        raise NotFoundError(f"no establishment {establishment_id}")
    if not principal.may(establishment_id, action):
        raise PermissionDenied(f"your role does not allow '{action}' in establishment {establishment_id}")


# The roles on a group that open its consolidated view: its security officer, its management, its
# auditors and its administrators. A technician works in the establishments, not on the group's figures.
GROUP_VIEW_ROLES = frozenset({Role.ADMIN, Role.RSSI, Role.MANAGEMENT, Role.AUDITOR})


def visible_groups(session: Session, principal: Principal) -> set[int]:
    """The ids of the groups whose consolidated view the caller may open."""
    if principal.unrestricted:
        return set(session.scalars(select(Group.id)))
    return {g for g, roles in principal.group_roles.items() if roles & GROUP_VIEW_ROLES}


def require_group(principal: Principal, group_id: int) -> None:
    """NotFoundError unless the caller holds a role on the group itself; PermissionDenied if that
    role does not open the consolidated view (a group's technician: it knows the group exists)."""
    if principal.unrestricted:
        return
    roles = principal.group_roles.get(group_id)
    if not roles:
        raise NotFoundError(f"no group {group_id}")
    if not roles & GROUP_VIEW_ROLES:
        raise PermissionDenied(f"your role does not open the consolidated view of group {group_id}")


def _establishment_column(model: type[Any]) -> Any:
    if model is Establishment:
        return Establishment.id
    column = getattr(model, "establishment_id", None)
    if column is None:
        raise TypeError(f"{model.__name__} has no establishment_id: it cannot be scoped")
    return column


def scoped(statement: Select[S], model: type[Any], establishment_ids: Collection[int]) -> Select[S]:
    """``statement`` restricted to rows of ``model`` in the given establishments (none: no row)."""
    column = _establishment_column(model)
    if not establishment_ids:
        return statement.where(false())
    return statement.where(column.in_(sorted(establishment_ids)))


def select_visible(session: Session, principal: Principal, model: type[T]) -> Select[T]:
    """``select(model)`` already filtered for the caller."""
    return scoped(select(model), model, visible_establishments(session, principal))


def get_visible(
    session: Session, principal: Principal, model: type[T], object_id: int, action: Action = Action.READ
) -> T:
    """One object by id, if the caller may see it and do ``action`` on it."""
    found = session.get(model, object_id)
    if found is None:
        raise NotFoundError(f"no {model.__name__} {object_id}")
    establishment_id = (
        found.id if isinstance(found, Establishment) else getattr(found, "establishment_id", None)
    )
    try:
        require(principal, establishment_id, action)
    except NotFoundError:
        # Same words as a missing object: nothing tells the two apart.
        raise NotFoundError(f"no {model.__name__} {object_id}") from None
    return found


__all__ = [
    "GROUP_VIEW_ROLES",
    "PERMISSIONS",
    "Action",
    "Principal",
    "get_visible",
    "principal_for",
    "require",
    "require_group",
    "scoped",
    "select_visible",
    "visible_establishments",
    "visible_groups",
]
