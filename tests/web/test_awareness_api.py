"""API of awareness: overview, trainings (add, import, list), GoPhish CSV import, roles and isolation."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hygie.org import accounts, tokens
from hygie.org.models import AuditEntry, Role
from tests.awareness.test_gophish import RESULTS
from tests.factories import make_establishment
from tests.web.conftest import make_user

TRAININGS = (
    "date;topic;format;department;staff_category;invited;completed\n"
    "2026-06-01;Hameçonnage;classroom;Urgences;nursing;10;4\n"
    "2026-06-02;Hameçonnage;e-learning;Urgences;medical;10;10\n"
)


def _bearer(session: Session, email: str) -> dict[str, str]:
    secret, _row = tokens.create_api_token(session, accounts.find_user(session, email), "tests")
    return {"Authorization": f"Bearer {secret}"}


def test_imports_overview_and_lists(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    make_user(session, role=Role.RSSI, establishment_id=est)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    base = f"/api/v1/establishments/{est}/awareness"

    done = client.post(
        base + "/phishing/import",
        headers=headers,
        files={"file": ("Colis - Results.csv", RESULTS.encode(), "text/csv")},
    )
    assert done.status_code == 200, done.text
    campaign = done.json()
    assert campaign["name"] == "Colis" and campaign["launched_on"] == "2026-03-10"
    assert (campaign["totals"]["recipients"], campaign["totals"]["sent"]) == (7, 6)
    assert "ana@ch.fr" not in done.text

    imported = client.post(
        base + "/trainings/import", headers=headers, files={"file": ("f.csv", TRAININGS.encode(), "text/csv")}
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"file_name": "f.csv", "sessions": 2, "invited": 20, "completed": 14}
    added = client.post(
        base + "/trainings",
        headers=headers,
        json={
            "held_on": "2026-07-01",
            "topic": "Mots de passe",
            "format": "webinar",
            "department": "DSI",
            "staff_category": "technical",
            "invited": 6,
            "completed": 6,
        },
    )
    assert added.status_code == 201, added.text

    view = client.get(base, headers=headers).json()
    rows = {d["department"]: d for d in view["departments"]}
    assert rows["Urgences"]["completion_rate"] == 70.0 and rows["Urgences"]["click_rate"] == 50.0
    assert rows["DSI"]["click_rate"] is None
    listed = client.get(base + "/trainings?limit=2", headers=headers).json()
    assert listed["total"] == 3 and [t["department"] for t in listed["items"]] == ["DSI", "Urgences"]
    assert client.get(base + "/phishing", headers=headers).json()["total"] == 1
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.establishment_id == est)))
    assert {"awareness.phishing.import", "awareness.training.import", "awareness.training.add"} <= actions


def test_wrong_file_is_422_with_lines(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    make_user(session, role=Role.RSSI, establishment_id=est)
    headers = _bearer(session, "rssi@chu-exemple.fr")
    bad = TRAININGS.replace(";10;4", ";10;40")
    response = client.post(
        f"/api/v1/establishments/{est}/awareness/trainings/import",
        headers=headers,
        files={"file": ("f.csv", bad.encode(), "text/csv")},
    )
    assert response.status_code == 422
    details = response.json()["error"]["details"]
    assert [(d["file"], d["line"], d["field"]) for d in details] == [("f.csv", 2, "completed")]
    listed = client.get(f"/api/v1/establishments/{est}/awareness/trainings", headers=headers).json()
    assert listed["total"] == 0


def test_auditor_reads_but_does_not_write_and_others_are_hidden(session: Session, client: TestClient) -> None:
    est = make_establishment(session).id
    other = make_establishment(session).id
    make_user(session, "audit@chu-exemple.fr", role=Role.AUDITOR, establishment_id=est)
    headers = _bearer(session, "audit@chu-exemple.fr")
    assert client.get(f"/api/v1/establishments/{est}/awareness", headers=headers).status_code == 200
    refused = client.post(
        f"/api/v1/establishments/{est}/awareness/trainings/import",
        headers=headers,
        files={"file": ("f.csv", TRAININGS.encode(), "text/csv")},
    )
    assert refused.status_code == 403
    assert client.get(f"/api/v1/establishments/{other}/awareness", headers=headers).status_code == 404
