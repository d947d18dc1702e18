"""Roles per establishment, GHT roles expanded, one filter for every query."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.core.errors import NotFoundError, PermissionDenied, ValidationError
from hygie.org import accounts
from hygie.org.access import (
    PERMISSIONS,
    Action,
    Principal,
    get_visible,
    principal_for,
    require,
    scoped,
    select_visible,
    visible_establishments,
)
from hygie.org.models import Establishment, Role, User
from hygie.org.service import get_or_create_group
from tests.factories import make_establishment


def _user(session: Session, email: str) -> User:
    return accounts.create_user(session, email, "Test User", None)


@pytest.fixture
def ghts(session: Session) -> dict[str, Establishment]:
    return {
        "a1": make_establishment(session, group="GHT Alpha"),
        "a2": make_establishment(session, group="GHT Alpha"),
        "b1": make_establishment(session, group="GHT Beta"),
        "solo": make_establishment(session),
    }


def test_matrix_read_only_roles() -> None:
    for role in (Role.MANAGEMENT, Role.AUDITOR):
        assert PERMISSIONS[role] == {Action.READ, Action.EXPORT}
    assert Action.ASSESS not in PERMISSIONS[Role.TECHNICIAN]
    assert Action.WRITE in PERMISSIONS[Role.TECHNICIAN]
    assert Action.MANAGE_USERS not in PERMISSIONS[Role.RSSI]
    assert PERMISSIONS[Role.ADMIN] == set(Action)


def test_group_role_sees_its_group_only(session: Session, ghts: dict[str, Establishment]) -> None:
    user = _user(session, "rssi.ght@alpha.fr")
    group = get_or_create_group(session, "GHT Alpha")
    accounts.grant_role(session, user, Role.RSSI, group_id=group.id)
    principal = principal_for(session, user)
    assert visible_establishments(session, principal) == {ghts["a1"].id, ghts["a2"].id}
    rows = session.scalars(select_visible(session, principal, Establishment)).all()
    assert {e.id for e in rows} == {ghts["a1"].id, ghts["a2"].id}
    # An establishment joining the group later is visible at the next request.
    a3 = make_establishment(session, group="GHT Alpha")
    assert a3.id in visible_establishments(session, principal_for(session, user))


def test_another_establishment_looks_missing(session: Session, ghts: dict[str, Establishment]) -> None:
    user = _user(session, "tech@beta.fr")
    accounts.grant_role(session, user, Role.TECHNICIAN, establishment_id=ghts["b1"].id)
    principal = principal_for(session, user)
    with pytest.raises(NotFoundError) as hidden:
        get_visible(session, principal, Establishment, ghts["a1"].id)
    with pytest.raises(NotFoundError) as missing:
        get_visible(session, principal, Establishment, 999_999)
    assert str(hidden.value).replace(str(ghts["a1"].id), "N") == str(missing.value).replace("999999", "N")
    assert get_visible(session, principal, Establishment, ghts["b1"].id) is ghts["b1"]
    # Visible, but the technician may not close an assessment: 403, not 404.
    with pytest.raises(PermissionDenied):
        require(principal, ghts["b1"].id, Action.ASSESS)
    require(principal, ghts["b1"].id, Action.WRITE)
    with pytest.raises(NotFoundError):
        require(principal, ghts["a1"].id, Action.READ)


def test_roles_add_up_across_memberships(session: Session, ghts: dict[str, Establishment]) -> None:
    user = _user(session, "mix@alpha.fr")
    group = get_or_create_group(session, "GHT Alpha")
    accounts.grant_role(session, user, Role.AUDITOR, group_id=group.id)
    accounts.grant_role(session, user, Role.TECHNICIAN, establishment_id=ghts["a2"].id)
    principal = principal_for(session, user)
    assert principal.may(ghts["a2"].id, Action.WRITE)
    assert not principal.may(ghts["a1"].id, Action.WRITE)
    assert principal.may(ghts["a1"].id, Action.EXPORT)


def test_scoped_filters_and_empty_scope_gives_nothing(
    session: Session, ghts: dict[str, Establishment]
) -> None:
    statement = scoped(select(Establishment.id), Establishment, {ghts["solo"].id})
    assert session.scalars(statement).all() == [ghts["solo"].id]
    assert session.scalars(scoped(select(Establishment.id), Establishment, set())).all() == []
    with pytest.raises(TypeError):
        scoped(select(User), User, {1})


def test_no_role_sees_nothing_and_inactive_user_loses_all(
    session: Session, ghts: dict[str, Establishment]
) -> None:
    user = _user(session, "none@alpha.fr")
    assert visible_establishments(session, principal_for(session, user)) == set()
    accounts.grant_role(session, user, Role.ADMIN, establishment_id=ghts["solo"].id)
    accounts.set_active(session, user, False)
    assert visible_establishments(session, principal_for(session, user)) == set()


def test_cli_principal_sees_everything(session: Session, ghts: dict[str, Establishment]) -> None:
    principal = Principal.cli()
    assert principal.actor.startswith("cli:")
    assert {e.id for e in ghts.values()} <= visible_establishments(session, principal)


def test_grant_needs_exactly_one_target_and_revoke(session: Session, ghts: dict[str, Establishment]) -> None:
    user = _user(session, "g@alpha.fr")
    with pytest.raises(ValidationError):
        accounts.grant_role(session, user, Role.RSSI)
    first = accounts.grant_role(session, user, Role.RSSI, establishment_id=ghts["a1"].id)
    assert accounts.grant_role(session, user, Role.RSSI, establishment_id=ghts["a1"].id) is first
    accounts.revoke_role(session, user, Role.RSSI, establishment_id=ghts["a1"].id)
    assert visible_establishments(session, principal_for(session, user)) == set()
    with pytest.raises(NotFoundError):
        accounts.revoke_role(session, user, Role.RSSI, establishment_id=ghts["a1"].id)
