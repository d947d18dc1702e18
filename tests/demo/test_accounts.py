"""The demo's accounts: fresh strong passwords, the right roles, audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.demo.accounts import DEMO_USERS, create_accounts, generate_password
from hygie.org import accounts
from hygie.org.auth import authenticate
from hygie.org.models import AuditEntry, Role
from hygie.org.passwords import check_password
from tests.factories import make_establishment


def test_generated_passwords_meet_the_policy_and_differ() -> None:
    drawn = {generate_password("rssi@saint-aurele.demo", "Claire Martin") for _ in range(50)}
    assert len(drawn) == 50
    for password in drawn:
        assert check_password(password, email="rssi@saint-aurele.demo", name="Claire Martin") == []
        groups = password.split("-")
        assert [len(g) for g in groups] == [5, 5, 5, 5]
        assert not set(password) & set("0O1lI")


def test_accounts_sign_in_with_their_role(session: Session) -> None:
    establishment = make_establishment(session)
    created = create_accounts(session, establishment.id)
    assert [(a.email, a.role) for a in created] == [(email, role) for email, _name, role in DEMO_USERS]
    for account in created:
        assert authenticate(session, account.email, account.password).ok
        user = accounts.find_user(session, account.email)
        assert [m.role for m in accounts.memberships(session, user)] == [account.role]
        assert [m.establishment_id for m in accounts.memberships(session, user)] == [establishment.id]
        assert not user.totp_enabled
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.create")).all()
    assert [(e.details or {})["role"] for e in entries] == [Role.RSSI.value, Role.MANAGEMENT.value]
