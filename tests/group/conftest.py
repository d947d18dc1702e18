"""Two groups (GHT), three establishments, and the users whose isolation the tests check.

- GHT Nord: "CH Alpha" (A) and "CH Bravo" (B); GHT Sud: "Clinique Zéphyr" (C).
- One control answered per dimension, so that a dimension's score is 20 × the level given:
  A 1, 2, 3, 4, 5 (scores 20, 40, 60, 80, 100; index 60); B 3 everywhere (60; index 60);
  C 1 everywhere (20; index 20).
- Below target: A on GOV-RSSI and TEC-PATCH, B on TEC-PATCH and CON-BACKUP-OFFLINE, C on all five.
  The weakness the Nord group shares is TEC-PATCH (A and B), and C's must never join it.
- Plans: A 40 000 € to do (ACT-RSSI-APPOINT, GOV-RSSI +3) and 6 000 € done (a manual action),
  1 000 € cancelled; B 30 000 € to do (ACT-BACKUP-OFFLINE); C 777 000 €.
- Security budgets: A 120 000 €, B unknown, C 999 000 €. Alerts: B 2 new, C 7.
- Users: the Nord group's RSSI (a role on the group), A's RSSI, C's RSSI, the Nord group's technician.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

import pytest
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn, AnswerStatus, CampaignPath
from hygie.detect.models import Alert, AlertLevel, AlertStatus
from hygie.frameworks.loader import Library
from hygie.frameworks.service import get_library
from hygie.org import accounts
from hygie.org.models import Establishment, Role, User
from hygie.org.passwords import hash_password
from hygie.plan.models import ActionStatus, PlanAction
from tests.factories import make_establishment
from tests.web.conftest import PASSWORD

CONTROLS = ("GOV-RSSI", "TEC-PATCH", "AWA-PHISHING", "CON-BACKUP-OFFLINE", "INC-PROCEDURE")
A_NAME, B_NAME, C_NAME = "CH Alpha", "CH Bravo", "Clinique Zéphyr"
C_BUDGET, C_PLAN = 999_000, 777_000


@dataclass
class Ght:
    library: Library
    nord: int
    sud: int
    a: Establishment
    b: Establishment
    c: Establishment
    group_rssi: User
    a_rssi: User
    c_rssi: User
    group_technician: User


def assess(session: Session, establishment_id: int, levels: tuple[int, ...], library: Library) -> None:
    campaign = assess_service.create_campaign(
        session,
        establishment_id,
        name="Auto-évaluation 2026",
        assessed_on=date(2026, 3, 1),
        path=CampaignPath.SHORT,
        library=library,
    )
    for control_id, level in zip(CONTROLS, levels, strict=True):
        assess_service.record_answer(
            session, campaign, control_id, AnswerIn(status=AnswerStatus.LEVEL, level=level), "tests"
        )


def action(
    session: Session,
    establishment_id: int,
    template_id: str,
    cost: int,
    status: ActionStatus = ActionStatus.TODO,
    due: date = date(2027, 3, 31),
) -> PlanAction:
    row = PlanAction(
        establishment_id=establishment_id,
        template_id=template_id,
        title=f"Action {template_id}",
        status=status,
        owner="rssi",
        quarter=f"{due.year}-Q{(due.month - 1) // 3 + 1}",
        due_date=due,
        cost=cost,
        effort_days=5.0,
        done_at=datetime(2030, 1, 1, tzinfo=UTC) if status == ActionStatus.DONE else None,
    )
    session.add(row)
    session.flush()
    return row


def alerts(session: Session, establishment_id: int, count: int) -> None:
    seen = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    for n in range(count):
        session.add(
            Alert(
                establishment_id=establishment_id,
                key=f"ght-{establishment_id}-{n}",
                rule_id="52d8b0c6-53d6-439a-9e41-52ad442ad9ad",
                title="First Time Seen Remote Named Pipe",
                level=AlertLevel.HIGH,
                techniques=["T1021.002"],
                tactics=["lateral-movement"],
                host=f"srv-{n}",
                user="admin",
                first_seen=seen,
                last_seen=seen,
                event_count=1,
                event_ids=[1],
                status=AlertStatus.NEW,
                note="",
            )
        )
    session.flush()


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # One argon2 hash for every user (0.6 s each): the same password, a different salt changes nothing here.
    return hash_password(PASSWORD)


def user(session: Session, email: str, role: Role, **target: int) -> User:
    created = accounts.create_user(session, email, email.split("@")[0])
    created.password_hash = _password_hash()
    accounts.grant_role(session, created, role, **target)
    return created


@pytest.fixture
def ght(session: Session) -> Ght:
    library = get_library()
    a = make_establishment(session, name=A_NAME, group="GHT Nord", security_budget=120_000)
    b = make_establishment(session, name=B_NAME, group="GHT Nord")
    c = make_establishment(session, name=C_NAME, group="GHT Sud", security_budget=C_BUDGET)
    assert a.group_id is not None and c.group_id is not None and a.group_id == b.group_id
    assess(session, a.id, (1, 2, 3, 4, 5), library)
    assess(session, b.id, (3, 3, 3, 3, 3), library)
    assess(session, c.id, (1, 1, 1, 1, 1), library)
    action(session, a.id, "ACT-RSSI-APPOINT", 40_000)
    # A manual action (no template: it raises no control), done, due the same year.
    action(session, a.id, "MANUAL-REGISTER", 6_000, ActionStatus.DONE, date(2027, 6, 30))
    action(session, a.id, "ACT-VULN-SCAN", 1_000, ActionStatus.CANCELLED)
    action(session, b.id, "ACT-BACKUP-OFFLINE", 30_000)
    action(session, c.id, "ACT-EOL-SERVERS", C_PLAN)
    alerts(session, b.id, 2)
    alerts(session, c.id, 7)
    return Ght(
        library=library,
        nord=a.group_id,
        sud=c.group_id,
        a=a,
        b=b,
        c=c,
        group_rssi=user(session, "rssi@ght-nord.fr", Role.RSSI, group_id=a.group_id),
        a_rssi=user(session, "rssi@ch-alpha.fr", Role.RSSI, establishment_id=a.id),
        c_rssi=user(session, "rssi@zephyr.fr", Role.RSSI, establishment_id=c.id),
        group_technician=user(session, "tech@ght-nord.fr", Role.TECHNICIAN, group_id=a.group_id),
    )
