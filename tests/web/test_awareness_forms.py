"""The awareness page's training session form: shown, stored and redirected, refused next to the field
(422), CSRF required, another establishment's session not found; audited; the evidence gaps follow."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.assess import service as assess_service
from hygie.assess.schemas import AnswerIn
from hygie.awareness import service
from hygie.awareness.models import StaffCategory
from hygie.core.time import today
from hygie.frameworks.service import get_library
from hygie.org.models import AuditEntry, Role
from hygie.plan import service as plan_service
from hygie.plan.models import FindingSource
from tests.awareness.test_service import training
from tests.factories import make_establishment
from tests.web.conftest import csrf_from, login, make_user


def test_a_training_session_is_recorded_and_deleted_from_the_page(
    session: Session, client: TestClient
) -> None:
    est = make_establishment(session).id
    other = make_establishment(session).id
    theirs = service.add_training(session, other, training("Bloc", 5, 5))
    make_user(session, role=Role.RSSI, establishment_id=est)
    login(client)
    url = f"/e/{est}/awareness"
    page = client.get(url)
    assert (
        page.status_code == 200
        and f'action="{url}/trainings"' in page.text
        and 'name="staff_category"' in page.text
    )
    token = csrf_from(page.text)
    held = (today() - timedelta(days=20)).isoformat()
    values = {
        "csrf_token": token,
        "held_on": held,
        "topic": "Hameçonnage",
        "format": "classroom",
        "department": "DSI",
        "staff_category": "technical",
        "invited": "8",
        "completed": "9",
    }
    over = client.post(f"{url}/trainings", data=values)
    assert over.status_code == 422
    assert (
        'id="n-completed-error" class="field-error">Ne peut dépasser le nombre de personnes invitées.'
        in over.text
    )
    assert 'value="DSI"' in over.text  # the values typed are shown again
    wrong = client.post(
        f"{url}/trainings", data={**values, "topic": "", "format": "cours", "invited": "huit"}
    )
    assert wrong.status_code == 422
    assert 'id="n-topic-error" class="field-error">Obligatoire.' in wrong.text
    assert 'id="n-format-error" class="field-error">Choisissez' in wrong.text
    assert 'id="n-invited-error" class="field-error">Indiquez un nombre entier.' in wrong.text
    assert (
        client.post(
            f"{url}/trainings", data={k: v for k, v in values.items() if k != "csrf_token"}
        ).status_code
        == 403
    )
    assert service.list_trainings(session, est) == []
    done = client.post(f"{url}/trainings", data={**values, "completed": "6"})
    assert done.status_code == 303 and done.headers["location"] == f"{url}#trainings-title"
    [row] = service.list_trainings(session, est)
    assert (row.staff_category, row.invited, row.completed, row.held_on) == (
        StaffCategory.TECHNICAL,
        8,
        6,
        date.fromisoformat(held),
    )
    assert f"{url}/trainings/{row.id}/delete" in client.get(url).text
    assert client.post(f"{url}/trainings/{theirs.id}/delete", data={"csrf_token": token}).status_code == 404
    assert len(service.list_trainings(session, other)) == 1
    assert client.post(f"{url}/trainings/{row.id}/delete", data={"csrf_token": token}).status_code == 303
    assert service.list_trainings(session, est) == []
    actions = [
        e.action
        for e in session.scalars(
            select(AuditEntry).where(AuditEntry.action.like("awareness.training.%")).order_by(AuditEntry.id)
        )
    ]
    assert actions == ["awareness.training.add", "awareness.training.delete"]


def test_a_training_recorded_refreshes_the_it_staff_gap(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    library = get_library()
    campaign = assess_service.create_campaign(
        session, est, name="2026", assessed_on=date(2026, 10, 1), library=library
    )
    assess_service.record_answer(session, campaign, "AWA-IT-STAFF", AnswerIn(status="level", level=4), "rssi")
    make_user(session, role=Role.RSSI, establishment_id=est)
    login(client)
    url = f"/e/{est}/awareness"
    token = csrf_from(client.get(url).text)
    held = (today() - timedelta(days=20)).isoformat()
    posted = client.post(
        f"{url}/trainings",
        data={
            "csrf_token": token,
            "held_on": held,
            "topic": "Sécurité AD",
            "format": "workshop",
            "department": "DSI",
            "staff_category": "technical",
            "invited": "10",
            "completed": "4",
        },
    )
    assert posted.status_code == 303
    # 4/10 technical staff trained → 1; declared 4: a gap of 3, a finding of the plan.
    [finding] = plan_service.list_findings(session, est, source=FindingSource.EVIDENCE)
    assert finding.key == "evidence:AWA-IT-STAFF" and finding.evidence["measured"] == 1
