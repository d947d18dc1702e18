"""The one place where a request gets its database session, its caller and its establishment.

- ``Db``: a session per request, committed when the route returns, rolled back if it raises
  (before the response leaves, so a client never sees a success that was not stored).
- ``CurrentPrincipal``: the caller. Pages authenticate with the session cookie (no session:
  redirect to /login); ``/api/`` only with ``Authorization: Bearer hyg_...`` (none: 401 JSON).
- ``establishment_scope(action)``: for every route with ``{establishment_id}`` in its path; checks
  ``org.access.require`` and gives the establishment. An establishment the caller may not see is
  a 404, exactly like one that does not exist. ``tests/web/test_isolation.py`` fails if a route
  with ``{establishment_id}`` does not declare it.
- ``GroupReadScope``: the same for every route with ``{group_id}`` (a group's consolidated view):
  ``org.access.require_group``, a 404 for whoever holds no role on the group itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hygie.org import service as org_service
from hygie.org.access import (
    Action,
    Principal,
    principal_for,
    require,
    require_group,
    visible_establishments,
    visible_groups,
)
from hygie.org.models import Establishment, Group, User
from hygie.org.sessions import resolve_session
from hygie.org.tokens import resolve_api_token
from hygie.web.errors import NotAuthenticated, is_api
from hygie.web.registry import GROUP_SCOPE_MARKER, SCOPE_MARKER
from hygie.web.security import session_cookie_name


def get_db(request: Request) -> Iterator[Session]:
    factory: Callable[[], Session] = request.app.state.session_factory
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


Db = Annotated[Session, Depends(get_db, scope="function")]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def current_user_or_none(request: Request, db: Db) -> User | None:
    """The signed-in user, if any (for pages that also show to anonymous visitors, like /login)."""
    if hasattr(request.state, "user"):
        cached: User | None = request.state.user
        return cached
    user: User | None = None
    if is_api(request):
        token = _bearer(request)
        user = resolve_api_token(db, token) if token else None
    else:
        cookie = request.cookies.get(session_cookie_name(request.app.state.settings.cookie_secure))
        user = resolve_session(db, cookie) if cookie else None
    request.state.user = user
    return user


OptionalUser = Annotated[User | None, Depends(current_user_or_none)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise NotAuthenticated
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def current_principal(request: Request, db: Db, user: CurrentUser) -> Principal:
    """The caller with its roles per establishment; 401 (API) or redirect to /login (pages)."""
    principal = principal_for(db, user, ip=client_ip(request))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


@dataclass(frozen=True)
class EstablishmentScope:
    """What a route under ``/e/{establishment_id}`` or ``/api/v1/establishments/{establishment_id}`` gets."""

    establishment: Establishment
    principal: Principal
    db: Session

    @property
    def id(self) -> int:
        return self.establishment.id


def establishment_scope(action: Action = Action.READ) -> Any:
    """A dependency checking that the caller may do ``action`` in the path's establishment."""

    def dependency(
        request: Request, establishment_id: int, principal: CurrentPrincipal, db: Db
    ) -> EstablishmentScope:
        require(principal, establishment_id, action)  # NotFoundError (404) / PermissionDenied (403)
        establishment = org_service.get_establishment(db, establishment_id)
        request.state.establishment = establishment  # the layout's switcher and nav follow it
        return EstablishmentScope(establishment=establishment, principal=principal, db=db)

    setattr(dependency, SCOPE_MARKER, action)
    dependency.__name__ = f"establishment_scope_{action.value}"
    return Depends(dependency)


ReadScope = Annotated[EstablishmentScope, establishment_scope(Action.READ)]
WriteScope = Annotated[EstablishmentScope, establishment_scope(Action.WRITE)]
ExportScope = Annotated[EstablishmentScope, establishment_scope(Action.EXPORT)]
AssessScope = Annotated[EstablishmentScope, establishment_scope(Action.ASSESS)]


@dataclass(frozen=True)
class GroupScope:
    """What a route under ``/g/{group_id}`` or ``/api/v1/groups/{group_id}`` gets."""

    group: Group
    principal: Principal
    db: Session

    @property
    def id(self) -> int:
        return self.group.id


def group_scope(request: Request, group_id: int, principal: CurrentPrincipal, db: Db) -> GroupScope:
    """The caller must hold a role on the group itself; otherwise the group looks missing (404)."""
    require_group(principal, group_id)
    group = org_service.get_group(db, group_id)
    request.state.group = group  # the layout's switcher names it
    return GroupScope(group=group, principal=principal, db=db)


setattr(group_scope, GROUP_SCOPE_MARKER, True)
GroupReadScope = Annotated[GroupScope, Depends(group_scope)]


def visible(db: Session, principal: Principal) -> list[Establishment]:
    """The establishments of the switcher and the chooser, by name."""
    ids = visible_establishments(db, principal)
    return [e for e in org_service.list_establishments(db) if e.id in ids]


def visible_group_list(db: Session, principal: Principal) -> list[Group]:
    """The groups whose consolidated view the caller may open, by name."""
    ids = visible_groups(db, principal)
    return [g for g in org_service.list_groups(db) if g.id in ids]


__all__ = [
    "SCOPE_MARKER",
    "AssessScope",
    "CurrentPrincipal",
    "CurrentUser",
    "Db",
    "EstablishmentScope",
    "ExportScope",
    "GroupReadScope",
    "GroupScope",
    "OptionalUser",
    "ReadScope",
    "WriteScope",
    "client_ip",
    "current_principal",
    "current_user",
    "establishment_scope",
    "get_db",
    "group_scope",
    "visible",
    "visible_group_list",
]
